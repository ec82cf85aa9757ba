"""The SageMaker source on the moto-made fixture (tests/fixtures/sagemaker, see its README)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("botocore", reason="the SageMaker source validates against botocore's service model")

from mlops_desktop.core.entities import Catalog, ExternalApproval
from mlops_desktop.core.inventory import inventory_json
from mlops_desktop.core.lineage import build_graph
from mlops_desktop.sources.base import DEFAULT_SETTINGS, open_source, parse_store_url
from mlops_desktop.sources.sagemaker import (
    SageMakerSource,
    parse_timestamp,
    recognise,
    service_model,
    validate_value,
)
from tests.conftest import FIXTURES

ACCOUNT = FIXTURES / "sagemaker" / "account"
BROKEN = FIXTURES / "sagemaker" / "broken"
ARN = "arn:aws:sagemaker:eu-west-1:123456789012"
ALICE = "arn:aws:sts::123456789012:assumed-role/DataScientist/alice"
BOB = "arn:aws:sts::123456789012:assumed-role/DataScientist/bob"
CAROL = "arn:aws:sts::123456789012:assumed-role/ModelRiskApprover/carol"


def fixture_json(rel: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ACCOUNT / rel).read_text(encoding="utf-8"))
    return data


def load(path: Path) -> tuple[SageMakerSource, Catalog]:
    source = open_source(f"sagemaker:{path}")
    assert isinstance(source, SageMakerSource)
    return source, source.load_catalog()


@pytest.fixture(scope="module")
def account() -> tuple[SageMakerSource, Catalog]:
    return load(ACCOUNT)


def test_every_file_is_recognised_by_content(account: tuple[SageMakerSource, Catalog]) -> None:
    source, _ = account
    assert source.rejected == []
    assert source.warnings == []
    acct = source.read_account()
    assert dict(acct.operations) == {
        "CloudTrail": 1, "DescribeArtifact": 2, "DescribeEndpoint": 3, "DescribeEndpointConfig": 3,
        "DescribeModel": 3, "DescribeModelCard": 1, "DescribeModelPackage": 5, "DescribeModelPackageGroup": 2,
        "DescribeTrainingJob": 5, "ListModelPackageGroups": 1, "ListModelPackages": 2, "ListTags": 10,
        "QueryLineage": 1,
    }
    assert source.info.kind == "sagemaker"
    assert source.info.schema == f"sagemaker-{service_model().api_version}"
    assert source.info.identity.startswith("sha256:")


def test_package_groups_become_registered_models(account: tuple[SageMakerSource, Catalog]) -> None:
    _, cat = account
    assert [m.name for m in cat.models] == ["credit-limit-sm", "readmission-risk-sm"]
    credit, readmission = cat.models
    assert credit.description == "Credit limit (SageMaker pipeline)"
    assert credit.tags == {"pii": "true", "lawful_basis": "contract", "retention_until": "2029-01-01",
                           "owner": "lending-ml"}
    assert readmission.tags == {"pii": "true", "phi": "true", "lawful_basis": "vital_interest", "owner": "clinical-ml"}
    group = fixture_json("model-package-groups/credit-limit-sm/describe-model-package-group.json")
    assert credit.created_at == parse_timestamp(group["CreationTime"])
    assert credit.aliases == {}


EXPECTED_VERSIONS = {
    ("credit-limit-sm", "1"): {"stage": "Production", "author": ALICE, "job": "credit-limit-train-1",
                               "datasets": [("train.parquet", "s3://lake/lending/credit-limit/train.parquet", "training"),
                                            ("eval.parquet", "s3://lake/lending/credit-limit/eval.parquet", "validation")],
                               "claim": ("Approved", True, ALICE, "", True, "CreateModelPackage")},
    ("credit-limit-sm", "2"): {"stage": "Staging", "author": BOB, "job": "credit-limit-train-2",
                               "datasets": [("train.parquet", "s3://lake/lending/credit-limit/train.parquet", "training")],
                               "claim": ("Approved", True, CAROL, "", False, "UpdateModelPackage")},
    ("readmission-risk-sm", "1"): {
        "stage": "Development", "author": ALICE, "job": "readmission-risk-train-1",
        "datasets": [("train.parquet", "s3://lake/clinical/readmission-risk/train.parquet", "training")],
        "claim": ("Rejected", False, CAROL, "AUC below the 0.80 floor", False, "UpdateModelPackage")},
    ("readmission-risk-sm", "2"): {
        "stage": "Production", "author": ALICE, "job": "readmission-risk-train-2",
        "datasets": [("train.parquet", "s3://lake/clinical/readmission-risk/train.parquet", "training"),
                     ("eval.parquet", "s3://lake/clinical/readmission-risk/eval.parquet", "validation")],
        "claim": ("Approved", True, CAROL, "Validated by model risk, ticket MR-1042", False, "UpdateModelPackage")},
    ("readmission-risk-sm", "3"): {
        "stage": "Staging", "author": BOB, "job": "readmission-risk-train-3",
        "datasets": [("features-v3.parquet", "s3://lake/clinical/readmission-risk/features-v3.parquet", "training")],
        "claim": ("PendingManualApproval", False, BOB, "", True, "CreateModelPackage")},
}


@pytest.mark.parametrize(("model", "version"), sorted(EXPECTED_VERSIONS))
def test_package_versions_map_every_field(account: tuple[SageMakerSource, Catalog], model: str, version: str) -> None:
    _, cat = account
    want = EXPECTED_VERSIONS[(model, version)]
    mv = cat.find_version(model, version)
    assert mv is not None
    pkg = fixture_json(f"model-package-groups/{model}/{version}/describe-model-package.json")
    arn = f"{ARN}:model-package/{model}/{version}"
    assert pkg["ModelPackageArn"] == arn
    job = want["job"]
    data_url = f"s3://sagemaker-eu-west-1-123456789012/{model}/{job}/output/model.tar.gz"
    assert mv.stage == want["stage"]
    assert mv.status == "Completed"
    assert mv.aliases == []
    assert mv.user_id == want["author"] and mv.author == want["author"]
    assert mv.run_id == f"{ARN}:training-job/{job}"
    assert mv.run_user == want["author"]
    assert mv.source == data_url and mv.storage_location == data_url
    assert mv.description == f"{model} trained by {job}"
    assert mv.created_at == parse_timestamp(pkg["CreationTime"])
    assert mv.updated_at == parse_timestamp(pkg.get("LastModifiedTime"))
    assert [(d.name, d.source, d.context, d.digest) for d in mv.datasets] == [(*d, "") for d in want["datasets"]]
    life = pkg["ModelLifeCycle"]
    assert mv.tags["sagemaker.lifecycle.stage_status"] == life["StageStatus"]
    assert mv.tags.get("sagemaker.lifecycle.stage_description") == life.get("StageDescription")
    assert mv.tags["sagemaker.model_package_arn"] == arn
    reports = f"s3://sagemaker-eu-west-1-123456789012/{model}/reports/v{version}"
    assert mv.tags["sagemaker.model_metrics.model_quality.statistics"] == f"{reports}/model-quality.json"
    assert mv.tags["sagemaker.model_metrics.model_data_quality.constraints"] == f"{reports}/data-constraints.json"
    assert mv.tags["sagemaker.drift_check_baselines.model_data_quality.statistics"] == f"{reports}/baseline-stats.json"
    # tags given at creation reach the version through CloudTrail (moto cannot list a versioned package's tags)
    assert mv.tags["team"] == ("lending-ml" if model == "credit-limit-sm" else "clinical-ml")
    for key, value in pkg.get("CustomerMetadataProperties", {}).items():
        assert mv.tags[key] == value
    status, approved, principal, note, at_creation, event = want["claim"]
    assert len(mv.external_approvals) == 1
    claim = mv.external_approvals[0]
    trail = fixture_json("cloudtrail/123456789012_CloudTrail_eu-west-1_sagemaker.json")["Records"]
    record = next(r for r in trail if r["eventName"] == event and arn in json.dumps(r))
    assert claim == ExternalApproval("sagemaker", status, approved, principal, parse_timestamp(record["eventTime"]),
                                     note, f"CloudTrail {event} event {record['eventID']}", at_creation)
    assert pkg["ModelApprovalStatus"] == status


def test_claim_statements_say_not_signed(account: tuple[SageMakerSource, Catalog]) -> None:
    _, cat = account
    v2 = cat.find_version("readmission-risk-sm", "2")
    v3 = cat.find_version("readmission-risk-sm", "3")
    v1 = cat.find_version("readmission-risk-sm", "1")
    assert v1 and v2 and v3
    at = v2.external_approvals[0].at
    assert at is not None
    assert v2.external_approvals[0].statement() == (
        f"approved in SageMaker by {CAROL} at {at.strftime('%Y-%m-%dT%H:%M:%SZ')}, not signed")
    assert v1.external_approvals[0].statement().startswith(f"rejected in SageMaker by {CAROL} at ")
    assert v3.external_approvals[0].statement().startswith(f"pending manual approval in SageMaker (set by {BOB} at ")


def test_model_cards_become_tags(account: tuple[SageMakerSource, Catalog]) -> None:
    _, cat = account
    inline = cat.find_version("readmission-risk-sm", "2")
    card = cat.find_version("credit-limit-sm", "1")
    assert inline and card
    assert inline.tags["purpose"] == "readmission triage"
    assert inline.tags["risk_tier"] == "high"
    assert inline.tags["sagemaker.model_card.name"] == "inline"
    assert inline.tags["sagemaker.model_card.status"] == "Approved"
    assert inline.tags["sagemaker.model_card.risk_rating"] == "High"
    assert inline.tags["sagemaker.model_card.intended_uses"] == "Rank discharged patients for follow-up calls"
    assert json.loads(inline.tags["sagemaker.model_card.training_details"]) == {
        "objective_function": {"function": {"facet": "AUC", "function": "Maximize"}},
        "training_job_details": {"training_datasets": ["s3://lake/clinical/readmission-risk/train.parquet"]}}
    assert json.loads(inline.tags["sagemaker.model_card.evaluation_details"])[0]["name"] == "holdout-2026-01"
    assert card.tags["purpose"] == "credit limit setting"
    assert card.tags["risk_tier"] == "medium"
    assert card.tags["sagemaker.model_card.name"] == "credit-limit-card"
    assert card.tags["sagemaker.model_card.intended_uses"] == "Propose a limit for a human underwriter"
    other = cat.find_version("credit-limit-sm", "2")
    assert other and "purpose" not in other.tags and "risk_tier" not in other.tags


def test_training_jobs_become_runs(account: tuple[SageMakerSource, Catalog]) -> None:
    _, cat = account
    assert sorted(cat.runs) == sorted(f"{ARN}:training-job/{j}" for j in (
        "credit-limit-train-1", "credit-limit-train-2", "readmission-risk-train-1", "readmission-risk-train-2",
        "readmission-risk-train-3"))
    run = cat.runs[f"{ARN}:training-job/readmission-risk-train-2"]
    job = fixture_json("training-jobs/readmission-risk-train-2/describe-training-job.json")
    assert run.name == "readmission-risk-train-2"
    assert run.status == "FINISHED"
    assert run.user == ALICE
    assert run.params == {"max_depth": "6", "eta": "0.2", "num_round": "200", "objective": "binary:logistic"}
    assert {k: m.value for k, m in run.metrics.items()} == {"validation:auc": 0.86, "train:auc": 0.9}
    assert run.metrics["train:auc"].timestamp == parse_timestamp(job["TrainingEndTime"])
    assert run.start_time == parse_timestamp(job["TrainingStartTime"])
    assert run.end_time == parse_timestamp(job["TrainingEndTime"])
    assert run.artifact_uri == job["ModelArtifacts"]["S3ModelArtifacts"]
    assert run.source_name == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/xgboost:1.7-1"
    assert run.tags == {"phi": "true", "cost_centre": "clinical"}
    assert [(i.dataset_id, i.context) for i in run.inputs] == [
        ("sagemaker:s3://lake/clinical/readmission-risk/train.parquet", "training"),
        ("sagemaker:s3://lake/clinical/readmission-risk/eval.parquet", "validation")]
    source, _ = account
    assert source.metric_keys(run.run_id) == ["train:auc", "validation:auc"]
    assert [m.value for m in source.metric_history(run.run_id, "validation:auc")] == [0.86]


def test_endpoints_and_query_lineage(account: tuple[SageMakerSource, Catalog]) -> None:
    _, cat = account
    g = build_graph(cat)
    assert g.warnings == []
    deployed = {(e["source"], e["target"]) for e in g.to_json()["edges"] if e["target"].startswith("deployment:pushed:")}
    assert deployed == {
        ("version:credit-limit-sm/1", f"deployment:pushed:{ARN}:endpoint/credit-limit-prod"),
        ("version:readmission-risk-sm/2", f"deployment:pushed:{ARN}:endpoint/readmission-risk-prod"),
        ("version:readmission-risk-sm/3", f"deployment:pushed:{ARN}:endpoint/readmission-risk-shadow"),
    }
    node = g.node(f"deployment:pushed:{ARN}:endpoint/readmission-risk-prod")
    assert node["tags"] == {"environment": "production"}
    assert (node["endpoint"], node["endpoint_status"], node["variant"]) == ("readmission-risk-prod", "InService",
                                                                           "AllTraffic")
    processing = f"sagemaker:{ARN}:experiment-trial-component/readmission-features-3-aws-processing-job"
    assert g.upstream("version:readmission-risk-sm/3") == [
        "model:readmission-risk-sm", f"run:{ARN}:training-job/readmission-risk-train-3",
        "dataset:s3://lake/clinical/readmission-risk/features-v3.parquet", processing,
        "dataset:s3://lake/clinical/readmission-risk/train.parquet"]
    assert g.edge_kind("dataset:s3://lake/clinical/readmission-risk/train.parquet", processing) == "input"
    assert g.edge_kind(processing, "dataset:s3://lake/clinical/readmission-risk/features-v3.parquet") == "output"


def test_invalid_files_are_listed_and_the_rest_loads() -> None:
    source, cat = load(BROKEN)
    assert [(r.name, r.reason) for r in source.rejected] == [
        ("missing-member/describe-training-job.json",
         "DescribeTrainingJob response does not match botocore's DescribeTrainingJobOutput shape: "
         ": required member TrainingJobStatus is missing"),
        ("other-service/describe-model-package-group.json",
         "not the response of a SageMaker operation this app reads (top-level members: Buckets, Owner)"),
        ("truncated/describe-endpoint.json", "truncated JSON (it stops mid-value at line 8 column 16)"),
        ("wrong-enum/describe-model-package.json",
         "DescribeModelPackage response does not match botocore's DescribeModelPackageOutput shape: "
         "ModelApprovalStatus: 'Aproved' is not a valid ModelApprovalStatus (one of Approved, Rejected, "
         "PendingManualApproval)"),
    ]
    assert [m.name for m in cat.models] == ["credit-limit-sm"]
    assert [v.version for v in cat.models[0].versions] == ["1", "2"]
    v1, v2 = cat.models[0].versions
    # no CloudTrail here: the claim comes from the package record itself
    assert v1.external_approvals[0].evidence == "DescribeModelPackage ModelApprovalStatus (never modified since creation)"
    assert v1.external_approvals[0].at_creation and v1.external_approvals[0].principal == ALICE
    assert v2.external_approvals[0].principal == CAROL and not v2.external_approvals[0].at_creation
    assert v2.external_approvals[0].evidence.startswith("DescribeModelPackage LastModifiedBy/LastModifiedTime")
    assert not any(n.kind == "deployment" for n in cat.lineage_nodes)  # endpoint file was truncated


def test_zip_archive_reads_the_same(tmp_path: Path, account: tuple[SageMakerSource, Catalog]) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(ACCOUNT.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(ACCOUNT).as_posix())
    source, cat = load(archive)
    assert source.rejected == []
    assert inventory_json(cat)["models"] == inventory_json(account[1])["models"]
    assert source.info.identity == account[0].info.identity


def test_recognition_never_uses_the_file_name(tmp_path: Path, account: tuple[SageMakerSource, Catalog]) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    for i, path in enumerate(sorted(ACCOUNT.rglob("*.json"))):
        if path.name != "list-tags.json":  # ListTags pairs by folder, the rest by content only
            shutil.copy(path, flat / f"{i:03d}.json")
    source, cat = load(flat)
    assert source.rejected == []
    assert [(m.name, [v.version for v in m.versions]) for m in cat.models] == [
        ("credit-limit-sm", ["1", "2"]), ("readmission-risk-sm", ["1", "2", "3"])]


def test_list_tags_outside_a_resource_folder_is_rejected(tmp_path: Path) -> None:
    shutil.copytree(ACCOUNT / "model-package-groups", tmp_path / "x" / "model-package-groups")
    stray = tmp_path / "x" / "tags.json"
    shutil.copy(ACCOUNT / "model-package-groups" / "credit-limit-sm" / "list-tags.json", stray)
    source, _ = load(tmp_path / "x")
    assert [(r.name, r.reason) for r in source.rejected] == [(
        "tags.json", "ListTags response: it names no resource, so it is read only in a folder that describes "
        "exactly one resource (this folder describes 0)")]


@pytest.mark.parametrize(("shape", "value", "problem"), [
    ("ModelLifeCycle", {"Stage": "Production"}, "x: required member StageStatus is missing"),
    ("ModelLifeCycle", {"Stage": 3, "StageStatus": "a"}, "x.Stage: expected a string, found a number"),
    ("ModelPackageSummary", {"ModelPackageArn": "a", "CreationTime": "yesterday", "ModelPackageStatus": "Completed"},
     "x.CreationTime: expected an ISO 8601 timestamp, found 'yesterday'"),
    ("ModelPackageSummary", {"ModelPackageArn": "a", "CreationTime": 1767225600, "ModelPackageStatus": "Done"},
     "x.ModelPackageStatus: 'Done' is not a valid ModelPackageStatus (one of Pending, InProgress, Completed, "
     "Failed, Deleting)"),
    ("MetricData", {"MetricName": "auc", "Value": "0.9"}, "x.Value: expected a number, found a string"),
    ("Channel", {"ChannelName": "train", "DataSource": []}, "x.DataSource: expected an object (DataSource), found a list"),
    ("InferenceSpecification", {"Containers": {}}, "x.Containers: expected a list, found an object"),
])
def test_validation_negative_vectors(shape: str, value: Any, problem: str) -> None:
    assert validate_value(value, service_model().shape_for(shape), "x") == problem


def test_unknown_newer_members_are_tolerated() -> None:
    body = fixture_json("model-package-groups/credit-limit-sm/describe-model-package-group.json")
    assert recognise({**body, "SomeMemberFrom2030": {"x": 1}}) == ("DescribeModelPackageGroup", None)


def test_store_url_and_settings() -> None:
    url = parse_store_url(f"sagemaker:{ACCOUNT}")
    assert (url.kind, url.path) == ("sagemaker", ACCOUNT.resolve())
    source = SageMakerSource(url, DEFAULT_SETTINGS)
    assert source.load_registry() is None
