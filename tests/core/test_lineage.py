"""Lineage graph on the real fixture stores and on hand-built catalogs."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from mlops_desktop.core.entities import (
    Catalog,
    Dataset,
    DatasetInput,
    LineageEdgeRecord,
    LineageNodeRecord,
    LoggedModel,
    ModelVersion,
    RegisteredModel,
    Run,
)
from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.lineage import (
    build_graph,
    dataset_node_id,
    deployment_node_id,
    logged_model_node_id,
    model_node_id,
    ol_dataset_node_id,
    run_node_id,
    version_node_id,
    version_ref,
)
from mlops_desktop.sources.loader import load_catalog

CLAIMS = ol_dataset_node_id("postgres://claims-db:5432", "public.claims")


@pytest.fixture(scope="module")
def mlflow_graph():  # type: ignore[no-untyped-def]
    from tests.conftest import FIXTURES

    return build_graph(load_catalog([str(FIXTURES / "mlflow-3.17-sqlite.db")]))


def test_upstream_datasets_match_truth(mlflow_graph, fixtures_dir: Path) -> None:  # type: ignore[no-untyped-def]
    truth = json.loads((fixtures_dir / "mlflow-3.17-sqlite.truth.json").read_text())
    g = mlflow_graph
    checked = 0
    for name, model in truth["models"].items():
        for version, v in model["versions"].items():
            node = version_node_id(name, version)
            up = g.upstream_of_kind(node, "dataset")
            got = set()
            for d in up:
                data = g.node(d)
                for digest in data["digests"]:
                    got.add((data["names"][0], digest))
            assert got == {(n, dg) for n, dg, _ in v["datasets"]}, node
            # the context of each input is on its dataset -> run edge
            run = run_node_id(v["run_id"])
            contexts = {(g.node(d)["names"][0], g.g.edges[d, run]["context"]) for d in g.g.predecessors(run)
                        if g.kind(d) == "dataset"}
            assert contexts == {(n, c) for n, _, c in v["datasets"]}
            assert run in g.upstream(node)
            checked += 1
    assert checked == 14
    assert g.warnings == []


def test_mlflow_chain_and_deployments(mlflow_graph) -> None:  # type: ignore[no-untyped-def]
    g = mlflow_graph
    v3 = version_node_id("readmission-risk", "3")
    path = g.explain_path(dataset_node_id("s3://lake/clinical/readmission-risk/train.parquet"), v3)
    assert [g.kind(n) for n in path] == ["dataset", "run", "model", "model_version"]
    assert path[2].startswith("logged_model:m-")
    assert g.edge_kind(path[2], v3) == "registered_as"
    assert deployment_node_id("readmission-risk", "champion") in g.downstream(v3)
    assert deployment_node_id("credit-limit", "Production", "stage") in g.downstream(version_node_id("credit-limit", "3"))
    # Archived is not a deployment, Staging is
    assert not any("Archived" in n for n in g.nodes_of_kind("deployment"))
    assert deployment_node_id("ñandú-scorer ✓", "Staging", "stage") in g
    # deleted versions are not in the graph
    assert version_node_id("fraud-detector", "1") not in g
    impact = g.impact(g.resolve("readmission-risk-train"))
    assert sorted(version_ref(g, v) for v in impact.versions) == [("readmission-risk", "2"), ("readmission-risk", "3")]
    assert sorted(impact.deployments) == [deployment_node_id("readmission-risk", "challenger"),
                                          deployment_node_id("readmission-risk", "champion")]


def test_classification_flows_from_input_tags(mlflow_graph) -> None:  # type: ignore[no-untyped-def]
    g = mlflow_graph
    rr = g.effective_classification(version_node_id("readmission-risk", "3"))
    assert rr.phi and rr.pii and rr.facts["lawful_basis"] == "vital_interest"
    assert g.classification_origin(version_node_id("readmission-risk", "3"))["phi"] == [
        dataset_node_id("s3://lake/clinical/readmission-risk/train.parquet")]
    assert not g.effective_classification(version_node_id("demand-forecast", "3")).pii
    fraud = g.effective_classification(version_node_id("fraud-detector", "3"))
    assert fraud.pii and not fraud.phi
    # registered-model tags flow to versions (ñandú-scorer is tagged pii=true on the model)
    assert g.effective_classification(version_node_id("ñandú-scorer ✓", "1")).pii
    assert g.effective_classification(deployment_node_id("readmission-risk", "champion")).phi


def test_merge_openlineage_with_mlflow(fixtures_dir: Path) -> None:
    stores = [str(fixtures_dir / "mlflow-3.17-sqlite.db"), f"openlineage:{fixtures_dir / 'openlineage-1.54-airflow.ndjson'}"]
    merged = build_graph(load_catalog(stores))
    alone_mlflow = build_graph(load_catalog(stores[:1]))
    alone_ol = build_graph(load_catalog(stores[1:]))
    assert merged.warnings == []
    # the registered model is one node shared by both stores
    assert len(merged) == len(alone_mlflow) + len(alone_ol) - 1
    und = merged.g.to_undirected(as_view=True)
    component = nx.node_connected_component(und, CLAIMS)
    assert version_node_id("readmission-risk", "3") in component
    assert dataset_node_id("s3://lake/clinical/readmission-risk/train.parquet") in component
    impact = merged.impact(CLAIMS)
    assert model_node_id("readmission-risk") in impact.models
    assert version_node_id("readmission-risk", "2") in impact.versions
    assert deployment_node_id("readmission-risk", "champion") in impact.deployments
    assert version_node_id("fraud-detector", "3") not in impact.versions
    # the OL model facts (risk_tier) join the MLflow model's tags
    assert merged.node(model_node_id("readmission-risk"))["tags"]["risk_tier"] == "high"


def test_same_location_from_two_sources_is_one_node() -> None:
    ds = Dataset(id="u1", name="claims", digest="d1", source='{"uri": "S3://Lake/raw/claims/"}', source_type="s3")
    cat = Catalog(
        datasets={"u1": ds},
        runs={"r": Run(run_id="r", inputs=[DatasetInput("u1", "claims", "d1", "s3://lake/raw/claims", "training")])},
        lineage_nodes=[LineageNodeRecord(ol_dataset_node_id("s3://lake", "raw/claims"), "dataset", "raw/claims",
                                         {"phi": "true"})],
    )
    g = build_graph(cat)
    assert len(g.nodes_of_kind("dataset")) == 1
    node = g.node(ol_dataset_node_id("s3://lake", "raw/claims"))
    assert node["tags"] == {"phi": "true"} and node["names"] == ["claims"]


def _chain_catalog(deid_tags: dict[str, str]) -> Catalog:
    raw = Dataset("raw", "raw", "1", "s3://b/raw", tags={"phi": "true", "pii": "true"})
    feat = Dataset("feat", "feat", "2", "s3://b/feat", tags=deid_tags)
    return Catalog(
        datasets={"raw": raw, "feat": feat},
        runs={
            "etl": Run(run_id="etl", inputs=[DatasetInput("raw", "raw", "1", "s3://b/raw", None)]),
            "train": Run(run_id="train", inputs=[DatasetInput("feat", "feat", "2", "s3://b/feat", "training")]),
        },
        models=[RegisteredModel("m", versions=[ModelVersion("m", "1", run_id="train", aliases=["champion"])],
                                aliases={"champion": "1"})],
        lineage_edges=[LineageEdgeRecord(run_node_id("etl"), dataset_node_id("s3://b/feat"), "output")],
    )


@pytest.mark.parametrize(
    ("tags", "phi", "pii"),
    [
        ({}, True, True),
        ({"hipaa_deidentified": "false"}, True, True),
        ({"hipaa_deidentified": "safe_harbor"}, False, True),
        ({"hipaa_deidentified": "expert_determination", "pii": "false"}, False, False),
        ({"HIPAA_DEIDENTIFIED": "Safe_Harbor", "phi": "false"}, False, True),
    ],
)
def test_deidentification_stops_phi(tags: dict[str, str], phi: bool, pii: bool) -> None:
    g = build_graph(_chain_catalog(tags))
    c = g.effective_classification(version_node_id("m", "1"))
    assert (c.phi, c.pii) == (phi, pii)
    assert g.effective_classification(dataset_node_id("s3://b/raw")).phi


def test_cycles_dangling_and_duplicates_do_not_crash() -> None:
    ds = Dataset("a", "a", "", "s3://b/a", tags={"phi": "true"})
    runs = {
        "r1": Run(run_id="r1", inputs=[DatasetInput("a", "a", "", "s3://b/a", None),
                                       DatasetInput("a", "a", "", "s3://b/a", None),  # duplicate input
                                       DatasetInput("ghost", "ghost", "x", "", None)],  # not in datasets
                  output_model_ids=["m-missing"], parent_run_id="nope"),
    }
    versions = [
        ModelVersion("m", "1", run_id="r1", source="models:/m-missing"),
        ModelVersion("m", "2", run_id="gone-run", source="models:/m-unknown",
                     datasets=[DatasetInput("b", "b", "d", "s3://b/b", None, {"pii": "true"})]),
        ModelVersion("m", "2", run_id="gone-run"),  # duplicate record
    ]
    cat = Catalog(
        datasets={"a": ds},
        runs=runs,
        logged_models={"m-x": LoggedModel("m-x", "model", "", "run-not-loaded")},
        models=[RegisteredModel("m", versions=versions)],
        lineage_nodes=[LineageNodeRecord("job:j", "job", "j"), LineageNodeRecord("job:j", "job", "j")],
        lineage_edges=[
            LineageEdgeRecord(run_node_id("r1"), dataset_node_id("s3://b/a"), "output"),  # a -> r1 -> a cycle
            LineageEdgeRecord("job:j", "nowhere", "output"),  # dangling
            LineageEdgeRecord("job:j", "job:j", "output"),  # self loop
            LineageEdgeRecord("job:j", run_node_id("r1"), "instance_of"),
            LineageEdgeRecord("job:j", run_node_id("r1"), "instance_of"),
        ],
    )
    g = build_graph(cat)
    assert any("nowhere" in w for w in g.warnings) and any("self edge" in w for w in g.warnings)
    v1 = version_node_id("m", "1")
    assert dataset_node_id("s3://b/a") in g.upstream(v1)
    assert "dataset:ghost@x" in g.upstream(v1)
    assert g.effective_classification(v1).phi
    assert g.effective_classification(dataset_node_id("s3://b/a")).phi
    assert g.node(logged_model_node_id("m-missing"))["missing"] is True
    assert g.node(run_node_id("run-not-loaded"))["missing"] is True
    v2 = version_node_id("m", "2")
    assert g.effective_classification(v2).pii  # datasets of a version whose run is not loaded
    assert dataset_node_id("s3://b/b") in g.upstream(v2)
    assert g.neighbourhood(v1, 0) == {v1}
    assert model_node_id("m") in g.neighbourhood(v1, 1)
    assert g.explain_path(v1, v2) == [v1, model_node_id("m"), v2]  # undirected fallback
    assert g.explain_path("job:j", dataset_node_id("s3://b/a")) == ["job:j", run_node_id("r1"), dataset_node_id("s3://b/a")]
    assert set(g.upstream(v1, depth=1)) == {model_node_id("m"), logged_model_node_id("m-missing")}
    assert run_node_id("r1") in g.upstream(v1, depth=2)


def test_resolve_and_errors(mlflow_graph) -> None:  # type: ignore[no-untyped-def]
    g = mlflow_graph
    assert g.resolve("models:/credit-limit/3") == version_node_id("credit-limit", "3")
    assert g.resolve("credit-limit/3") == version_node_id("credit-limit", "3")
    assert g.resolve("credit-limit") == model_node_id("credit-limit")
    assert g.resolve("credit-limit-train@9ddf9ae0") == dataset_node_id("s3://lake/lending/credit-limit/train.parquet")
    assert g.resolve("s3://lake/lending/credit-limit/train.parquet").startswith("dataset:")
    assert g.resolve("credit-limit@champion", kinds={"deployment"}) == deployment_node_id("credit-limit", "champion")
    for bad in ["", "no-such-thing", "credit-limit/99"]:
        with pytest.raises(UsageError):
            g.resolve(bad)
    with pytest.raises(UsageError, match="No lineage node"):
        g.upstream("dataset:nope")


def test_json_and_dot_shapes(mlflow_graph) -> None:  # type: ignore[no-untyped-def]
    g = mlflow_graph
    v3 = version_node_id("credit-limit", "3")
    keep = g.lineage_of(v3)
    doc = g.to_json(keep)
    assert {n["id"] for n in doc["nodes"]} == keep
    assert all(set(n) == {"id", "kind", "label", "tags"} for n in doc["nodes"])
    assert all(set(e) == {"source", "target", "kind"} for e in doc["edges"])
    assert {n["kind"] for n in doc["nodes"]} <= {"dataset", "run", "model", "model_version", "deployment", "job"}
    json.dumps(doc)
    dot = g.to_dot(keep, highlight=v3)
    assert dot.startswith("digraph lineage {") and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == len(doc["edges"])
    assert "PII" in dot and "penwidth=3" in dot
    sub = g.subgraph(keep)
    assert len(sub) == len(keep)


def test_shared_attribute_dicts_do_not_leak_between_nodes_or_edges() -> None:
    """Equal tags and edge attributes are held once; a merge into one node or edge leaves the others alone."""
    a = Dataset("a", "a", "1", "s3://b/a", tags={"pii": "true"})
    b = Dataset("b", "b", "2", "s3://b/b", tags={"pii": "true"})
    runs = {r: Run(run_id=r, inputs=[DatasetInput("a", "a", "1", "s3://b/a", "training"),
                                     DatasetInput("b", "b", "2", "s3://b/b", "training")]) for r in ("r1", "r2")}
    cat = Catalog(
        datasets={"a": a, "b": b},
        runs=runs,
        lineage_nodes=[LineageNodeRecord(dataset_node_id("s3://b/a"), "dataset", "a", {"phi": "true"})],
        lineage_edges=[LineageEdgeRecord(dataset_node_id("s3://b/b"), run_node_id("r2"), "output")],
    )
    g = build_graph(cat)
    da, db = dataset_node_id("s3://b/a"), dataset_node_id("s3://b/b")
    assert g.node(da)["tags"] == {"pii": "true", "phi": "true"}
    assert g.node(db)["tags"] == {"pii": "true"}  # the merge into a did not reach b
    assert a.tags == {"pii": "true"}  # nor the entity
    assert g.g.edges[da, run_node_id("r1")] is g.g.edges[db, run_node_id("r1")]  # one dict per (kind, context)
    assert g.g.edges[db, run_node_id("r2")] == {"kind": "output", "context": "training"}  # added again: merged
    assert g.g.edges[da, run_node_id("r2")] == {"kind": "input", "context": "training"}
    assert g.effective_classification(run_node_id("r1")).phi and not g.effective_classification(db).phi
    g.add_node(run_node_id("r1"), "run", "r1", {"pii": "true"})
    assert g.node(run_node_id("r1"))["tags"] == {"pii": "true"}
    assert g.node(run_node_id("r2"))["tags"] == {}
