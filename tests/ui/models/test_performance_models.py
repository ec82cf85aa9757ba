"""The big pages' views say when a store has none, and the inventory's filter texts are
computed in a worker (the Runs and Datasets pages' windowed models:
tests/ui/catalog/test_store_paged_pages.py)."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt

from mlops_desktop.ui.catalog.datasets_view import NO_DATASETS_TEXT
from mlops_desktop.ui.catalog.runs_view import NO_RUNS_TEXT
from mlops_desktop.ui.models.catalog import STATIC_COLUMNS


def test_runs_and_datasets_pages_say_when_a_store_has_none(make_window, qtbot, ui, mlflow3_db):
    db = sqlite3.connect(mlflow3_db)
    with db:
        for table in ("inputs", "input_tags", "datasets", "latest_metrics", "metrics", "params", "tags"):
            db.execute(f"delete from {table}")
        db.execute("delete from runs")
    db.close()
    window = make_window()
    window.open_stores([str(mlflow3_db)])
    ui.wait_idle(qtbot, window.load_slot)
    window.show_page("datasets")
    dv = window.datasets_view
    ui.wait_idle(qtbot, dv.prepare_slot)
    assert dv.stack.currentWidget() is dv.empty_label and dv.empty_label.text() == NO_DATASETS_TEXT
    ui.render(window, "main_window_datasets_empty")
    window.show_page("runs")
    rv = window.runs_view
    ui.wait_idle(qtbot, rv.task_slot)
    assert rv.all_runs_loaded
    assert rv.stack.currentWidget() is rv.empty_label and rv.empty_label.text() == NO_RUNS_TEXT
    ui.render(window, "main_window_runs_empty")


def test_inventory_filter_texts_are_computed_in_a_worker(make_window, qtbot, ui, mlflow3_db):
    window = make_window()
    window.open_stores([str(mlflow3_db)])
    ui.wait_idle(qtbot, window.load_slot)
    view = window.models_view
    ui.wait_idle(qtbot, view.search_slot)
    model = view.model
    assert all(text is not None for text in model._search)  # ready before the first keystroke
    # the worker's texts are the static cells'; the computed cells' are matched apart
    assert model._search == ["\x1f".join(c.display(r) for c in model.columns[:STATIC_COLUMNS]).casefold()
                             for r in model.rows]
    assert [model.search_text(i) for i in range(model.rowCount())] == [
        "\x1f".join(c.display(r) for c in model.columns).casefold() for r in model.rows]
    view.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
    rows_before = list(model.rows)
    model.set_search_texts(list(reversed(rows_before)), ["x"] * len(rows_before))  # matched by row, not position
    assert model._search == ["x"] * len(rows_before)
    view.filter_bar.edit.setText("x")
    assert view.proxy.rowCount() == len(rows_before)
