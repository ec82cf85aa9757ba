"""Compare ``inventory --format json`` with what MLflow's own client read back (*.truth.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def expected_from_truth(truth_path: Path) -> dict[str, Any]:
    truth = json.loads(truth_path.read_text(encoding="utf-8"))["models"]
    out: dict[str, Any] = {}
    for name, m in truth.items():
        out[name] = {
            "aliases": m["aliases"],
            "tags": m["tags"],
            "versions": {
                ver: {
                    "stage": None if v["stage"] == "None" else v["stage"],
                    "run_id": v["run_id"],
                    "author": v["user_id"] or v["run_user"],
                    "status": v["status"],
                    "tags": v["tags"],
                    "datasets": sorted([list(d) for d in v["datasets"]]),
                }
                for ver, v in m["versions"].items()
            },
        }
    return out


def actual_from_inventory(inventory: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in inventory["models"]:
        out[m["name"]] = {
            "aliases": m["aliases"],
            "tags": m["tags"],
            "versions": {
                v["version"]: {
                    "stage": v["stage"],
                    "run_id": v["run_id"],
                    "author": v["author"],
                    "status": v["status"],
                    "tags": v["tags"],
                    "datasets": sorted([[d["name"], d["digest"], d["context"]] for d in v["datasets"]]),
                }
                for v in m["versions"]
            },
        }
    return out
