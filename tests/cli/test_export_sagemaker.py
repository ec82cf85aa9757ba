"""``export sagemaker`` against moto's server, and every command on a SageMaker store."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("botocore", reason="the SageMaker source validates against botocore's service model")

from mlops_desktop.cli.main import main
from mlops_desktop.core.entities import iso
from mlops_desktop.sources.sagemaker import parse_timestamp
from tests.conftest import FIXTURES

ACCOUNT = FIXTURES / "sagemaker" / "account"
STORE = f"sagemaker:{ACCOUNT}"
ARN = "arn:aws:sagemaker:eu-west-1:123456789012"
PASSPHRASE = "correct staple horse battery 42"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def moto_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    pytest.importorskip("moto.server", reason="moto[server] is not installed (test extra)")
    from tools.make_sagemaker_fixtures import moto_server

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with moto_server() as url:
        yield url


def account_truth(url: str, groups: list[str] | None = None) -> list[dict[str, Any]]:
    """What the live (moto) account holds, read with boto3: the inventory the export must give back."""
    from tools.make_sagemaker_fixtures import client

    sm = client(url)
    jobs = {}
    for summary in sm.list_training_jobs()["TrainingJobSummaries"]:
        job = sm.describe_training_job(TrainingJobName=summary["TrainingJobName"])
        jobs[job["ModelArtifacts"]["S3ModelArtifacts"]] = job
    out = []
    for g in sorted(sm.list_model_package_groups()["ModelPackageGroupSummaryList"],
                    key=lambda g: g["ModelPackageGroupName"]):
        name = g["ModelPackageGroupName"]
        if groups and name not in groups:
            continue
        versions = []
        for s in sorted(sm.list_model_packages(ModelPackageGroupName=name)["ModelPackageSummaryList"],
                        key=lambda s: s["ModelPackageVersion"]):
            pkg = sm.describe_model_package(ModelPackageName=s["ModelPackageArn"])
            data_url = pkg["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
            job = jobs[data_url]
            versions.append({
                "version": str(pkg["ModelPackageVersion"]), "status": pkg["ModelPackageStatus"],
                "run_id": job["TrainingJobArn"], "source": data_url, "created_at": iso(pkg["CreationTime"]),
                "datasets": [c["DataSource"]["S3DataSource"]["S3Uri"] for c in job["InputDataConfig"]],
                "approval": pkg["ModelApprovalStatus"],
            })
        out.append({"name": name, "description": g["ModelPackageGroupDescription"],
                    "tags": {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=g["ModelPackageGroupArn"])["Tags"]},
                    "versions": versions})
    return out


def projection(inventory: dict[str, Any]) -> list[dict[str, Any]]:
    return [{
        "name": m["name"], "description": m["description"], "tags": m["tags"],
        "versions": [{
            "version": v["version"], "status": v["status"], "run_id": v["run_id"], "source": v["source"],
            "created_at": v["created_at"], "datasets": [d["source"] for d in v["datasets"]],
            "approval": v["external_approvals"][0]["status"],
        } for v in m["versions"]],
    } for m in inventory["models"]]


def test_export_reads_back_to_the_same_inventory(moto_url: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from tools.make_sagemaker_fixtures import client, populate

    populate(client(moto_url))
    out = tmp_path / "export"
    code, stdout, err = run(capsys, "export", "sagemaker", "--out", str(out), "--region", "eu-west-1",
                            "--endpoint-url", moto_url)
    assert code == 0, err
    assert f"Read it with: mlops-desktop inventory --store sagemaker:{out}" in stdout
    # moto cannot list a versioned package's tags nor answer QueryLineage: said, not fatal
    assert err.count("warning: tags of") == 5 and err.count("warning: lineage of") == 5
    # where moto's responses break botocore's shapes (AWS's do not), the source refuses them: repair them
    # exactly as the fixtures were (tools/make_sagemaker_fixtures.py, tests/fixtures/README.md)
    from tools.make_sagemaker_fixtures import moto_deviations

    code, _, err = run(capsys, "inventory", "--store", f"sagemaker:{out}", "--format", "json")
    assert code == 0
    moto_deviations(out)
    code, stdout, err = run(capsys, "inventory", "--store", f"sagemaker:{out}", "--format", "json")
    assert code == 0, err
    exported = json.loads(stdout)
    truth = account_truth(moto_url)
    assert [m["name"] for m in truth] == ["credit-limit-sm", "readmission-risk-sm"]
    assert [len(m["versions"]) for m in truth] == [2, 3]
    assert projection(exported) == truth
    assert exported["stores"] == [{"kind": "sagemaker", "url": f"sagemaker:{out}",
                                   "schema": exported["stores"][0]["schema"]}]
    # the endpoints came along: each serving version has its deployment node
    code, stdout, _ = run(capsys, "lineage", "--store", f"sagemaker:{out}", "--format", "json")
    nodes = {n["id"] for n in json.loads(stdout)["nodes"]}
    assert {f"deployment:pushed:{ARN}:endpoint/{e}" for e in
            ("credit-limit-prod", "readmission-risk-prod", "readmission-risk-shadow")} <= nodes
    # only what was asked for, and a clear error for a group that does not exist
    only = tmp_path / "only"
    assert run(capsys, "export", "sagemaker", "--out", str(only), "--region", "eu-west-1", "--endpoint-url", moto_url,
               "--model-package-group", "credit-limit-sm")[0] == 0
    moto_deviations(only)
    code, stdout, _ = run(capsys, "inventory", "--store", f"sagemaker:{only}", "--format", "json")
    assert projection(json.loads(stdout)) == account_truth(moto_url, ["credit-limit-sm"])
    code, _, err = run(capsys, "export", "sagemaker", "--out", str(tmp_path / "none"), "--region", "eu-west-1",
                       "--endpoint-url", moto_url, "--model-package-group", "nope")
    assert code == 2 and "No model package group named nope" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "export", "sagemaker", "--out", str(out), "--region", "eu-west-1",
                       "--endpoint-url", moto_url)
    assert code == 2 and "is not empty" in err


def test_inventory_json_shows_claims_as_unsigned(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "inventory", "--store", STORE, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    v2 = next(v for m in doc["models"] if m["name"] == "readmission-risk-sm" for v in m["versions"]
              if v["version"] == "2")
    claim = v2["external_approvals"][0]
    assert claim["system"] == "sagemaker" and claim["status"] == "Approved" and claim["signed"] is False
    assert claim["statement"] == (f"approved in SageMaker by arn:aws:sts::123456789012:assumed-role/"
                                  f"ModelRiskApprover/carol at {claim['at']}, not signed")
    assert v2["classification"] == {"pii": True, "phi": True}
    assert v2["stage"] == "Production"


def test_lineage_and_impact(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "impact", "--store", STORE, "--dataset",
                         "s3://lake/clinical/readmission-risk/train.parquet", "--format", "json")
    assert code == 0, err
    impact = json.loads(out)
    assert sorted(v["id"] for v in impact["versions"]) == [
        "version:readmission-risk-sm/1", "version:readmission-risk-sm/2", "version:readmission-risk-sm/3"]
    assert f"deployment:pushed:{ARN}:endpoint/readmission-risk-shadow" in {d["id"] for d in impact["deployments"]}
    v3 = next(v for v in impact["versions"] if v["id"] == "version:readmission-risk-sm/3")
    assert v3["path"][1] == f"sagemaker:{ARN}:experiment-trial-component/readmission-features-3-aws-processing-job"
    code, out, err = run(capsys, "lineage", "--store", STORE, "--focus", "readmission-risk-sm/3", "--upstream",
                         "--format", "json")
    assert code == 0, err
    ids = {n["id"] for n in json.loads(out)["nodes"]}
    assert "dataset:s3://lake/clinical/readmission-risk/train.parquet" in ids
    assert f"sagemaker:{ARN}:experiment-trial-component/readmission-features-3-aws-processing-job" in ids


def test_lineage_connects_across_systems(capsys: pytest.CaptureFixture[str], mlflow3_db: Path) -> None:
    code, out, err = run(capsys, "impact", "--store", str(mlflow3_db), "--store", STORE, "--dataset",
                         "s3://lake/clinical/readmission-risk/train.parquet", "--format", "json")
    assert code == 0, err
    versions = [v["id"] for v in json.loads(out)["versions"]]
    assert {v for v in versions if v.startswith("version:readmission-risk/")}  # MLflow's
    assert {"version:readmission-risk-sm/1", "version:readmission-risk-sm/2",
            "version:readmission-risk-sm/3"} <= set(versions)  # SageMaker's, v3 through its processing step
    code, out, _ = run(capsys, "lineage", "--store", str(mlflow3_db), "--store", STORE, "--format", "json")
    graph = json.loads(out)
    node = next(n for n in graph["nodes"] if n["id"] == "dataset:s3://lake/clinical/readmission-risk/train.parquet")
    assert node["tags"]["phi"] == "true"  # MLflow's tags on the shared dataset node
    feeders = {e["target"] for e in graph["edges"] if e["source"] == node["id"]}
    assert f"run:{ARN}:training-job/readmission-risk-train-2" in feeders
    assert any(not t.startswith(("run:arn:", "sagemaker:")) for t in feeders)  # an MLflow run


def test_findings_f21_f22_f23(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "findings", "--store", STORE, "--format", "json")
    assert code == 1  # high findings
    found = json.loads(out)
    items = found["findings"] if isinstance(found, dict) else found
    got = sorted((f["id"], f["object"]) for f in items if f["id"] in ("F21", "F22", "F23"))
    assert got == [("F21", "models:/credit-limit-sm/1"), ("F22", "models:/credit-limit-sm/1"),
                   ("F22", "models:/credit-limit-sm/2"), ("F23", "models:/readmission-risk-sm/3")]
    f23 = next(f for f in items if f["id"] == "F23")
    assert f23["severity"] == "high"
    assert f23["evidence"].startswith("Deployed on readmission-risk-shadow while its SageMaker status is "
                                      "'PendingManualApproval'")
    f1 = {f["object"] for f in items if f["id"] == "F1"}  # SageMaker's approvals are claims, not signatures
    assert f1 == {"models:/credit-limit-sm/1", "models:/readmission-risk-sm/2", "models:/readmission-risk-sm/3"}


def test_report_shows_the_claims(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from pypdf import PdfReader

    pdf = tmp_path / "r.pdf"
    code, _, err = run(capsys, "report", "--store", STORE, "--edition", "gdpr", "--out", str(pdf))
    assert code == 0, err
    text = " ".join((p.extract_text() or "") for p in PdfReader(pdf).pages).replace("\n", " ")
    assert "not signed" in text and "F21" in text and "F23" in text


def test_snapshot_keeps_the_claims(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    snap = tmp_path / "sm.mlsnap"
    code, _, err = run(capsys, "snapshot", "create", "--store", STORE, "--out", str(snap))
    assert code == 0, err
    _, direct, _ = run(capsys, "inventory", "--store", STORE, "--format", "json")
    code, from_snap, err = run(capsys, "inventory", "--store", f"snapshot:{snap}", "--allow-unverified",
                               "--format", "json")
    assert code == 0, err
    assert json.loads(from_snap)["models"] == json.loads(direct)["models"]


def test_signed_approval_on_a_sagemaker_version(capsys: pytest.CaptureFixture[str], tmp_path: Path,
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
    for name in ("dana", "erik"):
        code, out, err = run(capsys, "approve", "--store", STORE, "--model", "readmission-risk-sm", "--version", "2",
                             "--target", "Production", "--reason", "validated", "--regime", "gdpr,hipaa",
                             "--key", str(tmp_path / f"{name}.key"))
        assert code == 0, err
        assert "version-record-jcs-sha256" in out  # artifacts are in S3: the version record is signed
    code, out, err = run(capsys, "verify", "--store", STORE, "--model", "readmission-risk-sm", "--version", "2",
                         "--target", "Production")
    assert code == 0, err
    code, out, _ = run(capsys, "findings", "--store", STORE, "--format", "json")
    items = json.loads(out)
    items = items["findings"] if isinstance(items, dict) else items
    f1 = [f for f in items if f["id"] == "F1" and f["object"] == "models:/readmission-risk-sm/2"]
    assert len(f1) == 1 and "'Production' has" not in f1[0]["evidence"]  # only the endpoint target remains


def test_timestamps_of_the_fixture_are_what_the_cli_prints(capsys: pytest.CaptureFixture[str]) -> None:
    pkg = json.loads((ACCOUNT / "model-package-groups" / "credit-limit-sm" / "1" / "describe-model-package.json")
                     .read_text(encoding="utf-8"))
    _, out, _ = run(capsys, "inventory", "--store", STORE, "--format", "json")
    v1 = json.loads(out)["models"][0]["versions"][0]
    assert v1["created_at"] == iso(parse_timestamp(pkg["CreationTime"]))
