"""The golden command lines: every read-only JSON command on every fixture store and on
the merged stores. ``python -m tests.golden.cases --write`` regenerates the files in
tests/golden/outputs/ (only when a change of output is intended and reviewed)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = Path(__file__).parent / "outputs"
F = "tests/fixtures"

STORES: dict[str, list[str]] = {
    "mlflow2": [f"{F}/mlflow-2.17-sqlite.db"],
    "mlflow3": [f"{F}/mlflow-3.17-sqlite.db"],
    "mlmd": [f"{F}/mlmd-1.17-tfx.sqlite"],
    "openlineage": [f"openlineage:{F}/openlineage-1.54-airflow.ndjson"],
    "merged": [
        f"{F}/mlflow-3.17-sqlite.db",
        f"{F}/mlmd-1.17-tfx.sqlite",
        f"openlineage:{F}/openlineage-1.54-airflow.ndjson",
    ],
}

#: (store set, dataset reference) for ``impact``.
IMPACT = [
    ("mlflow3", "s3://lake/payments/fraud-detector/train.parquet"),
    ("mlflow2", "s3://lake/clinical/readmission-risk/train.parquet"),
    ("merged", "s3://lake/clinical/sepsis-alert/train.parquet"),
]

#: (store set, model, from, to) for ``diff``.
DIFF = [
    ("mlflow3", "fraud-detector", "1", "3"),
    ("mlflow2", "churn-predictor", "2", "3"),
    ("merged", "churn-predictor", "1", "3"),
]


def _store_args(key: str) -> list[str]:
    return [arg for url in STORES[key] for arg in ("--store", url)]


def cases() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key in STORES:
        out[f"inventory-{key}"] = ["inventory", *_store_args(key), "--format", "json"]
        out[f"inventory-deleted-{key}"] = ["inventory", *_store_args(key), "--format", "json", "--include-deleted"]
        out[f"lineage-{key}"] = ["lineage", *_store_args(key), "--format", "json"]
        out[f"findings-{key}"] = [
            "findings", *_store_args(key), "--format", "json", "--fail-on", "none", "--as-of", "2026-12-01",
        ]
    for key, ref in IMPACT:
        slug = ref.rsplit("/", 2)[-2]
        out[f"impact-{key}-{slug}"] = ["impact", *_store_args(key), "--dataset", ref, "--format", "json"]
    for key, model, v1, v2 in DIFF:
        out[f"diff-{key}-{model}-{v1}-{v2}"] = [
            "diff", *_store_args(key), "--model", model, "--from", v1, "--to", v2, "--format", "json",
        ]
    return out


def run(argv: list[str]) -> tuple[int, str]:
    """Run one command in-process from the repository root; return (exit code, stdout)."""
    from mlops_desktop.cli.main import main

    buf = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(buf):
            code = main(argv)
    finally:
        os.chdir(cwd)
    return code, buf.getvalue()


def write() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ.update(
            HOME=home, XDG_CONFIG_HOME=f"{home}/.config", XDG_DATA_HOME=f"{home}/.local/share",
            XDG_CACHE_HOME=f"{home}/.cache",
        )
        for var in ("MLOPS_DESKTOP_GOVERNANCE_URL", "MLOPS_DESKTOP_ARTIFACT_ROOTS"):
            os.environ.pop(var, None)
        OUTPUTS.mkdir(exist_ok=True)
        for name, argv in cases().items():
            code, text = run(argv)
            if code not in (0, 1):
                raise SystemExit(f"{name}: exit {code}")
            (OUTPUTS / f"{name}.json").write_text(text, encoding="utf-8")
            print(name, code, len(text))


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python -m tests.golden.cases --write")
    write()
