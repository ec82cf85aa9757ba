"""Layered layout (Qt-free) and the version diff core."""

from __future__ import annotations

from mlops_desktop.core.diff import diff_versions
from mlops_desktop.core.entities import (
    Catalog,
    DatasetInput,
    MetricValue,
    ModelVersion,
    RegisteredModel,
    Run,
)
from mlops_desktop.core.layout import count_crossings, layered_layout


def test_edges_flow_left_to_right() -> None:
    edges = [("d1", "r1"), ("d2", "r1"), ("r1", "m"), ("m", "v"), ("v", "dep"), ("d1", "v")]
    lay = layered_layout(["d1", "d2", "r1", "m", "v", "dep"], edges)
    x = {n: p[0] for n, p in lay.positions.items()}
    assert all(x[s] < x[t] for s, t in edges)
    assert lay.layers[0] == ["d1", "d2"] or set(lay.layers[0]) == {"d1", "d2"}
    ys = [p[1] for n, p in lay.positions.items() if n in {"d1", "d2"}]
    assert len(set(ys)) == 2  # no overlap in a layer


def test_crossing_reduction() -> None:
    # a1..a4 -> b4..b1: the initial order crosses every pair; barycentre sweeps untangle it
    nodes = ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4"]
    edges = [("a1", "b4"), ("a2", "b3"), ("a3", "b2"), ("a4", "b1")]
    assert count_crossings([nodes[:4], nodes[4:]], edges) == 6
    lay = layered_layout(nodes, edges)
    assert lay.crossings == 0
    assert count_crossings(lay.layers, edges) == 0


def test_cycles_self_loops_and_unknown_nodes() -> None:
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "c"), ("c", "ghost"), ("a", "b")]
    lay = layered_layout(["a", "b", "c"], edges)
    assert set(lay.positions) == {"a", "b", "c"}
    assert len({p[0] for p in lay.positions.values()}) == 3
    assert layered_layout([], []).positions == {}


def _catalog() -> Catalog:
    def run(rid: str, digest: str, lr: str, auc: float, extra: list[DatasetInput]) -> Run:
        return Run(run_id=rid, params={"lr": lr, "depth": "4"},
                   metrics={"auc": MetricValue("auc", auc, 1, None)},
                   inputs=[DatasetInput("t", "train", digest, "s3://b/train", "training")] + extra)
    runs = {"r1": run("r1", "aaa", "0.1", 0.8, [DatasetInput("e", "eval", "e1", "s3://b/eval", "evaluation")]),
            "r2": run("r2", "bbb", "0.2", 0.85, [])}
    versions = [ModelVersion("m", "1", run_id="r1", stage="Staging"),
                ModelVersion("m", "2", run_id="r2", stage="Production", aliases=["champion"],
                             tags={"phi": "true"})]
    return Catalog(runs=runs, models=[RegisteredModel("m", versions=versions)])


def test_version_diff_flags_digest_change() -> None:
    diff = diff_versions(_catalog(), "m", "1", "2")
    ds = {r.key: r for r in diff.section("dataset")}
    assert ds["train (training)"].status == "changed" and "digest changed" in ds["train (training)"].note
    assert ds["eval (evaluation)"].status == "removed"
    params = {r.key: r.status for r in diff.section("param")}
    assert params == {"depth": "same", "lr": "changed"}
    [auc] = diff.section("metric")
    assert (auc.old, auc.new, auc.status) == ("0.8", "0.85", "changed") and auc.note.startswith("delta 0.05")
    cls = {r.key: (r.old, r.new) for r in diff.section("classification")}
    assert cls["phi"] == ("false", "true")
    lineage = {r.key: r.status for r in diff.section("lineage")}
    assert lineage["dataset:eval"] == "removed" and lineage["dataset:train"] == "same"
    doc = diff.to_json()
    assert doc["to"]["aliases"] == ["champion"] and doc["summary"]["removed"] >= 2
