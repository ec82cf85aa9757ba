"""Defects found by looking at every page of every edition over the merged fixture stores
(MLflow + MLMD + OpenLineage), written as tests of the correct behaviour:

- every bookmark of the PDF outline opens the page where its section's heading is printed;
- the MLMD pipeline's lineage figure prints each component name whole (the labels are wrapped
  between words or between the humps of a CamelCase name, never cut mid-word)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import Destination

from mlops_desktop.core.entities import Catalog
from mlops_desktop.reports.export import export_report
from tests.reports.govfix import SETTINGS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EDITIONS = ("gdpr", "hipaa", "eu-ai-act", "model-risk")


@pytest.fixture(scope="module")
def merged() -> Catalog:
    from mlops_desktop.sources.loader import load_catalog

    return load_catalog([str(FIXTURES / "mlflow-3.17-sqlite.db"), str(FIXTURES / "mlmd-1.17-tfx.sqlite"),
                         f"openlineage:{FIXTURES / 'openlineage-1.54-airflow.ndjson'}"])


def _entries(outline: list[object]) -> list[Destination]:
    flat: list[Destination] = []
    for entry in outline:
        if isinstance(entry, list):
            flat.extend(_entries(entry))
        else:
            assert isinstance(entry, Destination)
            flat.append(entry)
    return flat


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_bookmark_opens_its_section(merged: Catalog, tmp_path: Path, edition: str) -> None:
    result = export_report(merged, edition, tmp_path / f"{edition}.pdf", settings=SETTINGS)
    reader = PdfReader(str(result.path))
    lines = [[ln.strip() for ln in (p.extract_text() or "").splitlines()] for p in reader.pages]
    entries = _entries(list(reader.outline))
    assert len(entries) >= 20
    wrong = []
    for entry in entries:
        title = str(entry.title)
        page = reader.get_destination_page_number(entry)
        # the heading is on the page the bookmark opens, past the contents (a wrapped heading's
        # first line is the start of the title)
        if page < 2 or not any(ln == title or (len(ln) >= 12 and title.startswith(ln)) for ln in lines[page]):
            wrong.append((title, page + 1))
    assert not wrong, wrong[:5]


def _printed_whole(name: str, lines: list[str]) -> bool:
    """``name`` on one line, or on consecutive lines broken only between CamelCase humps
    ("CsvExample" / "Gen"), never inside a hump ("CsvExa" / "mpleGen")."""
    for i in range(len(lines)):
        joined = ""
        for line in lines[i:i + 4]:
            if joined and not (joined[-1].islower() or joined[-1].isdigit()) or joined and not line[:1].isupper():
                break
            joined += line
            if joined == name:
                return True
            if not name.startswith(joined):
                break
    return False


def test_mlmd_pipeline_figure_prints_component_names_whole(merged: Catalog, tmp_path: Path) -> None:
    result = export_report(merged, "gdpr", tmp_path / "gdpr.pdf", settings=SETTINGS)
    reader = PdfReader(str(result.path))
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    start = text.index("lineage of taxi-fare-pipeline v16")
    figure = text[start:text.index("Data flows left to right.", start)]
    lines = [ln.strip() for ln in figure.splitlines() if ln.strip()]
    # the TFX components of the MLMD fixture, each a single word in the store
    names = ["CsvExampleGen", "StatisticsGen", "SchemaGen", "ExampleStatistics", "ModelBlessing", "Trainer"]
    missing = [n for n in names if not _printed_whole(n, lines)]
    assert not missing, (missing, figure)


@pytest.mark.parametrize("width", [12.0, 20.0, 30.0, 45.0, 80.0])
def test_lineage_labels_break_only_between_words_or_humps(width: float) -> None:
    from mlops_desktop.reports.charts import BREAK_AFTER, fit_label
    from mlops_desktop.reports.fonts import SANS

    for label in ["CsvExampleGen", "ExampleStatistics #3", "taxi-fare-pipeline v16", "ModelBlessing",
                  "XGBoostTrainer2", "dataset:readmission-risk-train@4"]:
        lines, size = fit_label(label, SANS, 6.5, width)
        assert 1.0 <= size <= 6.5
        # every line break of the label: after a separator, or between two humps of a word
        pos = 0
        for line in lines[:-1]:
            start = label.index(line, pos)
            assert label[pos:start].strip() == ""  # whole: nothing dropped
            pos = start + len(line)
            before, after = label[pos - 1], label[pos:pos + 1].lstrip() or label[pos:].lstrip()[:1]
            hump = ((before.islower() or before.isdigit()) and after.isupper() or before.isalpha() and after.isdigit()
                    or before.isupper() and after.isupper() and label[pos + 1:pos + 2].islower())  # XG|Boost
            assert before in BREAK_AFTER or label[pos:pos + 1] == " " or hump, (label, lines)
        assert label[pos:].strip() == lines[-1]


def test_findings_register_columns_keep_keys_whole_and_break_identifiers_after_separators(merged: Catalog) -> None:
    from mlops_desktop.core.findings import default_lineage, evaluate
    from mlops_desktop.reports.charts import BREAK_AFTER
    from mlops_desktop.reports.document import DeferredTable, ReportBuilder
    from mlops_desktop.reports.fonts import register_fonts
    from mlops_desktop.reports.model import assemble
    from mlops_desktop.reports.pdf import _findings_register

    register_fonts()
    findings = evaluate(merged, None, SETTINGS.findings, lineage=default_lineage(merged))
    b = ReportBuilder(assemble(merged, "gdpr", findings, settings=SETTINGS))
    _findings_register(b, 12)
    table = next(f for f in b.story if isinstance(f, DeferredTable))
    rows = table._cellvalues[1:]
    assert len(rows) == len(findings) >= 20
    ids = 0
    for row, finding in zip(rows, findings, strict=True):
        key, obj, owner = str(row[0]), str(row[2]), str(row[5])
        assert key == finding.key  # one line, never broken
        assert owner.count("\n") <= 2, owner  # "open; owner and due date not recorded" in at most 3 lines
        lines = obj.split("\n")
        assert "".join(lines) == finding.object.replace(" ", "") or " ".join(lines) == finding.object
        for line in lines[:-1]:  # an identifier breaks only after / : @ - _ .
            ids += 1
            assert line[-1] in BREAK_AFTER, (finding.object, lines)
    assert ids > 0  # some identifiers are longer than the column: the breaks were checked


def test_gdpr_contents_fit_one_page_instead_of_spilling_two_lines(merged: Catalog, tmp_path: Path) -> None:
    result = export_report(merged, "gdpr", tmp_path / "gdpr.pdf", settings=SETTINGS)
    reader = PdfReader(str(result.path))
    contents, after = reader.pages[1].extract_text() or "", reader.pages[2].extract_text() or ""
    assert "Contents" in contents and "Sign-off" in contents  # the whole contents on page 2
    assert "1. Executive summary" in after and "In scope:" in after  # page 3 is the summary, not a remnant
    assert "Page 2 of" in contents and re.search(r"\. 3\b", contents)  # the contents number the summary's page
