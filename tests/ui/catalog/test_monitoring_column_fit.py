"""The Models page's Monitoring column at 1280x800 on the demo stores (with signed decisions, so
the Governance column is full too): a one-version status is shown whole; a longer one is cut
with its whole content in the tooltip."""

from __future__ import annotations

import re

from PySide6.QtCore import QSize, Qt

from mlops_desktop.resources import demo_settings, demo_store_urls
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.catalog.elided_tips import cell_tooltip, is_elided
from tests.ui.conftest import flush_events
from tests.ui.test_screenshots import _governance_with_decisions


def test_monitoring_column_fits_or_is_cut_with_a_tooltip(make_window, qtbot, ui, tmp_path):
    catalog = load_catalog(demo_store_urls(), settings=demo_settings())
    window = make_window(source_settings=demo_settings(),
                         governance_url=_governance_with_decisions(tmp_path / "governance.db", catalog))
    window.persist_layout = False
    window.resize(QSize(1280, 800))
    window.open_stores(demo_store_urls())
    ui.wait_idle(qtbot, window.load_slot)
    view = window.models_view
    ui.wait_idle(qtbot, view.monitoring_slot)
    ui.wait_idle(qtbot, view.governance_slot)
    view.table_fitter.fit()
    flush_events()
    table, model = view.table, view.table.model()
    column = view.model.column_index("Monitoring")
    texts = {model.index(r, column).data(): model.index(r, column) for r in range(model.rowCount())}
    shown = [t for t in texts if t]
    assert shown, "no monitoring status shown"
    single = [t for t in shown if re.fullmatch(r".+ \(v\d+\)", t)]
    assert single, shown
    for text in single:  # one deployed version: the whole text fits
        assert not is_elided(table, texts[text]), (text, table.columnWidth(column))
    for text in shown:  # any text: whole, or cut with every version it names in the tooltip
        if is_elided(table, texts[text]):
            tip = cell_tooltip(table, texts[text]) or ""
            versions = re.findall(r"v\d+", text)
            assert versions and all(f"{v} (deployed): " in tip for v in versions), (text, tip)
    # the check sees a cut: the same column made narrow cuts the one-version text
    table.setColumnWidth(column, 60)
    assert is_elided(table, texts[single[0]])
    assert cell_tooltip(table, texts[single[0]])
    # the other columns still share the page without scrolling sideways
    view.table_fitter.fit()
    header = table.horizontalHeader()
    assert sum(header.sectionSize(i) for i in range(header.count())) <= table.viewport().width()
    assert header.sectionSize(column) >= header.sectionSizeFromContents(column).width()  # its header whole
    assert model.headerData(column, Qt.Orientation.Horizontal) == "Monitoring"
