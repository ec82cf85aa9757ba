"""The one SHA-256 of a file's bytes, read in blocks, cancellable between blocks."""

from __future__ import annotations

import hashlib
from pathlib import Path

from mlops_desktop.core.progress import CancelledFn, check_cancelled, never_cancelled

BLOCK_SIZE = 1 << 20
#: Names model_signing leaves out of a model folder's digest (and so do we).
IGNORED_NAMES = frozenset({".git", ".gitattributes", ".github", ".gitignore", "model.sig"})


def file_sha256(path: Path, is_cancelled: CancelledFn = never_cancelled) -> str:
    """Lowercase hex SHA-256 of the file at ``path`` (raises OSError as ``open`` does)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(BLOCK_SIZE), b""):
            check_cancelled(is_cancelled)
            h.update(block)
    return h.hexdigest()
