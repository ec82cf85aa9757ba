"""Lineage benchmark: a synthetic catalog of the reference-store shape.

2,000 registered models, 10,000 versions (each with an MLflow 3 logged model), 100,000
runs (10,000 ETL runs that turn 5,000 raw datasets into 15,000 derived ones, 90,000
training runs reading the derived ones), 200,000 dataset inputs, 30,000 nested runs,
aliases and stages. Measures graph build, upstream / downstream / impact /
classification queries over the full graph, and the layout of a 2,000-node neighbourhood.

Usage: python benchmarks/bench_lineage.py [--seed 1] [--queries 500] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import deque
from pathlib import Path

from mlops_desktop.core.entities import (
    Catalog,
    Dataset,
    DatasetInput,
    LineageEdgeRecord,
    LoggedModel,
    ModelVersion,
    RegisteredModel,
    Run,
)
from mlops_desktop.core.layout import layered_layout
from mlops_desktop.core.lineage import build_graph, dataset_node_id, run_node_id, version_node_id

MODELS, VERSIONS_PER_MODEL = 2_000, 5
RAW, DERIVED = 5_000, 15_000
ETL_RUNS, TRAIN_RUNS = 10_000, 90_000
NESTED = 30_000


def synthetic_catalog(seed: int) -> Catalog:
    rng = random.Random(seed)
    datasets: dict[str, Dataset] = {}
    for i in range(RAW + DERIVED):
        tier = "raw" if i < RAW else "derived"
        tags = {"phi": "true", "pii": "true"} if i % 50 == 0 else {}
        if tier == "derived" and i % 7 == 0:
            tags = {"hipaa_deidentified": "safe_harbor"}
        datasets[f"d{i}"] = Dataset(f"d{i}", f"{tier}-{i}", f"{i:08x}", f"s3://lake/{tier}/{i}.parquet", tags=tags)
    raw_ids = [f"d{i}" for i in range(RAW)]
    derived_ids = [f"d{i}" for i in range(RAW, RAW + DERIVED)]

    def inp(ds_id: str, ctx: str) -> DatasetInput:
        d = datasets[ds_id]
        return DatasetInput(ds_id, d.name, d.digest, d.source, ctx, dict(d.tags))

    runs: dict[str, Run] = {}
    edges: list[LineageEdgeRecord] = []
    for e in range(ETL_RUNS):
        rid = f"etl{e:06d}"
        runs[rid] = Run(run_id=rid, name=f"etl-{e}", inputs=[inp(d, "source") for d in rng.sample(raw_ids, 2)])
    for j, ds_id in enumerate(derived_ids):  # each derived dataset is produced by one ETL run
        edges.append(LineageEdgeRecord(run_node_id(f"etl{j % ETL_RUNS:06d}"), dataset_node_id(datasets[ds_id]), "output"))
    train_ids = []
    for t in range(TRAIN_RUNS):
        rid = f"trn{t:06d}"
        train_ids.append(rid)
        runs[rid] = Run(run_id=rid, name=f"train-{t}", inputs=[inp(d, "training") for d in rng.sample(derived_ids, 2)])
    for t in range(NESTED):
        runs[train_ids[t + 1]].parent_run_id = train_ids[t // 3 * 3]
    logged: dict[str, LoggedModel] = {}
    models: list[RegisteredModel] = []
    version_runs = rng.sample(train_ids, MODELS * VERSIONS_PER_MODEL)
    k = 0
    for m in range(MODELS):
        name = f"model-{m:04d}"
        versions = []
        for v in range(1, VERSIONS_PER_MODEL + 1):
            rid = version_runs[k]
            k += 1
            mid = f"m-{k:08x}"
            logged[mid] = LoggedModel(mid, "model", f"s3://art/{mid}", rid)
            runs[rid].output_model_ids.append(mid)
            versions.append(ModelVersion(name, str(v), stage="Production" if v == VERSIONS_PER_MODEL else None,
                                         run_id=rid, source=f"models:/{mid}"))
        models.append(RegisteredModel(name, aliases={"champion": str(VERSIONS_PER_MODEL),
                                                     "challenger": str(VERSIONS_PER_MODEL - 1)},
                                      versions=versions))
    return Catalog(models=models, runs=runs, datasets=datasets, logged_models=logged, lineage_edges=edges)


def timed(fn, *args):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn(*args)
    return (time.perf_counter() - t0) * 1000.0, out


def stats(ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"median {statistics.median(ms):.3f} ms, p95 {p95:.3f} ms, max {ms[-1]:.3f} ms"


def neighbourhood_of_size(graph, start: str, size: int) -> set[str]:  # type: ignore[no-untyped-def]
    seen = {start}
    queue = deque([start])
    succ, pred = graph.g._succ, graph.g._pred
    while queue and len(seen) < size:
        n = queue.popleft()
        for m in (*succ[n], *pred[n]):
            if m not in seen:
                seen.add(m)
                queue.append(m)
                if len(seen) >= size:
                    break
    return seen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--write", metavar="BENCHMARKS.md", help="append the figures under '## Lineage'")
    a = ap.parse_args(argv)
    rng = random.Random(a.seed)
    t_cat, catalog = timed(synthetic_catalog, a.seed)
    t_build, graph = timed(build_graph, catalog)
    n_nodes, n_edges = len(graph), graph.edge_count
    versions = [version_node_id(f"model-{rng.randrange(MODELS):04d}", str(rng.randrange(1, 6))) for _ in range(a.queries)]
    raws = [dataset_node_id(f"s3://lake/raw/{rng.randrange(RAW)}.parquet") for _ in range(a.queries)]
    up = [timed(graph.upstream, v)[0] for v in versions]
    down = [timed(graph.downstream, d)[0] for d in raws]
    imp_results = [timed(graph.impact, d) for d in raws]
    imp = [t for t, _ in imp_results]
    reached = statistics.mean(len(r.versions) for _, r in imp_results)
    # classification on fresh graphs' caches would be unfair: clear per query
    cls = []
    for v in versions:
        graph._class_cache.clear()
        cls.append(timed(graph.effective_classification, v)[0])
    # upper bound: a walk over the whole connected component (every edge, both directions)
    t_all, component = timed(graph.neighbourhood, versions[0], 10_000)
    hood = neighbourhood_of_size(graph, versions[0], 2000)
    hood_edges = [(s, t) for s, t in graph.g.edges(hood) if t in hood]
    lay_times = []
    layout = None
    for _ in range(3):
        t, layout = timed(layered_layout, sorted(hood), hood_edges)
        lay_times.append(t)
    assert layout is not None
    lines = [
        f"Synthetic catalog (reference-store shape): {MODELS:,} models, {MODELS * VERSIONS_PER_MODEL:,} versions, "
        f"{ETL_RUNS + TRAIN_RUNS:,} runs, {RAW + DERIVED:,} datasets, "
        f"{sum(len(r.inputs) for r in catalog.runs.values()):,} dataset inputs; graph {n_nodes:,} nodes / "
        f"{n_edges:,} edges (catalog generated in {t_cat / 1000:.1f} s, `build_graph` {t_build / 1000:.2f} s).",
        f"Python {sys.version.split()[0]}, {a.queries} random queries each, seed {a.seed}.",
        "",
        "| query | time | budget |",
        "|---|---|---|",
        f"| upstream(version) | {stats(up)} | < 100 ms |",
        f"| downstream(raw dataset) | {stats(down)} | < 100 ms |",
        f"| impact(raw dataset) (mean {reached:.1f} versions reached) | {stats(imp)} | < 100 ms |",
        f"| effective_classification(version), uncached | {stats(cls)} | - |",
        f"| worst case: neighbourhood(version, unlimited hops) = its whole connected component "
        f"({len(component):,} nodes) | {t_all:.0f} ms | - |",
        f"| layered layout, {len(hood):,}-node neighbourhood ({len(hood_edges):,} edges, "
        f"{len(layout.layers)} layers, {layout.crossings} crossings) | best {min(lay_times):.0f} ms, "
        f"worst {max(lay_times):.0f} ms of 3 | < 1 s |",
    ]
    text = "\n".join(lines)
    print(text)
    if a.write:
        path = Path(a.write)
        body = path.read_text() if path.exists() else "# Benchmarks\n"
        section = "## Lineage\n\n`python benchmarks/bench_lineage.py --write BENCHMARKS.md`\n\n" + text + "\n"
        if "## Lineage\n" in body:
            head, _, rest = body.partition("## Lineage\n")
            nxt = rest.find("\n## ")
            tail = rest[nxt + 1:] if nxt >= 0 else ""
            body = head + section + ("\n" + tail if tail else "")
        else:
            body = body.rstrip("\n") + "\n\n" + section
        path.write_text(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
