"""Catalog pages in a 1280x800 window on the demo stores: the Datasets and Runs tables and the
version's Monitoring table fit without scrolling sideways, their cut cells carry the whole text as
tooltip; the Governance tab wraps its rule texts and verdicts; the History tab's summary is shown
whole and an empty change list says why (the journal's single observation) — and, on a journal
that recorded a change, the list shows it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QTableView

from mlops_desktop.resources import demo_settings, demo_store_urls
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.catalog.elided_tips import cell_tooltip, is_elided
from tests.ui.conftest import flush_events
from tests.ui.test_screenshots import _governance_with_decisions


@pytest.fixture
def window(make_window, qtbot, ui, tmp_path: Path):
    catalog = load_catalog(demo_store_urls(), settings=demo_settings())
    w = make_window(source_settings=demo_settings(),
                    governance_url=_governance_with_decisions(tmp_path / "governance.db", catalog))
    w.persist_layout = False
    w.resize(QSize(1280, 800))
    w.open_stores(demo_store_urls())
    ui.wait_idle(qtbot, w.load_slot)
    ui.wait_idle(qtbot, w.models_view.governance_slot)
    return w


def assert_fits(table: QTableView) -> None:
    header = table.horizontalHeader()
    total = sum(header.sectionSize(i) for i in range(header.count()) if not header.isSectionHidden(i))
    assert total <= table.viewport().width(), (total, table.viewport().width())
    assert not table.horizontalScrollBar().isVisible()
    assert table.horizontalScrollBar().maximum() == 0


def assert_cut_cells_have_tooltips(table: QTableView) -> int:
    """Every cut cell's tooltip is its whole text (or the model's own explanation); the count of cut cells."""
    model = table.model()
    cut = 0
    for row in range(min(model.rowCount(), 40)):
        for col in range(model.columnCount()):
            index = model.index(row, col)
            if is_elided(table, index):
                cut += 1
                own = index.data(3)  # ToolTipRole
                assert cell_tooltip(table, index) == (str(own) if own else index.data()), (row, col)
    return cut


def narrowed_cut(table: QTableView, column: int) -> None:
    """The check sees a cut: a column made narrow cuts its text, whose tooltip is the whole text."""
    index = table.model().index(0, column)
    table.setColumnWidth(column, 30)
    assert is_elided(table, index)
    own = index.data(3)
    assert cell_tooltip(table, index) == (str(own) if own else index.data())


def test_datasets_and_runs_tables_fit_at_1280(window, qtbot, ui) -> None:
    window.show_page("datasets")
    datasets = window.datasets_view
    qtbot.waitUntil(lambda: datasets.table.model().rowCount() > 0, timeout=20_000)
    datasets.table_fitter.fit()
    flush_events()
    assert_fits(datasets.table)
    assert_cut_cells_have_tooltips(datasets.table)
    name = datasets.model.column_index("Name")
    assert datasets.table.columnWidth(name) >= 110  # the names stay readable
    narrowed_cut(datasets.table, name)

    window.show_page("runs")
    runs = window.runs_view
    ui.wait_idle(qtbot, runs.task_slot)
    qtbot.waitUntil(lambda: runs.table.model().rowCount() > 0, timeout=20_000)
    runs.table_fitter.fit()
    flush_events()
    assert_fits(runs.table)
    assert_cut_cells_have_tooltips(runs.table)
    header = runs.table.horizontalHeader()
    # every header is readable: none is cut below its own width (the sort arrow's room only
    # where the arrow is drawn)
    for i in range(header.count()):
        if not header.isSectionHidden(i) and runs.model.headerData(i, 1) != "Run ID":
            assert header.sectionSize(i) >= min(runs.table_fitter.header_width(i), 110), i
    narrowed_cut(runs.table, runs.model.column_index("Run ID"))


def _version_tab(window, qtbot, ui, widget):
    view = window.models_view
    assert view.select_model("credit-limit") and view.select_version("3")
    view.detail.tabs.setCurrentWidget(widget)
    flush_events()
    return view.detail


def test_version_monitoring_table_fits_at_1280(window, qtbot, ui) -> None:
    tab = window.models_view.detail.monitoring_tab
    _version_tab(window, qtbot, ui, tab)
    tab.results_fitter.fit()
    flush_events()
    assert_fits(tab.results_view)  # the demo's version has no result: the headers alone fit
    # results of a monitored version (the monitoring fixture) shown at the width the tab has at 1280 px
    from datetime import date

    from mlops_desktop.core.monitoring import monitoring_overview
    from tests.conftest import FIXTURES

    mon = FIXTURES / "monitoring"
    overview = monitoring_overview(load_catalog([str(mon / "mlflow.db"), f"monitoring:{mon / 'results'}"]),
                                   as_of=date(2026, 10, 20))
    tab.set_monitoring(overview.version("iris-classifier", "2"))
    assert tab.results_model.rowCount() > 0
    flush_events()
    tab.results_fitter.fit()
    flush_events()
    assert_fits(tab.results_view)
    assert_cut_cells_have_tooltips(tab.results_view)
    narrowed_cut(tab.results_view, tab.results_model.column_index("Result"))


def test_version_governance_tab_wraps_rules_and_verdicts(window, qtbot, ui) -> None:
    tab = window.models_view.detail.governance_tab
    _version_tab(window, qtbot, ui, tab)
    tree = tab.tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() > 0, timeout=20_000)
    flush_events()
    header = tree.header()
    assert header.sectionSize(0) + header.sectionSize(1) <= tree.viewport().width()
    assert not tree.horizontalScrollBar().isVisible()
    fm = tree.fontMetrics()
    wrapped = 0
    items = []
    for i in range(tree.topLevelItemCount()):
        stack = [tree.topLevelItem(i)]
        while stack:
            item = stack.pop()
            items.append(item)
            stack.extend(item.child(j) for j in range(item.childCount()))
    assert any(it.text(0).startswith("[") for it in items), "no policy rule shown"
    for item in items:
        rect = tree.visualItemRect(item)
        for col in (0, 1):
            text = item.text(col)
            if not text:
                continue
            assert item.toolTip(col) == text  # the whole text, also where a reader wants it copied
            if fm.horizontalAdvance(text) > header.sectionSize(col):  # longer than its column: wrapped
                wrapped += 1
                assert rect.height() >= 2 * fm.lineSpacing(), (text, rect.height())
    assert wrapped, "no text long enough to wrap at 1280 px"


def test_version_history_summary_whole_and_empty_changes_explained(window, qtbot, ui) -> None:
    tab = window.models_view.detail.history_tab
    _version_tab(window, qtbot, ui, tab)
    ui.wait_idle(qtbot, tab.slot)
    qtbot.waitUntil(lambda: tab.history is not None, timeout=20_000)
    flush_events()
    summary = tab.summary
    assert summary.text()
    # the summary is as tall as its wrapped lines (its second line was half cut)
    assert summary.height() >= summary.heightForWidth(summary.width()) > summary.fontMetrics().lineSpacing()
    # also at once when the summary is filled (the window may be drawn before any event is handled)
    summary.setText("one line")
    summary.setMinimumHeight(0)
    tab.layout().activate()
    assert summary.height() < 2 * summary.fontMetrics().lineSpacing()
    tab._show()
    assert summary.height() >= summary.heightForWidth(summary.width())
    assert summary.geometry().bottom() < tab.stack.geometry().top()  # nothing drawn over its last lines
    # the demo's journal holds one observation of the registry: no change can be known yet, and the tab says so
    assert tab.events_model.rowCount() == 0
    assert tab.events_stack.currentWidget() is tab.events_empty and tab.events_empty.isVisible()
    words = tab.events_empty.text()
    assert "single observation" in words and "mlops-desktop observe" in words


def test_history_change_list_shown_when_the_journal_records_a_change(qtbot, tmp_path: Path) -> None:
    pytest.importorskip("mlflow", reason="the test extra (mlflow) is not installed")
    from tests.governance.test_journal_mlflow import _scenario
    from tests.ui.catalog.test_history_tab import models_page
    from tests.ui.conftest import wait_idle

    world = _scenario(tmp_path, ("alice", "bob"))
    view = models_page(qtbot, world.catalog, str(world.gov_path))
    try:
        assert view.select_model("demand-forecast") and view.select_version("3")
        tab = view.detail.history_tab
        view.detail.tabs.setCurrentWidget(tab)
        wait_idle(qtbot, tab.slot)
        assert tab.events_model.rowCount() == 1
        assert tab.events_stack.currentWidget() is tab.events_view
        # a version the journal saw unchanged in two observations: no change, said with the count
        assert view.select_version("2")
        wait_idle(qtbot, tab.slot)
        if tab.events_model.rowCount() == 0:
            assert tab.events_stack.currentWidget() is tab.events_empty
            assert "observations" in tab.events_empty.text() and "single" not in tab.events_empty.text()
    finally:
        view.shutdown()
        world.gov.close()
