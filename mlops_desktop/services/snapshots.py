"""Offline snapshots: ``snapshot create|verify|info`` and File > Create snapshot….

Creating writes a temporary file next to the target and renames it only when complete, so
a cancel (``is_cancelled``) or an error leaves no file behind; the snapshot's SHA-256 is
recorded in the governance store's audit log when there is one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.services.session import UnlockFn
from mlops_desktop.sources.base import DEFAULT_SETTINGS, SourceSettings

if TYPE_CHECKING:
    from mlops_desktop.core.entities import Catalog
    from mlops_desktop.governance.snapshot import SnapshotResult
    from mlops_desktop.sources.snapshot import SnapshotStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SnapshotRequest:
    """Snapshot ``stores`` (or the ``catalog`` already loaded from them) into ``out``."""

    stores: tuple[str, ...]
    out: str
    governance_url: str | None = None
    #: Settings handed to the sources when they are read here (artifact-root mappings…).
    source_settings: SourceSettings = DEFAULT_SETTINGS
    catalog: Catalog | None = None


def create_snapshot(
    request: SnapshotRequest,
    unlock: UnlockFn | None = None,
    *,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> SnapshotResult:
    """Unlock the key (``unlock`` None: an unsigned snapshot), write the snapshot and record it."""
    from mlops_desktop.governance.snapshot import export_snapshot

    key = None
    if unlock is not None:
        progress(0, 100, "Unlocking the key")
        key = unlock()
        check_cancelled(is_cancelled)
    return export_snapshot(list(request.stores), request.out, key=key, governance_url=request.governance_url,
                           settings=request.source_settings, progress=progress, is_cancelled=is_cancelled,
                           catalog=request.catalog)


def verify_snapshot(path: Path | str, anchors: Sequence[str] = ()) -> SnapshotStatus:
    """Check every table against the manifest and the manifest's signature (the signer judged by
this client's trust anchors plus ``anchors``, the --trust-anchor values)."""
    from mlops_desktop.governance.snapshot_view import open_snapshot

    source = open_snapshot(path, anchors=anchors)
    try:
        return source.status
    finally:
        source.close()


def describe_snapshot(path: Path | str, anchors: Sequence[str] = ()) -> dict[str, Any]:
    """``snapshot info``: sources, time, signer, governance copy and tables (the JSON document)."""
    from mlops_desktop.governance.snapshot import snapshot_info
    from mlops_desktop.governance.snapshot_view import open_snapshot

    source = open_snapshot(path, anchors=anchors)
    try:
        return snapshot_info(source)
    finally:
        source.close()
