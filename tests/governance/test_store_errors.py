"""Driver errors from the governance store reach the user as StoreError, never raw."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_desktop.core.errors import StoreError
from mlops_desktop.governance.audit import log_action
from mlops_desktop.governance.store import open_governance


def test_file_overwritten_while_open_gives_store_error(tmp_path: Path) -> None:
    path = tmp_path / "governance.db"
    gov = open_governance(str(path))
    try:
        log_action(gov, "store.opened", "mlflow:x")
        gov.engine.dispose()  # drop pooled connections so the next write opens the damaged file
        garbage = b"this is not a database anymore" * 200
        path.write_bytes(garbage)
        with pytest.raises(StoreError, match="Governance database error|not a database"):
            log_action(gov, "store.opened", "mlflow:y")
        assert path.read_bytes() == garbage
    finally:
        gov.close()
