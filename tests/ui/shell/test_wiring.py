"""The standalone widgets reached from the main window: lineage, compare, snapshot, report."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mlops_desktop.core.lineage import dataset_node_id, version_node_id
from mlops_desktop.governance.snapshot import create_snapshot
from mlops_desktop.ui.common import theme


def test_open_lineage_from_the_version_detail_in_one_click(loaded_window, qtbot, ui):
    window = loaded_window
    view = window.models_view
    assert view.select_model("readmission-risk") and view.select_version("3")
    assert window.lineage_page.stack.currentWidget() is window.lineage_page.empty
    view.detail.lineage_button.click()
    assert window.current_page_key() == "lineage"
    ui.wait_idle(qtbot, window.lineage_page.slot)
    focus = version_node_id("readmission-risk", "3")
    lineage = window.lineage_page.view
    assert window.lineage_page.stack.currentWidget() is lineage
    assert lineage.selected == focus and lineage.focus == focus
    assert set(lineage.node_ids) == window.lineage_page.graph.lineage_of(focus)
    assert lineage.highlighted_up == {  # its model, datasets, run and logged model (the fixture's truth)
        "model:readmission-risk",
        "dataset:s3://lake/clinical/readmission-risk/eval.parquet",
        "dataset:s3://lake/clinical/readmission-risk/train.parquet",
        "logged_model:m-d123b82153dc4192bd2f9b511beee5b4",
        "run:b4a6629c65d145c4a4fd809a57ed5751",
    }
    ui.render(window, "main_window_lineage")
    # a second opening reuses the graph (built once per load)
    graph = window.lineage_page.graph
    view.select_version("2")
    view.versions_menu().actions()[0].trigger()  # context menu: Open lineage
    ui.wait_idle(qtbot, window.lineage_page.slot)
    assert window.lineage_page.graph is graph
    assert lineage.selected == version_node_id("readmission-risk", "2")


def test_hops_change_lays_out_in_the_worker(loaded_window, qtbot, ui):
    window = loaded_window
    window.open_lineage(version_node_id("credit-limit", "3"))
    ui.wait_idle(qtbot, window.lineage_page.slot)
    lineage = window.lineage_page.view
    lineage.hops.setValue(1)
    assert window.lineage_page.layout_slot.is_running() or set(lineage.node_ids) == \
        window.lineage_page.graph.neighbourhood(lineage.focus, 1)
    ui.wait_idle(qtbot, window.lineage_page.layout_slot)
    assert set(lineage.node_ids) == window.lineage_page.graph.neighbourhood(lineage.focus, 1)
    assert lineage.selected == lineage.focus


def test_open_lineage_from_a_dataset(loaded_window, qtbot, ui):
    window = loaded_window
    window.show_page("datasets")
    dv = window.datasets_view
    assert not dv.lineage_button.isEnabled()
    ui.wait_idle(qtbot, dv.prepare_slot)  # read from the store when first shown
    dv.table.selectRow(0)
    row = dv.selected_row()
    dv.lineage_button.click()
    ui.wait_idle(qtbot, window.lineage_page.slot)
    assert window.current_page_key() == "lineage"
    assert window.lineage_page.view.selected == dataset_node_id(row.dataset)
    assert window.lineage_page.view.highlighted_down  # the runs/models it fed


def test_lineage_page_empty_states(make_window, loaded_window, qtbot):
    empty = make_window()
    empty.show_page("lineage")
    assert "Open a store first" in empty.lineage_page.empty.text()
    loaded_window.models_view.table.clearSelection()
    loaded_window.show_page("lineage")
    assert "press <b>Lineage</b>" in loaded_window.lineage_page.empty.text()
    loaded_window.close_stores()
    assert "Open a store first" in loaded_window.lineage_page.empty.text()


def test_compare_two_selected_versions(loaded_window, qtbot, ui):
    window = loaded_window
    view = window.models_view
    view.select_model("credit-limit")
    view.select_versions(["2"])
    assert not view.compare_button.isEnabled()
    assert not view.compare_selected()
    view.select_versions(["3", "2"])
    assert view.compare_button.isEnabled()
    with qtbot.waitSignal(view.sig_compare) as sig:
        view.compare_button.click()
    assert sig.args == ["credit-limit", "2", "3"]
    ui.wait_idle(qtbot, window.compare_slot)
    dialog = window.compare_dialogs[-1]
    assert dialog.isVisible()
    assert "credit-limit" in dialog.view.title.text() and "2 → 3" in dialog.view.title.text()
    assert dialog.view.table.rowCount() > 5
    ui.render(dialog, "dialog_compare_versions")
    dialog.close()


@pytest.fixture
def unsigned_snapshot(tmp_path: Path, mlflow3_db: Path) -> Path:
    out = tmp_path / "audit.mlsnap"
    create_snapshot([str(mlflow3_db)], out)
    return out


def test_snapshot_status_in_title_and_status_bar(make_window, qtbot, ui, unsigned_snapshot):
    window = make_window()
    partials = []
    window.load_slot.sig_started.connect(lambda *_: None)
    window.models_view.model.rowsInserted.connect(lambda *_: partials.append(window.load_slot.is_running()))
    window.open_stores([str(unsigned_snapshot)])
    ui.wait_idle(qtbot, window.load_slot)
    assert partials and partials[0] is True  # first rows arrived while the load was still running
    assert "unsigned snapshot, taken " in window.windowTitle()
    assert window.verification_label.isVisible()
    assert "unsigned snapshot" in window.verification_label.text()
    assert window.verification_label.property("alarm") is False
    assert window.models_view.model.rowCount() == 8


def test_altered_snapshot_is_shown_in_red(make_window, qtbot, ui, unsigned_snapshot):
    con = sqlite3.connect(unsigned_snapshot)
    con.execute("UPDATE mlsnap_versions SET stage = 'Production' WHERE _pos = 0")
    con.commit()
    con.close()
    window = make_window()
    window.open_stores([str(unsigned_snapshot)])
    ui.wait_idle(qtbot, window.load_slot)
    assert "ALTERED: table mlsnap_versions was changed" in window.windowTitle()
    assert window.verification_label.property("alarm") is True
    assert theme.colors().phi in window.verification_label.styleSheet()
    ui.render(window, "main_window_altered_snapshot")


def test_snapshot_and_report_dialogs_open_from_the_file_menu(loaded_window, qtbot, ui):
    window = loaded_window
    window.snapshot_action.trigger()
    dialog = window.snapshot_dialog
    assert dialog.isVisible() and dialog.stores == window.store_urls
    assert dialog.catalog is window.catalog
    dialog.close()
    assert window.report_action.shortcut().toString() == "Ctrl+E"
    window.report_action.trigger()
    report = window.report_dialog
    assert report.isVisible() and report.catalog is window.catalog
    ui.wait_idle(qtbot, report.preview_slot)
    report.close()
