"""Catalog layout on the MLflow 3.17 fixture: the versions table fits its pane at 1280 px, cut
cells carry their whole text as tooltip, the Metrics tab opens on the first metric, the model's
description and tags show, and a version links to its run and datasets."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from mlops_desktop.core.entities import Catalog
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.catalog.elided_tips import cell_tooltip, is_elided
from mlops_desktop.ui.catalog.inventory_view import ModelsView
from tests.ui.conftest import OFFSCREEN_NOISE, flush_events, render, wait_idle

#: the Models page's width in a 1280 px window (the navigator takes the rest)
PAGE_AT_1280 = 1110


@pytest.fixture
def catalog(mlflow3_db: Path) -> Catalog:
    return load_catalog([str(mlflow3_db)])


@pytest.fixture
def view(qtbot, catalog: Catalog, tmp_path: Path):
    from mlops_desktop.governance.store import open_governance

    open_governance(str(tmp_path / "gov.db")).close()
    v = ModelsView()
    qtbot.addWidget(v)
    v.governance_url_source = lambda: str(tmp_path / "gov.db")
    v.resize(PAGE_AT_1280, 760)
    v.show()
    v.set_catalog(catalog)
    wait_idle(qtbot, v.governance_slot)
    wait_idle(qtbot, v.monitoring_slot)
    yield v
    v.shutdown()


def fit(v: ModelsView) -> None:
    flush_events()
    v.versions_fitter.fit()


def section_total(table) -> int:
    header = table.horizontalHeader()
    return sum(header.sectionSize(i) for i in range(header.count()) if not header.isSectionHidden(i))


@pytest.mark.parametrize("width", [PAGE_AT_1280, 1280, 1600])
def test_versions_table_fits_without_horizontal_scrolling(qtbot, view: ModelsView, catalog: Catalog,
                                                          width: int) -> None:
    view.resize(width, 760)
    for model in catalog.models:
        assert view.select_model(model.name)
        fit(view)
        table = view.versions_table
        assert section_total(table) <= table.viewport().width(), model.name
        assert table.horizontalScrollBar().maximum() == 0
        # every column keeps some room, none is squeezed away
        header = table.horizontalHeader()
        assert min(header.sectionSize(i) for i in range(header.count())) >= 36
    # the version pane's tabs all show (no scroll arrows) next to the versions at 1280 px
    if width == PAGE_AT_1280:
        tabs = view.detail.tabs
        assert tabs.tabBar().sizeHint().width() <= tabs.width()


def _find_elided(table):
    model = table.model()
    for row in range(model.rowCount()):
        for col in range(model.columnCount()):
            index = model.index(row, col)
            if is_elided(table, index):
                return index
    return None


@pytest.mark.qt_log_ignore(OFFSCREEN_NOISE, "This plugin does not support raise")  # offscreen: showing a tooltip
def test_cut_cells_carry_their_whole_text(qtbot, view: ModelsView) -> None:
    view.select_model("fraud-detector")
    fit(view)
    table = view.versions_table
    # a narrow pane cuts the Stage column: "Production" is elided, its tooltip is the whole text
    view.model_tabs.parentWidget().setSizes([300, 800])
    fit(view)
    index = _find_elided(table)
    assert index is not None
    full = index.data()
    assert cell_tooltip(table, index) == full
    # the tooltip the view really shows for that cell
    rect = table.visualRect(index)
    event = QHelpEvent(QHelpEvent.Type.ToolTip, rect.center(), table.viewport().mapToGlobal(rect.center()))
    QApplication.sendEvent(table.viewport(), event)
    assert QToolTip.text() == full
    QToolTip.hideText()
    # a cell that fits shows no tooltip of its own
    version_cell = table.model().index(0, table.model().column_index("Version"))
    assert not is_elided(table, version_cell) and cell_tooltip(table, version_cell) is None


def test_datasets_tab_names_cut_with_tooltip(qtbot, view: ModelsView) -> None:
    view.select_model("fraud-detector")
    view.select_version("3")
    detail = view.detail
    detail.tabs.setCurrentWidget(detail.inputs_view)
    table = detail.inputs_view
    col = detail.inputs_model.column_index("Dataset")
    assert detail.inputs_model.rowCount() >= 1
    flush_events()
    detail.inputs_fitter.fit()  # the columns fit the pane at 1280 px
    assert section_total(table) <= table.viewport().width()
    table.setColumnWidth(col, 40)
    index = detail.inputs_model.index(0, col)
    assert is_elided(table, index)
    assert cell_tooltip(table, index) == detail.inputs_model.entity(0)[0].name


def test_metrics_tab_opens_on_the_first_metric(qtbot, view: ModelsView) -> None:
    view.select_model("fraud-detector")
    view.select_version("3")
    detail = view.detail
    assert detail.metrics_model.rowCount() >= 1
    first_key = detail.metrics_model.index(0, 0).data()
    detail.tabs.setCurrentWidget(detail.metrics_page)
    wait_idle(qtbot, detail.history_slot)
    xs, ys = detail.chart.xy()
    assert xs and ys, "the chart is empty on open"
    assert detail.chart.title.text().startswith(f"{first_key}:")
    # another version while the Metrics tab is open: its first metric at once
    view.select_version("2")
    wait_idle(qtbot, detail.history_slot)
    assert detail.chart.xy()[0]
    assert detail.chart.title.text().startswith(f"{detail.metrics_model.index(0, 0).data()}:")
    render(view.detail, "version_metrics_on_open")


def test_model_description_and_tags(qtbot, view: ModelsView, catalog: Catalog) -> None:
    model = catalog.model("fraud-detector")
    assert model is not None and model.description and model.tags
    view.select_model("fraud-detector")
    info = view.model_info
    assert info.description.text() == model.description
    assert dict(info.tags_model.rows) == model.tags
    assert view.versions_label.toolTip() == model.description
    assert model.description.split()[0] in view.versions_label.text()
    empty = catalog.model("empty-model")
    assert empty is not None
    view.select_model("empty-model")
    assert info.description.text() == (empty.description or "No description recorded in the registry.")
    view.select_model("fraud-detector")
    view.model_tabs.setCurrentWidget(info)
    render(view, "models_model_tab")


def test_version_links_to_its_run_and_datasets(make_window, qtbot, mlflow3_db, catalog) -> None:
    window = make_window()
    window.open_stores([str(mlflow3_db)])
    wait_idle(qtbot, window.load_slot)
    view = window.models_view
    assert view.select_model("fraud-detector") and view.select_version("3")
    version = catalog.model("fraud-detector").version("3")
    links = view.detail.links.text()
    assert f"href='run:{version.run_id}'" in links
    for inp in version.datasets:
        assert f"href='dataset:{inp.dataset_id}'" in links
    view.detail.links.linkActivated.emit(f"run:{version.run_id}")
    assert window.current_page_key() == "runs"
    qtbot.waitUntil(lambda: (window.runs_view.selected_run() is not None
                             and window.runs_view.selected_run().run_id == version.run_id), timeout=20_000)
    window.show_page("models")
    dataset = version.datasets[0]
    view.detail.tabs.setCurrentWidget(view.detail.inputs_view)
    index = view.detail.inputs_model.index(0, 0)
    assert view.detail.inputs_model.entity(0)[0].dataset_id == dataset.dataset_id
    view.detail.inputs_view.doubleClicked.emit(index)
    assert window.current_page_key() == "datasets"
    qtbot.waitUntil(lambda: (window.datasets_view.selected_row() is not None
                             and window.datasets_view.selected_row().dataset.id == dataset.dataset_id),
                    timeout=20_000)
    # and the same through the link
    window.show_page("models")
    view.detail.links.linkActivated.emit(f"dataset:{version.datasets[-1].dataset_id}")
    qtbot.waitUntil(lambda: window.datasets_view.selected_row().dataset.id == version.datasets[-1].dataset_id,
                    timeout=20_000)


@pytest.mark.parametrize("width", [PAGE_AT_1280, 1280])
def test_models_and_versions_headers_readable(qtbot, view: ModelsView, width: int) -> None:
    view.resize(width, 760)
    view.select_model("fraud-detector")
    flush_events()
    for table, fitter, flexible in ((view.table, view.table_fitter, {"Stage / aliases", "Author", "Governance",
                                                                     "Monitoring"}),
                                    (view.versions_table, view.versions_fitter, {"Stage", "Aliases", "Author"})):
        fitter.fit()
        header = table.horizontalHeader()
        assert section_total(table) <= table.viewport().width()
        model = table.model()
        for i in range(header.count()):
            title = model.headerData(i, Qt.Orientation.Horizontal)
            if title not in flexible:  # the others are never cut, header included (the sort
                # arrow's room where it is drawn: the sorted column)
                assert header.sectionSize(i) >= fitter.header_width(i), title
                if i == header.sortIndicatorSection():
                    assert header.sectionSize(i) >= header.sectionSizeFromContents(i).width(), title
