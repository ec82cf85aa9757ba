"""Table cells are laid out as strings broken into lines by the report builder (no Paragraph per
cell): every line fits its cell, nothing is lost or reordered, long words break after a separator,
and the cells read back from the PDF whole."""

from __future__ import annotations

import io
import random
import re

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from mlops_desktop.core.entities import Catalog, StoreInfo
from mlops_desktop.reports.document import ReportBuilder, ReportDoc
from mlops_desktop.reports.fonts import MONO, SANS, SANS_BOLD, register_fonts
from mlops_desktop.reports.model import assemble
from tests.reports.govfix import SETTINGS


@pytest.fixture(scope="module")
def builder() -> ReportBuilder:
    register_fonts()
    empty = Catalog(stores=[StoreInfo("mlflow", "empty.db", "x")])
    return ReportBuilder(assemble(empty, "gdpr", [], settings=SETTINGS))


def tokens(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("font,size", [(SANS, 7.5), (SANS_BOLD, 7.5), (MONO, 7)])
def test_lines_fit_and_keep_every_character(builder: ReportBuilder, font: str, size: float) -> None:
    rng = random.Random(12)
    alphabet = "abcdefghijklmnopqrstuvwxyzÅΩЖ✓0123456789/-_:.@ "
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 160)))
        if rng.random() < 0.3:
            text += "\n" + "x" * rng.randint(1, 90)
        width = rng.uniform(12, 300)
        lines = builder.wrap_lines(text, width, font, size)
        for line in lines:
            assert len(line) <= 1 or stringWidth(line, font, size) <= width + 1e-6, (text, width, line)
        assert tokens("".join(lines)) == tokens(text)  # nothing lost, nothing reordered
        assert len(lines) >= text.count("\n") + 1  # each line break kept


def test_words_and_long_words(builder: ReportBuilder) -> None:
    assert builder.wrap_lines("Stop relying on this governance store until it is explained", 90) == [
        "Stop relying on this", "governance store until", "it is explained"]
    assert builder.wrap_lines("models:/churn-predictor/3", 60) == ["models:/churn-", "predictor/3"]
    # a long word on a begun line starts the next one unless it can end at a separator there
    assert builder.wrap_lines("link the results to it (docs/MONITORING.md).", 80) == [
        "link the results to it", "(docs/MONITORING.", "md)."]
    assert builder.wrap_lines("a  b\t c", 100) == ["a b c"]
    assert builder.wrap_lines("a\n\nb", 50) == ["a", "", "b"]
    assert builder.wrap_lines("", 50) == [""]
    assert builder.fast_cell("short", 100) == "short"
    assert builder.fast_cell(None, 100) == ""


def test_table_cells_read_back_whole(builder: ReportBuilder) -> None:
    rows = [[f"scale-model-{i}", f"user{i}@example.org", "s3://bucket/" + "deep/" * 12 + f"{i}.parquet",
             "<b>not markup</b> & kept " * 3] for i in range(60)]
    builder.story.clear()
    builder.table(["Model", "Author", "Source", "Note"], rows, [2.0, 2.2, 3.0, 3.0])
    buf = io.BytesIO()
    doc = ReportDoc(buf, builder.d, lambda: False, lambda *_: None, len(builder.story), leftMargin=56.7,
                    rightMargin=56.7, topMargin=56.7, bottomMargin=56.7)
    doc.build(list(builder.story))
    reader = PdfReader(buf)
    assert len(reader.pages) >= 2  # the table split across pages, header repeated
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert text.count("Source") == len(reader.pages)
    flat = re.sub(r"\s+", "", text)
    for row in rows:
        for cell in row:
            assert tokens(cell) in flat, cell


def test_headers_keep_their_words_whole(builder: ReportBuilder) -> None:
    from mlops_desktop.reports.document import FRAME_W

    header = ["Model", "Version", "In use as", "Severity", "Reason for the tier"]
    widths = builder.column_widths(header, [3.0, 0.5, 1.0, 0.5, 3.0])
    assert sum(widths) == pytest.approx(FRAME_W)
    for h, w in zip(header, widths, strict=True):
        assert builder.fast_cell(h, w - 6, SANS_BOLD) == h  # one line: no word broken
    # the wide columns gave the room, the others kept theirs
    plain = builder.column_widths(header, [3.0, 2.0, 2.0, 2.0, 3.0])
    assert plain == [FRAME_W * w / 12.0 for w in (3.0, 2.0, 2.0, 2.0, 3.0)]
