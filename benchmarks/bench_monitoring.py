"""Monitoring results loaded and linked: 10,000 results in a ``monitoring:`` folder (budget < 2 s).

The folder is written from the committed fixtures (tests/fixtures/monitoring/results): Evidently
snapshots, Great Expectations results and Model Monitor violations, each copy naming one
version or dataset of a synthetic catalog (1,000 models x 5 versions, a training dataset each).
Evidently copies are written without their rendering widgets (the part a dashboard draws;
the drift results are kept); a second pass of at most 1,000 files with the widgets kept says
what they cost.

    python benchmarks/bench_monitoring.py [--results 10000] [--repeat 3] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlops_desktop.core.entities import (  # noqa: E402
    Catalog,
    DatasetInput,
    LineageNodeRecord,
    ModelVersion,
    RegisteredModel,
)
from mlops_desktop.core.monitoring import MonitoringIndex, monitoring_overview  # noqa: E402
from mlops_desktop.sources import monitoring as monitoring_source  # noqa: E402
from mlops_desktop.sources.base import parse_store_url  # noqa: E402
from mlops_desktop.sources.monitoring import MonitoringSource  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "monitoring" / "results"
MODELS, VERSIONS = 1000, 5


def synthetic_catalog() -> Catalog:
    cat = Catalog()
    for m in range(MODELS):
        model = RegisteredModel(name=f"model-{m:04d}", aliases={"champion": str(VERSIONS)})
        for v in range(1, VERSIONS + 1):
            model.versions.append(ModelVersion(
                f"model-{m:04d}", str(v), created_at=datetime(2026, 1, 1, tzinfo=UTC),
                datasets=[DatasetInput(f"d{m}-{v}", f"train-{m:04d}-{v}", f"digest{m}{v}",
                                       f"s3://data/{m:04d}/{v}/train.parquet", "training")]))
        cat.models.append(model)
        cat.lineage_nodes.append(LineageNodeRecord(
            f"deployment:pushed:endpoint-{m:04d}", "deployment", f"endpoint-{m:04d}", {},
            {"subtype": "pushed", "endpoint": f"endpoint-{m:04d}", "model_name": model.name, "version": str(VERSIONS)}))
    return cat


def write_folder(root: Path, n: int, widgets: bool) -> None:
    rng = random.Random(1)
    snapshot = json.loads((FIXTURE / "evidently" / "iris" / "week-05.json").read_text(encoding="utf-8"))
    if not widgets:
        snapshot["widgets"] = []
        for result in snapshot["metric_results"].values():
            result["widget"] = []
    gx = json.loads((FIXTURE / "gx" / "wine-train-2026-10-13.json").read_text(encoding="utf-8"))
    mm = (FIXTURE / "model-monitor" / "credit-limit-prod" / "credit-limit-data-quality" / "2026" / "10" / "20" /
          "13" / "constraint_violations.json").read_text(encoding="utf-8")
    start = datetime(2026, 6, 1, tzinfo=UTC)
    for i in range(n):
        m, v = rng.randrange(MODELS), rng.randrange(1, VERSIONS + 1)
        when = start + timedelta(hours=rng.randrange(24 * 150))
        kind = i % 5
        if kind < 2:
            doc = copy.copy(snapshot)
            doc["metadata"] = {"model_name": f"model-{m:04d}", "model_version": str(v)}
            doc["timestamp"] = when.replace(tzinfo=None).isoformat()
            path = root / "evidently" / f"{i:05d}.json"
            text = json.dumps(doc)
        elif kind < 4:
            doc = copy.copy(gx)
            doc["meta"] = {**gx["meta"], "validation_time": when.isoformat(),
                           "active_batch_definition": {"data_asset_name": f"train-{m:04d}-{v}"}}
            path = root / "gx" / f"{i:05d}.json"
            text = json.dumps(doc)
        else:
            path = root / "model-monitor" / f"endpoint-{m:04d}" / "schedule" / f"{when:%Y/%m/%d/%H}" / \
                f"{i:05d}" / "constraint_violations.json"
            text = mm
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def general_load(folder: Path) -> tuple[float, float]:
    """(wall, CPU) seconds to load the folder the general way only: every file through the full
    JSON parse and the dict readers (what the reader falls back to), for a ratio in the same run."""
    fast, lean = monitoring_source.read_fast, monitoring_source.parse_lean
    monitoring_source.read_fast = lambda *_args: None  # type: ignore[assignment]
    monitoring_source.parse_lean = lambda _raw: None
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        MonitoringSource(parse_store_url(f"monitoring:{folder}")).load_catalog()
        return time.perf_counter() - t0, time.process_time() - c0
    finally:
        monitoring_source.read_fast, monitoring_source.parse_lean = fast, lean


def measure(folder: Path, catalog: Catalog, repeat: int, baseline: bool = False) -> dict[str, float]:
    load, link, status, cpu, general, general_cpu = [], [], [], [], [], []
    for _ in range(repeat):
        if baseline:  # interleaved with the measured runs: both see the same load
            wall, used = general_load(folder)
            general.append(wall)
            general_cpu.append(used)
        t0, c0 = time.perf_counter(), time.process_time()
        source = MonitoringSource(parse_store_url(f"monitoring:{folder}"))
        results = source.load_catalog().monitoring
        t1 = time.perf_counter()
        merged = catalog.merge(Catalog(monitoring=results))
        index = MonitoringIndex.build(merged)
        t2, c2 = time.perf_counter(), time.process_time()
        monitoring_overview(merged, as_of=datetime(2026, 11, 1, tzinfo=UTC).date())
        t3 = time.perf_counter()
        load.append(t1 - t0)
        link.append(t2 - t1)
        status.append(t3 - t2)
        cpu.append(c2 - c0)
    linked = sum(1 for r in index.results if r.linked)
    return {"results": len(results), "linked": linked, "rejected": len(source.rejected),
            "load": statistics.median(load), "link": statistics.median(link), "status": statistics.median(status),
            "cpu": statistics.median(cpu),
            "general": statistics.median(general) if general else 0.0,
            "general_cpu": statistics.median(general_cpu) if general_cpu else 0.0,
            "mb": sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "CPU model unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", type=Path, help="replace the Monitoring section of this BENCHMARKS.md")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    catalog = synthetic_catalog()
    rows = []
    for widgets in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            write_folder(folder, args.results if not widgets else min(args.results, 1000), widgets)
            rows.append((widgets, measure(folder, catalog, args.repeat, baseline=not widgets)))
    lines = ["## Monitoring", "",
             f"`python benchmarks/bench_monitoring.py --results {args.results} --repeat {args.repeat} --write BENCHMARKS.md`",
             "",
             f"{args.results:,} files in a `monitoring:` folder (2/5 Evidently 0.7 snapshots, 2/5 Great Expectations "
             "results, 1/5 Model Monitor violations, the last giving a drift and a data-quality result each), "
             f"linked against a synthetic catalog of {MODELS:,} models x {VERSIONS} versions with a training dataset "
             f"each. Median of {args.repeat}; Python {sys.version.split()[0]}; {cpu_model()}, {os.cpu_count()} cores, load average "
             f"{load_before:.1f} when it started (other work shares the machine).",
             "",
             "| Evidently widgets | folder | results | linked | load (read, recognise, parse) | link | "
             "load + link (budget < 2 s) | its CPU time | status of every version |",
             "|---|---|---|---|---|---|---|---|---|"]
    for widgets, r in rows:
        lines.append(f"| {'kept (as written, ~187 KB each)' if widgets else 'left out (~3 KB each)'} | "
                     f"{r['mb']:.0f} MB | {r['results']:,.0f} | {r['linked']:,.0f} | {r['load']:.2f} s | "
                     f"{r['link']:.2f} s | {r['load'] + r['link']:.2f} s | {r['cpu']:.2f} s | {r['status']:.2f} s |")
    main_row = rows[0][1]
    total = main_row["load"] + main_row["link"]
    lines += ["", f"Budget (10,000 results loaded and linked in under 2 s): **{'met' if total < 2 else 'not met'}** "
              f"({total:.2f} s wall clock, {main_row['cpu']:.2f} s of CPU time: the difference is the share of the "
              "cores other work took). Files are parsed with msgspec, an Evidently snapshot's rendering widgets "
              "left unparsed; status of every version includes building the lineage graph of the versions.",
              "",
              f"The same files read the general way only (the full JSON parse and the dict readers for every file, "
              f"what the reader falls back to), in the same runs: load {main_row['general']:.2f} s wall clock, "
              f"{main_row['general_cpu']:.2f} s CPU; the msgspec reading's load takes "
              f"{100 * main_row['load'] / main_row['general']:.0f} % of that wall clock time."]
    text = "\n".join(lines) + "\n"
    print(text)  # noqa: T201 - a benchmark's report
    if args.write:
        doc = args.write.read_text(encoding="utf-8")
        if "## Monitoring\n" in doc:
            i = doc.index("## Monitoring\n")
            j = doc.find("\n## ", i + 1)
            doc = doc[:i] + text + ("\n" + doc[j + 1:] if j != -1 else "")
        else:
            doc = doc.rstrip("\n") + "\n\n" + text
        args.write.write_text(doc, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
