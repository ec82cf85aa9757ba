"""Attacks on the governance store, each judged by the verifier's anchors and the audit log.

Every row (approval, rejection, pin, grant, revocation) is reconciled with its log entry both
ways; times never decrease along the log and revocation is judged by log order; the client
remembers stores by URL as well as by id; and a fresh client never says "verified" for a trust
list it holds no anchor of.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from mlops_desktop.cli.main import main
from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.governance_facts import STATUS_REVOKED, STATUS_UNANCHORED, STATUS_VALID
from mlops_desktop.crypto.ecdsa import public_pem
from mlops_desktop.governance import approvals as approvals_mod, audit
from mlops_desktop.governance.anchors import ANCHORS_ENV, unanchored_message
from mlops_desktop.governance.approvals import approve, reject
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.models import SqlApproval, SqlMeta, SqlTrustStatement
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust, load_trust, revoke_signer
from mlops_desktop.governance.verify import verify_all
from tests.governance.helpers import Team, build_team, make_key

FRAUD = ("fraud-detector", "3")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def fresh_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Another computer: its own config and data directories (no anchors, no memory)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / name / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / name / "data"))


def write_pub(path: Path, key: object, identity: str) -> Path:
    path.write_text(f"# identity: {identity}\n" + public_pem(key.public_key).decode())  # type: ignore[attr-defined]
    return path


def entry_of(gov: Governance, action: str) -> int:
    return max(e.seq for e in audit.read_entries(gov, actions=[action]))


# ---------------------------------------------------------------------------- anchors


def test_attacker_pins_on_a_fresh_client_are_unanchored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    fresh_client(tmp_path, monkeypatch, "attacker")
    mallory = make_key("ada <ada@example.org>")
    with open_governance(str(tmp_path / "forged.db")) as gov:
        init_trust(gov, [mallory])
    fresh_client(tmp_path, monkeypatch, "auditor")
    code, out, err = run(capsys, "verify", "--governance", str(tmp_path / "forged.db"))
    expected = unanchored_message(mallory.key_id, "ada <ada@example.org>")
    assert code == 1
    assert f"Verdict: {expected}" in out
    assert expected in err
    code, out, _ = run(capsys, "audit", "verify", "--governance", str(tmp_path / "forged.db"))
    assert code == 1 and f"Verdict: {expected}" in out


def test_forged_governance_db_on_a_fresh_client_with_anchors_names_the_real_signer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], catalog: Catalog) -> None:
    real_admin = make_key("admin@example.org")
    real_pub = write_pub(tmp_path / "admin.pub", real_admin, "admin@example.org")
    # the genuine store, made on the administrator's computer
    fresh_client(tmp_path, monkeypatch, "admin")
    with open_governance(str(tmp_path / "genuine.db")) as gov:
        init_trust(gov, [real_admin])
        alice = make_key("alice@example.org")
        add_signer(gov, real_admin, alice.public_key, "alice@example.org", ["approver"])
        approve(gov, catalog, *FRAUD, "Production", "ok", [], alice)
    # the attacker rewrites it from scratch: own keys named as the real officers, own pins
    fresh_client(tmp_path, monkeypatch, "attacker")
    fake_admin, fake_alice = make_key("admin@example.org"), make_key("alice@example.org")
    with open_governance(str(tmp_path / "forged.db")) as gov:
        init_trust(gov, [fake_admin])
        add_signer(gov, fake_admin, fake_alice.public_key, "alice@example.org", ["approver"])
        approve(gov, catalog, *FRAUD, "Production", "ok", [], fake_alice)
    # a CI runner: a fresh client whose only anchor is the real administrator's key
    fresh_client(tmp_path, monkeypatch, "ci")
    monkeypatch.setenv(ANCHORS_ENV, str(real_pub))
    code, out, err = run(capsys, "verify", "--governance", str(tmp_path / "forged.db"))
    assert code == 1
    assert (f"Trust list: The trust list pins administrator key {fake_admin.key_id} claiming admin@example.org "
            "(audit-log entry 0), which is not a trust anchor of this client: its pins differ from the anchors. "
            f"Expected: admin@example.org key {real_admin.key_id}.") in out
    assert unanchored_message(fake_alice.key_id, "alice@example.org") in out
    assert "Verdict: verified" not in out
    code, out, err = run(capsys, "verify", "--governance", str(tmp_path / "forged.db"), "--format", "json")
    import json

    report = json.loads(out)
    assert code == 1 and report["ok"] is False and report["trust_anchors"] == [real_admin.key_id]
    assert [a["status"] for a in report["approvals"]] == [STATUS_UNANCHORED]
    assert any(real_admin.key_id in p for p in report["trust_problems"])
    # the genuine store verifies on the same client
    code, out, err = run(capsys, "verify", "--governance", str(tmp_path / "genuine.db"))
    assert code == 0, err
    assert "Verdict: verified" in out


def test_with_the_option_instead_of_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    fresh_client(tmp_path, monkeypatch, "admin")
    admin = make_key("admin@example.org")
    with open_governance(str(tmp_path / "g.db")) as gov:
        init_trust(gov, [admin])
    fresh_client(tmp_path, monkeypatch, "auditor")
    assert run(capsys, "audit", "verify", "--governance", str(tmp_path / "g.db"))[0] == 1
    code, out, err = run(capsys, "audit", "verify", "--governance", str(tmp_path / "g.db"), "--trust-anchor",
                         admin.key_id)
    assert code == 0, err
    assert "Verdict: verified" in out
    # trust anchor add keeps it for the next runs
    assert run(capsys, "trust", "anchor", "add", admin.key_id, "--note", "read out by the admin")[0] == 0
    assert run(capsys, "audit", "verify", "--governance", str(tmp_path / "g.db"))[0] == 0


# ---------------------------------------------------------------------------- reconciliation


def _verify_problems(gov: Governance) -> list[str]:
    report = verify_all(gov, None, record=False)
    assert not report.ok
    return report.problems


def test_deleting_a_revocation_row_is_named_with_its_entry(gov: Governance, team: Team,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    revoke_signer(gov, team.admin, team.alice.key_id, "left")
    seq = entry_of(gov, audit.ACTION_TRUST_REVOKE)
    assert verify_all(gov, None, record=False).ok
    with gov.write_session() as session:
        session.execute(sa.delete(SqlTrustStatement).where(SqlTrustStatement.kind == "revoke"))
    message = (f"Audit-log entry {seq} records the revocation trust.revoke of key:{team.alice.key_id}, but its row "
               "is missing from the governance store (deleted).")
    assert f"Audit log: {message}" in _verify_problems(gov)
    code, out, err = run(capsys, "verify", "--governance", gov.url)
    assert code == 1 and message in err
    code, out, err = run(capsys, "audit", "verify", "--governance", gov.url)
    assert code == 1 and message in err


def test_deleting_a_rejection_row_is_named_with_its_entry(gov: Governance, team: Team, catalog: Catalog,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    rec = reject(gov, catalog, *FRAUD, "Production", "bias found", [], team.bob)
    with gov.write_session() as session:
        session.execute(sa.delete(SqlApproval).where(SqlApproval.id == rec.id))
    message = (f"Audit-log entry {rec.log_seq} records the rejection approval.reject of models:/fraud-detector/3, "
               "but its row is missing from the governance store (deleted).")
    assert f"Audit log: {message}" in _verify_problems(gov)
    code, _, err = run(capsys, "verify", "--governance", gov.url)
    assert code == 1 and message in err


def test_deleting_a_pin_row_is_named_with_its_entry(gov: Governance, team: Team,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with gov.write_session() as session:
        session.execute(sa.delete(SqlTrustStatement).where(SqlTrustStatement.kind == "pin"))
    message = (f"Audit-log entry 0 records the administrator pin trust.init of key:{team.admin.key_id}, but its row "
               "is missing from the governance store (deleted).")
    assert f"Audit log: {message}" in _verify_problems(gov)
    code, _, err = run(capsys, "audit", "verify", "--governance", gov.url)
    assert code == 1 and message in err


def test_inserting_a_row_with_no_log_entry_is_named(gov: Governance, team: Team, catalog: Catalog,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    rec = approve(gov, catalog, *FRAUD, "Production", "ok", [], team.alice)
    size = audit.head(gov)[0]
    with gov.write_session() as session:
        row = session.get(SqlApproval, rec.id)
        assert row is not None
        session.add(SqlApproval(id="f" * 64, model_name=row.model_name, version=row.version, target=row.target,
                                decision=row.decision, key_id=row.key_id, log_seq=size + 5, envelope=row.envelope,
                                created_at=row.created_at))
    problems = _verify_problems(gov)
    assert (f"Audit log: The approval row for audit-log entry {size + 5} has no such log entry (a row added by hand, "
            "or its entry deleted).") in problems
    code, _, err = run(capsys, "verify", "--governance", gov.url)
    assert code == 1 and f"audit-log entry {size + 5} has no such log entry" in err


def test_a_row_pointing_at_another_kind_of_entry_is_named(gov: Governance, team: Team) -> None:
    seq = audit.log_action(gov, audit.ACTION_MODEL_VIEWED, "models:/fraud-detector/3")
    erin = team.erin
    with gov.write_session() as session:
        session.add(SqlTrustStatement(log_seq=seq, kind="add", subject_key_id=erin.key_id, envelope=b"{}",
                                      created_at="2026-01-01T00:00:00Z"))
    problems = _verify_problems(gov)
    assert (f"Audit log: The trust grant row for audit-log entry {seq} does not match that entry, which records "
            "model.view of models:/fraud-detector/3 (a row added by hand).") in problems


# ---------------------------------------------------------------------------- log order


def test_a_backdated_entry_after_a_revocation_does_not_count(gov: Governance, team: Team, catalog: Catalog,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Alice's key is revoked; someone holding it writes an approval after the revocation with a
    time before it (an attacker's client: the time check and the clamp are skipped)."""
    trust_before = load_trust(gov)
    revoke_signer(gov, team.admin, team.alice.key_id, "key lost")
    revoked_at = audit.entry_at(gov, entry_of(gov, audit.ACTION_TRUST_REVOKE))
    assert revoked_at is not None
    backdated = "2020-01-01T00:00:00.000000Z"
    first = audit.entry_at(gov, 0)
    assert first is not None and first.time > backdated
    backdated = first.time  # inside alice's validity window, long before the revocation
    monkeypatch.setattr(approvals_mod, "load_trust", lambda _gov, **_kw: trust_before)
    monkeypatch.setattr(audit, "_last_time", lambda _session, _head: None)
    monkeypatch.setattr(audit, "next_time", lambda _session, _head: backdated)
    rec = approve(gov, catalog, *FRAUD, "Production", "all good", [], team.alice)
    monkeypatch.undo()
    assert rec.log_seq > revoked_at.seq and rec.created_at < revoked_at.time
    report = verify_all(gov, catalog, record=False)
    [v] = [a for a in report.approvals if a.record.id == rec.id]
    assert v.status == STATUS_REVOKED
    assert v.detail.startswith("signer alice@example.org was revoked at ") and \
        v.detail.endswith(f"(audit-log entry {revoked_at.seq})")
    assert (f"Audit log: Audit log entry {rec.log_seq} is dated {backdated}, before entry {rec.log_seq - 1} "
            f"({audit.entry_at(gov, rec.log_seq - 1).time}): times must not decrease along the log "  # type: ignore[union-attr]
            "(a backdated entry).") in report.problems
    assert not report.ok


def test_appends_never_go_back_in_time(gov: Governance, team: Team) -> None:
    last = audit.entry_at(gov, audit.head(gov)[0] - 1)
    assert last is not None
    from mlops_desktop.core.errors import StoreError

    with pytest.raises(StoreError, match="times never decrease along the log"), gov.write_session() as session:
        audit.append(session, gov, audit.ACTION_VERIFY, "governance", {}, time="2001-01-01T00:00:00.000000Z")
    times = [e.time for e in audit.read_entries(gov)]
    assert times == sorted(times)


def test_a_revoked_key_regranted_later_does_not_revive_what_it_signed_while_revoked(
        gov: Governance, team: Team, catalog: Catalog) -> None:
    trust_before = load_trust(gov)
    revoke_signer(gov, team.admin, team.alice.key_id, "on leave")
    import mlops_desktop.governance.approvals as am

    original = am.load_trust
    am.load_trust = lambda _gov, **_kw: trust_before  # type: ignore[assignment]
    try:
        rec = approve(gov, catalog, *FRAUD, "Production", "while revoked", [], team.alice)
    finally:
        am.load_trust = original
    add_signer(gov, team.admin, team.alice.public_key, "alice@example.org", ["approver"])
    report = verify_all(gov, catalog, record=False)
    assert {a.record.id: a.status for a in report.approvals}[rec.id] == STATUS_REVOKED
    later = approve(gov, catalog, *FRAUD, "Production", "back", [], team.alice)
    report = verify_all(gov, catalog, record=False)
    assert {a.record.id: a.status for a in report.approvals}[later.id] == STATUS_VALID


# ---------------------------------------------------------------------------- client memory


def test_changed_store_id_at_a_known_url_is_reported(gov: Governance, team: Team,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "audit", "verify", "--governance", gov.url)
    assert code == 0, err
    old = gov.store_id
    with gov.write_session() as session:
        session.execute(sa.update(SqlMeta).where(SqlMeta.key == "store_id").values(value="0" * 32))
    code, out, err = run(capsys, "audit", "verify", "--governance", gov.url)
    assert code == 1
    assert (f"This client last verified the governance store at {gov.url} with id {old} (") in err
    assert f"it now has id {'0' * 32}: the database was replaced, or its id was changed" in err


def test_known_id_at_a_lower_size_is_reported(tmp_path: Path, gov: Governance, team: Team,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    backup = tmp_path / "backup.db"
    shutil.copyfile(str(gov.path), backup)
    audit.log_action(gov, audit.ACTION_MODEL_VIEWED, "models:/fraud-detector/3")
    size = audit.head(gov)[0]
    assert run(capsys, "audit", "verify", "--governance", gov.url)[0] == 0
    code, _, err = run(capsys, "audit", "verify", "--governance", str(backup))  # same id, elsewhere, older
    assert code == 1
    assert f"This client last verified the log at {size} entries, but it now has {size - 1}" in err


# ---------------------------------------------------------------------------- checkpoints


def test_checkpoints_count_only_by_a_certified_log_key(gov: Governance, team: Team) -> None:
    from mlops_desktop.governance.keys import load_public_key

    audit.write_checkpoint(gov)
    report = verify_all(gov, None, record=False)
    assert report.ok and report.log.certified_checkpoint_size is None
    [note] = report.log.notes
    assert "which no administrator certified with role log through this client's anchors: they do not count" in note
    pub = audit.client_checkpoint_public_path()
    assert pub.is_file()
    add_signer(gov, team.admin, load_public_key(pub), "checkpoints of this client", ["log"])
    report = verify_all(gov, None, record=False)
    assert report.ok and report.log.certified_checkpoint_size == report.log.checkpoint_size
    assert report.log.notes == []


def test_team_helpers_still_build_a_verified_store(gov: Governance) -> None:
    build_team(gov)
    report = verify_all(gov, None, record=False)
    assert report.ok and report.verdict == "verified"
