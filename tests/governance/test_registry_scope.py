"""Decisions bound to their registry (docs/CRYPTO.md, "Registry identity").

Store A is the MLflow 3 fixture, store B the MLflow 2 fixture: another registry holding the
same model names (fraud-detector v3 is in Production in both). Every expected registry id is
recomputed here from the documented rule with the ``rfc8785`` package and hashlib, reading the
fixture files with sqlite3 and json, not with the project's code.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pypdf
import pytest
import rfc8785
import sqlalchemy as sa

from mlops_desktop.core.entities import Catalog, RegistryRef
from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.findings import FindingSettings, evaluate
from mlops_desktop.core.governance_facts import (
    STATUS_OTHER_REGISTRY,
    STATUS_REGISTRY_NOT_RECORDED,
    STATUS_VALID,
)
from mlops_desktop.crypto.dsse import parse_envelope, parse_statement
from mlops_desktop.governance import approvals as approvals_mod, audit
from mlops_desktop.governance.approvals import approve, list_approvals
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.models import SqlApproval
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust
from mlops_desktop.governance.verify import governance_facts, verify_all
from mlops_desktop.reports.jobs import run_report
from mlops_desktop.sources.base import open_source
from mlops_desktop.sources.loader import load_catalog
from tests.conftest import FIXTURES, file_sha256
from tests.governance.helpers import Team
from tests.mlflow_server import Served, mlflow_available
from tests.reports.govfix import SETTINGS

RULE = "mlops-desktop/registry-identity/v1"
FRAUD = ("fraud-detector", "3")
PRODUCTION_UNMET = "'Production' has 0 of 2 valid approvals"


def expected_id(kind: str, material: dict[str, Any]) -> str:
    """The documented rule, computed independently of the project."""
    return "sha256:" + hashlib.sha256(rfc8785.dumps({"rule": RULE, "kind": kind, "material": material})).hexdigest()


def mlflow_expected(db: Path) -> str:
    with sqlite3.connect(db) as con:
        eid, created = con.execute("SELECT experiment_id, creation_time FROM experiments "
                                   "ORDER BY experiment_id LIMIT 1").fetchone()
    return expected_id("mlflow", {"experimentId": str(eid), "creationTime": created})


def approve_twice(gov: Governance, team: Team, catalog: Catalog) -> list[str]:
    return [approve(gov, catalog, *FRAUD, "Production", "validated", ["gdpr"], k).id for k in (team.alice, team.bob)]


def gate(gov: Governance, catalog: Catalog) -> Any:
    return verify_all(gov, catalog, model=FRAUD[0], version=FRAUD[1], target="Production", record=False)


@pytest.fixture
def store_b(mlflow2_db: Path) -> Catalog:
    return load_catalog([str(mlflow2_db)])


# ---------------------------------------------------------------------------- the identity per source kind


def test_mlflow_identity_is_the_documented_rule(mlflow3_db: Path, mlflow2_db: Path) -> None:
    a = open_source(str(mlflow3_db)).info
    b = open_source(str(mlflow2_db)).info
    assert a.registry_id == mlflow_expected(FIXTURES / "mlflow-3.17-sqlite.db")
    assert a.registry_id == "sha256:d3b350efd5972de0c4d6ef04780a13ab39d7b213b9298b3f40eec7e44504d0d3"
    assert b.registry_id == mlflow_expected(FIXTURES / "mlflow-2.17-sqlite.db")
    assert a.registry_id != b.registry_id
    assert a.registry == RegistryRef("mlflow", a.registry_id)


def test_mlmd_and_kubeflow_identity_is_the_earliest_node(mlmd_db: Path, fixtures_dir: Path) -> None:
    for path in (mlmd_db, fixtures_dir / "kf-registry" / "kf-registry-mlmd.sqlite"):
        with sqlite3.connect(path) as con:
            rows = []
            for order, table in enumerate(("Artifact", "Execution", "Context")):
                row = con.execute(f"SELECT create_time_since_epoch, id, type_id FROM {table} "  # noqa: S608
                                  "ORDER BY create_time_since_epoch, id LIMIT 1").fetchone()
                if row:
                    rows.append((row[0], order, row[1], row[2], table))
            created, _, node, type_id, table = min(rows)
            type_name = con.execute("SELECT name FROM Type WHERE id = ?", (type_id,)).fetchone()[0]
        got = open_source(str(path)).registry_id()
        assert got == expected_id("mlmd", {"table": table, "id": node, "type": type_name, "createTime": created})
    kf = open_source(str(fixtures_dir / "kf-registry" / "kf-registry-mlmd.sqlite")).registry_id()
    assert kf == expected_id("mlmd", {"table": "Context", "id": 1, "type": "kf.RegisteredModel",
                                      "createTime": 1767225600000})
    assert kf != open_source(str(mlmd_db)).registry_id()


def test_openlineage_sagemaker_datarobot_identities(openlineage_file: Path, fixtures_dir: Path) -> None:
    events = [json.loads(line) for line in openlineage_file.read_text("utf-8").splitlines() if line.strip()]

    def when(e: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(e["eventTime"].replace("Z", "+00:00"))

    first = min(events, key=lambda e: (when(e), e["run"]["runId"]))
    t = when(first)
    ol = open_source(f"openlineage:{openlineage_file}")
    assert ol.registry_id() == expected_id("openlineage", {
        "eventTime": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
        "runId": first["run"]["runId"], "eventType": first["eventType"], "namespace": first["job"]["namespace"],
        "job": first["job"]["name"]})
    ol.load_catalog()  # reading the events gives the same id
    assert ol.info.registry_id == ol.registry_id()

    sm = expected_id("sagemaker", {"registries": [{"partition": "aws", "region": "eu-west-1",
                                                   "account": "123456789012"}]})
    assert open_source(f"sagemaker:{fixtures_dir / 'sagemaker' / 'account'}").registry_id() == sm
    # another export of the same account and region is the same registry
    assert open_source(f"sagemaker:{fixtures_dir / 'sagemaker' / 'broken'}").registry_id() == sm

    pytest.importorskip("datarobot")
    models = [json.loads(p.read_text("utf-8")) for p in
              (fixtures_dir / "datarobot" / "export" / "registeredModels").glob("*/registered-model.json")]
    earliest = min(models, key=lambda m: (m["createdAt"], m["id"]))
    dr = open_source(f"datarobot:{fixtures_dir / 'datarobot' / 'export'}")
    assert dr.registry_id() == expected_id("datarobot", {"registeredModelId": earliest["id"],
                                                         "createdAt": earliest["createdAt"][:19] + "Z"})
    assert len({sm, dr.registry_id(), ol.registry_id()}) == 3


def test_byte_copy_at_another_path_keeps_the_id_and_the_decisions(gov: Governance, team: Team, catalog: Catalog,
                                                                  mlflow3_db: Path, tmp_path: Path) -> None:
    ids = approve_twice(gov, team, catalog)
    elsewhere = tmp_path / "another" / "folder with spaces"
    elsewhere.mkdir(parents=True)
    copy = elsewhere / "renamed-registry.sqlite"
    shutil.copyfile(mlflow3_db, copy)
    copied = load_catalog([str(copy)])
    assert copied.stores[0].registry_id == catalog.stores[0].registry_id
    report = gate(gov, copied)
    assert report.ok, report.problems
    assert sorted(v.record.id for v in report.approvals) == sorted(ids)
    assert report.other_registries == []


# ---------------------------------------------------------------------------- decisions count only for their registry


def test_approvals_on_a_are_absent_from_b(gov: Governance, team: Team, catalog: Catalog, store_b: Catalog,
                                          mlflow2_db: Path, mlflow3_db: Path, tmp_path: Path) -> None:
    ids = approve_twice(gov, team, catalog)
    a_label = catalog.stores[0].registry.label  # type: ignore[union-attr]
    # every envelope names A's registry
    for rec in list_approvals(gov):
        pred = parse_statement(parse_envelope(rec.envelope).payload).predicate
        assert pred["registry"] == {"kind": "mlflow", "id": catalog.stores[0].registry_id}
        assert rec.registry == catalog.stores[0].registry
    assert gate(gov, catalog).ok
    # verify on B: none of A's decisions counts, none is "evidence changed"
    report = gate(gov, store_b)
    assert not report.ok
    assert report.approvals == []
    assert [v.status for v in report.other_registries] == [STATUS_OTHER_REGISTRY] * 2
    assert {v.detail for v in report.other_registries} == {f"made on another registry {a_label}"}
    assert not any("evidence" in p or "changed" in p for p in report.problems), report.problems
    assert any("Only 0 of 2" in p for p in report.problems)
    assert "other_registries" in report.to_dict() and len(report.to_dict()["other_registries"]) == 2
    # findings: A's decisions clear F1 on A; on B they are absent (F1 stands, no F18 evidence changed)
    settings = FindingSettings(today=SETTINGS.findings.today)
    facts_b = governance_facts(gov, store_b)
    assert facts_b.approvals == []
    on_b = evaluate(store_b, facts_b, settings)
    assert any(f.id == "F1" and f.object == "models:/fraud-detector/3" and PRODUCTION_UNMET in f.evidence
               for f in on_b)
    assert not any(f.id == "F18" for f in on_b)
    on_a = evaluate(catalog, governance_facts(gov, catalog), settings)
    assert not any(f.id == "F1" and PRODUCTION_UNMET in f.evidence for f in on_a if f.object == "models:/fraud-detector/3")
    # reports and bundles: B's cites none of A's envelopes, A's cites both
    out_b = tmp_path / "b.pdf"
    result_b = run_report([str(mlflow2_db)], "gdpr", out_b, governance_url=gov.url, settings=SETTINGS)
    bundle_b = json.loads(result_b.bundle_path.read_text("utf-8"))
    assert bundle_b["envelopes"] == []
    text_b = " ".join((page.extract_text() or "") for page in pypdf.PdfReader(out_b).pages)
    assert not any(i[:12] in text_b for i in ids)
    assert "evidence_changed" not in text_b and "EVIDENCE CHANGED" not in text_b.upper()
    out_a = tmp_path / "a.pdf"
    result_a = run_report([str(mlflow3_db)], "gdpr", out_a, governance_url=gov.url, settings=SETTINGS)
    assert {e["id"] for e in json.loads(result_a.bundle_path.read_text("utf-8"))["envelopes"]} == set(ids)


def test_approval_of_b_verified_against_a(gov: Governance, team: Team, catalog: Catalog, store_b: Catalog) -> None:
    rec = approve(gov, store_b, *FRAUD, "Production", "validated on B", ["gdpr"], team.alice)
    b_label = store_b.stores[0].registry.label  # type: ignore[union-attr]
    report = gate(gov, catalog)
    [other] = report.other_registries
    assert other.record.id == rec.id and other.status == STATUS_OTHER_REGISTRY
    assert other.detail == f"made on another registry {b_label}"
    assert report.approvals == [] and not any("evidence" in p for p in report.problems)
    [on_b] = gate(gov, store_b).approvals
    assert on_b.status == STATUS_VALID


def test_merged_catalog_matches_each_decision_to_its_own_registry(gov: Governance, team: Team,
                                                                  mlflow3_db: Path, mlflow2_db: Path) -> None:
    merged = load_catalog([str(mlflow3_db), str(mlflow2_db)])
    a, b = merged.registries()
    assert a != b
    catalog_a = load_catalog([str(mlflow3_db)])
    approve_twice(gov, team, catalog_a)
    facts = governance_facts(gov, merged)
    assert len(facts.approvals) == 2 and {f.registry for f in facts.approvals} == {a.label}
    findings = evaluate(merged, facts, FindingSettings(today=SETTINGS.findings.today))
    # fraud-detector v3 is in Production in both registries: only B's version lacks Production approvals
    f1 = [f for f in findings if f.id == "F1" and f.object == "models:/fraud-detector/3"]
    assert len(f1) == 2  # both also carry the 'champion' alias, approved by nobody
    assert len([f for f in f1 if PRODUCTION_UNMET in f.evidence]) == 1
    report = verify_all(gov, merged, record=False)
    assert [v.status for v in report.approvals] == [STATUS_VALID] * 2 and report.other_registries == []


def test_clone_with_identical_models_is_another_registry(gov: Governance, team: Team, catalog: Catalog,
                                                         mlflow3_db: Path, tmp_path: Path) -> None:
    """Another registry holding byte-identical model versions (same subject digests): before
    decisions named their registry, A's approvals counted there in full."""
    ids = approve_twice(gov, team, catalog)
    clone = tmp_path / "clone.db"
    shutil.copyfile(mlflow3_db, clone)
    with sqlite3.connect(clone) as con:
        con.execute("UPDATE experiments SET creation_time = creation_time + 1 WHERE experiment_id = 0")
    cloned = load_catalog([str(clone)])
    assert cloned.stores[0].registry_id != catalog.stores[0].registry_id
    report = gate(gov, cloned)
    assert not report.ok and report.approvals == []
    assert sorted(v.record.id for v in report.other_registries) == sorted(ids)
    assert any("Only 0 of 2" in p for p in report.problems)


def test_replayed_row_in_another_governance_store_does_not_count(gov: Governance, team: Team, catalog: Catalog,
                                                                 mlflow3_db: Path, tmp_path: Path) -> None:
    """A's signed row, and a log entry forged for it at the same index, copied into the
    governance store of registry B (same organisation, same trusted keys)."""
    [rec] = [approve(gov, catalog, *FRAUD, "Production", "validated", ["gdpr"], team.alice)]
    clone = tmp_path / "registry-b.db"
    shutil.copyfile(mlflow3_db, clone)
    with sqlite3.connect(clone) as con:
        con.execute("UPDATE experiments SET creation_time = creation_time + 7 WHERE experiment_id = 0")
    store_b = load_catalog([str(clone)])
    with open_governance(str(tmp_path / "gov-b.db")) as gov_b:
        init_trust(gov_b, [team.admin])
        for k, roles in ((team.alice, ["approver"]), (team.bob, ["approver"]), (team.carol, ["reviewer"]),
                         (team.dan, ["approver"])):
            add_signer(gov_b, team.admin, k.public_key, str(k.identity), roles)
        assert audit.head(gov_b)[0] == rec.log_seq  # the replayed row's log index is free in B's log
        entry_a = audit.entry_at(gov, rec.log_seq)
        assert entry_a is not None
        with gov_b.write_session() as session:
            head = audit.lock_head(session, gov_b)
            audit.append(session, gov_b, entry_a.action, entry_a.object, dict(entry_a.details),
                         key_id=team.alice.key_id, head=head)
            session.add(SqlApproval(id=rec.id, model_name=rec.model_name, version=rec.version, target=rec.target,
                                    decision=rec.decision, key_id=rec.key_id, log_seq=rec.log_seq,
                                    envelope=rec.envelope, created_at=rec.created_at))
        report = gate(gov_b, store_b)
        assert not report.ok and report.approvals == []
        [replayed] = report.other_registries
        assert replayed.status == STATUS_OTHER_REGISTRY and replayed.record.id == rec.id
        assert governance_facts(gov_b, store_b).approvals == []


def test_old_decision_without_registry_is_shown_and_never_counted(gov: Governance, team: Team, catalog: Catalog,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    original: Callable[..., dict[str, Any]] = approvals_mod.promotion_predicate

    def legacy(**kwargs: Any) -> dict[str, Any]:  # the predicate as it was before it named the registry
        return {k: v for k, v in original(**kwargs).items() if k != "registry"}

    with monkeypatch.context() as m:
        m.setattr(approvals_mod, "promotion_predicate", legacy)
        old = [approve(gov, catalog, *FRAUD, "Production", "old", ["gdpr"], k) for k in (team.alice, team.bob)]
    assert "registry" not in parse_statement(parse_envelope(old[0].envelope).payload).predicate
    assert old[0].registry is None and old[0].to_dict()["registry"] is None
    report = gate(gov, catalog)
    assert report.approvals == [] and not report.ok
    assert [v.status for v in report.other_registries] == [STATUS_REGISTRY_NOT_RECORDED] * 2
    assert report.other_registries[0].detail.startswith("registry not recorded")
    assert any("Only 0 of 2" in p for p in report.problems)
    assert governance_facts(gov, catalog).approvals == []
    # without stores nothing is judged against a registry: the signatures still verify
    assert [v.status for v in verify_all(gov, None, record=False).approvals] == [STATUS_VALID] * 2


def test_signing_is_refused_where_the_store_records_no_registry(gov: Governance, team: Team, catalog: Catalog) -> None:
    from dataclasses import replace

    unnamed = Catalog(stores=[replace(catalog.stores[0], registry_id="")], models=catalog.models,
                      runs=catalog.runs, experiments=catalog.experiments, datasets=catalog.datasets,
                      logged_models=catalog.logged_models)
    with pytest.raises(UsageError, match="records no registry identity"):
        approve(gov, unnamed, *FRAUD, "Production", "x", ["gdpr"], team.alice)
    assert list_approvals(gov) == []


# ---------------------------------------------------------------------------- the same registry in another database


def _copy_postgres_to_sqlite(pg_url: str, out: Path) -> None:
    """A 'restored dump' the other way: every MLflow table of the PostgreSQL database, rows as
    they are, into a new SQLite file (SQLAlchemy reflection; server defaults and CHECK
    constraints, written in PostgreSQL's syntax, dropped)."""
    src = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    dst = sa.create_engine(f"sqlite:///{out}")
    meta = sa.MetaData()
    meta.reflect(src)
    for table in meta.tables.values():
        for col in table.columns:
            col.server_default = None
            col.autoincrement = False
            col.type = col.type.as_generic()  # BYTEA, DOUBLE PRECISION... as SQLite knows them
        for check in [c for c in table.constraints if isinstance(c, sa.CheckConstraint)]:  # PostgreSQL syntax
            table.constraints.discard(check)
    meta.create_all(dst)
    with src.connect() as s, dst.begin() as d:
        for table in meta.sorted_tables:
            rows = [dict(r._mapping) for r in s.execute(table.select())]
            if rows:
                d.execute(table.insert(), rows)
    src.dispose()
    dst.dispose()


@pytest.mark.postgres
def test_same_mlflow_data_on_postgres_and_sqlite_is_one_registry(postgres_database: str, gov: Governance, team: Team,
                                                                  tmp_path: Path) -> None:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", postgres_database, "-f",
                    str(FIXTURES / "mlflow-3.17-postgres.sql")], check=True, capture_output=True)
    pg_store = postgres_database.replace("postgresql://", "mlflow+postgresql://", 1)
    copy = tmp_path / "restored.db"
    _copy_postgres_to_sqlite(postgres_database, copy)
    pg = load_catalog([pg_store])
    lite = load_catalog([str(copy)])
    assert pg.stores[0].registry_id == lite.stores[0].registry_id
    with sqlite3.connect(copy) as con:
        created = con.execute("SELECT creation_time FROM experiments WHERE experiment_id = 0").fetchone()[0]
    assert created == 1795823130270  # the dump's Default experiment
    assert pg.stores[0].registry_id == expected_id("mlflow", {"experimentId": "0", "creationTime": created})
    assert pg.stores[0].registry_id != load_catalog([str(FIXTURES / "mlflow-3.17-sqlite.db")]).stores[0].registry_id
    # a decision made on the PostgreSQL registry counts on its restored copy
    rec = approve(gov, pg, "fraud-detector", "2", "Production", "validated", ["gdpr"], team.alice)
    [on_copy] = verify_all(gov, lite, record=False).approvals
    assert on_copy.record.id == rec.id and on_copy.status == STATUS_VALID


@pytest.mark.postgres
def test_kubeflow_registry_on_postgres_and_sqlite_is_one_registry(postgres_database: str, fixtures_dir: Path) -> None:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", postgres_database, "-f",
                    str(fixtures_dir / "kf-registry" / "kf-registry-postgres.sql")], check=True, capture_output=True)
    pg = open_source(postgres_database.replace("postgresql://", "mlmd+postgresql://", 1))
    lite = open_source(str(fixtures_dir / "kf-registry" / "kf-registry-mlmd.sqlite"))
    assert pg.registry_id() == lite.registry_id() != ""


@pytest.mark.skipif(not mlflow_available(), reason="mlflow is not installed (test extra)")
def test_same_database_over_rest_is_the_same_registry(gov: Governance, team: Team, mlflow3_db: Path,
                                                      mlflow3_served: Served) -> None:
    """A real ``mlflow server`` on (a copy of) the MLflow 3 store: the REST source reads the same id,
    and a decision made over REST counts when the database file is read directly."""
    server = mlflow3_served.server.wait_ready()
    rest = load_catalog([f"mlflow+{server.url}"])
    assert rest.stores[0].kind == "mlflow"
    assert rest.stores[0].registry_id == mlflow_expected(FIXTURES / "mlflow-3.17-sqlite.db")
    rec = approve(gov, rest, *FRAUD, "Production", "validated over REST", ["gdpr"], team.alice)
    assert mlflow3_served.db is not None and file_sha256(mlflow3_served.db) == mlflow3_served.sha_before
    direct = load_catalog([str(mlflow3_db)])
    assert rest.stores[0].registry == direct.stores[0].registry
    [verified] = verify_all(gov, direct, record=False).approvals
    assert verified.record.id == rec.id and verified.status == STATUS_VALID, verified.problems


def test_snapshot_carries_its_stores_registry(gov: Governance, team: Team, catalog: Catalog, mlflow3_db: Path,
                                              mlflow2_db: Path, tmp_path: Path) -> None:
    from mlops_desktop.governance.snapshot import create_snapshot
    from mlops_desktop.sources.snapshot_format import read_catalog

    ids = approve_twice(gov, team, catalog)
    out = tmp_path / "a.mlsnap"
    create_snapshot([str(mlflow3_db)], out, key=team.alice, governance=gov)
    snap = open_source(f"snapshot:{out}")
    assert snap.registry_id() == catalog.stores[0].registry_id
    taken = snap.load_catalog()
    assert taken.registries() == catalog.registries()
    report = gate(gov, taken)
    assert sorted(v.record.id for v in report.approvals) == sorted(ids) and report.other_registries == []
    # a snapshot of two stores carries both ids, one per store
    both = tmp_path / "ab.mlsnap"
    create_snapshot([str(mlflow3_db), str(mlflow2_db)], both)
    assert len(open_source(f"snapshot:{both}").load_catalog().registries()) == 2
    # a snapshot written before stores carried a registry id reads as "not recorded"
    old = tmp_path / "old.mlsnap"
    shutil.copyfile(out, old)
    with sqlite3.connect(old) as con:
        con.execute("ALTER TABLE mlsnap_stores DROP COLUMN registry_id")
    with sqlite3.connect(old) as con:
        stores = read_catalog(con, tables=("mlsnap_stores",)).stores
    assert [s.registry_id for s in stores] == [""] and stores[0].registry is None


def test_report_verdicts_in_a_merged_catalog_judge_each_decision_on_its_own_registry(
        gov: Governance, team: Team, mlflow3_db: Path, mlflow2_db: Path) -> None:
    """Both registries hold fraud-detector v3 in Production; the decisions made on A count toward
    A's version, are evaluated against A's version alone, and lend nothing to B's."""
    from mlops_desktop.governance.api import list_approvals as listed, load_trust
    from mlops_desktop.reports.governance_bridge import decision_verdicts

    catalog_a = load_catalog([str(mlflow3_db)])
    ids = approve_twice(gov, team, catalog_a)
    # B first: a name-only lookup would judge A's decisions against B's version
    merged = load_catalog([str(mlflow2_db), str(mlflow3_db)])
    facts = governance_facts(gov, merged)
    envelopes = {r.id: r.envelope for r in listed(gov)}
    verdicts = decision_verdicts(facts, merged, load_trust(gov), envelopes)
    assert set(verdicts.decisions) == set(ids)
    for i in ids:
        d = verdicts.decisions[i]
        assert d.signature == "valid" and d.counts, (d.signature, d.because)
    # the two versions' Production targets, each judged on its own registry: A's satisfied, B's unmet
    production = {store: t.satisfied for (m, v, target, store), t in verdicts.targets.items()
                  if (m, v, target) == (*FRAUD, "Production")}
    assert production == {merged.stores[1].url: True, merged.stores[0].url: False}
    assert [t.satisfied for t in verdicts.for_version(*FRAUD, merged.stores[0].url)
            if t.target == "Production"] == [False]


def test_verify_of_a_version_two_merged_registries_hold_is_refused(gov: Governance, team: Team,
                                                                   mlflow3_db: Path, mlflow2_db: Path) -> None:
    """fraud-detector v3 is in both registries; A's approvals must not pass B's version, so a gate on
    the merged stores cannot say which version it judged and refuses, naming the stores."""
    approve_twice(gov, team, load_catalog([str(mlflow3_db)]))
    for order in ((mlflow2_db, mlflow3_db), (mlflow3_db, mlflow2_db)):
        merged = load_catalog([str(p) for p in order])
        with pytest.raises(UsageError) as info:
            gate(gov, merged)
        assert "2 of the given stores" in str(info.value)
    assert gate(gov, load_catalog([str(mlflow3_db)])).ok
    assert not gate(gov, load_catalog([str(mlflow2_db)])).ok
