"""services.snapshots: create (signed, unsigned, cancelled), verify and describe."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mlops_desktop.core.errors import CancelledError
from mlops_desktop.governance import audit
from mlops_desktop.governance.store import open_governance
from mlops_desktop.services.snapshots import (
    SnapshotRequest,
    create_snapshot,
    describe_snapshot,
    verify_snapshot,
)
from tests.governance.helpers import Team
from tests.services.conftest import Calls


def test_signed_snapshot_verifies_and_is_recorded(tmp_path: Path, gov_url: str, team: Team, mlflow3_db: Path,
                                                  calls: Calls) -> None:
    out = tmp_path / "audit.mlsnap"
    result = create_snapshot(SnapshotRequest((str(mlflow3_db),), str(out), gov_url), lambda: team.alice,
                             progress=calls)
    assert calls.seen[0] == (0, 100, "Unlocking the key")
    assert result.path == out and result.signed and result.key_id == team.alice.key_id
    assert result.sha256 == hashlib.sha256(out.read_bytes()).hexdigest() and result.size == out.stat().st_size
    assert result.not_recorded is None and result.log_seq == 5
    with open_governance(gov_url) as gov:
        entry = audit.entry_at(gov, 5)
    assert entry is not None and entry.details["sha256"] == result.sha256
    status = verify_snapshot(out)
    assert (status.state, status.ok, status.key_id, status.signer) == ("verified", True, team.alice.key_id,
                                                                       "alice@example.org")
    info = describe_snapshot(out)
    assert info["signer"]["key_id"] == team.alice.key_id and info["status"]["state"] == "verified"
    assert [s["url"] for s in info["sources"]] == [str(mlflow3_db)]


def test_unsigned_and_cancelled_snapshots(tmp_path: Path, gov_url: str, team: Team, mlflow3_db: Path) -> None:
    out = tmp_path / "plain.mlsnap"
    result = create_snapshot(SnapshotRequest((str(mlflow3_db),), str(out), gov_url))
    assert not result.signed and result.key_id is None
    assert verify_snapshot(out).state == "unsigned"
    gone = tmp_path / "cancelled.mlsnap"
    with pytest.raises(CancelledError):
        create_snapshot(SnapshotRequest((str(mlflow3_db),), str(gone), gov_url), lambda: team.alice,
                        is_cancelled=lambda: True)
    assert not gone.exists() and sorted(p.name for p in tmp_path.iterdir() if "cancelled" in p.name) == []
