"""Opening a governance store by URL: a live database, or the read-only records a snapshot carries.

Every ``--governance`` value goes through :func:`open_governance`; a snapshot (``snapshot:FILE``
or a local file with the snapshot manifest table) is never opened writable.
"""

from __future__ import annotations

import os
from pathlib import Path

from mlops_desktop.core.errors import StoreError
from mlops_desktop.governance.db import GOVERNANCE_ENV, Governance, open_database
from mlops_desktop.governance.snapshot_view import open_snapshot_governance_file
from mlops_desktop.sources import sqlite as ro
from mlops_desktop.sources.snapshot_format import MANIFEST_TABLE


def open_governance(url: str | None = None, *, create: bool = True) -> Governance:
    """Open (and create or migrate if needed) the governance store.

    ``url``: None (MLOPS_DESKTOP_GOVERNANCE_URL, else the default SQLite file in the user
    data directory), a SQLite path / ``sqlite:///`` URL, ``postgresql://...``, or a snapshot.
    """
    raw = (url or os.environ.get(GOVERNANCE_ENV) or "").strip()
    if raw.startswith("snapshot:") or is_snapshot_file(raw):
        # A snapshot carries a read-only copy of the governance records: never open it writable.
        return open_snapshot_governance_file(raw)
    return open_database(url, create=create)


def is_snapshot_file(raw: str) -> bool:
    """A local SQLite file with the snapshot manifest table (detected by content, not name)."""
    if not raw or "://" in raw:
        return False
    path = Path(raw).expanduser()
    try:
        if not path.is_file():
            return False
        with path.open("rb") as fh:
            if fh.read(16) != ro.SQLITE_MAGIC:
                return False
        return MANIFEST_TABLE in ro.table_names(path, "governance database")
    except (OSError, StoreError):
        return False
