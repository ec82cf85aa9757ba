"""Make tests/fixtures/datarobot/: DataRobot REST API responses built from the ``datarobot``
client's own response schemas (no DataRobot service runs here).

    python tools/make_datarobot_fixtures.py [--out tests/fixtures/datarobot]

Each response is written from the scenario below as the client's entity class declares it:
:func:`response` fills the members of the class's trafaret ``_converter`` (every required
member must come from the scenario, or the script stops), checks the snake_case record with
that converter, turns it into the API's camelCase with the client's own ``camelize_obj``, and
loads the result back with the class's ``from_server_data`` (what the client does with a
server response) before it is written. List endpoints are written as the API pages them
(``{"count", "next", "previous", "data", "totalCount"}``).

``export/`` is one organisation's registry: two registered models (``churn-predictor-dr``,
``fraud-detector-dr``), four versions trained on AI Catalog datasets whose URIs are the MLflow
fixture's (``s3://lake/marketing/churn-predictor/train.parquet``, ...), five deployments (one
inactive, one known only from a version's deployments page), and change requests with
reviews: approved by a validator, approved by the version's own creator without a comment,
changes requested while the version is already deployed, a stale approval of an earlier
change version, and a change of importance (no approval of a version).

``broken/`` is the ``fraud-detector-dr`` model, its versions and its training dataset, plus four
files the source must reject (names chosen to mislead): a deployment whose ``importance`` is
not one of ``datarobot.enums.DEPLOYMENT_IMPORTANCE``, a version without its required
``importMeta``, a change request cut in half, and a SageMaker ``DescribeModelPackage`` response.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

CLASSES = {
    "RegisteredModel": ("datarobot.models.model_registry.registered_model", "RegisteredModel"),
    "RegisteredModelVersion": ("datarobot.models.model_registry.registered_model_version", "RegisteredModelVersion"),
    "VersionAssociatedDeployment": ("datarobot.models.model_registry.deployment", "VersionAssociatedDeployment"),
    "Deployment": ("datarobot.models.deployment.deployment", "Deployment"),
    "ChangeRequest": ("datarobot.models.change_request", "ChangeRequest"),
    "ChangeRequestReview": ("datarobot.models.change_request", "ChangeRequestReview"),
    "DatasetDetails": ("datarobot.models.dataset", "DatasetDetails"),
}

DAN = "dan@example.org"
ALICE = "alice@example.org"
BOB = "bob@example.org"
CAROL = "carol@example.org"
ERIN = "erin@example.org"
NAMES = {DAN: "Dan Data", ALICE: "Alice Analyst", BOB: "Bob Builder", CAROL: "Carol Checker", ERIN: "Erin Reviewer"}
CHURN = "churn-predictor-dr"
FRAUD = "fraud-detector-dr"


def oid(*parts: str) -> str:
    """A DataRobot-style 24-hex object id, stable for the same parts."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:24]


def user(email: str) -> dict[str, Any]:
    return {"id": oid("user", email), "email": email, "name": NAMES[email]}


def entity_class(kind: str) -> Any:
    module, name = CLASSES[kind]
    return getattr(importlib.import_module(module), name)


def response(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    """The API's JSON for a snake_case record of ``kind``, checked with the client's schema."""
    from datarobot.utils import camelize_obj

    cls = entity_class(kind)
    keys = list(cls._converter.keys)
    missing = [k.name for k in keys if not k.optional and k.name not in record]
    if missing:
        raise SystemExit(f"{kind}: the scenario gives no {', '.join(missing)} (required by the client's schema)")
    unknown = sorted(set(record) - {k.name for k in keys})
    if unknown:
        raise SystemExit(f"{kind}: {', '.join(unknown)} are not members of the client's schema")
    cls._converter.check(record)
    body: dict[str, Any] = camelize_obj(record)
    if kind == "ChangeRequest":  # a change's own members are the request body the API stored, kept as sent
        body["change"] = record["change"]
    cls.from_server_data(body)
    return body


def page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"count": len(items), "next": None, "previous": None, "data": items, "totalCount": len(items)}


# ------------------------------------------------------------------------------------------- scenario

DATASETS = {
    "churn-train": {"name": "churn-predictor-train", "uri": "s3://lake/marketing/churn-predictor/train.parquet",
                    "tags": ["pii", "lawful_basis=consent", "retention_until=2030-06-30"], "rows": 48210},
    "churn-eval": {"name": "churn-predictor-eval", "uri": "s3://lake/marketing/churn-predictor/eval.parquet",
                   "tags": [], "rows": 12050},
    "fraud-train": {"name": "fraud-detector-train", "uri": "s3://lake/payments/fraud-detector/train.parquet",
                    "tags": ["pii", "lawful_basis:legitimate_interest", "data_subject_categories=customers"],
                    "rows": 250000},
}

MODELS = {
    CHURN: {"description": "Churn propensity (DataRobot AutoML)", "target": {"name": "churned", "type": "Binary"},
            "creator": DAN, "created": "2026-02-02T09:00:00.000000Z", "modified": "2026-03-10T14:30:00.000000Z"},
    FRAUD: {"description": "Card fraud scoring (DataRobot AutoML)", "target": {"name": "is_fraud", "type": "Binary"},
            "creator": BOB, "created": "2026-01-12T08:00:00.000000Z", "modified": "2026-03-05T11:00:00.000000Z"},
}

#: model, version, creator, created, train dataset, holdout dataset (id, name), build status, tags
VERSIONS: list[dict[str, Any]] = [
    {"model": CHURN, "version": 1, "creator": DAN, "created": "2026-02-02T09:05:00.000000Z",
     "train": "churn-train", "holdout": ("churn-eval", "churn-predictor-eval"), "blueprint": "eXtreme Gradient Boosted Trees",
     "tags": [("validation_status", "passed")], "description": "First AutoML champion"},
    {"model": CHURN, "version": 2, "creator": ALICE, "created": "2026-03-10T14:30:00.000000Z",
     "train": "churn-train", "holdout": ("churn-eval", "churn-predictor-eval"), "blueprint": "Light Gradient Boosting",
     "tags": [("validation_status", "passed"), ("purpose", "retention offers")], "description": "Retrained on Q1 data"},
    {"model": FRAUD, "version": 1, "creator": BOB, "created": "2026-01-12T08:10:00.000000Z",
     "train": "fraud-train", "holdout": ("fraud-holdout", "fraud-detector-holdout"), "blueprint": "Keras MLP",
     "tags": [], "description": ""},
    {"model": FRAUD, "version": 2, "creator": BOB, "created": "2026-03-05T11:00:00.000000Z",
     "train": "fraud-train", "holdout": ("fraud-holdout", "fraud-detector-holdout"), "blueprint": "Keras MLP",
     "tags": [("validation_status", "pending")], "description": "Adds merchant-category features"},
]

#: label, (model, version), status, importance, approval status, created by
DEPLOYMENTS: list[dict[str, Any]] = [
    {"label": "churn-prod", "serves": (CHURN, 2), "status": "active", "importance": "HIGH",
     "approval": "APPROVED", "creator": ALICE},
    {"label": "churn-legacy", "serves": (CHURN, 1), "status": "inactive", "importance": "LOW",
     "approval": "APPROVED", "creator": DAN},
    {"label": "fraud-prod", "serves": (FRAUD, 1), "status": "active", "importance": "CRITICAL",
     "approval": "APPROVED", "creator": BOB},
    {"label": "fraud-canary", "serves": (FRAUD, 2), "status": "active", "importance": "MODERATE",
     "approval": "PENDING", "creator": BOB},
]
#: A deployment of churn v2 in an external prediction environment, exported only as a row of
#: that version's deployments page.
EDGE = {"label": "churn-edge", "serves": (CHURN, 2), "status": "active", "creator": ALICE}

#: change requests: key, deployment, action, change, status, requester, created, updated,
#: approvals required, current change version, reviews (status, reviewer, time, comment, change version)
CHANGE_REQUESTS: list[dict[str, Any]] = [
    {"key": "churn-prod-approve", "deployment": "churn-prod", "action": "approve", "change": None,
     "status": "resolved", "requester": ALICE, "created": "2026-03-10T15:00:00.000000Z",
     "updated": "2026-03-12T10:00:00.000000Z", "required": 1, "change_version": "v2",
     "comment": "Deploy churn v2 to production",
     "reviews": [("approved", ERIN, "2026-03-10T16:00:00.000000Z", "Looks fine", "v1"),
                 ("approved", CAROL, "2026-03-12T09:45:00.000000Z",
                  "Validated on the Q1 holdout; drift baseline recorded", "v2")]},
    {"key": "fraud-prod-approve", "deployment": "fraud-prod", "action": "approve", "change": None,
     "status": "resolved", "requester": BOB, "created": "2026-01-12T09:00:00.000000Z",
     "updated": "2026-01-12T09:20:00.000000Z", "required": 1, "change_version": "v1", "comment": "",
     "reviews": [("approved", BOB, "2026-01-12T09:15:00.000000Z", "", "v1")]},
    {"key": "fraud-prod-importance", "deployment": "fraud-prod", "action": "changeImportance",
     "change": {"importance": "CRITICAL"}, "status": "resolved", "requester": BOB,
     "created": "2026-02-01T10:00:00.000000Z", "updated": "2026-02-01T12:00:00.000000Z", "required": 1,
     "change_version": "v1", "comment": "Card fraud is critical",
     "reviews": [("approved", CAROL, "2026-02-01T11:00:00.000000Z", "Agreed", "v1")]},
    {"key": "fraud-canary-approve", "deployment": "fraud-canary", "action": "approve", "change": None,
     "status": "pending", "requester": BOB, "created": "2026-03-05T12:00:00.000000Z",
     "updated": "2026-03-06T08:30:00.000000Z", "required": 1, "change_version": "v1",
     "comment": "Canary for fraud v2",
     "reviews": [("changesRequested", CAROL, "2026-03-06T08:30:00.000000Z",
                  "Holdout recall below the champion's; add the missing merchant categories", "v1")]},
]


def dataset_record(key: str) -> dict[str, Any]:
    d = DATASETS[key]
    return {
        "dataset_id": oid("dataset", key), "version_id": oid("dataset-version", key), "name": d["name"],
        "categories": ["TRAINING"], "creation_date": "2026-01-05T07:00:00.000000Z", "created_by": DAN,
        "data_persisted": True, "is_data_engine_eligible": False, "is_latest_version": True, "is_snapshot": True,
        "dataset_size": d["rows"] * 120, "row_count": d["rows"], "processing_state": "COMPLETED",
        "data_source_type": "s3", "error": "", "last_modification_date": "2026-01-05T07:00:00.000000Z",
        "last_modifier_full_name": NAMES[DAN], "tags": d["tags"], "uri": d["uri"],
        "description": f"{d['name']} from the data lake",
    }


def model_record(name: str) -> dict[str, Any]:
    m = MODELS[name]
    return {
        "id": oid("registered-model", name), "name": name, "description": m["description"],
        "created_at": m["created"], "modified_at": m["modified"], "modified_by": user(m["creator"]),
        "target": m["target"], "created_by": user(m["creator"]),
        "last_version_num": max(v["version"] for v in VERSIONS if v["model"] == name), "is_archived": False,
    }


def version_id(model: str, version: int) -> str:
    return oid("model-package", model, str(version))


def version_record(v: dict[str, Any]) -> dict[str, Any]:
    model, n = v["model"], v["version"]
    project = oid("project", model)
    holdout_key, holdout_name = v["holdout"]
    train = DATASETS[v["train"]]
    return {
        "id": version_id(model, n), "registered_model_id": oid("registered-model", model),
        "registered_model_version": n, "name": f"{model} v{n}", "model_id": oid("leaderboard-model", model, str(n)),
        "model_execution_type": "dedicated", "is_archived": False,
        "import_meta": {"creator_id": oid("user", v["creator"]), "creator_username": v["creator"],
                        "creator_full_name": NAMES[v["creator"]], "date_created": v["created"],
                        "original_file_name": None, "contains_featurelists": None, "contains_fear_pipeline": None,
                        "contains_leaderboard_meta": None, "contains_project_meta": None},
        "source_meta": {"project_id": project, "project_name": f"{model} AutoML",
                        "project_creator_id": oid("user", v["creator"]), "project_creator_name": NAMES[v["creator"]],
                        "project_creator_email": v["creator"], "project_created_at": MODELS[model]["created"],
                        "environment_url": "https://app.datarobot.example.org"},
        "model_kind": {"is_time_series": False, "is_multiseries": False, "is_unsupervised_learning": False,
                       "is_anomaly_detection_model": False, "is_feature_discovery": False,
                       "is_combined_model": False, "is_decision_flow": False, "is_unstructured": False},
        "target": {**MODELS[model]["target"], "class_names": ["0", "1"], "class_count": 2,
                   "prediction_threshold": 0.5, "prediction_probabilities_column": None},
        "model_description": {"description": v["description"], "model_name": v["blueprint"],
                              "model_creator_id": oid("user", v["creator"]),
                              "model_creator_name": NAMES[v["creator"]], "model_creator_email": v["creator"],
                              "model_created_at": v["created"], "location": None,
                              "build_environment_type": "DataRobot"},
        "datasets": {"dataset_name": train["name"], "training_data_catalog_id": oid("dataset", v["train"]),
                     "training_data_catalog_version_id": oid("dataset-version", v["train"]),
                     "training_data_creator_id": oid("user", DAN), "training_data_creator_name": NAMES[DAN],
                     "training_data_creator_email": DAN, "training_data_created_at": "2026-01-05T07:00:00.000000Z",
                     "training_data_size": train["rows"], "holdout_dataset_name": holdout_name,
                     "holdout_data_catalog_id": oid("dataset", holdout_key),
                     "holdout_data_catalog_version_id": oid("dataset-version", holdout_key)},
        "timeseries": {"datetime_column_name": None, "forecast_distances": None},
        "is_deprecated": False, "permissions": ["CAN_VIEW", "CAN_DEPLOY"],
        "active_deployment_count": sum(1 for d in DEPLOYMENTS if d["serves"] == (model, n) and d["status"] == "active"),
        "build_status": "complete", "updated_at": v["created"], "updated_by": user(v["creator"]),
        "tags": [{"id": oid("tag", model, str(n), k), "name": k, "value": val} for k, val in v["tags"]],
    }


def deployment_id(label: str) -> str:
    return oid("deployment", label)


def deployment_record(d: dict[str, Any]) -> dict[str, Any]:
    model, n = d["serves"]
    return {
        "id": deployment_id(d["label"]), "label": d["label"], "description": f"{model} v{n} ({d['label']})",
        "status": d["status"], "importance": d["importance"],
        "default_prediction_server": {"id": oid("prediction-server", "eu"), "url": "https://eu.predict.example.org",
                                      "datarobot-key": "0000"},
        "model": {"id": oid("leaderboard-model", model, str(n)), "type": "Light Gradient Boosting",
                  "target_name": MODELS[model]["target"]["name"], "project_id": oid("project", model)},
        "model_package": {"id": version_id(model, n), "name": f"{model} v{n}",
                          "registered_model_id": oid("registered-model", model)},
        "permissions": ["CAN_VIEW"],
        "service_health": {"status": "passing"}, "model_health": {"status": "warning" if d["approval"] == "PENDING"
                                                                  else "passing"},
        "accuracy_health": {"status": "unavailable"},
        "governance": {"approval_status": d["approval"], "has_open_change_requests": d["approval"] == "PENDING"},
        "owners": {"count": 1, "preview": [user(d["creator"])]},
        "prediction_environment": {"id": oid("prediction-environment", "eu"), "name": "DataRobot Serverless EU",
                                   "platform": "datarobotServerless", "is_managed_by_management_agent": False},
        "creator": user(d["creator"]),
        "tags": [{"id": oid("dtag", d["label"]), "name": "team", "value": "marketing" if model == CHURN else "payments"}],
    }


def associated_record(d: dict[str, Any], currently: bool) -> dict[str, Any]:
    model, n = d["serves"]
    return {"id": deployment_id(d["label"]), "currently_deployed": currently, "registered_model_version": n,
            "is_challenger": False, "status": d["status"], "label": d["label"],
            "first_deployed_at": next(v["created"] for v in VERSIONS if (v["model"], v["version"]) == (model, n)),
            "first_deployed_by": user(d["creator"]), "created_by": user(d["creator"]),
            "prediction_environment": {"id": oid("prediction-environment", d["label"]), "name": "on-prem edge",
                                       "platform": "other", "plugin": None, "supported_model_formats": None,
                                       "is_managed_by_management_agent": True}}


def request_record(cr: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": oid("change-request", cr["key"]), "entity_type": "deployment",
        "entity_id": deployment_id(cr["deployment"]), "action": cr["action"], "change": cr["change"],
        "change_version_id": oid("change-version", cr["key"], cr["change_version"]), "status": cr["status"],
        "auto_apply": False, "user_id": oid("user", cr["requester"]), "user_name": cr["requester"],
        "comment": cr["comment"], "num_approvals_required": cr["required"], "created_at": cr["created"],
        "updated_at": cr["updated"],
        "user_operations": {"can_update": False, "can_resolve": False, "can_cancel": False, "can_comment": True,
                            "can_review": False},
    }


def review_record(cr: dict[str, Any], i: int, review: tuple[str, str, str, str, str]) -> dict[str, Any]:
    status, who, when, comment, change_version = review
    return {"id": oid("review", cr["key"], str(i)), "change_request_id": oid("change-request", cr["key"]),
            "change_version_id": oid("change-version", cr["key"], change_version), "status": status,
            "comment": comment, "user_id": oid("user", who), "user_name": who, "created_at": when}


# ------------------------------------------------------------------------------------------- writing


def _save(path: Path, body: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def export(out: Path, models: tuple[str, ...] = (CHURN, FRAUD)) -> None:
    """Write one organisation's responses, laid out by API path."""
    for key in sorted(DATASETS):
        if any(key in (v["train"], v["holdout"][0]) for v in VERSIONS if v["model"] in models):
            _save(out / "datasets" / oid("dataset", key) / "dataset.json", response("DatasetDetails", dataset_record(key)))
    rm_page = []
    for name in models:
        rm = response("RegisteredModel", model_record(name))
        rm_page.append(rm)
        base = out / "registeredModels" / rm["id"]
        _save(base / "registered-model.json", rm)
        for v in (v for v in VERSIONS if v["model"] == name):
            body = response("RegisteredModelVersion", version_record(v))
            vdir = base / "versions" / body["id"]
            _save(vdir / "version.json", body)
            rows = [response("VersionAssociatedDeployment", associated_record(d, d["status"] == "active"))
                    for d in DEPLOYMENTS if d["serves"] == (name, v["version"])]
            if EDGE["serves"] == (name, v["version"]):
                rows.append(response("VersionAssociatedDeployment", associated_record(EDGE, True)))
            if rows:
                _save(vdir / "deployments.json", page(rows))
    _save(out / "registeredModels" / "list-page-1.json", page(rm_page))
    for d in DEPLOYMENTS:
        if d["serves"][0] in models:
            _save(out / "deployments" / deployment_id(d["label"]) / "deployment.json",
                  response("Deployment", deployment_record(d)))
    for cr in CHANGE_REQUESTS:
        dep = next(d for d in DEPLOYMENTS if d["label"] == cr["deployment"])
        if dep["serves"][0] not in models:
            continue
        cdir = out / "changeRequests" / oid("change-request", cr["key"])
        _save(cdir / "change-request.json", response("ChangeRequest", request_record(cr)))
        _save(cdir / "reviews.json",
              page([response("ChangeRequestReview", review_record(cr, i, r)) for i, r in enumerate(cr["reviews"])]))


def broken(out: Path) -> None:
    """``fraud-detector-dr`` plus four files the source must reject."""
    export(out, (FRAUD,))
    bad = out / "rejected"
    wrong_enum = deployment_record(DEPLOYMENTS[3])
    wrong_enum["importance"] = "MODERATE"
    body = response("Deployment", wrong_enum)
    body["importance"] = "URGENT"  # not one of datarobot.enums.DEPLOYMENT_IMPORTANCE
    body["label"] = "fraud-canary-2"
    body["id"] = deployment_id("fraud-canary-2")
    _save(bad / "registered-model.json", body)
    missing = version_record(VERSIONS[3])
    missing["id"] = version_id(FRAUD, 3)
    missing["registered_model_version"] = 3
    body = response("RegisteredModelVersion", missing)
    del body["importMeta"]  # required by RegisteredModelVersion's schema
    _save(bad / "deployment.json", body)
    text = json.dumps(response("ChangeRequest", request_record(CHANGE_REQUESTS[3])), indent=2)
    (bad / "reviews.json").write_text(text[: len(text) // 2], encoding="utf-8")
    sagemaker = ROOT / "tests" / "fixtures" / "sagemaker" / "account" / "model-package-groups" / "credit-limit-sm" / "1"
    shutil.copyfile(sagemaker / "describe-model-package.json", bad / "change-request.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures" / "datarobot")
    args = parser.parse_args(argv)
    for sub in ("export", "broken"):
        if (args.out / sub).exists():
            shutil.rmtree(args.out / sub)
    export(args.out / "export")
    broken(args.out / "broken")
    print(f"wrote {args.out}")  # noqa: T201 - a command-line tool
    return 0


if __name__ == "__main__":
    sys.exit(main())
