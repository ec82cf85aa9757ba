"""Make tests/fixtures/sagemaker/: SageMaker API responses written by boto3 against moto's server.

    python tools/make_sagemaker_fixtures.py [--out tests/fixtures/sagemaker]

1. Starts moto's server (``ThreadedMotoServer``) on a free 127.0.0.1 port.
2. :func:`populate` creates, with boto3, what a small SageMaker account holds: two model
   package groups, versions in all three approval states and several lifecycle stages, training
   jobs reading S3 datasets (the same URIs as the MLflow fixture), a model card, SageMaker
   models and endpoints serving two versions, and tags (classification included).
3. ``export sagemaker``'s own code (:func:`mlops_desktop.cli.export_sagemaker.export_account`)
   writes ``account/`` from that server, with read-only calls.
4. :func:`moto_deviations` repairs where moto's responses break botocore's shapes, and
   :func:`complete` adds what moto does not produce, each value checked against botocore's
   output shapes (see tests/fixtures/README.md): ``ModelPackageName`` of versioned packages,
   ``ModelLifeCycle``, the inline ``ModelCard``, real ``CreatedBy``/``LastModifiedBy``
   principals, training metrics, a CloudTrail log file in the documented record format for
   the create/approve calls, and QueryLineage/DescribeArtifact responses (moto has no
   lineage API).
5. ``broken/`` holds a copy of one group with four files that must be rejected.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import shutil
import socket
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mlops_desktop.cli.export_sagemaker import export_account  # noqa: E402

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecution"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/xgboost:1.7-1"
#: The principals of the scenario (assumed-role sessions, as CloudTrail and UserContext name them).
ALICE = f"arn:aws:sts::{ACCOUNT}:assumed-role/DataScientist/alice"
BOB = f"arn:aws:sts::{ACCOUNT}:assumed-role/DataScientist/bob"
CAROL = f"arn:aws:sts::{ACCOUNT}:assumed-role/ModelRiskApprover/carol"

READMISSION = "readmission-risk-sm"
CREDIT = "credit-limit-sm"

#: Versions: group, version, creator, training job, S3 inputs, approval at creation,
#: later (status, principal, description), lifecycle (stage, status, description).
VERSIONS: list[dict[str, Any]] = [
    {"group": READMISSION, "version": 1, "creator": ALICE, "job": "readmission-risk-train-1",
     "inputs": {"train": "s3://lake/clinical/readmission-risk/train.parquet"},
     "create_status": "PendingManualApproval", "update": ("Rejected", CAROL, "AUC below the 0.80 floor"),
     "lifecycle": ("Development", "Rejected", "Retired after validation")},
    {"group": READMISSION, "version": 2, "creator": ALICE, "job": "readmission-risk-train-2",
     "inputs": {"train": "s3://lake/clinical/readmission-risk/train.parquet",
                "validation": "s3://lake/clinical/readmission-risk/eval.parquet"},
     "create_status": "PendingManualApproval",
     "update": ("Approved", CAROL, "Validated by model risk, ticket MR-1042"),
     "lifecycle": ("Production", "Approved", "Serving the readmission triage"), "inline_card": True},
    {"group": READMISSION, "version": 3, "creator": BOB, "job": "readmission-risk-train-3",
     "inputs": {"train": "s3://lake/clinical/readmission-risk/features-v3.parquet"},
     "create_status": "PendingManualApproval", "update": None,
     "lifecycle": ("Staging", "PendingApproval", "Shadow traffic")},
    {"group": CREDIT, "version": 1, "creator": ALICE, "job": "credit-limit-train-1",
     "inputs": {"train": "s3://lake/lending/credit-limit/train.parquet",
                "validation": "s3://lake/lending/credit-limit/eval.parquet"},
     "create_status": "Approved", "update": None, "lifecycle": ("Production", "Approved", "")},
    {"group": CREDIT, "version": 2, "creator": BOB, "job": "credit-limit-train-2",
     "inputs": {"train": "s3://lake/lending/credit-limit/train.parquet"},
     "create_status": "PendingManualApproval", "update": ("Approved", CAROL, ""),
     "lifecycle": ("Staging", "Approved", "")},
]
GROUP_TAGS = {
    READMISSION: {"pii": "true", "phi": "true", "lawful_basis": "vital_interest", "owner": "clinical-ml"},
    CREDIT: {"pii": "true", "lawful_basis": "contract", "retention_until": "2029-01-01", "owner": "lending-ml"},
}
JOB_TAGS = {"readmission-risk-train-2": {"phi": "true", "cost_centre": "clinical"}}
METRICS = {
    "readmission-risk-train-1": {"validation:auc": 0.74, "train:auc": 0.81},
    "readmission-risk-train-2": {"validation:auc": 0.86, "train:auc": 0.9},
    "readmission-risk-train-3": {"validation:auc": 0.88, "train:auc": 0.91},
    "credit-limit-train-1": {"validation:rmse": 412.5},
    "credit-limit-train-2": {"validation:rmse": 398.25},
}
#: Endpoint name -> (group, version) it serves.
ENDPOINTS = {"readmission-risk-prod": (READMISSION, 2), "readmission-risk-shadow": (READMISSION, 3),
             "credit-limit-prod": (CREDIT, 1)}
ENDPOINT_TAGS = {"readmission-risk-prod": {"environment": "production"}}
CARD_CONTENT = {
    READMISSION: {
        "model_overview": {"model_description": "Gradient-boosted readmission risk score", "model_owner": "clinical-ml"},
        "intended_uses": {"purpose_of_model": "readmission triage",
                          "intended_uses": "Rank discharged patients for follow-up calls",
                          "risk_rating": "High"},
        "training_details": {"objective_function": {"function": {"function": "Maximize", "facet": "AUC"}},
                             "training_job_details": {"training_datasets": [
                                 "s3://lake/clinical/readmission-risk/train.parquet"]}},
        "evaluation_details": [{"name": "holdout-2026-01", "evaluation_observation": "AUC 0.86 on the holdout",
                                "metric_groups": [{"name": "binary", "metric_data": [
                                    {"name": "auc", "type": "number", "value": 0.86}]}]}],
    },
    CREDIT: {
        "model_overview": {"model_description": "Credit limit regression", "model_owner": "lending-ml"},
        "intended_uses": {"purpose_of_model": "credit limit setting",
                          "intended_uses": "Propose a limit for a human underwriter", "risk_rating": "Medium"},
        "evaluation_details": [{"name": "backtest-2025", "evaluation_observation": "RMSE 412.5"}],
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free 127.0.0.1 port; yields its URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on stderr
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def client(url: str, service: str = "sagemaker") -> Any:
    import boto3

    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")  # noqa: S106 - moto's dummy credentials


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def populate(sm: Any) -> dict[str, Any]:
    """Create the scenario on a (moto) SageMaker endpoint; returns what CloudTrail would have seen:
    ``{"events": [(eventName, principal, time, requestParameters, responseElements)], "packages": {...}}``."""
    events: list[tuple[str, str, datetime, dict[str, Any], dict[str, Any]]] = []
    packages: dict[tuple[str, int], str] = {}
    for group, tags in GROUP_TAGS.items():
        sm.create_model_package_group(ModelPackageGroupName=group, ModelPackageGroupDescription=(
            "Readmission risk (SageMaker pipeline)" if group == READMISSION else "Credit limit (SageMaker pipeline)"),
            Tags=_tags(tags))
    for spec in VERSIONS:
        job = spec["job"]
        job_args: dict[str, Any] = {
            "TrainingJobName": job,
            "HyperParameters": {"max_depth": "6", "eta": "0.2", "num_round": str(100 + 50 * spec["version"]),
                                "objective": "binary:logistic" if spec["group"] == READMISSION else "reg:squarederror"},
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            "RoleArn": ROLE,
            "InputDataConfig": [{"ChannelName": ch, "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}},
                "ContentType": "application/x-parquet"} for ch, uri in spec["inputs"].items()],
            "OutputDataConfig": {"S3OutputPath": f"s3://sagemaker-{REGION}-{ACCOUNT}/{spec['group']}"},
            "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        }
        if JOB_TAGS.get(job):
            job_args["Tags"] = _tags(JOB_TAGS[job])
        sm.create_training_job(**job_args)
        desc = sm.describe_training_job(TrainingJobName=job)
        job_request: dict[str, Any] = {"trainingJobName": job}
        if JOB_TAGS.get(job):
            job_request["tags"] = [{"key": k, "value": v} for k, v in JOB_TAGS[job].items()]
        events.append(("CreateTrainingJob", spec["creator"], desc["CreationTime"], job_request,
                       {"trainingJobArn": desc["TrainingJobArn"]}))
        model_data = desc["ModelArtifacts"]["S3ModelArtifacts"]
        report = f"s3://sagemaker-{REGION}-{ACCOUNT}/{spec['group']}/reports/v{spec['version']}"
        kwargs: dict[str, Any] = {
            "ModelPackageGroupName": spec["group"],
            "ModelPackageDescription": f"{spec['group']} trained by {job}",
            "InferenceSpecification": {"Containers": [{"Image": IMAGE, "ModelDataUrl": model_data}],
                                       "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
            "ModelApprovalStatus": spec["create_status"],
            "MetadataProperties": {"GeneratedBy": desc["TrainingJobArn"], "Repository": "git@example.org:ml/pipelines.git",
                                   "CommitId": f"c0ffee{spec['version']}"},
            "ModelMetrics": {"ModelQuality": {"Statistics": {"ContentType": "application/json",
                                                             "S3Uri": f"{report}/model-quality.json"}},
                             "ModelDataQuality": {"Constraints": {"ContentType": "application/json",
                                                                  "S3Uri": f"{report}/data-constraints.json"}}},
            "DriftCheckBaselines": {"ModelDataQuality": {"Statistics": {"ContentType": "application/json",
                                                                        "S3Uri": f"{report}/baseline-stats.json"}}},
            "CustomerMetadataProperties": {"training_pipeline": f"{spec['group']}-pipeline",
                                           "validation_status": "passed" if spec["version"] != 1 else "failed"},
            "Tags": _tags({"team": GROUP_TAGS[spec["group"]]["owner"]}),
        }
        arn = sm.create_model_package(**kwargs)["ModelPackageArn"]
        packages[(spec["group"], spec["version"])] = arn
        created = sm.describe_model_package(ModelPackageName=arn)["CreationTime"]
        request = {"modelPackageGroupName": spec["group"], "modelApprovalStatus": spec["create_status"],
                   "modelPackageDescription": kwargs["ModelPackageDescription"],
                   "tags": [{"key": t["Key"], "value": t["Value"]} for t in kwargs["Tags"]]}
        events.append(("CreateModelPackage", spec["creator"], created, request, {"modelPackageArn": arn}))
        if spec["update"]:
            status, who, description = spec["update"]
            update: dict[str, Any] = {"ModelPackageArn": arn, "ModelApprovalStatus": status}
            if description:
                update["ApprovalDescription"] = description
            sm.update_model_package(**update)
            modified = sm.describe_model_package(ModelPackageName=arn)["LastModifiedTime"]
            params = {"modelPackageArn": arn, "modelApprovalStatus": status}
            if description:
                params["approvalDescription"] = description
            events.append(("UpdateModelPackage", who, modified, params, {"modelPackageArn": arn}))
    card_arn = packages[(CREDIT, 1)]
    content = copy.deepcopy(CARD_CONTENT[CREDIT])
    content["model_package_details"] = {"model_package_arn": card_arn, "model_package_group_name": CREDIT,
                                        "model_package_status": "Completed", "model_approval_status": "Approved"}
    sm.create_model_card(ModelCardName="credit-limit-card", Content=json.dumps(content, sort_keys=True),
                         ModelCardStatus="Approved")
    for endpoint, (group, version) in ENDPOINTS.items():
        model_name = f"{group}-v{version}"
        if model_name not in {m["ModelName"] for m in sm.list_models()["Models"]}:
            sm.create_model(ModelName=model_name, ExecutionRoleArn=ROLE,
                            PrimaryContainer={"ModelPackageName": packages[(group, version)]})
        sm.create_endpoint_config(EndpointConfigName=f"{endpoint}-config", ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": model_name, "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}])
        sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=f"{endpoint}-config",
                           Tags=_tags(ENDPOINT_TAGS.get(endpoint, {})) or [])
    return {"events": events, "packages": packages}


# ------------------------------------------------------------------------------ completion


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _save(path: Path, body: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def user_context(principal: str) -> dict[str, Any]:
    session = principal.rsplit("/", 1)[-1]
    return {"IamIdentity": {"Arn": principal, "PrincipalId": f"{_principal_id(principal)}:{session}"}}


def _principal_id(principal: str) -> str:
    role = principal.split("/")[1]
    return f"AROA{uuid.uuid5(uuid.NAMESPACE_URL, role).hex[:17].upper()}"


def cloudtrail_record(name: str, principal: str, when: datetime, request: dict[str, Any],
                      response: dict[str, Any]) -> dict[str, Any]:
    """One CloudTrail record in the documented format (userIdentity of an assumed role)."""
    _, _, rest = principal.partition("assumed-role/")
    role, _, session = rest.partition("/")
    key = uuid.uuid5(uuid.NAMESPACE_URL, f"{name}{principal}{when.isoformat()}")
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": f"{_principal_id(principal)}:{session}",
            "arn": principal,
            "accountId": ACCOUNT,
            "accessKeyId": f"ASIA{key.hex[:16].upper()}",
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": _principal_id(principal),
                                  "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}", "accountId": ACCOUNT,
                                  "userName": role},
                "attributes": {"creationDate": (when - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                               "mfaAuthenticated": "false"},
            },
        },
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "sagemaker.amazonaws.com",
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux lang/python#3.12",
        "requestParameters": request,
        "responseElements": response,
        "requestID": str(uuid.uuid5(uuid.NAMESPACE_OID, key.hex)),
        "eventID": str(key),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }


def moto_deviations(out: Path) -> None:
    """Undo where moto's responses break botocore's output shapes (AWS's own never do):
    a versioned package's ``ModelPackageName`` (required; AWS returns the group name), a
    group's ``CreatedBy`` (required; moto leaves it out, so it becomes an empty UserContext,
    "not known"), and ``{}`` written for configuration never given (``DataCaptureConfig``,
    ``VpcConfig``; AWS leaves the member out, and an empty one lacks its required members)."""
    for path in sorted(out.glob("model-package-groups/*/*/describe-model-package.json")):
        body = _load(path)
        if "ModelPackageName" not in body and body.get("ModelPackageGroupName"):
            body["ModelPackageName"] = body["ModelPackageGroupName"]
            _save(path, dict(sorted(body.items())))
    for path in sorted(out.glob("model-package-groups/*/describe-model-package-group.json")):
        body = _load(path)
        if "CreatedBy" not in body:
            body["CreatedBy"] = {}
            _save(path, body)
    for pattern in ("endpoints/*/describe-endpoint.json", "endpoint-configs/*/describe-endpoint-config.json",
                    "models/*/describe-model.json"):
        for path in sorted(out.glob(pattern)):
            body = _load(path)
            empty = [m for m in ("DataCaptureConfig", "VpcConfig", "Containers") if body.get(m) in ({}, [])]
            for member in empty:
                del body[member]
            if empty:
                _save(path, body)


def complete(out: Path, populated: dict[str, Any]) -> None:
    """Add what moto does not produce (module docstring, README)."""
    by_arn = {arn: spec for spec in VERSIONS for (g, v), arn in populated["packages"].items()
              if (g, v) == (spec["group"], spec["version"])}
    approver = {e[3]["modelPackageArn"]: e[1] for e in populated["events"] if e[0] == "UpdateModelPackage"}
    for path in sorted(out.glob("model-package-groups/*/*/describe-model-package.json")):
        body = _load(path)
        spec = by_arn[body["ModelPackageArn"]]
        body["CreatedBy"] = user_context(spec["creator"])
        if "LastModifiedTime" in body:
            body["LastModifiedBy"] = user_context(approver.get(body["ModelPackageArn"], spec["creator"]))
        else:
            body.pop("LastModifiedBy", None)
        stage, status, description = spec["lifecycle"]
        body["ModelLifeCycle"] = {"Stage": stage, "StageStatus": status, **(
            {"StageDescription": description} if description else {})}
        if spec.get("inline_card"):
            body["ModelCard"] = {"ModelCardContent": json.dumps(CARD_CONTENT[spec["group"]], sort_keys=True),
                                 "ModelCardStatus": "Approved"}
        _save(path, dict(sorted(body.items())))
    for path in sorted(out.glob("model-package-groups/*/list-model-packages-*.json")):
        body = _load(path)
        for summary in body["ModelPackageSummaryList"]:
            stage, status, _ = by_arn[summary["ModelPackageArn"]]["lifecycle"]
            summary["ModelLifeCycle"] = {"Stage": stage, "StageStatus": status}
        _save(path, body)
    for path in sorted(out.glob("model-package-groups/*/describe-model-package-group.json")):
        body = _load(path)
        body["CreatedBy"] = user_context(ALICE)
        _save(path, body)
    for path in sorted(out.glob("training-jobs/*/describe-training-job.json")):
        body = _load(path)
        when = body["TrainingEndTime"]
        body["FinalMetricDataList"] = [{"MetricName": k, "Value": v, "Timestamp": when}
                                       for k, v in METRICS[body["TrainingJobName"]].items()]
        _save(path, body)
    for path in sorted(out.glob("model-cards/*/describe-model-card.json")):
        body = _load(path)
        body["CreatedBy"] = body["LastModifiedBy"] = user_context(ALICE)
        _save(path, body)
    records = [cloudtrail_record(*e) for e in sorted(populated["events"], key=lambda e: e[2])]
    trail = out / "cloudtrail" / f"{ACCOUNT}_CloudTrail_{REGION}_sagemaker.json"
    _save(trail, {"Records": records})
    _lineage(out, populated)


def _lineage(out: Path, populated: dict[str, Any]) -> None:
    """QueryLineage from readmission-risk-sm v3 (a processing step upstream of its training job) and
    DescribeArtifact for its datasets, as the real API returns them."""
    pkg = populated["packages"][(READMISSION, 3)]
    base = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
    raw_art = f"{base}:artifact/{uuid.uuid5(uuid.NAMESPACE_URL, 'raw').hex}"
    feat_art = f"{base}:artifact/{uuid.uuid5(uuid.NAMESPACE_URL, 'features').hex}"
    proc = f"{base}:experiment-trial-component/readmission-features-3-aws-processing-job"
    train = f"{base}:experiment-trial-component/readmission-risk-train-3-aws-training-job"
    ldir = out / "lineage" / f"{READMISSION}-3"
    _save(ldir / "query-lineage-001.json", {
        "Vertices": [
            {"Arn": pkg, "Type": "ModelPackage", "LineageType": "Context"},
            {"Arn": train, "Type": "TrainingJob", "LineageType": "TrialComponent"},
            {"Arn": feat_art, "Type": "DataSet", "LineageType": "Artifact"},
            {"Arn": proc, "Type": "ProcessingJob", "LineageType": "TrialComponent"},
            {"Arn": raw_art, "Type": "DataSet", "LineageType": "Artifact"},
        ],
        "Edges": [
            {"SourceArn": raw_art, "DestinationArn": proc, "AssociationType": "ContributedTo"},
            {"SourceArn": proc, "DestinationArn": feat_art, "AssociationType": "Produced"},
            {"SourceArn": feat_art, "DestinationArn": train, "AssociationType": "ContributedTo"},
            {"SourceArn": train, "DestinationArn": pkg, "AssociationType": "Produced"},
        ],
    })
    created = _load(next(out.glob(f"model-package-groups/{READMISSION}/3/describe-model-package.json")))["CreationTime"]
    for arn, name, uri in ((raw_art, "readmission-raw", "s3://lake/clinical/readmission-risk/train.parquet"),
                           (feat_art, "readmission-features-v3", "s3://lake/clinical/readmission-risk/features-v3.parquet")):
        _save(ldir / "artifacts" / arn.rsplit("/", 1)[-1] / "describe-artifact.json", {
            "ArtifactName": name, "ArtifactArn": arn,
            "Source": {"SourceUri": uri, "SourceTypes": [{"SourceIdType": "S3ETag", "Value": uuid.uuid5(
                uuid.NAMESPACE_URL, uri).hex}]},
            "ArtifactType": "DataSet", "Properties": {}, "CreationTime": created,
            "CreatedBy": user_context(BOB), "LastModifiedTime": created,
        })


def broken(account: Path, out: Path, url: str) -> None:
    """``broken/``: the credit-limit group and its endpoint, plus four files that must be rejected
    (names chosen to mislead: recognition never looks at them)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(account / "model-package-groups" / CREDIT, out / "model-package-groups" / CREDIT)
    for sub in ("training-jobs/credit-limit-train-1", "training-jobs/credit-limit-train-2"):
        shutil.copytree(account / sub, out / sub)
    pkg = _load(out / "model-package-groups" / CREDIT / "2" / "describe-model-package.json")
    pkg["ModelApprovalStatus"] = "Aproved"
    _save(out / "wrong-enum" / "describe-model-package.json", pkg)
    job = _load(account / "training-jobs" / "readmission-risk-train-1" / "describe-training-job.json")
    del job["TrainingJobStatus"]
    _save(out / "missing-member" / "describe-training-job.json", job)
    ep = (account / "endpoints" / "credit-limit-prod" / "describe-endpoint.json").read_text(encoding="utf-8")
    (out / "truncated").mkdir(parents=True, exist_ok=True)
    (out / "truncated" / "describe-endpoint.json").write_text(ep[: len(ep) // 2], encoding="utf-8")
    s3 = client(url, "s3")
    s3.create_bucket(Bucket="lake", CreateBucketConfiguration={"LocationConstraint": REGION})
    listing = {k: v for k, v in s3.list_buckets().items() if k != "ResponseMetadata"}
    _save(out / "other-service" / "describe-model-package-group.json",
          json.loads(json.dumps(listing, default=lambda d: d.isoformat())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures" / "sagemaker")
    args = parser.parse_args(argv)
    account = args.out / "account"
    if account.exists():
        shutil.rmtree(account)
    with moto_server() as url:
        populated = populate(client(url))
        _, warnings = export_account(client(url), account)
        for warning in warnings:
            print(f"export: {warning}")  # noqa: T201
        moto_deviations(account)
        complete(account, populated)
        broken(account, args.out / "broken", url)
    print(f"wrote {sum(1 for p in args.out.rglob('*.json'))} files under {args.out}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
