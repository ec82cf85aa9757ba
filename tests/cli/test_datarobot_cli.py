"""Every command on a ``datarobot:PATH`` store (tests/fixtures/datarobot/export)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datarobot", reason="the DataRobot source validates with the datarobot client's schemas")

from mlops_desktop.cli.main import main
from tests.conftest import FIXTURES

EXPORT = FIXTURES / "datarobot" / "export"
STORE = f"datarobot:{EXPORT}"
PASSPHRASE = "correct staple horse battery 42"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def deployment_id(label: str) -> str:
    for path in EXPORT.glob("deployments/*/deployment.json"):
        body = json.loads(path.read_text(encoding="utf-8"))
        if body["label"] == label:
            return str(body["id"])
    raise AssertionError(label)


def findings(capsys: pytest.CaptureFixture[str], *stores: str) -> tuple[int, list[dict[str, Any]]]:
    args = [a for s in stores for a in ("--store", s)]
    code, out, _ = run(capsys, "findings", *args, "--format", "json")
    doc = json.loads(out)
    return code, doc["findings"] if isinstance(doc, dict) else doc


def test_inventory(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "inventory", "--store", STORE, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert [(m["name"], [v["version"] for v in m["versions"]]) for m in doc["models"]] == [
        ("churn-predictor-dr", ["1", "2"]), ("fraud-detector-dr", ["1", "2"])]
    v2 = doc["models"][0]["versions"][1]
    assert (v2["author"], v2["status"], v2["stage"], v2["aliases"]) == ("alice@example.org", "complete", None, [])
    assert [(d["name"], d["source"], d["context"]) for d in v2["datasets"]] == [
        ("churn-predictor-train", "s3://lake/marketing/churn-predictor/train.parquet", "training"),
        ("churn-predictor-eval", "s3://lake/marketing/churn-predictor/eval.parquet", "evaluation")]
    assert v2["classification"] == {"pii": True, "phi": False}
    claim = v2["external_approvals"][0]
    assert (claim["signed"], claim["statement"]) == (
        False, "approved in DataRobot by carol@example.org at 2026-03-12T09:45:00Z, not signed")


def test_lineage_and_impact(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "impact", "--store", STORE, "--dataset",
                         "s3://lake/marketing/churn-predictor/train.parquet", "--format", "json")
    assert code == 0, err
    impact = json.loads(out)
    assert sorted(v["id"] for v in impact["versions"]) == ["version:churn-predictor-dr/1",
                                                            "version:churn-predictor-dr/2"]
    edge = next(r["id"] for p in EXPORT.glob("registeredModels/*/versions/*/deployments.json")
                for r in json.loads(p.read_text(encoding="utf-8"))["data"] if r["label"] == "churn-edge")
    assert sorted(d["id"] for d in impact["deployments"]) == sorted(
        f"deployment:pushed:datarobot:deployment/{i}" for i in (deployment_id("churn-prod"), edge))
    code, out, err = run(capsys, "lineage", "--store", STORE, "--focus", "fraud-detector-dr/2", "--upstream",
                         "--format", "json")
    assert code == 0, err
    ids = {n["id"] for n in json.loads(out)["nodes"]}
    assert "dataset:s3://lake/payments/fraud-detector/train.parquet" in ids
    assert any(i.startswith("run:datarobot:model/") for i in ids)


def test_lineage_connects_with_the_mlflow_fixture(capsys: pytest.CaptureFixture[str], mlflow3_db: Path) -> None:
    code, out, err = run(capsys, "impact", "--store", str(mlflow3_db), "--store", STORE, "--dataset",
                         "s3://lake/payments/fraud-detector/train.parquet", "--format", "json")
    assert code == 0, err
    impact = json.loads(out)
    assert sorted(v["id"] for v in impact["versions"]) == [  # DataRobot's and MLflow's
        "version:fraud-detector-dr/1", "version:fraud-detector-dr/2", "version:fraud-detector/2",
        "version:fraud-detector/3"]
    assert sorted(d["id"] for d in impact["deployments"]) == sorted([
        "deployment:alias:fraud-detector@challenger", "deployment:alias:fraud-detector@champion",
        "deployment:stage:fraud-detector@Production",
        *(f"deployment:pushed:datarobot:deployment/{deployment_id(x)}" for x in ("fraud-canary", "fraud-prod"))])
    code, out, _ = run(capsys, "lineage", "--store", str(mlflow3_db), "--store", STORE, "--format", "json")
    graph = json.loads(out)
    node = next(n for n in graph["nodes"] if n["id"] == "dataset:s3://lake/payments/fraud-detector/train.parquet")
    assert node["tags"]["retention_until"] == "2027-12-31"  # MLflow's tag on the shared node
    feeders = {e["target"] for e in graph["edges"] if e["source"] == node["id"]}
    assert any(t.startswith("run:datarobot:model/") for t in feeders)
    assert any(not t.startswith("run:datarobot:") for t in feeders)  # an MLflow run


def test_findings_f21_f22_f23(capsys: pytest.CaptureFixture[str]) -> None:
    code, items = findings(capsys, STORE)
    assert code == 1
    got = sorted((f["id"], f["object"]) for f in items if f["id"] in ("F1", "F21", "F22", "F23"))
    assert got == [("F1", "models:/churn-predictor-dr/2"), ("F1", "models:/fraud-detector-dr/1"),
                   ("F1", "models:/fraud-detector-dr/2"), ("F21", "models:/fraud-detector-dr/1"),
                   ("F22", "models:/fraud-detector-dr/1"), ("F23", "models:/fraud-detector-dr/2")]
    f21 = next(f for f in items if f["id"] == "F21")
    assert f21["evidence"].startswith("The version is approved in DataRobot by bob@example.org at "
                                      "2026-01-12T09:15:00Z, not signed; bob@example.org is also the principal who "
                                      "created it (evidence: change request ")
    assert "cannot review its change requests" in f21["remediation"]
    f22 = next(f for f in items if f["id"] == "F22")
    assert f22["evidence"] == ("The version is approved in DataRobot by bob@example.org at 2026-01-12T09:15:00Z, "
                               "not signed, with no review comment.")
    f23 = next(f for f in items if f["id"] == "F23")
    assert (f23["severity"], f23["evidence"]) == ("high", (
        "Deployed on fraud-canary while its DataRobot status is 'changesRequested' (changes requested in DataRobot "
        "(set by carol@example.org at 2026-03-06T08:30:00Z), not signed)."))


def test_report_lists_the_claims(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from pypdf import PdfReader

    pdf = tmp_path / "r.pdf"
    code, _, err = run(capsys, "report", "--store", STORE, "--edition", "gdpr", "--out", str(pdf))
    assert code == 0, err
    text = " ".join((p.extract_text() or "") for p in PdfReader(pdf).pages).replace("\n", " ")
    assert "approved in DataRobot by carol@example.org at 2026-03-12T09:45:00Z, not signed" in text
    assert "F21" in text and "F23" in text


def test_snapshot_keeps_the_claims(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    snap = tmp_path / "dr.mlsnap"
    code, _, err = run(capsys, "snapshot", "create", "--store", STORE, "--out", str(snap))
    assert code == 0, err
    _, direct, _ = run(capsys, "inventory", "--store", STORE, "--format", "json")
    # an unsigned snapshot is read only when asked to (every output then says it is unverified)
    code, from_snap, err = run(capsys, "inventory", "--store", f"snapshot:{snap}", "--allow-unverified",
                               "--format", "json")
    assert code == 0, err
    assert json.loads(from_snap)["models"] == json.loads(direct)["models"]
    _, lineage_direct, _ = run(capsys, "lineage", "--store", STORE, "--format", "json")
    _, lineage_snap, _ = run(capsys, "lineage", "--store", f"snapshot:{snap}", "--allow-unverified",
                             "--format", "json")
    assert json.loads(lineage_snap)["edges"] == json.loads(lineage_direct)["edges"]


def test_signed_approval_and_verify(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_DESKTOP_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("MLOPS_DESKTOP_GOVERNANCE_URL", str(tmp_path / "gov.db"))
    for name in ("admin", "dana", "erik"):
        assert run(capsys, "keys", "create", "--out", str(tmp_path / f"{name}.key"), "--name", name,
                   "--email", f"{name}@example.org")[0] == 0
    assert run(capsys, "trust", "init", "--admin", str(tmp_path / "admin.key.pub"))[0] == 0
    for name in ("dana", "erik"):
        assert run(capsys, "trust", "add", "--key", str(tmp_path / "admin.key"), "--signer",
                   str(tmp_path / f"{name}.key.pub"), "--identity", f"{name}@example.org", "--role", "approver")[0] == 0
    code, out, err = run(capsys, "verify", "--store", STORE, "--model", "churn-predictor-dr", "--version", "2",
                         "--target", "pushed")
    assert code == 1, err
    for name in ("dana", "erik"):
        code, out, err = run(capsys, "approve", "--store", STORE, "--model", "churn-predictor-dr", "--version", "2",
                             "--target", "pushed", "--reason", "validated", "--regime", "gdpr",
                             "--key", str(tmp_path / f"{name}.key"))
        assert code == 0, err
        assert "version-record-jcs-sha256" in out  # no local artifacts: the version record is signed
    code, out, err = run(capsys, "verify", "--store", STORE, "--model", "churn-predictor-dr", "--version", "2",
                         "--target", "pushed")
    assert code == 0, err
    _, items = findings(capsys, STORE)
    assert not [f for f in items if f["id"] == "F1" and f["object"] == "models:/churn-predictor-dr/2"]
    code, out, err = run(capsys, "approvals", "list", "--model", "churn-predictor-dr", "--format", "json")
    assert code == 0, err
    listed = json.loads(out)
    assert len(listed) == 2 and {a["target"] for a in listed} == {"pushed"}


def test_rejected_files_are_listed_and_the_rest_loads(capsys: pytest.CaptureFixture[str],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="mlops_desktop.sources.datarobot"):
        code, out, err = run(capsys, "inventory", "--store", f"datarobot:{FIXTURES / 'datarobot' / 'broken'}",
                             "--format", "json")
    assert code == 0, err
    assert [(m["name"], [v["version"] for v in m["versions"]]) for m in json.loads(out)["models"]] == [
        ("fraud-detector-dr", ["1", "2"])]
    skipped = [r.getMessage().split("DataRobot: ", 1)[1] for r in caplog.records if " skipped: " in r.getMessage()]
    assert [s.split(" skipped: ")[0] for s in skipped] == [
        "rejected/change-request.json", "rejected/deployment.json", "rejected/registered-model.json",
        "rejected/reviews.json"]
    assert "'URGENT' is not a valid DEPLOYMENT_IMPORTANCE" in skipped[2]


def test_without_the_client_one_line_says_what_to_install(capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from mlops_desktop.sources import datarobot as dr

    dr.client_classes.cache_clear()
    for name in [m for m in sys.modules if m == "datarobot" or m.startswith("datarobot.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "datarobot", None)
    try:
        code, out, err = run(capsys, "inventory", "--store", STORE)
    finally:
        dr.client_classes.cache_clear()
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "needs the datarobot client" in err and "pip install 'mlops-desktop[datarobot]'" in err
