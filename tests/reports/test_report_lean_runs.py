"""Reports from the GUI's working catalog (runs held lean) state the same facts as from the full
catalog, and read the runs they need together: the key versions' runs in one read, each run once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from mlops_desktop.reports.export import export_report
from mlops_desktop.sources.base import open_source
from mlops_desktop.sources.mlflow_sql import MlflowSqlSource
from tests.reports.govfix import SETTINGS

#: what differs between two exports of the same facts: times, report ids, digests
_VARIABLE = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:\d\d| UTC)?|[0-9a-f]{16,}|"
                       r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _text(path: Path) -> str:
    return _VARIABLE.sub("#", "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages))


@pytest.mark.parametrize("edition", ["eu-ai-act", "model-risk"])
def test_same_facts_from_lean_runs_read_together(edition: str, mlflow3_db: Path, tmp_path: Path) -> None:
    source = open_source(str(mlflow3_db))
    assert isinstance(source, MlflowSqlSource)
    with source:
        full = source.load_catalog()
        working = source.load_working_catalog(source.load_registry())
        store = next(iter(working.run_readers))
        calls: list[list[str]] = []

        def counting(run_ids):
            calls.append(list(run_ids))
            return source.read_runs(run_ids)

        working.run_readers[store] = counting
        for name in ("lean", "whole"):
            (tmp_path / name).mkdir()
        lean = export_report(working, edition, tmp_path / "lean" / "report.pdf", settings=SETTINGS)
        whole = export_report(full, edition, tmp_path / "whole" / "report.pdf", settings=SETTINGS)
    assert calls and len(calls[0]) > 1, "the key versions' runs are read together"
    read = [rid for ids in calls for rid in ids]
    assert len(read) == len(set(read)), "no run is read twice for one report"
    lean_text, whole_text = _text(lean.path), _text(whole.path)
    assert lean_text == whole_text
    metric = next(k for rid in calls[0] for k in full.runs[rid].metrics)
    assert metric in lean_text  # a key version's metric, which the lean catalog did not hold
