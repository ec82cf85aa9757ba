"""The main window on real stores: inventory vs. MLflow's own truth, filter, detail, views, PNGs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QKeySequence

from mlops_desktop.ui.common.roles import ENTITY_ROLE
from mlops_desktop.ui.shell.pages import EMPTY_TEXT

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TRUTH = json.loads((FIXTURES / "mlflow-3.17-sqlite.truth.json").read_text(encoding="utf-8"))["models"]


def shown(proxy, column=0):
    return [proxy.index(r, column).data() for r in range(proxy.rowCount())]


def test_empty_state_before_any_store(make_window, ui):
    window = make_window()
    assert window.content.currentWidget() is window.empty_state
    assert window.empty_state.label.text() == EMPTY_TEXT
    assert window.stores_label.text() == "No store open"
    ui.render(window, "main_window_empty")


def test_navigator_pages_and_placeholders(make_window):
    window = make_window()
    titles = [window.navigator.item(i).text() for i in range(window.navigator.count())]
    assert titles == ["Models", "Datasets", "Runs", "Lineage", "Approvals", "Audit log", "Findings"]
    from PySide6.QtWidgets import QLabel

    page = QLabel("approvals page")
    window.add_page("approvals", "Approvals", page)  # replacing a placeholder is one line
    assert window.page("approvals") is page
    assert window.navigator.count() == 7
    window.show_page("approvals")
    assert window.pages.currentWidget() is page


def test_shortcuts(make_window):
    window = make_window()
    assert window.open_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert window.open_action.shortcut().toString() == "Ctrl+O"
    assert window.filter_action.shortcut().toString() == "Ctrl+F"
    assert window.reload_action.shortcut().toString() == "F5"
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"


def test_inventory_matches_mlflow_truth(loaded_window, ui):
    view = loaded_window.models_view
    assert sorted(shown(view.proxy)) == sorted(TRUTH)
    assert view.filter_bar.count.text() == f"{len(TRUTH)} models"
    for row in range(view.proxy.rowCount()):
        model = view.proxy.index(row, 0).data(ENTITY_ROLE)
        truth = TRUTH[model.name]
        assert model.aliases == truth["aliases"]
        assert sorted(v.version for v in model.visible_versions()) == sorted(truth["versions"])
        latest = view.proxy.index(row, view.model.column_index("Latest version")).data()
        assert latest == (max(truth["versions"], key=int) if truth["versions"] else "")
        risk = view.proxy.index(row, view.model.column_index("Risk tier")).data()
        assert risk == truth["tags"].get("risk_tier", "")
    assert "Connected to 1 store" in loaded_window.stores_label.text()
    ui.render(loaded_window, "main_window_models")


def test_filter_is_instant_and_ctrl_f_focuses_it(loaded_window, qtbot):
    view = loaded_window.models_view
    loaded_window.activateWindow()
    qtbot.keyClick(loaded_window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    loaded_window.filter_action.trigger()
    assert view.filter_bar.edit.hasFocus() or loaded_window.focusWidget() is view.filter_bar.edit
    qtbot.keyClicks(view.filter_bar.edit, "PHI")
    assert sorted(shown(view.proxy)) == ["readmission-risk", "sepsis-alert"]
    assert view.filter_bar.count.text() == f"2 of {len(TRUTH)} models"
    view.filter_bar.edit.setText("ÑANDÚ")
    assert shown(view.proxy) == ["ñandú-scorer ✓"]
    view.filter_bar.edit.setText("alice@")
    assert "churn-predictor" in shown(view.proxy)
    view.filter_bar.edit.clear()
    assert len(shown(view.proxy)) == len(TRUTH)


def test_sorting_by_column(loaded_window):
    view = loaded_window.models_view
    view.table.sortByColumn(view.model.column_index("Risk tier"), Qt.SortOrder.DescendingOrder)
    names = shown(view.proxy)
    assert set(names[:3]) == {"credit-limit", "readmission-risk", "sepsis-alert"}
    view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert shown(view.proxy)[0] == "churn-predictor"


def test_selecting_a_version_fills_the_detail_pane(loaded_window, qtbot, ui):
    view = loaded_window.models_view
    assert view.select_model("credit-limit")
    assert [view.versions_model.entity(r).version for r in range(view.versions_model.rowCount())] == ["3", "2"]
    assert view.select_version("3")
    truth = TRUTH["credit-limit"]["versions"]["3"]
    detail = view.detail
    assert detail.version.version == "3"
    header = detail.header.text()
    assert "credit-limit" in header and "version 3" in header and "Production" in header and "@champion" in header
    assert truth["run_id"] in detail.fact_labels["Run"].text()
    assert detail.fact_labels["Author"].text() == truth["run_user"]
    inputs = sorted((detail.inputs_model.index(r, 0).data(), detail.inputs_model.index(r, 1).data())
                    for r in range(detail.inputs_model.rowCount()))
    assert inputs == sorted((name, ctx) for name, _digest, ctx in truth["datasets"])
    tags = dict(detail.tags_model.rows)
    assert tags["validation_status"] == "passed"
    assert tags["model: risk_tier"] == "high"
    ui.wait_idle(qtbot, detail.run_slot)  # the run's params and metrics are read from the store
    assert detail.params_model.rowCount() > 0
    assert detail.metrics_model.rowCount() > 0
    detail.tabs.setCurrentIndex(1)
    ui.render(loaded_window, "main_window_version_datasets")

    # metric history on demand, in a worker
    detail.tabs.setCurrentIndex(3)
    detail.metrics_view.selectRow(0)
    ui.wait_idle(qtbot, detail.history_slot)
    key = detail.metrics_model.rows[0][0]
    xs, ys = detail.chart.xy()
    assert len(xs) == len(ys) > 1
    assert detail.chart.title.text().startswith(f"{key}: ")
    assert xs == sorted(xs)
    ui.render(loaded_window, "main_window_metric_history_step")
    detail.chart.x_combo.setCurrentText("Time")
    xs_time, _ = detail.chart.xy()
    assert len(xs_time) == len(xs) and xs_time[0] > 1.5e9  # epoch seconds
    ui.render(loaded_window, "main_window_metric_history_time")


def test_model_without_versions_shows_a_clear_state(loaded_window):
    view = loaded_window.models_view
    assert view.select_model("empty-model")
    assert view.versions_model.rowCount() == 0
    assert "has no versions" in view.versions_label.text()
    assert "Select a model version" in view.detail.header.text()


def test_datasets_and_runs_views(loaded_window, qtbot, ui):
    loaded_window.show_page("datasets")
    dv = loaded_window.datasets_view
    ui.wait_idle(qtbot, dv.prepare_slot)  # read from the store when first shown
    names = set(shown(dv.proxy))
    expected = {name for m in TRUTH.values() for v in m["versions"].values() for name, _d, _c in v["datasets"]}
    assert expected <= names
    dv.filter_bar.edit.setText("PHI")
    ui.wait_idle(qtbot, dv.prepare_slot)
    assert shown(dv.proxy) and all("PHI" in dv.proxy.index(r, 2).data() for r in range(dv.proxy.rowCount()))
    dv.table.selectRow(0)
    assert "digest" in dv.header.text()
    assert dv.columns_model.rowCount() > 0
    ui.render(loaded_window, "main_window_datasets")

    loaded_window.show_page("runs")
    rv = loaded_window.runs_view
    ui.wait_idle(qtbot, rv.task_slot)
    assert rv.all_runs_loaded
    run_ids = set(shown(rv.proxy, 1))
    version_runs = {v["run_id"] for m in TRUTH.values() for v in m["versions"].values()}
    assert version_runs <= run_ids
    assert len(run_ids) > len(version_runs)  # runs no version uses are there too
    rv.filter_bar.edit.setText("trial")
    ui.wait_idle(qtbot, rv.task_slot)
    rv.table.selectRow(0)
    ui.wait_idle(qtbot, rv.detail_slot)  # the run's params and metrics are read on demand
    assert rv.params_model.rowCount() + rv.metrics_model.rowCount() > 0
    ui.render(loaded_window, "main_window_runs")


def test_store_bytes_unchanged_after_browsing_every_view(make_window, qtbot, mlflow3_db, ui):
    before = ui.sha256(mlflow3_db)
    window = make_window()
    window.open_stores([str(mlflow3_db)])
    ui.wait_idle(qtbot, window.load_slot)
    view = window.models_view
    for row in range(view.proxy.rowCount()):
        view.table.selectRow(row)
        for vrow in range(view.versions_model.rowCount()):
            view.versions_table.selectRow(vrow)
            if view.detail.metrics_model.rowCount():
                view.detail.metrics_view.selectRow(0)
                ui.wait_idle(qtbot, view.detail.history_slot)
    for key in ("datasets", "runs", "lineage", "approvals", "audit", "models"):
        window.show_page(key)
        ui.wait_idle(qtbot, window.runs_view.task_slot)
    window.reload_action.trigger()
    ui.wait_idle(qtbot, window.load_slot)
    window.close()
    assert ui.sha256(mlflow3_db) == before
    assert not list(mlflow3_db.parent.glob("*-journal")) and not list(mlflow3_db.parent.glob("*-wal"))


def test_reload_keeps_the_selection(loaded_window, qtbot, ui):
    view = loaded_window.models_view
    view.select_model("sepsis-alert")
    qtbot.keyClick(loaded_window, Qt.Key.Key_F5)
    loaded_window.reload()
    ui.wait_idle(qtbot, loaded_window.load_slot)
    assert view.selected_model().name == "sepsis-alert"


def test_drop_a_store_file_opens_it(make_window, qtbot, mlflow3_db, ui):
    window = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(mlflow3_db))])
    event = QDropEvent(QPointF(QPoint(400, 300)), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    ui.wait_idle(qtbot, window.load_slot)
    assert window.models_view.model.rowCount() == len(TRUTH)
    assert window.gui_settings.recent_stores == [str(mlflow3_db)]


def test_several_stores_merge_and_appear_one_by_one(make_window, qtbot, mlflow3_db, mlflow2_db, ui):
    window = make_window()
    counts = []
    window.models_view.model.rowsInserted.connect(lambda *_: counts.append(window.models_view.model.rowCount()))
    window.open_stores([str(mlflow3_db), str(mlflow2_db)])
    ui.wait_idle(qtbot, window.load_slot)
    assert len(counts) == 2 and counts[0] == len(TRUTH)
    assert len(window.catalog.stores) == 2
    assert "Connected to 2 stores" in window.stores_label.text()


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_themes_render(loaded_window, qtbot, mode, ui):
    loaded_window.set_theme(mode)
    view = loaded_window.models_view
    view.select_model("readmission-risk")
    view.detail.tabs.setCurrentIndex(3)
    view.detail.metrics_view.selectRow(0)
    ui.wait_idle(qtbot, view.detail.history_slot)
    ui.render(loaded_window, f"main_window_theme_{mode}")
    from mlops_desktop.ui.common import theme

    assert theme.colors() is (theme.DARK if mode == "dark" else theme.LIGHT)
    loaded_window.set_theme("system")


def test_demo_stores_merge_in_the_window(make_window, qtbot, ui):
    from mlops_desktop.resources import demo_settings, demo_store_urls

    window = make_window(source_settings=demo_settings())
    window.open_stores(demo_store_urls())
    ui.wait_idle(qtbot, window.load_slot)
    assert window.notifier.dialogs == []
    assert [s.kind for s in window.catalog.stores] == ["mlflow", "mlmd", "openlineage"]
    assert window.models_view.model.rowCount() > len(TRUTH)
    ui.render(window, "main_window_demo")
    window.show_page("datasets")
    ui.render(window, "main_window_demo_datasets")


@pytest.mark.parametrize(("url", "short"), [
    ("/data/x/mlflow.db", "mlflow.db"),
    ("mlflow+sqlite:////data/x/mlflow.db", "mlflow.db"),
    ("openlineage:/data/events.ndjson", "events.ndjson"),
    ("mlflow+postgresql://alice:***@db.example.org:5432/mlflow", "db.example.org:5432/mlflow"),
])
def test_short_store_names_in_the_status_bar(url, short):
    from mlops_desktop.ui.shell.pages import short_store_name

    assert short_store_name(url) == short
