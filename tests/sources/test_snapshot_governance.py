"""Governance records inside a snapshot: approvals verify offline, on another client, with the
trust list the snapshot carries; findings with governance facts equal those of the live stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.findings import evaluate
from mlops_desktop.core.governance_facts import STATUS_VALID
from mlops_desktop.crypto.ecdsa import generate_private_key, key_id
from mlops_desktop.governance import audit
from mlops_desktop.governance.approvals import approve, list_approvals, verify_approvals
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.keys import SigningKey
from mlops_desktop.governance.snapshot import create_snapshot
from mlops_desktop.governance.snapshot_view import (
    open_snapshot,
    open_snapshot_governance,
    open_snapshot_governance_file,
)
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust, load_trust
from mlops_desktop.governance.verify import governance_facts, verify_all
from mlops_desktop.sources import snapshot as snapsrc
from mlops_desktop.sources.loader import load_catalog

MODEL, VERSION, TARGET = "churn-predictor", "3", "Production"


def _key(identity: str) -> SigningKey:
    priv = generate_private_key()
    return SigningKey(priv, key_id(priv.public_key()), identity)


@pytest.fixture
def approved(tmp_path: Path, mlflow3_db: Path) -> Iterator[tuple[Governance, Path, list[str]]]:
    admin, alice, erin = _key("admin@example.org"), _key("reviewer1@example.org"), _key("reviewer2@example.org")
    gov = open_governance(str(tmp_path / "governance.db"))
    init_trust(gov, [admin])
    for k in (alice, erin):
        add_signer(gov, admin, k.public_key, str(k.identity), ["approver"])
    catalog = load_catalog([str(mlflow3_db)])
    ids = [approve(gov, catalog, MODEL, VERSION, TARGET, "validated", ["gdpr"], k).id for k in (alice, erin)]
    out = tmp_path / "with-approvals.mlsnap"
    create_snapshot([str(mlflow3_db)], out, key=alice, governance=gov)
    yield gov, out, ids
    gov.close()


def _new_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, anchor: str) -> None:
    """Another machine: a fresh HOME, no governance store, no memory of any checkpoint."""
    home = tmp_path / "auditor-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    # the auditor holds the administrator's fingerprint, received out of band
    monkeypatch.setenv("MLOPS_DESKTOP_TRUST_ANCHORS", anchor)


def test_approvals_verify_offline_with_the_carried_trust_list(
    approved: tuple[Governance, Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    mlflow3_db: Path,
) -> None:
    gov, snap, ids = approved
    [admin_pin] = load_trust(gov).pins
    gov.close()
    (tmp_path / "governance.db").unlink()  # the live governance store is gone: offline
    mlflow3_db.unlink()  # and so is the live MLflow store
    _new_client(tmp_path, monkeypatch, admin_pin.key_id)
    with open_snapshot(snap) as source:
        assert source.status.state == snapsrc.VERIFIED, source.status.text
        catalog = source.load_catalog()
        view = open_snapshot_governance(source)
    assert view is not None
    try:
        records = list_approvals(view, MODEL, VERSION)
        assert sorted(r.id for r in records) == sorted(ids)
        verified = verify_approvals(view, catalog, records)
        assert [v.status for v in verified] == [STATUS_VALID, STATUS_VALID], [v.problems for v in verified]
        report = verify_all(view, catalog, model=MODEL, version=VERSION, target=TARGET, record=False)
        assert report.log.ok, report.log.problems
        assert all(v.valid for v in report.approvals)
        assert report.policy is not None
    finally:
        view.close()


def test_findings_with_governance_equal_live(
    approved: tuple[Governance, Path, list[str]], mlflow3_db: Path
) -> None:
    gov, snap, _ids = approved
    live_catalog = load_catalog([str(mlflow3_db)])
    live_facts = governance_facts(gov, live_catalog)
    with open_snapshot(snap) as source:
        catalog = source.load_catalog()
        view = open_snapshot_governance(source)
    assert view is not None
    try:
        facts = governance_facts(view, catalog)
    finally:
        view.close()
    assert facts.approvals == live_facts.approvals
    live = [f.as_json() for f in evaluate(live_catalog, live_facts)]
    offline = [f.as_json() for f in evaluate(catalog, facts)]
    assert offline == live


def test_approval_row_edited_inside_the_snapshot(approved: tuple[Governance, Path, list[str]]) -> None:
    import sqlite3

    _gov, snap, _ids = approved
    con = sqlite3.connect(snap)
    con.execute("UPDATE approvals SET target = 'Staging'")
    con.commit()
    con.close()
    with open_snapshot(snap) as source:
        assert source.status.state == snapsrc.ALTERED
        assert "table approvals was changed (its SHA-256 differs from the manifest)" in source.status.problems


def test_snapshot_carries_the_checkpoint_it_was_made_at(approved: tuple[Governance, Path, list[str]]) -> None:
    """A checkpoint is signed before copying; the snapshot carries it and the log head."""
    gov, snap, _ids = approved
    with open_snapshot(snap) as source:
        info = source.predicate["governance"]
    assert info["store_id"] == gov.store_id
    assert info["checkpoint"] and info["checkpoint"].startswith(gov.origin)
    size, root = audit.head(gov)
    assert info["log_size"] == size and info["root_hash"] == root


def test_older_snapshot_on_a_client_that_saw_the_live_log_grow(
    approved: tuple[Governance, Path, list[str]],
) -> None:
    """The live log grew after the snapshot and this client verified it: the snapshot's shorter
    log is an older copy, not a deleted tail (no false alarm), and its checkpoints verify."""
    gov, snap, _ids = approved
    for _ in range(3):
        audit.log_action(gov, "model.view", "models:/churn-predictor/3")
    assert audit.verify_log(gov).ok  # this client now remembers the longer live log
    view = open_snapshot_governance_file(f"snapshot:{snap}")
    try:
        result = audit.verify_log(view)
        assert result.ok, result.problems
        assert result.size == audit.head(gov)[0] - 3
    finally:
        view.close()
    assert audit.verify_log(gov, update_memory=False).ok  # the live memory was not touched


def test_governance_file_opener_refuses_snapshots_without_records(tmp_path: Path, mlflow3_db: Path) -> None:
    out = tmp_path / "bare.mlsnap"
    create_snapshot([str(mlflow3_db)], out)
    with pytest.raises(StoreError, match="Refusing governance snapshot .*: unsigned snapshot"):
        open_snapshot_governance_file(out)
    with pytest.raises(StoreError, match="carries no governance records"):
        open_snapshot_governance_file(out, allow_unverified=True)


@pytest.mark.postgres
def test_governance_on_postgresql_is_copied_and_verifies(
    postgres_database: str, tmp_path: Path, mlflow3_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, alice = _key("admin@example.org"), _key("alice@example.org")
    gov = open_governance(postgres_database)
    try:
        init_trust(gov, [admin])
        add_signer(gov, admin, alice.public_key, "alice@example.org", ["approver"])
        catalog = load_catalog([str(mlflow3_db)])
        env_id = approve(gov, catalog, MODEL, VERSION, TARGET, "validated", ["gdpr"], alice).id
        out = tmp_path / "pg.mlsnap"
        create_snapshot([str(mlflow3_db)], out, key=alice, governance=gov)
    finally:
        gov.close()
    _new_client(tmp_path, monkeypatch, admin.key_id)
    with open_snapshot(out) as source:
        assert source.status.state == snapsrc.VERIFIED, source.status.text
        catalog = source.load_catalog()
        view = open_snapshot_governance(source)
    assert view is not None
    try:
        verified = verify_approvals(view, catalog)
        assert [(v.record.id, v.status) for v in verified] == [(env_id, STATUS_VALID)]
        assert audit.verify_log(view).ok
    finally:
        view.close()


@pytest.mark.parametrize("form", ["path", "url"])
def test_snapshot_passed_as_governance_store_is_read_only(
    approved: tuple[Governance, Path, list[str]], mlflow3_db: Path, form: str
) -> None:
    """``--governance FILE.mlsnap`` opens the carried records read-only; nothing is written into it."""
    import hashlib

    _gov, snap, _ids = approved
    before = hashlib.sha256(snap.read_bytes()).hexdigest()
    view = open_governance(str(snap) if form == "path" else f"snapshot:{snap}")
    try:
        assert view.read_only and view.read_only_reason
        assert len(list_approvals(view)) == 2
        catalog = load_catalog([str(mlflow3_db)])
        with pytest.raises(StoreError, match="read-only"):
            approve(view, catalog, MODEL, VERSION, TARGET, "again", ["gdpr"], _key("third@example.org"))
    finally:
        view.close()
    assert hashlib.sha256(snap.read_bytes()).hexdigest() == before
