"""The DataRobot source on the fixture built from the client's schemas (tests/fixtures/datarobot, see its README)."""

from __future__ import annotations

import json
import shutil
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datarobot", reason="the DataRobot source validates with the datarobot client's schemas")

from mlops_desktop.core.entities import Catalog, ExternalApproval
from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.inventory import inventory_json
from mlops_desktop.core.lineage import build_graph
from mlops_desktop.sources import datarobot as dr
from mlops_desktop.sources.base import open_source, parse_store_url
from mlops_desktop.sources.datarobot import (
    DataRobotSource,
    catalog_tags,
    classify_document,
    validate,
)
from tests.conftest import FIXTURES

EXPORT = FIXTURES / "datarobot" / "export"
BROKEN = FIXTURES / "datarobot" / "broken"


def files(pattern: str, root: Path = EXPORT) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(root.glob(pattern))]


def by(pattern: str, key: str, value: Any) -> dict[str, Any]:
    return next(d for d in files(pattern) if d[key] == value)


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def load(path: Path | str) -> tuple[DataRobotSource, Catalog]:
    source = open_source(f"datarobot:{path}")
    assert isinstance(source, DataRobotSource)
    return source, source.load_catalog()


@pytest.fixture(scope="module")
def export() -> tuple[DataRobotSource, Catalog]:
    return load(EXPORT)


def test_every_file_is_recognised_by_content(export: tuple[DataRobotSource, Catalog]) -> None:
    source, _ = export
    assert source.rejected == []
    assert source.warnings == ["deployment churn-legacy is inactive: not counted as a deployment of "
                               "churn-predictor-dr v1"]
    read = source.read_export()
    assert dict(read.kinds) == {
        "ChangeRequest": 4, "ChangeRequestReview": 4, "DatasetDetails": 3, "Deployment": 4,
        "RegisteredModel": 3, "RegisteredModelVersion": 4, "VersionAssociatedDeployment": 4,
    }  # RegisteredModel: two responses and one page of both; reviews: four pages
    assert source.info.kind == "datarobot"
    assert source.info.schema == f"datarobot-api-v2 (client {dr.client_version()})"
    assert source.info.identity.startswith("sha256:")
    assert parse_store_url(f"datarobot:{EXPORT}").kind == "datarobot"


def test_registered_models(export: tuple[DataRobotSource, Catalog]) -> None:
    _, cat = export
    assert [m.name for m in cat.models] == ["churn-predictor-dr", "fraud-detector-dr"]
    for model in cat.models:
        raw = by("registeredModels/*/registered-model.json", "name", model.name)
        assert model.description == raw["description"]
        assert model.created_at == when(raw["createdAt"])
        assert model.updated_at == when(raw["modifiedAt"])
        assert model.tags == {"datarobot.registered_model_id": raw["id"], "datarobot.target": raw["target"]["name"]}
        assert model.aliases == {}
        assert [v.version for v in model.versions] == ["1", "2"]
        assert model.store == f"datarobot:{EXPORT}"


def test_versions_every_mapped_field(export: tuple[DataRobotSource, Catalog]) -> None:
    _, cat = export
    datasets = {d["datasetId"]: d for d in files("datasets/*/dataset.json")}
    for raw in files("registeredModels/*/versions/*/version.json"):
        model = by("registeredModels/*/registered-model.json", "id", raw["registeredModelId"])
        mv = cat.find_version(model["name"], str(raw["registeredModelVersion"]))
        assert mv is not None
        assert mv.stage is None and mv.aliases == [] and not mv.deleted
        assert mv.status == raw["buildStatus"] == "complete"
        assert mv.user_id == raw["importMeta"]["creatorUsername"]
        assert mv.run_user == raw["modelDescription"]["modelCreatorEmail"]
        assert mv.created_at == when(raw["importMeta"]["dateCreated"])
        assert mv.updated_at == when(raw["updatedAt"])
        assert mv.description == raw["modelDescription"]["description"]
        assert mv.source == f"datarobot:model-package/{raw['id']}" and mv.storage_location is None
        assert mv.run_id == f"datarobot:model/{raw['modelId']}"
        assert mv.tags == {
            **{t["name"]: t["value"] for t in raw["tags"]},
            "datarobot.model_package_id": raw["id"], "datarobot.model_id": raw["modelId"],
            "datarobot.model_execution_type": "dedicated", "datarobot.target": raw["target"]["name"],
            "datarobot.project_id": raw["sourceMeta"]["projectId"],
        }
        train = datasets[raw["datasets"]["trainingDataCatalogId"]]
        expected = [("training", train["name"], train["uri"], "", catalog_tags(train["tags"]))]
        holdout = datasets.get(raw["datasets"]["holdoutDataCatalogId"])
        if holdout is not None:
            expected.append(("evaluation", holdout["name"], holdout["uri"], "", {}))
        else:  # no catalog entry exported: known by its name and catalog version id
            expected.append(("evaluation", raw["datasets"]["holdoutDatasetName"], "",
                             raw["datasets"]["holdoutDataCatalogVersionId"], {}))
        assert [(d.context, d.name, d.source, d.digest, d.tags) for d in mv.datasets] == expected
        run = cat.runs[mv.run_id]
        assert (run.name, run.user, run.experiment_id, run.experiment_name, run.status) == (
            raw["modelDescription"]["modelName"], raw["modelDescription"]["modelCreatorEmail"],
            raw["sourceMeta"]["projectId"], raw["sourceMeta"]["projectName"], "FINISHED")
        assert run.start_time == when(raw["modelDescription"]["modelCreatedAt"])
        assert run.source_name == raw["sourceMeta"]["environmentUrl"]
        assert [i.dataset_id for i in run.inputs] == [d.dataset_id for d in mv.datasets]
    churn2 = cat.find_version("churn-predictor-dr", "2")
    assert churn2 is not None and churn2.classification().as_json() == {"pii": True, "phi": False}
    assert churn2.tags["purpose"] == "retention offers"


def test_catalog_datasets(export: tuple[DataRobotSource, Catalog]) -> None:
    _, cat = export
    assert len(cat.datasets) == 4
    located = {d.source: d for d in cat.datasets.values() if d.source}
    assert sorted(located) == ["s3://lake/marketing/churn-predictor/eval.parquet",
                               "s3://lake/marketing/churn-predictor/train.parquet",
                               "s3://lake/payments/fraud-detector/train.parquet"]
    fraud = located["s3://lake/payments/fraud-detector/train.parquet"]
    assert (fraud.id, fraud.name, fraud.digest, fraud.source_type) == (
        "datarobot:s3://lake/payments/fraud-detector/train.parquet", "fraud-detector-train", "", "s3")
    assert fraud.tags == {"pii": "true", "lawful_basis": "legitimate_interest", "data_subject_categories": "customers"}
    unlocated = [d for d in cat.datasets.values() if not d.source]
    assert [(d.name, d.id.startswith("datarobot:dataset/")) for d in unlocated] == [("fraud-detector-holdout", True)]
    assert catalog_tags(["pii", "a=b", "c: d", 3, " "]) == {"pii": "true", "a": "b", "c": "d"}


def test_deployments(export: tuple[DataRobotSource, Catalog]) -> None:
    _, cat = export
    deps = {d["label"]: d for d in files("deployments/*/deployment.json")}
    nodes = {n.attrs["endpoint"]: n for n in cat.lineage_nodes}
    assert sorted(nodes) == ["churn-edge", "churn-prod", "fraud-canary", "fraud-prod"]  # churn-legacy is inactive
    for label, node in nodes.items():
        raw = deps.get(label)
        dep_id = raw["id"] if raw else node.attrs["deployment_id"]
        assert node.id == f"deployment:pushed:datarobot:deployment/{dep_id}"
        assert node.kind == "deployment" and node.label == f"{label} (DataRobot deployment)"
        assert node.attrs["subtype"] == "pushed" and node.attrs["system"] == "datarobot"
        assert node.attrs["target"] == f"datarobot:deployment/{dep_id}"
        if raw:
            version = by("registeredModels/*/versions/*/version.json", "id", raw["modelPackage"]["id"])
            assert (node.attrs["deployment_status"], node.attrs["importance"]) == (raw["status"], raw["importance"])
            assert node.attrs["version"] == str(version["registeredModelVersion"])
    edge = next(p for p in EXPORT.glob("registeredModels/*/versions/*/deployments.json")
                if any(r["label"] == "churn-edge" for r in json.loads(p.read_text())["data"]))
    row = next(r for r in json.loads(edge.read_text())["data"] if r["label"] == "churn-edge")
    assert nodes["churn-edge"].attrs["deployment_id"] == row["id"]
    assert (nodes["churn-edge"].attrs["model_name"], nodes["churn-edge"].attrs["version"]) == ("churn-predictor-dr", "2")
    edges = {(e.source, e.target, e.kind) for e in cat.lineage_edges}
    assert edges == {(f"version:{n.attrs['model_name']}/{n.attrs['version']}", n.id, "deployed_as")
                     for n in nodes.values()}


def test_change_request_reviews_become_unsigned_claims(export: tuple[DataRobotSource, Catalog]) -> None:
    _, cat = export
    requests = {r["entityId"]: r for r in files("changeRequests/*/change-request.json") if r["action"] == "approve"}
    reviews = {p["data"][0]["changeRequestId"]: p["data"] for p in files("changeRequests/*/reviews.json")}
    deps = {d["label"]: d["id"] for d in files("deployments/*/deployment.json")}

    churn = requests[deps["churn-prod"]]
    carol = next(r for r in reviews[churn["id"]] if r["userName"] == "carol@example.org")
    stale = next(r for r in reviews[churn["id"]] if r["userName"] == "erin@example.org")
    assert stale["changeVersionId"] != churn["changeVersionId"] == carol["changeVersionId"]
    mv = cat.find_version("churn-predictor-dr", "2")
    assert mv is not None
    assert mv.external_approvals == [ExternalApproval(
        "datarobot", "approved", True, "carol@example.org", when(carol["createdAt"]), carol["comment"],
        f"change request {churn['id']} (approve on deployment churn-prod), review {carol['id']}")]
    assert mv.external_approvals[0].statement() == ("approved in DataRobot by carol@example.org at "
                                                    "2026-03-12T09:45:00Z, not signed")

    fraud = requests[deps["fraud-prod"]]
    bob = reviews[fraud["id"]][0]
    mv = cat.find_version("fraud-detector-dr", "1")
    assert mv is not None
    assert mv.external_approvals == [ExternalApproval(
        "datarobot", "approved", True, "bob@example.org", when(bob["createdAt"]), "",
        f"change request {fraud['id']} (approve on deployment fraud-prod), review {bob['id']}")]

    canary = requests[deps["fraud-canary"]]
    asked = reviews[canary["id"]][0]
    mv = cat.find_version("fraud-detector-dr", "2")
    assert mv is not None
    assert mv.external_approvals == [ExternalApproval(
        "datarobot", "changesRequested", False, "carol@example.org", when(asked["createdAt"]), asked["comment"],
        f"change request {canary['id']} (approve on deployment fraud-canary): status pending, "
        "0 of 1 required approving reviews")]
    assert mv.external_approvals[0].statement() == ("changes requested in DataRobot (set by carol@example.org at "
                                                    "2026-03-06T08:30:00Z), not signed")
    # churn v1 is served by no active deployment and has no change request: no claim; the
    # changeImportance request approves no version
    v1 = cat.find_version("churn-predictor-dr", "1")
    assert v1 is not None and v1.external_approvals == []
    assert sum(len(v.external_approvals) for v in cat.all_versions()) == 3


def test_inventory_json_marks_claims_unsigned(export: tuple[DataRobotSource, Catalog]) -> None:
    _, cat = export
    doc = inventory_json(cat)
    assert doc["stores"] == [{"kind": "datarobot", "url": f"datarobot:{EXPORT}", "schema": cat.stores[0].schema}]
    v2 = doc["models"][0]["versions"][1]
    assert [(c["system"], c["status"], c["signed"], c["principal"]) for c in v2["external_approvals"]] == [
        ("datarobot", "approved", False, "carol@example.org")]
    assert "external_approvals" not in doc["models"][0]["versions"][0]


def test_lineage_from_catalog_datasets_to_deployments(export: tuple[DataRobotSource, Catalog]) -> None:
    _, cat = export
    graph = build_graph(cat)
    impact = graph.impact("dataset:s3://lake/payments/fraud-detector/train.parquet")
    assert sorted(impact.versions) == ["version:fraud-detector-dr/1", "version:fraud-detector-dr/2"]
    assert len(impact.deployments) == 2


def test_invalid_files_are_listed_with_their_reason_and_the_rest_loads() -> None:
    source, cat = load(BROKEN)
    assert [(r.name, r.reason) for r in source.rejected] == [
        ("rejected/change-request.json",
         "not a DataRobot API response this app reads (members: certify_for_marketplace, created_by, "
         "creation_time, customer_metadata_properties, drift_check_baselines, inference_specification)"),
        ("rejected/deployment.json",
         "RegisteredModelVersion response does not match the datarobot client's RegisteredModelVersion schema: "
         "import_meta: is required"),
        ("rejected/registered-model.json",
         "Deployment response does not match the datarobot client's Deployment schema: importance: 'URGENT' is "
         "not a valid DEPLOYMENT_IMPORTANCE (one of CRITICAL, HIGH, MODERATE, LOW)"),
        ("rejected/reviews.json", "truncated JSON (it stops mid-value at line 11 column 27)"),
    ]
    assert [m.name for m in cat.models] == ["fraud-detector-dr"]
    assert [v.version for v in cat.models[0].versions] == ["1", "2"]  # not the rejected v3
    assert sorted(n.attrs["endpoint"] for n in cat.lineage_nodes) == ["fraud-canary", "fraud-prod"]


def test_validation_is_the_clients_own() -> None:
    """The schema errors are those of the client's converters, loading as the client does."""
    from datarobot.models.change_request import ChangeRequestReview

    review = files("changeRequests/*/reviews.json")[0]["data"][0]
    entity, problem = validate("ChangeRequestReview", review)
    assert problem is None and isinstance(entity, ChangeRequestReview)
    assert (entity.user_name, entity.change_request_id) == (review["userName"], review["changeRequestId"])
    bad = {**review, "createdAt": 17}
    assert validate("ChangeRequestReview", bad) == (None, "created_at: value is not a string")
    kind, entities, problem = classify_document({"count": 2, "next": None, "previous": None,
                                                 "data": [review, {**review, "status": 3}]})
    assert (kind, entities, problem) == ("ChangeRequestReview", [], "data[1].status: value is not a string")
    with pytest.raises(dr.DocumentError, match="a list, not a DataRobot API response object"):
        classify_document([review])


def test_zip_archive_reads_the_same(tmp_path: Path, export: tuple[DataRobotSource, Catalog]) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(EXPORT.rglob("*.json")):
            zf.write(path, path.relative_to(EXPORT).as_posix())
    _, zipped = load(archive)
    _, cat = export
    assert inventory_json(zipped)["models"] == inventory_json(cat)["models"]


def test_file_names_do_not_matter(tmp_path: Path, export: tuple[DataRobotSource, Catalog]) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    for i, path in enumerate(sorted(EXPORT.rglob("*.json"))):
        shutil.copyfile(path, flat / f"{i:03d}.txt")
    source, cat = load(flat)
    _, expected = export
    assert source.rejected == []
    # the deployments pages are read only in a folder that describes exactly one version
    assert [m.name for m in cat.models] == [m.name for m in expected.models]
    assert len(source.warnings) == 5 and all("the page names no version" in w for w in source.warnings[:4])
    assert sorted(n.attrs["endpoint"] for n in cat.lineage_nodes) == ["churn-prod", "fraud-canary", "fraud-prod"]


def test_missing_client_is_one_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    dr.client_classes.cache_clear()
    for name in [m for m in sys.modules if m == "datarobot" or m.startswith("datarobot.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "datarobot", None)
    try:
        with pytest.raises(StoreError) as info:
            open_source(f"datarobot:{EXPORT}").load_catalog()
        assert str(info.value).startswith("Reading DataRobot exports needs the datarobot client, which is not installed.")
        assert "pip install 'mlops-desktop[datarobot]'" in str(info.value)
    finally:
        dr.client_classes.cache_clear()


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="holds no files"):
        open_source(f"datarobot:{tmp_path}").load_catalog()


def test_fixtures_are_the_generators_output(tmp_path: Path) -> None:
    """The committed files are exactly what tools/make_datarobot_fixtures.py builds from the client's schemas."""
    from tools.make_datarobot_fixtures import main as make

    assert make(["--out", str(tmp_path)]) == 0
    for sub in ("export", "broken"):
        made = {p.relative_to(tmp_path / sub): p.read_bytes() for p in (tmp_path / sub).rglob("*") if p.is_file()}
        committed = {p.relative_to(FIXTURES / "datarobot" / sub): p.read_bytes()
                     for p in (FIXTURES / "datarobot" / sub).rglob("*") if p.is_file()}
        assert made == committed
