"""Attacks on snapshots used as ``--governance snapshot:FILE`` and judged by ``resolve_signer``,
as someone who holds a revoked signing key, an old copy of the governance store, or write access
to the snapshot file."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from mlops_desktop.governance.snapshot import create_snapshot
from mlops_desktop.governance.snapshot_view import open_snapshot, open_snapshot_governance_file
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import revoke_signer
from mlops_desktop.sources.snapshot import VERIFIED, UnverifiedSnapshotError
from tests.governance.helpers import build_team, make_key

sqlite_count = sa.text("SELECT count(*) FROM trust_statements")


@pytest.fixture
def local_gov(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This client's governance store (the one ``resolve_signer`` consults)."""
    path = tmp_path / "local-gov.db"
    monkeypatch.setenv("MLOPS_DESKTOP_GOVERNANCE_URL", str(path))
    return path


def test_revoked_signer_with_an_old_copy_of_the_trust_list_is_not_verified(
        tmp_path: Path, mlflow3_db: Path, local_gov: Path) -> None:
    """Alice's key is revoked here; she still has a copy of the store from before, takes a snapshot
    with it (its carried trust list grants her) and signs it: it must not verify on this client."""
    with open_governance(str(local_gov)) as gov:
        team = build_team(gov)
    old_copy = tmp_path / "old-copy.db"
    shutil.copyfile(local_gov, old_copy)
    with open_governance(str(local_gov)) as gov:
        revoke_signer(gov, team.admin, team.alice.key_id, "key lost")
    snap = tmp_path / "s.mlsnap"
    with open_governance(str(old_copy)) as old:
        create_snapshot([str(mlflow3_db)], snap, key=team.alice, governance=old)
    source = open_snapshot(snap)
    try:
        assert source.status.state != VERIFIED, source.status.text
        assert "records as revoked" in repr(source.status)
    finally:
        source.close()
    with pytest.raises(UnverifiedSnapshotError):
        open_snapshot_governance_file(f"snapshot:{snap}")


def test_genuine_snapshot_of_a_trusted_signer_verifies(tmp_path: Path, mlflow3_db: Path, local_gov: Path) -> None:
    with open_governance(str(local_gov)) as gov:
        team = build_team(gov)
        snap = tmp_path / "s.mlsnap"
        create_snapshot([str(mlflow3_db)], snap, key=team.alice, governance=gov)
    source = open_snapshot(snap)
    try:
        assert source.status.state == VERIFIED, source.status.text
    finally:
        source.close()
    open_snapshot_governance_file(f"snapshot:{snap}").close()


def test_snapshot_carrying_its_own_pinned_admin_is_refused(tmp_path: Path, mlflow3_db: Path, local_gov: Path) -> None:
    """Mallory builds a store pinning herself, grants a key named like Alice, signs a snapshot."""
    with open_governance(str(local_gov)) as gov:
        build_team(gov)  # this client's anchors: the real admin
    fake = tmp_path / "fake.db"
    mallory, fake_alice = make_key("admin@example.org"), make_key("alice@example.org")
    from mlops_desktop.governance.anchors import anchors_path
    saved = anchors_path().read_bytes()
    with open_governance(str(fake)) as g:
        from mlops_desktop.governance.trust import add_signer, init_trust
        init_trust(g, [mallory])
        add_signer(g, mallory, fake_alice.public_key, "alice@example.org", ["approver"])
        snap = tmp_path / "s.mlsnap"
        create_snapshot([str(mlflow3_db)], snap, key=fake_alice, governance=g)
    anchors_path().write_bytes(saved)  # init_trust on the fake store pinned mallory here: undo, she is elsewhere
    with pytest.raises(UnverifiedSnapshotError):
        open_snapshot_governance_file(f"snapshot:{snap}")


def test_governance_row_edited_in_a_signed_snapshot_is_refused(tmp_path: Path, mlflow3_db: Path,
                                                                local_gov: Path) -> None:
    with open_governance(str(local_gov)) as gov:
        team = build_team(gov)
        snap = tmp_path / "s.mlsnap"
        create_snapshot([str(mlflow3_db)], snap, key=team.alice, governance=gov)
    con = sqlite3.connect(snap)
    with con:  # the grant of the last signer removed from the carried trust list
        con.execute("DELETE FROM trust_statements WHERE rowid = (SELECT max(rowid) FROM trust_statements)")
    con.close()
    with pytest.raises(UnverifiedSnapshotError):
        open_snapshot_governance_file(f"snapshot:{snap}")


def test_revoked_signer_backdating_the_snapshot_is_not_verified_on_a_client_without_a_store(
        tmp_path: Path, mlflow3_db: Path, local_gov: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh client (no governance store of its own) judges by the trust list the snapshot
    carries, which records the revocation; the revoked key claims a creation time before it."""
    import time

    import mlops_desktop.governance.snapshot as snapmod
    from mlops_desktop.governance.db import now_iso

    with open_governance(str(local_gov)) as gov:
        team = build_team(gov)
        time.sleep(0.05)
        while_trusted = now_iso()  # after Alice's grant, before her revocation
        time.sleep(0.05)
        revoke_signer(gov, team.admin, team.alice.key_id, "key lost")
        snap = tmp_path / "s.mlsnap"
        monkeypatch.setattr(snapmod, "now_iso", lambda: while_trusted)
        create_snapshot([str(mlflow3_db)], snap, key=team.alice, governance=gov)
    monkeypatch.setenv("MLOPS_DESKTOP_GOVERNANCE_URL", str(tmp_path / "absent.db"))
    source = open_snapshot(snap)
    try:
        assert source.status.state != VERIFIED, source.status.text
    finally:
        source.close()
    with pytest.raises(UnverifiedSnapshotError):
        open_snapshot_governance_file(f"snapshot:{snap}")


def test_expired_signer_backdating_the_snapshot_into_its_window(
        tmp_path: Path, mlflow3_db: Path, local_gov: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A key whose validity window has ended claims a creation time inside the window."""
    import time
    from datetime import UTC, datetime, timedelta

    import mlops_desktop.governance.snapshot as snapmod
    from mlops_desktop.governance.db import now_iso
    from mlops_desktop.governance.trust import add_signer

    eve = make_key("eve@example.org")
    with open_governance(str(local_gov)) as gov:
        team = build_team(gov)
        add_signer(gov, team.admin, eve.public_key, "eve@example.org", ["approver"],
                   valid_until=datetime.now(UTC) + timedelta(seconds=1))
        inside = now_iso()
        time.sleep(1.5)  # the window is over
        monkeypatch.setattr(snapmod, "now_iso", lambda: inside)
        snap = tmp_path / "s.mlsnap"
        create_snapshot([str(mlflow3_db)], snap, key=eve, governance=gov)
    source = open_snapshot(snap)
    try:
        assert source.status.state != VERIFIED, source.status.text
    finally:
        source.close()


def test_snapshot_replaced_after_it_was_verified_is_not_read(tmp_path: Path, mlflow3_db: Path, local_gov: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone with write access to the snapshot's folder swaps in an edited copy (a grant
    removed) once the genuine file has been verified and before its records are read."""
    import mlops_desktop.governance.snapshot_view as snapshot_view

    with open_governance(str(local_gov)) as gov:
        team = build_team(gov)
        snap = tmp_path / "s.mlsnap"
        create_snapshot([str(mlflow3_db)], snap, key=team.alice, governance=gov)
    edited = tmp_path / "edited.mlsnap"
    shutil.copyfile(snap, edited)
    con = sqlite3.connect(edited)
    with con:
        con.execute("DELETE FROM trust_statements WHERE rowid = (SELECT max(rowid) FROM trust_statements)")
    con.close()

    def count(path: Path) -> int:
        c = sqlite3.connect(path)
        try:
            return int(c.execute("SELECT count(*) FROM trust_statements").fetchone()[0])
        finally:
            c.close()

    genuine, swapped = count(snap), count(edited)
    assert genuine == swapped + 1
    real_open = snapshot_view.open_snapshot

    def verify_then_swap(*args: object, **kwargs: object) -> object:
        source = real_open(*args, **kwargs)  # type: ignore[arg-type]
        edited.replace(snap)  # after the check, before the records are read
        return source

    monkeypatch.setattr(snapshot_view, "open_snapshot", verify_then_swap)
    view = open_snapshot_governance_file(f"snapshot:{snap}")
    try:
        assert view.unverified == ""
        with view.read_session() as s:
            read = int(s.execute(sqlite_count).scalar_one())
        assert read == genuine, "the records read are not the ones verified"
        assert view.url == f"snapshot:{snap.resolve()}"
        copy = view.private_copy
        assert copy is not None and copy.is_file()
    finally:
        view.close()
    assert not copy.exists(), "the private copy outlives its view"
    assert count(snap) == swapped  # the swap happened
