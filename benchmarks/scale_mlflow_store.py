"""Grow a real MLflow SQLite store to benchmark size by bulk inserts into MLflow's own schema.

The template must be a store MLflow itself created (tests/fixtures/mlflow-3.17-sqlite.db),
so every table, index and constraint is MLflow's. Defaults give the DESIGN.md reference
store: 2,000 models, 10,000 versions, 100,000 runs, 1,000,000 metric rows, 20,000
datasets and 200,000 dataset inputs.

    python benchmarks/scale_mlflow_store.py OUT_DB [--models 2000] [--versions 5] ...
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "tests" / "fixtures" / "mlflow-3.17-sqlite.db"
REFERENCE = ROOT / "benchmarks" / "data" / "reference.db"
NOW = 1_790_000_000_000


def scale_store(out: Path, *, template: Path = TEMPLATE, models: int = 2000, versions: int = 5,
                runs: int = 100_000, metrics_per_run: int = 10, datasets: int = 20_000, seed: int = 3) -> Path:
    rng = random.Random(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    shutil.copyfile(template, tmp)
    db = sqlite3.connect(tmp)

    def cols(table: str) -> set[str]:
        return {r[1] for r in db.execute(f"pragma table_info({table})")}

    has_ws = "workspace" in cols("registered_models")
    n_exp = max(1, models // 4)
    exp_base = db.execute("select coalesce(max(experiment_id),0) from experiments").fetchone()[0] + 1
    db.executemany(
        "insert into experiments(experiment_id,name,artifact_location,lifecycle_stage,creation_time,last_update_time)"
        " values(?,?,?,?,?,?)",
        [(exp_base + i, f"/scale/exp-{i}", f"file:///mlruns/{exp_base + i}", "active", NOW, NOW) for i in range(n_exp)],
    )
    users = [f"user{i}@example.org" for i in range(50)]
    run_rows = [
        (uuid.UUID(int=rng.getrandbits(128)).hex, f"run-{i}", "LOCAL", "train.py", "main", rng.choice(users),
         "FINISHED", NOW + i, NOW + i + 60000, "abc", "active", f"file:///mlruns/r{i}/artifacts", exp_base + i % n_exp)
        for i in range(runs)
    ]
    db.executemany(
        "insert into runs(run_uuid,name,source_type,source_name,entry_point_name,user_id,status,start_time,end_time,"
        "source_version,lifecycle_stage,artifact_uri,experiment_id) values(?,?,?,?,?,?,?,?,?,?,?,?,?)",
        run_rows,
    )
    keys = [f"m{k}" for k in range(metrics_per_run)]
    db.executemany("insert into metrics(key,value,timestamp,run_uuid,step,is_nan) values(?,?,?,?,?,?)",
                   ((k, rng.random(), NOW, r[0], 0, 0) for r in run_rows for k in keys))
    db.executemany("insert into latest_metrics(key,value,timestamp,step,is_nan,run_uuid) values(?,?,?,?,?,?)",
                   ((k, rng.random(), NOW, 0, 0, r[0]) for r in run_rows for k in keys))
    db.executemany("insert into params(key,value,run_uuid) values(?,?,?)",
                   ((k, str(rng.random()), r[0]) for r in run_rows for k in ("lr", "depth", "seed")))
    db.executemany("insert into tags(key,value,run_uuid) values(?,?,?)", (("mlflow.user", r[5], r[0]) for r in run_rows))
    ds = [
        (uuid.UUID(int=rng.getrandbits(128)).hex, exp_base + i % n_exp, f"ds-{i}", uuid.UUID(int=rng.getrandbits(128)).hex[:8],
         "s3", json.dumps({"uri": f"s3://lake/ds-{i}.parquet"}), None, None)
        for i in range(datasets)
    ]
    db.executemany(
        "insert into datasets(dataset_uuid,experiment_id,name,digest,dataset_source_type,dataset_source,"
        "dataset_schema,dataset_profile) values(?,?,?,?,?,?,?,?)",
        ds,
    )
    with_step = "step" in cols("inputs")
    inputs: list[tuple[Any, ...]] = []
    itags: list[tuple[str, str, str]] = []
    for r in run_rows:
        for d in rng.sample(ds, 2):
            iu = uuid.UUID(int=rng.getrandbits(128)).hex
            inputs.append((iu, "DATASET", d[0], "RUN", r[0], 0) if with_step else (iu, "DATASET", d[0], "RUN", r[0]))
            itags.append((iu, "mlflow.data.context", rng.choice(["training", "evaluation"])))
            if rng.random() < 0.2:
                itags.append((iu, "pii", "true"))
    db.executemany(f"insert into inputs values({','.join('?' * len(inputs[0]))})", inputs)
    db.executemany("insert into input_tags(input_uuid,name,value) values(?,?,?)", itags)

    def insert(table: str, names: Sequence[str], rows: Iterator[tuple[Any, ...]] | list[tuple[Any, ...]]) -> None:
        all_names = [*names, *(["workspace"] if has_ws else [])]
        extra: tuple[Any, ...] = ("default",) if has_ws else ()
        db.executemany(f"insert into {table}({','.join(all_names)}) values({','.join('?' * len(all_names))})",
                       [(*row, *extra) for row in rows])

    insert("registered_models", ["name", "creation_time", "last_updated_time", "description"],
           [(f"scale-model-{m}", NOW, NOW, "scaled") for m in range(models)])
    insert("registered_model_tags", ["key", "value", "name"],
           [("team", rng.choice(["risk", "ops", "clinical"]), f"scale-model-{m}") for m in range(models)])
    mv, mvt, al = [], [], []
    ri = 0
    for m in range(models):
        for v in range(1, versions + 1):
            r = run_rows[ri % len(run_rows)]
            ri += 1
            mv.append((f"scale-model-{m}", v, NOW, NOW, "", r[5], "Production" if v == versions else "None",
                       r[11] + "/model", r[0], "READY", "", ""))
            mvt.append(("validation_status", "passed", f"scale-model-{m}", v))
        al.append(("champion", versions, f"scale-model-{m}"))
    insert("model_versions", ["name", "version", "creation_time", "last_updated_time", "description", "user_id",
                              "current_stage", "source", "run_id", "status", "status_message", "run_link"], mv)
    insert("model_version_tags", ["key", "value", "name", "version"], mvt)
    insert("registered_model_aliases", ["alias", "version", "name"], al)
    db.commit()
    db.execute("analyze")
    db.commit()
    db.close()
    tmp.replace(out)
    return out


def reference_store() -> Path:
    """The DESIGN.md reference store, built once and cached under benchmarks/data/."""
    if not REFERENCE.exists():
        start = time.perf_counter()
        scale_store(REFERENCE)
        print(f"built {REFERENCE} in {time.perf_counter() - start:.1f}s")
    return REFERENCE


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out", type=Path)
    p.add_argument("--models", type=int, default=2000)
    p.add_argument("--versions", type=int, default=5)
    p.add_argument("--runs", type=int, default=100_000)
    p.add_argument("--metrics-per-run", type=int, default=10)
    p.add_argument("--datasets", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=3)
    a = p.parse_args()
    start = time.perf_counter()
    scale_store(a.out, models=a.models, versions=a.versions, runs=a.runs, metrics_per_run=a.metrics_per_run,
                datasets=a.datasets, seed=a.seed)
    print(f"scaled {a.out} in {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()
