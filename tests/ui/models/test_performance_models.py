"""The paged, self-sorting table models of the big pages (runs, datasets) and their views.

Rows are prepared off the UI thread (:func:`prepare_table`), paged in with fetchMore,
sorted by precomputed ranks and filtered by precomputed search texts; the views show a
message instead of an empty table.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pandas as pd
import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from mlops_desktop.core.entities import Run
from mlops_desktop.sources import load_catalog
from mlops_desktop.ui.catalog.datasets_view import NO_DATASETS_TEXT
from mlops_desktop.ui.catalog.runs_view import NO_RUNS_TEXT
from mlops_desktop.ui.common.roles import ENTITY_ROLE, SORT_ROLE
from mlops_desktop.ui.models.base import Column
from mlops_desktop.ui.models.catalog import DatasetsModel, RunsModel, dataset_rows
from mlops_desktop.ui.models.paged import PagedTableModel, dense_ranks, prepare_table, sorted_order

T0 = datetime(2026, 1, 1, 12, 0)


def make_runs(n: int) -> list[Run]:
    """``n`` runs with repeating names, users and start times (ties for every sort)."""
    return [
        Run(run_id=f"{i:06x}", name=f"run-{i % 37}", experiment_name=f"exp-{i % 5}", user=f"user{i % 7}",
            status="FINISHED" if i % 3 else "FAILED", start_time=T0 + timedelta(minutes=i % 11) if i % 13 else None,
            end_time=T0 + timedelta(minutes=i % 11, seconds=i % 17) if i % 13 else None)
        for i in range(n)
    ]


def shown_ids(model: RunsModel) -> list[str]:
    return [model.entity(r).run_id for r in range(model.rowCount())]


@pytest.fixture
def catalog(mlflow3_db):
    return load_catalog([str(mlflow3_db)], all_runs=True)


def test_dense_ranks_numbers_strings_tuples_and_nan():
    assert dense_ranks([3.0, 1.0, float("nan"), 1.0, float("-inf"), float("nan")]).tolist() == [2, 1, 3, 1, 0, 3]
    assert dense_ranks(["b", "a", "b", "c"]).tolist() == [1, 0, 1, 2]
    assert dense_ranks([(1, 2, ""), (0, 5, ""), (1, 2, "")]).tolist() == [1, 0, 1]
    assert dense_ranks(["x" * 300, "a", "x" * 300]).tolist() == [1, 0, 1]  # long keys: Python sort
    assert dense_ranks([]).tolist() == []
    ranks = dense_ranks([2, 1, 2, 0])
    assert sorted_order(ranks, Qt.SortOrder.AscendingOrder).tolist() == [3, 1, 0, 2]
    assert sorted_order(ranks, Qt.SortOrder.DescendingOrder).tolist() == [0, 2, 1, 3]  # ties keep their order


@pytest.mark.parametrize("column", range(len(RunsModel.columns)))
@pytest.mark.parametrize("order", [Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
def test_sort_matches_a_python_sort_of_the_column_keys(qapp, column, order):
    runs = make_runs(500)
    model = RunsModel(runs)
    model.sort(column, order)
    key = model.sort_key(column)
    expected = sorted(runs, key=key, reverse=order == Qt.SortOrder.DescendingOrder)
    got = [model.entity(r) for r in range(model.shown_count())]
    assert [key(r) for r in got] == [key(r) for r in expected]
    assert model.index(0, column).data(SORT_ROLE) == key(expected[0])


def test_prepared_table_is_a_dataframe_of_cell_texts_and_typed_sort_keys():
    runs = make_runs(300)
    table = prepare_table(RunsModel.columns, runs, 5, Qt.SortOrder.DescendingOrder)
    titles = [c.title for c in RunsModel.columns]
    assert list(table.frame.columns) == list(table.keys.columns) == titles
    assert all(pd.api.types.is_string_dtype(t) for t in table.frame.dtypes)
    for c, col in enumerate(RunsModel.columns):
        assert table.frame.iloc[:, c].tolist() == [col.display(r) for r in runs]
    keys = table.keys
    assert isinstance(keys["Run"].dtype, pd.CategoricalDtype) and keys["Run"].cat.ordered
    assert keys["Run"].tolist() == [(r.name or r.run_id).casefold() for r in runs]
    assert list(keys["Run"].cat.categories) == sorted({f"run-{i % 37}" for i in range(300)})
    assert keys["Started"].dtype == "float64" and keys["Datasets"].dtype == "int64"
    assert table.ranks[0].tolist() == dense_ranks(keys["Run"].tolist()).tolist()
    assert table.search[7] == "\x1f".join(table.frame.iloc[7].tolist()).casefold()
    empty = prepare_table(RunsModel.columns, [], 0)
    assert empty.frame.shape == (0, len(RunsModel.columns)) and empty.order.tolist() == []


class _ScoreModel(PagedTableModel[tuple[str, float]]):
    columns = (Column("Name", lambda r: r[0]), Column("Score", lambda r: f"{r[1]:g}", lambda r: r[1]))


def test_numeric_sort_is_stable_with_nan_last_both_ways(qapp, qtmodeltester):
    nan = float("nan")
    rows = [("a", 2.0), ("b", nan), ("c", 1.0), ("d", 2.0), ("e", nan), ("f", -1.0)]
    model = _ScoreModel(rows)
    model.sort(1, Qt.SortOrder.AscendingOrder)
    assert [model.entity(r)[0] for r in range(6)] == ["f", "c", "a", "d", "b", "e"]
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert [model.entity(r)[0] for r in range(6)] == ["a", "d", "c", "f", "b", "e"]
    assert model.index(0, 1).data() == "2" and model.index(4, 1).data() == "nan"
    qtmodeltester.check(model)


def test_rows_are_paged_in_with_fetch_more(qapp, qtmodeltester):
    model = RunsModel(make_runs(1000))
    model.page_rows = 300
    model.set_rows(make_runs(1000))
    assert (model.rowCount(), model.shown_count(), model.total_count()) == (300, 1000, 1000)
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 600
    qtmodeltester.check(model)  # the tester fetches more too
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 1000 and not model.canFetchMore(QModelIndex())
    assert model.canFetchMore(model.index(0, 0)) is False  # a table: no children


def test_filter_matches_every_column_and_narrows_incrementally(qapp, qtmodeltester):
    runs = make_runs(2000)
    model = RunsModel(runs)
    model.sort(1, Qt.SortOrder.AscendingOrder)
    for text in ("user3", "USER3 ", "failed", "exp-4", "run-1", "run-12", "run-1", "nothing-like-this", ""):
        model.set_filter_text(text)
        needle = text.strip().casefold()
        expected = sorted(r.run_id for r in runs if not needle or any(
            needle in col.display(r).casefold() for col in RunsModel.columns))
        assert shown_ids(model) == expected[:model.rowCount()]
        assert model.shown_count() == len(expected)
        qtmodeltester.check(model)
    assert model.set_filter_text("") is False  # unchanged


def test_sort_keeps_the_selected_row_selected(qapp):
    model = RunsModel(make_runs(300))
    persistent = QPersistentModelIndex(model.index(10, 2))
    run = model.entity(10)
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert persistent.isValid() and model.entity(persistent.row()) is run and persistent.column() == 2
    model.page_rows = 50
    model.set_rows(make_runs(300))
    persistent = QPersistentModelIndex(model.index(0, 0))
    model.sort(1, Qt.SortOrder.AscendingOrder)  # the first run is now beyond the rows paged in
    assert not persistent.isValid() or model.entity(persistent.row()).run_id == "000000"


def test_row_of_pages_a_hidden_row_in(qapp):
    model = RunsModel(make_runs(1000))
    model.page_rows = 100
    model.set_rows(make_runs(1000))
    model.sort(1, Qt.SortOrder.AscendingOrder)
    source = model.find(lambda r: r.run_id == f"{900:06x}")
    row = model.row_of(source)
    assert row == 900 and model.rowCount() == 901
    assert model.index(row, 0).data(ENTITY_ROLE).run_id == f"{900:06x}"
    model.set_filter_text("user1")
    assert model.row_of(source) is None  # 900 % 7 == 4: filtered out


def test_prepared_table_applies_in_the_current_sort_order(qapp):
    runs = make_runs(400)
    model = RunsModel()
    model.sort(3, Qt.SortOrder.DescendingOrder)
    table = prepare_table(RunsModel.columns, runs, 1, Qt.SortOrder.AscendingOrder)  # prepared for another order
    model.set_table(table)
    users = [model.entity(r).user for r in range(model.rowCount())]
    assert users == sorted(users, reverse=True)


def test_real_store_models_pass_qtmodeltester_sorted_and_filtered(qtmodeltester, catalog):
    for model in (RunsModel(catalog.runs.values()), DatasetsModel(dataset_rows(catalog))):
        for column in range(model.columnCount()):
            model.sort(column, Qt.SortOrder.DescendingOrder)
            qtmodeltester.check(model)
        model.set_filter_text("credit")
        assert 0 < model.shown_count() < model.total_count()
        qtmodeltester.check(model)


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
    assert model._search == ["\x1f".join(c.display(r) for c in model.columns).casefold() for r in model.rows]
    view.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
    rows_before = list(model.rows)
    model.set_search_texts(list(reversed(rows_before)), ["x"] * len(rows_before))  # matched by row, not position
    assert model._search == ["x"] * len(rows_before)
    view.filter_bar.edit.setText("x")
    assert view.proxy.rowCount() == len(rows_before)
