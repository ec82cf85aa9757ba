"""Full-inventory benchmark on the DESIGN.md reference store.

Times three whole processes in the same run, the way a user or a pipeline runs them (so
start-up imports count): ``mlops-desktop inventory --format json``, the hand-written SQL
baseline, and MLflow's own client (when a Python with mlflow is given by
MLFLOW_PYTHON or found at ../mlflowvenv). Writes the figures to BENCHMARKS.md.

    python benchmarks/bench_inventory.py [--repeat 3] [--no-mlflow]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.report import write_section  # noqa: E402
from benchmarks.scale_mlflow_store import reference_store  # noqa: E402

HERE = Path(__file__).resolve().parent


def time_process(cmd: list[str], repeat: int) -> float:
    """Median wall time of ``cmd`` (stdout discarded), after one warm-up run."""
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--no-mlflow", action="store_true")
    a = p.parse_args()
    db = reference_store()
    ours = time_process([sys.executable, "-m", "mlops_desktop", "inventory", "--store", str(db), "--format", "json"],
                        a.repeat)
    base = time_process([sys.executable, str(HERE / "inventory_baseline_sql.py"), str(db)], a.repeat)
    lines = [
        f"Reference store: {db.name} ({db.stat().st_size / 1e6:.0f} MB; 2,000 models, 10,000 versions, "
        "100,000 runs, 1,000,000 metric rows, 20,000 datasets, 200,000 dataset inputs; MLflow 3 schema, SQLite).",
        "",
        "| path (whole process, median) | seconds | ratio to hand-written SQL |",
        "|---|---|---|",
        f"| hand-written SQL (sqlite3 + json) | {base:.2f} | 1.00 |",
        f"| `mlops-desktop inventory --format json` | {ours:.2f} | {ours / base:.2f} (budget <= 2.00) |",
    ]
    mlflow_python = os.environ.get("MLFLOW_PYTHON") or str(HERE.parent.parent / "mlflowvenv" / "bin" / "python")
    if not a.no_mlflow and Path(mlflow_python).exists():
        start = time.perf_counter()
        subprocess.run([mlflow_python, str(HERE / "inventory_mlflow_client.py"), str(db)], check=True,
                       stdout=subprocess.DEVNULL)
        client = time.perf_counter() - start
        lines.append(f"| MLflow's own client (`MlflowClient`, one run) | {client:.2f} | {client / base:.2f} "
                     f"(ours is {client / ours:.1f}x faster; budget >= 10x) |")
    else:
        lines.append("| MLflow's own client | not measured (no Python with mlflow found) | |")
    lines += ["", f"Command: `python benchmarks/bench_inventory.py --repeat {a.repeat}`"]
    write_section("Inventory", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
