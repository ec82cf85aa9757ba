"""Kubeflow Model Registry stores read by the MLMD source, on SQLite, PostgreSQL and MariaDB.

The SQLite fixture was written through ml-metadata with the registry's type and property
names; the PostgreSQL and MariaDB ones are the registry's own migrations plus rows written as
its repositories do (see tests/fixtures/README.md). Both hold the same plan, whose expected view
is ``kf-registry.truth.json``; every test checks what was written.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.cli.main import main
from mlops_desktop.sources.base import open_source
from mlops_desktop.sources.mlmd_kf import bare_name
from tests.conftest import FIXTURES, file_sha256

KF = FIXTURES / "kf-registry"
TRUTH: dict[str, Any] = json.loads((KF / "kf-registry.truth.json").read_text())


@pytest.fixture
def kf_sqlite(tmp_path: Path) -> Path:
    dst = tmp_path / "kf-registry.sqlite"
    shutil.copyfile(KF / "kf-registry-mlmd.sqlite", dst)
    return dst


@pytest.fixture
def kf_postgres(postgres_database: str) -> str:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", postgres_database, "-f",
                    str(KF / "kf-registry-postgres.sql")], check=True, capture_output=True, timeout=120)
    return postgres_database.replace("postgresql://", "mlmd+postgresql://", 1)


@pytest.fixture
def kf_mysql(mysql_database: str) -> str:
    db = mysql_database.rsplit("/", 1)[1]
    with (KF / "kf-registry-mysql.sql").open("rb") as fh:
        subprocess.run(["mysql", "-h", "127.0.0.1", "-u", "root", db], stdin=fh, check=True, capture_output=True,
                       timeout=120)
    return mysql_database.replace("mysql://", "mlmd+mysql://", 1)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run_cli(capsys, *argv)
    assert code == 0, err
    return json.loads(out)


def check_inventory(inv: dict[str, Any]) -> None:
    assert [m["name"] for m in inv["models"]] == sorted(TRUTH["models"])
    for m in inv["models"]:
        want = TRUTH["models"][m["name"]]
        assert m["description"] == want["description"]
        assert m["tags"] == want["tags"]
        assert m["aliases"] == {}
        assert [v["version"] for v in m["versions"]] == list(want["versions"])
        for v in m["versions"]:
            wv = want["versions"][v["version"]]
            assert v["author"] == wv["author"]
            assert v["status"] == ("READY" if wv["state"] == "LIVE" else wv["state"])
            assert v["stage"] is None and v["aliases"] == []
            assert v["source"] == wv["source"]
            assert v["created_at"] == datetime.fromtimestamp(wv["created_at"] / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            assert {k: t for k, t in v["tags"].items() if not k.startswith("kf.")} == wv["tags"]
            assert v["tags"]["kf.state"] == wv["state"]
            assert sorted([d["name"], d["digest"], d["source"]] for d in v["datasets"]) == wv["datasets"]
            assert (v["run_id"] is None) == (wv["run"] is None)
            services = sorted(f"{s['environment']}/{s['name']}" for s in wv["inference_services"])
            assert sorted(filter(None, v["tags"].get("kf.inference_services", "").split(","))) == services
            deployed = any(s["desired_state"] == "DEPLOYED" for s in wv["inference_services"])
            assert (v["tags"].get("kf.deployed") == "true") == deployed


def test_sqlite_inventory_matches_what_was_written(capsys: pytest.CaptureFixture[str], kf_sqlite: Path) -> None:
    before = file_sha256(kf_sqlite)
    inv = cli_json(capsys, "inventory", "--store", str(kf_sqlite), "--format", "json")
    assert inv["stores"][0]["kind"] == "mlmd" and inv["stores"][0]["schema"] == "10"
    check_inventory(inv)
    v1 = inv["models"][0]["versions"][0]
    assert v1["classification"] == {"pii": True, "phi": False}  # the run's dataset carries pii=true
    readmission = inv["models"][1]["versions"][0]
    assert readmission["classification"] == {"pii": True, "phi": True}
    assert file_sha256(kf_sqlite) == before


@pytest.mark.postgres
def test_postgres_inventory_matches_what_was_written(capsys: pytest.CaptureFixture[str], kf_postgres: str) -> None:
    inv = cli_json(capsys, "inventory", "--store", kf_postgres, "--format", "json")
    check_inventory(inv)


@pytest.mark.postgres
def test_postgres_and_sqlite_give_the_same_catalog(capsys: pytest.CaptureFixture[str], kf_postgres: str,
                                                   kf_sqlite: Path) -> None:
    a = cli_json(capsys, "inventory", "--store", kf_postgres, "--format", "json")
    b = cli_json(capsys, "inventory", "--store", str(kf_sqlite), "--format", "json")
    strip = {"run_id"}  # run ids carry the store's tag
    for doc in (a, b):
        for m in doc["models"]:
            for v in m["versions"]:
                for k in strip:
                    v.pop(k)
    assert a["models"] == b["models"]
    la = cli_json(capsys, "lineage", "--store", kf_postgres)
    lb = cli_json(capsys, "lineage", "--store", str(kf_sqlite))
    assert len(la["nodes"]) == len(lb["nodes"]) and len(la["edges"]) == len(lb["edges"])


def test_runs_experiments_params_and_metrics(kf_sqlite: Path) -> None:
    source = open_source(str(kf_sqlite))
    try:
        catalog = source.load_catalog()
    finally:
        source.close()
    v2 = catalog.find_version("fraud-scorer", "v2")
    assert v2 is not None and v2.run_id is not None
    run = catalog.runs[v2.run_id]
    assert run.name == "run-2026-01-10" and run.experiment_name == "fraud-training"
    assert run.user == "alice@example.org" and run.status == "FINISHED"
    assert run.params == {"learning_rate": "0.05"}
    assert run.metrics["auc"].value == pytest.approx(0.931) and run.metrics["auc"].step == 10
    assert run.start_time == datetime(2026, 1, 10, tzinfo=UTC)
    assert run.end_time == datetime(2026, 1, 10, 1, tzinfo=UTC)
    assert v2.author == "bob@example.org" and v2.run_user == "alice@example.org"
    assert v2.tags["kf.doc_uri"] == "s3://models/fraud-scorer/v2/README.md"
    assert {e.name for e in catalog.experiments.values()} == {"fraud-training", "readmission-training"}
    ds = next(d for d in catalog.datasets.values() if d.name == "transactions-2025")
    assert ds.columns == ["amount", "label"] and ds.profile == {"num_rows": 120000}
    assert ds.tags == {"pii": "true", "lawful_basis": "contract"}
    serve = [r for r in catalog.runs.values() if r.tags.get("mlmd.execution_type") == "kf.ServeModel"]
    assert sorted(r.name for r in serve) == sorted(TRUTH["executions"])
    assert bare_name("13:serve-fraud-scorer-v2") == "serve-fraud-scorer-v2"
    assert bare_name("1f0e3c2a-9b8d-4c7e-a6f5-0123456789ab:model") == "model"
    assert bare_name("no-owner") == "no-owner"


def lineage_checks(graph: dict[str, Any]) -> None:
    nodes = {n["id"]: n for n in graph["nodes"]}
    edges = {(e["source"], e["target"], e["kind"]) for e in graph["edges"]}
    prod = "deployment:pushed:kf-isvc:prod-kserve/fraud-scorer-prod"
    canary = "deployment:kf-isvc:staging-kserve/fraud-scorer-canary"
    readm = "deployment:pushed:kf-isvc:prod-kserve/readmission-prod"
    assert {nodes[n]["kind"] for n in (prod, canary, readm)} == {"deployment"}
    assert ("version:fraud-scorer/v2", prod, "deployed_as") in edges
    assert ("version:fraud-scorer/v1", canary, "deployed_as") in edges
    assert ("version:readmission-risk/1.0.0", readm, "deployed_as") in edges
    assert not any(s == "version:fraud-scorer/v3" and k == "deployed_as" for s, _, k in edges)
    train = "dataset:s3://lake/payments/transactions-2025.parquet"
    runs_of_train = {t for s, t, k in edges if s == train and k == "input"}
    assert len(runs_of_train) == 1
    (run,) = runs_of_train
    assert {(run, "version:fraud-scorer/v1", "registered_as"), (run, "version:fraud-scorer/v2", "registered_as")} <= edges
    serve_runs = [t for s, t, k in edges if s == "version:fraud-scorer/v2" and k == "input"]
    assert len(serve_runs) == 1 and (serve_runs[0], prod, "output") in edges


def test_sqlite_lineage(capsys: pytest.CaptureFixture[str], kf_sqlite: Path) -> None:
    lineage_checks(cli_json(capsys, "lineage", "--store", str(kf_sqlite)))


@pytest.mark.postgres
def test_postgres_lineage_and_impact(capsys: pytest.CaptureFixture[str], kf_postgres: str) -> None:
    lineage_checks(cli_json(capsys, "lineage", "--store", kf_postgres))
    impact_checks(cli_json(capsys, "impact", "--store", kf_postgres, "--dataset",
                           "s3://lake/clinical/admissions-2024.parquet", "--format", "json"))


def impact_checks(doc: dict[str, Any]) -> None:
    text = json.dumps(doc)
    assert "readmission-risk" in text and "fraud-scorer" not in text
    assert "prod-kserve/readmission-prod" in text


def test_sqlite_impact(capsys: pytest.CaptureFixture[str], kf_sqlite: Path) -> None:
    impact_checks(cli_json(capsys, "impact", "--store", str(kf_sqlite), "--dataset",
                           "s3://lake/clinical/admissions-2024.parquet", "--format", "json"))
    doc = cli_json(capsys, "impact", "--store", str(kf_sqlite), "--dataset",
                   "s3://lake/payments/transactions-2025.parquet", "--format", "json")
    text = json.dumps(doc)
    assert "fraud-scorer" in text and "readmission-risk" not in text
    assert "prod-kserve/fraud-scorer-prod" in text


def test_deployed_inference_service_is_a_governance_target(kf_sqlite: Path) -> None:
    from mlops_desktop.core.findings.context import deployment_targets
    from mlops_desktop.core.findings.lineage_view import GraphLineage
    from mlops_desktop.core.findings.settings import FindingSettings

    source = open_source(str(kf_sqlite))
    try:
        catalog = source.load_catalog()
    finally:
        source.close()
    lineage = GraphLineage(catalog)
    model = catalog.model("fraud-scorer")
    assert model is not None
    targets = {v.version: deployment_targets(model, v, FindingSettings(), lineage) for v in model.versions}
    assert targets == {"v1": [], "v2": ["pushed"], "v3": []}


def test_findings_treat_deployed_inference_services_as_production(capsys: pytest.CaptureFixture[str],
                                                                  kf_sqlite: Path) -> None:
    code, out, err = run_cli(capsys, "findings", "--store", str(kf_sqlite), "--format", "json")
    assert code == 1, err  # findings at or above 'high'
    found = {(f["id"], f["object"]) for f in json.loads(out)["findings"]}
    assert {("F1", "models:/fraud-scorer/v2"), ("F1", "models:/readmission-risk/1.0.0"),
            ("F11", "models:/readmission-risk/1.0.0")} <= found
    assert not any(obj in ("models:/fraud-scorer/v1", "models:/fraud-scorer/v3") for fid, obj in found if fid == "F1")


@pytest.mark.mysql
def test_mariadb_inventory_lineage_and_impact(capsys: pytest.CaptureFixture[str], kf_mysql: str) -> None:
    check_inventory(cli_json(capsys, "inventory", "--store", kf_mysql, "--format", "json"))
    lineage_checks(cli_json(capsys, "lineage", "--store", kf_mysql))
    impact_checks(cli_json(capsys, "impact", "--store", kf_mysql, "--dataset",
                           "s3://lake/clinical/admissions-2024.parquet", "--format", "json"))
