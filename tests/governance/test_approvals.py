"""Signed decisions end to end: digests, one transaction with the log, tampering, bad input."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import SchemaError, StoreError, UsageError
from mlops_desktop.core.governance_facts import (
    STATUS_EVIDENCE_CHANGED,
    STATUS_EXPIRED,
    STATUS_INVALID,
    STATUS_VALID,
)
from mlops_desktop.crypto.dsse import PROMOTION_PREDICATE, parse_envelope, parse_statement
from mlops_desktop.governance import audit
from mlops_desktop.governance.approvals import (
    approve,
    list_approvals,
    verify_approval,
    verify_approvals,
)
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.digest import METHOD_ARTIFACTS, METHOD_RECORD, subject_digest
from mlops_desktop.governance.models import Base, SqlApproval
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import load_trust, revoke_signer
from mlops_desktop.governance.verify import governance_facts, verify_all
from tests.governance.helpers import Team

FRAUD = ("fraud-detector", "3")


def _hand_digest(folder: Path) -> str:
    """The model-signing root digest, recomputed by hand from the documented algorithm."""
    files = sorted((p.relative_to(folder).as_posix(), p) for p in folder.rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(hashlib.sha256(p.read_bytes()).digest() for _, p in files)).hexdigest()


def test_approve_stores_envelope_and_log_entry_together(gov: Governance, team: Team, catalog: Catalog,
                                                        artifact_roots: dict[str, str]) -> None:
    rec = approve(gov, catalog, *FRAUD, "Production", "validated", ["gdpr", "eu-ai-act"], team.alice,
                  artifact_roots=artifact_roots)
    assert rec.id == hashlib.sha256(rec.envelope).hexdigest()
    env = parse_envelope(rec.envelope)
    st = parse_statement(env.payload)
    assert st.subject_name == "models:/fraud-detector/3" and st.predicate_type == PROMOTION_PREDICATE
    pred = st.predicate
    assert pred["decision"] == "APPROVED" and pred["target"] == "Production"
    assert pred["regimes"] == ["eu-ai-act", "gdpr"] and pred["reason"] == "validated"
    assert pred["approver"] == {"identity": "alice@example.org", "keyId": team.alice.key_id}
    assert pred["policy"]["id"] == "mlops-desktop-default/v1" and len(pred["policy"]["digest"]) == 64
    assert pred["evidence"]["runId"] and pred["evidence"]["datasets"] and pred["evidence"]["metrics"]
    assert pred["signedAt"].endswith("Z")
    entry = audit.entry_at(gov, rec.log_seq)
    assert entry is not None and pred["logIndex"] == entry.seq
    assert entry.details["envelope_sha256"] == rec.id and entry.action == audit.ACTION_APPROVE
    # the digest is the model-signing root digest of the mapped artifacts
    mv = catalog.find_version(*FRAUD)
    assert mv is not None
    lm = catalog.logged_models[str(mv.logged_model_id)]
    folder = Path(artifact_roots["/srv/mlflow/artifacts"]) / lm.artifact_location.removeprefix("/srv/mlflow/artifacts/")
    assert pred["digest"]["method"] == METHOD_ARTIFACTS and pred["digest"]["files"] == 5
    assert st.digest == _hand_digest(folder)
    [stored] = list_approvals(gov, "fraud-detector", "3")
    assert stored.envelope == rec.envelope  # verbatim


def test_digest_known_answer_from_model_signing(fixtures_dir: Path) -> None:
    """Root digest of a fixture model folder, as model-signing 1.1.1 computes it (checked by hand once)."""
    from mlops_desktop.governance.digest import model_signing_digest

    folder = fixtures_dir / "artifacts/mlflow-3.17/fraud-detector/models/m-845dabcde6994ca4bcd68767da46feae/artifacts"
    assert model_signing_digest(folder) == ("0dd67bcce8b6c3321f5798c6915198e14fad9cf8f6e32f9aed68280ade347784", 5)
    assert _hand_digest(folder) == "0dd67bcce8b6c3321f5798c6915198e14fad9cf8f6e32f9aed68280ade347784"


def test_digest_matches_model_signing_when_installed(catalog: Catalog, artifact_roots: dict[str, str]) -> None:
    model_signing = pytest.importorskip("model_signing")
    mv = catalog.find_version(*FRAUD)
    assert mv is not None
    sd = subject_digest(catalog, mv, artifact_roots)
    assert sd.local_path is not None
    manifest = model_signing.hashing.Config().hash(sd.local_path)
    from model_signing._signing.signing import Payload

    assert Payload(manifest).statement.pb.subject[0].digest["sha256"] == sd.digest


def test_record_digest_when_artifacts_are_unreachable(gov: Governance, team: Team, catalog: Catalog) -> None:
    rec = approve(gov, catalog, *FRAUD, "Production", "ok", [], team.alice)
    pred = parse_statement(parse_envelope(rec.envelope).payload).predicate
    assert pred["digest"]["method"] == METHOD_RECORD
    [v] = verify_approvals(gov, catalog)
    assert v.status == STATUS_VALID


def test_evidence_changed_after_the_decision(gov: Governance, team: Team, catalog: Catalog,
                                             artifact_roots: dict[str, str]) -> None:
    approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.alice, artifact_roots=artifact_roots)
    [v] = verify_approvals(gov, catalog, artifact_roots=artifact_roots)
    assert v.status == STATUS_VALID
    pkl = next(Path(artifact_roots["/srv/mlflow/artifacts"]).glob("fraud-detector/models/m-845*/artifacts/python_model.pkl"))
    pkl.write_bytes(pkl.read_bytes() + b"\x00")
    [v] = verify_approvals(gov, catalog, artifact_roots=artifact_roots)
    assert v.status == STATUS_EVIDENCE_CHANGED and "model artifacts changed" in v.detail
    # without the mapping only the version record is rechecked, and that still holds
    [v] = verify_approvals(gov, catalog)
    assert v.status == STATUS_VALID and "only the version record" in v.detail


def test_edited_approval_row_is_invalid(gov: Governance, team: Team, catalog: Catalog) -> None:
    rec = approve(gov, catalog, *FRAUD, "Production", "ok", [], team.alice)
    with gov.write_session() as s:
        row = s.get(SqlApproval, rec.id)
        assert row is not None
        row.target = "Staging"  # the columns say one thing...
    [v] = verify_approvals(gov, catalog)
    assert v.status == STATUS_INVALID and "does not match the stored row" in v.detail
    with gov.write_session() as s:
        row = s.get(SqlApproval, rec.id)
        assert row is not None
        row.target = "Production"
        obj = json.loads(row.envelope)
        obj["payload"] = obj["payload"].replace("A", "B", 1)
        row.envelope = json.dumps(obj).encode()  # ...or the envelope bytes change
    [v] = verify_approvals(gov, catalog)
    assert v.status == STATUS_INVALID and "row edited by hand" in v.detail


def test_envelope_swapped_between_rows(gov: Governance, team: Team, catalog: Catalog) -> None:
    a = approve(gov, catalog, *FRAUD, "Production", "ok", [], team.alice)
    b = approve(gov, catalog, *FRAUD, "Production", "ok", [], team.bob)
    with gov.write_session() as s:
        row = s.get(SqlApproval, a.id)
        assert row is not None
        row.log_seq = b.log_seq
    statuses = {v.record.id: v for v in verify_approvals(gov, catalog)}
    assert statuses[a.id].status == STATUS_INVALID and "log index" in statuses[a.id].detail


def test_signer_status_at_the_decisions_log_time(gov: Governance, team: Team, catalog: Catalog) -> None:
    rec = approve(gov, catalog, *FRAUD, "Production", "ok", [], team.alice)
    revoke_signer(gov, team.admin, team.alice.key_id)
    trust = load_trust(gov)
    entry = audit.entry_at(gov, rec.log_seq)
    assert entry is not None
    assert verify_approval(rec, trust, entry.to_dict(), catalog).status == STATUS_VALID  # revoked later: counts
    # revocation is judged by log order: a later time claimed by the entry does not revoke it
    late = {**entry.to_dict(), "time": "2099-01-01T00:00:00Z"}
    assert verify_approval(rec, trust, late, catalog).status == STATUS_VALID
    # an earlier time claimed lies before the grant's validity window: it does not count
    early = {**entry.to_dict(), "time": "2001-01-01T00:00:00Z"}
    assert verify_approval(rec, trust, early, catalog).status == STATUS_EXPIRED


def test_bad_input_writes_nothing(gov: Governance, team: Team, catalog: Catalog) -> None:
    size = audit.head(gov)[0]
    with pytest.raises(UsageError, match="cannot sign decisions"):
        approve(gov, catalog, *FRAUD, "Production", "ok", [], team.erin)
    with pytest.raises(UsageError, match="No model 'nope'"):
        approve(gov, catalog, "nope", "1", "Production", "ok", [], team.alice)
    with pytest.raises(UsageError, match="has no version 42"):
        approve(gov, catalog, "fraud-detector", "42", "Production", "ok", [], team.alice)
    with pytest.raises(UsageError, match="deleted"):
        approve(gov, catalog, "fraud-detector", "1", "Production", "ok", [], team.alice)
    with pytest.raises(UsageError, match="Unknown regime sox"):
        approve(gov, catalog, *FRAUD, "Production", "ok", ["sox"], team.alice)
    with pytest.raises(UsageError, match="reason is required"):
        approve(gov, catalog, *FRAUD, "Production", "  ", [], team.alice)
    assert audit.head(gov)[0] == size and list_approvals(gov) == []


def test_governance_facts(gov: Governance, team: Team, catalog: Catalog) -> None:
    approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.alice)
    facts = governance_facts(gov, catalog)
    assert facts.policy_id == "mlops-desktop-default/v1"
    assert facts.audit is not None and facts.audit.ok and facts.audit.size == audit.head(gov)[0]
    [fact] = facts.approvals_for(*FRAUD)
    assert fact.valid and fact.regimes == ("gdpr",) and fact.signer_identity == "alice@example.org"
    assert fact.role == "approver" and fact.log_index is not None and fact.decision == "APPROVED"


def test_verify_all_reports_each_problem(gov: Governance, team: Team, catalog: Catalog) -> None:
    approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.alice)
    approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.bob)
    report = verify_all(gov, catalog, model="fraud-detector", version="3", target="Production")
    assert report.ok, report.problems
    assert audit.read_entries(gov, limit=1)[0].action == audit.ACTION_VERIFY
    with gov.write_session() as s:
        row = s.execute(sa.select(SqlApproval).limit(1)).scalar_one()
        row.envelope = row.envelope.replace(b'"sig":"M', b'"sig":"N')
    report = verify_all(gov, catalog, model="fraud-detector", version="3", target="Production")
    assert not report.ok
    assert any("row edited by hand" in p for p in report.problems)
    assert any("Only 1 of 2" in p for p in report.problems)


# ---------------------------------------------------------------------------- the store itself


def test_read_only_governance_file(tmp_path: Path, team: Team, gov: Governance, catalog: Catalog) -> None:
    assert gov.path is not None
    gov.close()
    os.chmod(gov.path, 0o444)
    before = gov.path.read_bytes()
    ro = open_governance(str(gov.path))
    assert ro.read_only
    assert load_trust(ro).status_at(team.alice.key_id, __import__("datetime").datetime.now().astimezone())[0] == "valid"
    with pytest.raises(StoreError, match="read-only"):
        approve(ro, catalog, *FRAUD, "Production", "ok", [], team.alice)
    with pytest.raises(StoreError, match="read-only"):
        audit.log_action(ro, audit.ACTION_MODEL_VIEWED, "x")
    assert audit.try_log_action(ro, audit.ACTION_MODEL_VIEWED, "x") is None
    assert audit.verify_log(ro).ok
    ro.close()
    assert gov.path.read_bytes() == before


def test_newer_schema_is_refused_for_writes(gov: Governance, team: Team, catalog: Catalog) -> None:
    with gov.engine.begin() as con:
        con.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    gov.close()
    newer = open_governance(str(gov.path))
    assert newer.read_only and newer.schema_revision == "9999_from_the_future"
    assert list_approvals(newer) == []  # reads work
    with pytest.raises(SchemaError, match="newer than this build of MLOps Desktop"):
        approve(newer, catalog, *FRAUD, "Production", "ok", [], team.alice)
    newer.close()


def test_unreachable_governance_database() -> None:
    with pytest.raises(StoreError, match="Cannot reach the governance database"):
        open_governance("postgresql://nobody@127.0.0.1:1/none")


def test_not_a_governance_database(mlflow3_db: Path, tmp_path: Path) -> None:
    before = mlflow3_db.read_bytes()
    with pytest.raises(StoreError, match="not an MLOps Desktop governance store"):
        open_governance(str(mlflow3_db))
    assert mlflow3_db.read_bytes() == before
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(StoreError, match="not a governance database"):
        open_governance(str(text))
    with pytest.raises(StoreError, match="does not exist"):
        open_governance(str(tmp_path / "missing-folder" / "gov.db"))
    with pytest.raises(StoreError, match="Unsupported governance URL"):
        open_governance("mysql://root@localhost/x")


def test_default_location_and_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from mlops_desktop.core import paths

    g = open_governance(None)
    assert g.path == paths.default_governance_path() and g.path.exists()
    g.close()
    monkeypatch.setenv("MLOPS_DESKTOP_GOVERNANCE_URL", str(tmp_path / "env.db"))
    g = open_governance(None)
    assert g.path == tmp_path / "env.db"
    g.close()


def test_migrations_match_the_orm(gov: Governance) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with gov.engine.connect() as con:
        diff = compare_metadata(MigrationContext.configure(con), Base.metadata)
    assert diff == []


@pytest.mark.postgres
def test_postgres_store_round_trip(postgres_database: str, catalog: Catalog) -> None:
    from tests.governance.helpers import build_team

    gov = open_governance(postgres_database)
    try:
        team = build_team(gov)
        approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.alice)
        approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.bob)
        report = verify_all(gov, catalog, model="fraud-detector", version="3", target="Production")
        assert report.ok, report.problems
        again = open_governance(postgres_database)
        assert again.store_id == gov.store_id
        again.close()
    finally:
        gov.close()


def test_copy_of_store_keeps_identity(gov: Governance, tmp_path: Path) -> None:
    assert gov.path is not None
    shutil.copyfile(gov.path, tmp_path / "copy.db")
    copy = open_governance(str(tmp_path / "copy.db"))
    assert copy.store_id == gov.store_id
    copy.close()
