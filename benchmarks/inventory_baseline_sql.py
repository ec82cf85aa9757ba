"""Hand-written SQL baseline for the inventory benchmark.

Produces the same JSON as ``mlops-desktop inventory --format json`` from an MLflow 3
SQLite file using the standard library only: a handful of joins and a dict build,
as an engineer would write it for one schema. Usage: python inventory_baseline_sql.py DB
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any


def iso(ms: int | None) -> str | None:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ms else None


def truthy(v: str | None) -> bool:
    return v is not None and v.strip().lower() in {"true", "yes", "1", "y", "t"}


def main(path: str) -> None:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    model_tags: dict[str, dict[str, str]] = defaultdict(dict)
    for name, k, v in con.execute("SELECT name, key, value FROM registered_model_tags"):
        model_tags[name][k] = v
    aliases: dict[str, dict[str, str]] = defaultdict(dict)
    by_version: dict[tuple[str, int], list[str]] = defaultdict(list)
    for name, alias, version in con.execute("SELECT name, alias, version FROM registered_model_aliases"):
        aliases[name][alias] = str(version)
        by_version[(name, version)].append(alias)
    vtags: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    for name, version, k, v in con.execute("SELECT name, version, key, value FROM model_version_tags"):
        vtags[(name, version)][k] = v
    run_users = dict(con.execute(
        "SELECT r.run_uuid, r.user_id FROM runs r WHERE r.run_uuid IN (SELECT run_id FROM model_versions)"))
    metrics: dict[str, dict[str, float]] = defaultdict(dict)
    for rid, k, v in con.execute(
        "SELECT run_uuid, key, value FROM latest_metrics WHERE run_uuid IN (SELECT run_id FROM model_versions)"
    ):
        metrics[rid][k] = v
    datasets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rows = con.execute(
        "SELECT i.destination_id, i.input_uuid, d.name, d.digest, d.dataset_source FROM inputs i "
        "JOIN datasets d ON d.dataset_uuid = i.source_id "
        "WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' "
        "AND i.destination_id IN (SELECT run_id FROM model_versions)"
    ).fetchall()
    itags: dict[str, dict[str, str]] = defaultdict(dict)
    for uid, k, v in con.execute(
        "SELECT t.input_uuid, t.name, t.value FROM input_tags t JOIN inputs i ON i.input_uuid = t.input_uuid "
        "WHERE i.destination_id IN (SELECT run_id FROM model_versions)"
    ):
        itags[uid][k] = v
    for rid, uid, name, digest, source in rows:
        tags = itags.get(uid, {})
        datasets[rid].append({
            "name": name, "digest": digest, "source": json.loads(source).get("uri", source),
            "context": tags.get("mlflow.data.context"),
            "tags": {k: v for k, v in tags.items() if k != "mlflow.data.context"},
        })
    versions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name, version, stage, status, user, run_id, source, created in con.execute(
        "SELECT name, version, current_stage, status, user_id, run_id, source, creation_time FROM model_versions "
        "WHERE current_stage != 'Deleted_Internal' ORDER BY name, version"
    ):
        ds = sorted(datasets.get(run_id, []), key=lambda d: (d["name"], d["digest"], d["context"] or ""))
        tagsets = [d["tags"] for d in ds] + [vtags.get((name, version), {}), model_tags.get(name, {})]
        versions[name].append({
            "version": str(version), "stage": None if stage == "None" else stage,
            "aliases": sorted(by_version.get((name, version), [])), "status": status,
            "author": user or run_users.get(run_id), "run_id": run_id, "source": source, "created_at": iso(created),
            "tags": vtags.get((name, version), {}), "datasets": ds,
            "classification": {"pii": any(truthy(t.get("pii")) for t in tagsets),
                               "phi": any(truthy(t.get("phi")) for t in tagsets)},
            "metrics": metrics.get(run_id, {}),
        })
    schema = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    models = [
        {"name": name, "description": desc or "", "tags": model_tags.get(name, {}),
         "aliases": dict(sorted(aliases.get(name, {}).items())), "versions": versions.get(name, [])}
        for name, desc in con.execute("SELECT name, description FROM registered_models ORDER BY name")
    ]
    json.dump({"stores": [{"kind": "mlflow", "url": path, "schema": schema}], "models": models}, sys.stdout, indent=2,
              ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
