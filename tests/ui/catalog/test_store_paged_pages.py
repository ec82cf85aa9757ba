"""The Runs and Datasets pages read from the stores a window at a time.

Every check compares what the page shows with what the store itself answers
(``Source.page_runs`` / ``page_datasets``: SQL on the MLflow SQLite fixture, grown to
20,000 runs where the window matters), so a page that kept an old order, filtered in
memory or held every row would fail.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from mlops_desktop.core.classification import classify
from mlops_desktop.sources.base import DatasetQuery, RunQuery, open_source
from mlops_desktop.sources.loader import close_sources
from mlops_desktop.ui.catalog.datasets_view import NO_DATASETS_TEXT, DatasetsView
from mlops_desktop.ui.catalog.runs_view import NO_MATCH_TEXT, RunsView, page_runs
from mlops_desktop.ui.models.catalog import RunPagesModel
from mlops_desktop.ui.models.windowed import PENDING_TEXT, QueryResult, read_window
from tests.ui.conftest import flush_events

EXTRA_RUNS = 20_000


def grow(db: Path, n: int = EXTRA_RUNS) -> Path:
    """Add ``n`` runs (names, users, statuses and start times that repeat) to an MLflow store."""
    con = sqlite3.connect(db)
    with con:
        exp = con.execute("select experiment_id from experiments order by experiment_id limit 1").fetchone()[0]
        con.execute(
            "with recursive k(i) as (select 0 union all select i + 1 from k where i + 1 < ?) "
            "insert into runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, "
            "start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) "
            "select printf('bulk%08d', i), 'bulk-' || (i % 97), 'LOCAL', '', '', 'user' || (i % 7), "
            "case when i % 3 = 0 then 'FAILED' else 'FINISHED' end, 1700000000000 + (i % 1000) * 1000, "
            "1700000000000 + (i % 1000) * 1000 + (i % 17) * 10, '', 'active', '', ? from k",
            (n, exp),
        )
    con.close()
    return db


@pytest.fixture
def source(mlflow3_db):
    with open_source(str(mlflow3_db)) as src:
        yield src


@pytest.fixture
def big_source(mlflow3_db):
    with open_source(str(grow(mlflow3_db))) as src:
        yield src


def make_view(qtbot, cls, sources, **kwargs):
    view = cls(**kwargs)
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    view.set_sources(sources)
    return view


def ids_shown(view) -> list[str]:
    model = view.model
    first, n = model.window
    return [model.entity(first + i).run.run_id for i in range(n)]


def wait_rows(qtbot, ui, view) -> None:
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=20_000)
    flush_events()


def test_runs_page_shows_the_stores_first_page_newest_first(qtbot, ui, source, qtmodeltester):
    view = make_view(qtbot, RunsView, [source])
    wait_rows(qtbot, ui, view)
    expected = source.page_runs(RunQuery(), 0, 10_000)
    assert view.model.rowCount() == source.count_runs() == len(expected) == 29
    assert ids_shown(view) == [r.run.run_id for r in expected]
    assert view.filter_bar.count.text() == "29 runs"
    assert view.all_runs_loaded and view.stack.currentWidget() is view.table
    qtmodeltester.check(view.model)
    view.shutdown()


@pytest.mark.parametrize("column", range(len(RunPagesModel.columns)))
def test_sorting_asks_the_store_again(qtbot, ui, source, column):
    view = make_view(qtbot, RunsView, [source])
    wait_rows(qtbot, ui, view)
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        view.table.sortByColumn(column, order)
        wait_rows(qtbot, ui, view)
        query = RunQuery("", RunPagesModel.sort_keys[column], order == Qt.SortOrder.DescendingOrder)
        assert view.model.run_query() == query
        assert ids_shown(view) == [r.run.run_id for r in source.page_runs(query, 0, 10_000)]
    view.shutdown()


def test_filtering_asks_the_store_and_counts_both(qtbot, ui, source):
    view = make_view(qtbot, RunsView, [source])
    wait_rows(qtbot, ui, view)
    view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    view.filter_bar.edit.setText("trial")
    wait_rows(qtbot, ui, view)
    query = RunQuery("trial", "name", False)
    matching = source.page_runs(query, 0, 10_000)
    assert 0 < len(matching) < 29
    assert ids_shown(view) == [r.run.run_id for r in matching]
    assert view.filter_bar.count.text() == f"{len(matching)} of 29 runs"
    view.filter_bar.edit.setText("no run is called this")
    wait_rows(qtbot, ui, view)
    assert view.stack.currentWidget() is view.empty_label and view.empty_label.text() == NO_MATCH_TEXT
    view.shutdown()


def test_a_selected_run_shows_the_details_the_store_reads_for_it(qtbot, ui, source):
    view = make_view(qtbot, RunsView, [source])
    wait_rows(qtbot, ui, view)
    row = next(i for i in range(view.model.rowCount())
               if (d := source.run_detail(view.model.entity(i).run.run_id)) is not None and d.params)
    view.table.selectRow(row)
    wait_rows(qtbot, ui, view)
    detail = source.run_detail(view.model.entity(row).run.run_id)
    assert view.selected_run() == detail
    assert view.params_model.rowCount() == len(detail.params)
    assert view.metrics_model.rowCount() == len(detail.metrics)
    assert view.inputs_model.rowCount() == len(detail.inputs)
    view.shutdown()


def test_big_store_holds_a_window_and_scrolling_reads_the_rows_there(qtbot, ui, big_source, qtmodeltester):
    view = make_view(qtbot, RunsView, [big_source])
    model = view.model
    wait_rows(qtbot, ui, view)
    total = EXTRA_RUNS + 29
    assert model.rowCount() == total == big_source.count_runs()
    start, n = model.window
    assert start == 0 and n == model.window_rows < total
    query = model.run_query()
    assert ids_shown(view) == [r.run.run_id for r in big_source.page_runs(query, 0, n)]
    # scroll to the middle, then to the end: the rows there are read, the earlier ones dropped
    for target in (total // 2, total - 1):
        view.table.scrollTo(model.index(target, 0))
        flush_events()
        qtbot.waitUntil(lambda t=target: model.entity(t) is not None, timeout=20_000)
        wait_rows(qtbot, ui, view)
        start, n = model.window
        assert n <= model.window_rows and start <= target < start + n
        assert ids_shown(view) == [r.run.run_id for r in big_source.page_runs(query, start, n)]
        assert model.entity(0) is None and model.index(0, 0).data() == PENDING_TEXT
    assert len(model.held_rows) <= model.window_rows
    qtmodeltester.check(model)
    # a filter over the big store: counted and read by the store
    view.filter_bar.edit.setText("bulk-42")
    wait_rows(qtbot, ui, view)
    fquery = RunQuery("bulk-42", query.sort, query.descending)
    assert model.rowCount() == big_source.count_runs(fquery) > 0
    assert ids_shown(view) == [r.run.run_id for r in big_source.page_runs(fquery, 0, model.window_rows)]
    view.shutdown()


def test_select_run_outside_the_window_filters_to_it_and_selects_it(qtbot, ui, big_source):
    view = make_view(qtbot, RunsView, [big_source])
    wait_rows(qtbot, ui, view)
    far = big_source.page_runs(view.model.run_query(), EXTRA_RUNS - 5, 1)[0].run.run_id
    assert view.model.held_row_of(lambda r: r.run.run_id == far) is None
    assert view.select_run(far) is False  # asked of the store
    wait_rows(qtbot, ui, view)
    assert view.filter_bar.edit.text() == far
    assert view.selected_run().run_id == far
    view.shutdown()


def test_an_answer_to_an_older_query_is_dropped(qapp, source):
    model = RunPagesModel()
    old = model.generation
    model.sort(0, Qt.SortOrder.AscendingOrder)  # a new query
    rows = source.page_runs(RunQuery(), 0, 5)
    assert not model.set_result(QueryResult(old, [29], [29], 0, rows))
    assert model.rowCount() == 0
    assert model.set_result(QueryResult(model.generation, [29], [29], 0, rows))
    assert model.rowCount() == 29 and model.window == (0, 5)


def test_windows_span_several_stores_one_after_the_other(mlflow3_db, mlflow2_db):
    sources = [open_source(str(mlflow3_db)), open_source(str(mlflow2_db))]
    try:
        query = RunQuery(sort="run_id", descending=False)
        counts = [s.count_runs(query) for s in sources]
        every = [r.run.run_id for s in sources for r in s.page_runs(query, 0, 10_000)]
        assert len(every) == sum(counts) and all(counts)
        for start, limit in ((0, 3), (counts[0] - 2, 5), (counts[0], 4), (sum(counts) - 1, 10)):
            got = read_window(sources, counts, query, start, limit, page_runs, lambda: False)
            assert [r.run.run_id for r in got] == every[start:start + limit]
    finally:
        close_sources(sources)


def test_datasets_page_filters_by_badge_and_sorts_in_the_store(qtbot, ui, source, qtmodeltester):
    view = make_view(qtbot, DatasetsView, [source])
    wait_rows(qtbot, ui, view)
    model = view.model
    assert model.rowCount() == source.count_datasets() > 0
    assert [model.entity(r).dataset.id for r in range(model.rowCount())] == \
        [d.dataset.id for d in source.page_datasets(DatasetQuery(), 0, 10_000)]
    view.filter_bar.edit.setText("PHI")
    wait_rows(qtbot, ui, view)
    phi = source.page_datasets(DatasetQuery("PHI"), 0, 10_000)
    assert 0 < model.rowCount() == len(phi) < source.count_datasets()
    assert any(classify([d.dataset.tags]).phi for d in phi)
    view.table.sortByColumn(model.column_index("Used by runs"), Qt.SortOrder.DescendingOrder)
    wait_rows(qtbot, ui, view)
    expected = source.page_datasets(DatasetQuery("PHI", "used_by_runs", True), 0, 10_000)
    assert [model.entity(r).dataset.id for r in range(model.rowCount())] == [d.dataset.id for d in expected]
    # a column the store cannot order by: the order and the header's indicator stay
    view.table.sortByColumn(model.column_index("Lawful basis"), Qt.SortOrder.AscendingOrder)
    assert not view.is_busy()
    assert view.table.horizontalHeader().sortIndicatorSection() == model.column_index("Used by runs")
    qtmodeltester.check(model)
    view.table.selectRow(0)
    assert view.selected_row().dataset.id == expected[0].dataset.id and "digest" in view.header.text()
    view.shutdown()


def test_select_dataset_by_id_asks_the_store(qtbot, ui, source):
    view = make_view(qtbot, DatasetsView, [source])
    wait_rows(qtbot, ui, view)
    last = source.page_datasets(DatasetQuery(), source.count_datasets() - 1, 1)[0].dataset.id
    view.filter_bar.edit.setText("nothing-matches-this")
    wait_rows(qtbot, ui, view)
    assert view.select_dataset(last) is False
    wait_rows(qtbot, ui, view)
    assert view.selected_row().dataset.id == last
    view.set_sources([])
    assert view.model.rowCount() == 0 and view.empty_label.text() == NO_DATASETS_TEXT
    view.shutdown()


def test_hidden_pages_read_nothing_until_shown(qtbot, ui, source):
    view = RunsView()
    qtbot.addWidget(view)
    view.set_sources([source])
    assert not view.is_busy() and view.model.rowCount() == 0 and view.feeder.stale
    view.show()
    wait_rows(qtbot, ui, view)
    assert view.model.rowCount() == 29
    view.shutdown()


class _Notifier:
    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    def show_error(self, exc: BaseException, title: str | None = None) -> None:
        self.errors.append(exc)


def test_a_store_gone_while_scrolling_is_said_and_asked_again(qtbot, ui, mlflow3_db):
    from mlops_desktop.core.errors import MlopsError

    grow(mlflow3_db)
    notifier = _Notifier()
    with open_source(str(mlflow3_db)) as src:
        view = make_view(qtbot, RunsView, [src], notifier=notifier)
        wait_rows(qtbot, ui, view)
        model = view.model
        mlflow3_db.rename(mlflow3_db.with_name("moved.db"))
        src.engine.dispose()  # new connections open the file by name: it is gone
        view.table.scrollTo(model.index(model.rowCount() - 1, 0))
        qtbot.waitUntil(lambda: bool(notifier.errors), timeout=20_000)
        wait_rows(qtbot, ui, view)
        assert isinstance(notifier.errors[0], MlopsError) and notifier.errors[0].message
        assert model.entity(model.rowCount() - 1) is None and model.window[0] == 0  # the old rows stay
        mlflow3_db.with_name("moved.db").rename(mlflow3_db)  # back: the rows are read when shown again
        model.want_rows(model.rowCount() - 5, model.rowCount() - 1)
        qtbot.waitUntil(lambda: model.entity(model.rowCount() - 1) is not None, timeout=20_000)
        view.shutdown()
