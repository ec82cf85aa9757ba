"""The Models page's table does little per keystroke and per sort: its cells are read from
rows computed once (the same texts, keys, badges and tooltips the column functions give), its
columns are measured on the widest rows of the whole inventory (so typing a filter or sorting
measures nothing again, and a wide row anywhere is measured), and a sort moves the rows once."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from mlops_desktop.core.entities import Catalog
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.catalog.column_fit import ColumnFitter
from mlops_desktop.ui.catalog.inventory_view import ModelsView
from mlops_desktop.ui.common.roles import BADGES_ROLE, ENTITY_ROLE, SORT_ROLE
from mlops_desktop.ui.models.catalog import FIT_SAMPLE, ModelAttention, ModelInventoryModel
from tests.ui.conftest import flush_events, wait_idle


def scaled(catalog: Catalog, copies: int) -> Catalog:
    """The catalog's models ``copies`` times over, each copy under its own names."""
    models = []
    for i in range(copies):
        for m in catalog.models:
            name = f"{m.name}-{i}"
            versions = [dataclasses.replace(v, model_name=name) for v in m.versions]
            models.append(dataclasses.replace(m, name=name, versions=versions))
    return dataclasses.replace(catalog, models=models)


@pytest.fixture
def catalog(mlflow3_db: Path) -> Catalog:
    base = scaled(load_catalog([str(mlflow3_db)]), 30)
    last = base.models[-1]  # a long author at the end of the name order: not among the first rows
    wide = dataclasses.replace(last, name="zz-last", versions=[
        dataclasses.replace(v, model_name="zz-last", user_id="a.very.long.author.name@example.org")
        for v in last.versions])
    return dataclasses.replace(base, models=[*base.models[:-1], wide])


@pytest.fixture
def view(qtbot, catalog: Catalog):
    v = ModelsView()
    qtbot.addWidget(v)
    v.resize(1600, 760)
    v.show()
    v.set_catalog(catalog)
    for slot in (v.search_slot, v.governance_slot, v.monitoring_slot):
        wait_idle(qtbot, slot, timeout=60_000)
    flush_events()
    yield v
    v.shutdown()


def test_cells_read_from_cached_rows_equal_the_column_functions(view: ModelsView):
    model = view.model
    assert model.rowCount() > 100
    for row in range(model.rowCount()):
        item = model.entity(row)
        for column, col in enumerate(model.columns):
            index = model.index(row, column)
            assert index.data(Qt.ItemDataRole.DisplayRole) == col.display(item)
            assert index.data(SORT_ROLE) == (col.sort(item) if col.sort else col.display(item).casefold())
            assert index.data(BADGES_ROLE) == (col.badges(item) if col.badges else None)
            text = col.display(item)
            tip = col.tooltip(item) if col.tooltip else (text if len(text) > 40 else None)
            assert index.data(Qt.ItemDataRole.ToolTipRole) == tip
            assert index.data(ENTITY_ROLE) is item
        proxy_index = view.proxy.index(view.proxy.row_of(item.name), 3)
        assert proxy_index.data() == model.columns[3].display(item)


def test_filter_and_sort_measure_no_column_again(qtbot, view: ModelsView, monkeypatch):
    fitter = view.table_fitter
    fitter.fit()
    measured: list[int] = []
    original = ColumnFitter._measure
    monkeypatch.setattr(ColumnFitter, "_measure", lambda self, c: measured.append(c) or original(self, c))
    widths = [view.table.columnWidth(c) for c in range(view.proxy.columnCount())]
    for text in ("m", "mo", "-1", "-12", ""):
        view.filter_bar.edit.setText(text)
        flush_events()
        fitter.fit()
    assert measured == []
    assert [view.table.columnWidth(c) for c in range(view.proxy.columnCount())] == widths
    view.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
    flush_events()
    fitter.fit()
    assert sorted(measured) == [0, 3]  # only the headers whose sort arrow came or went
    measured.clear()
    view.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)
    flush_events()
    fitter.fit()
    assert measured == []
    view.model.set_rows(view.model.rows[:50])  # other rows: measured again
    measured.clear()
    flush_events()
    fitter.fit()
    assert sorted(set(measured)) == list(range(view.proxy.columnCount()))


def test_a_wide_cell_anywhere_in_the_inventory_is_measured(view: ModelsView):
    model = view.model
    author = model.column_index("Author")
    sample = [i.data() for i in model.fit_sample(author, 60)]
    assert len(sample) == FIT_SAMPLE and sample[0] == "a.very.long.author.name@example.org"
    assert model.rows.index(model.fit_sample(author, 60)[0].data(ENTITY_ROLE)) >= 60  # not a first row
    fm = view.table.fontMetrics()
    assert view.table_fitter.content_width(author) >= fm.horizontalAdvance("a.very.long.author.name@example.org")
    view.filter_bar.edit.setText("model-0")  # the wide row filtered out: the width holds
    flush_events()
    assert view.table_fitter.content_width(author) >= fm.horizontalAdvance("a.very.long.author.name@example.org")


def test_a_sort_moves_the_rows_once_and_keeps_filter_and_selection(qtbot, view: ModelsView):
    model, proxy = view.model, view.proxy
    moves: list[int] = []
    model.layoutChanged.connect(lambda *_: moves.append(1))
    view.filter_bar.edit.setText("risk-1")
    assert view.select_model(proxy.index(3, 0).data())
    chosen = view.selected_model()
    view.table.sortByColumn(model.column_index("Last updated"), Qt.SortOrder.DescendingOrder)
    assert moves == [1]  # sortByColumn asks the model twice; the second moves nothing
    assert view.selected_model() is chosen
    shown = [proxy.index(r, 0).data(ENTITY_ROLE) for r in range(proxy.rowCount())]
    expected = [m for m in model.rows if "risk-1" in model.search_text(model.rows.index(m))]
    assert shown == expected and 0 < len(shown) < model.rowCount()
    keys = [proxy.index(r, model.column_index("Last updated")).data(SORT_ROLE) for r in range(proxy.rowCount())]
    assert keys == sorted(keys, reverse=True)
    view.filter_bar.edit.setText("risk-12")  # typed on: the rows kept are among those shown
    shown = [proxy.index(r, 0).data(ENTITY_ROLE) for r in range(proxy.rowCount())]
    assert shown == [m for m in model.rows if "risk-12" in model.search_text(model.rows.index(m))] and shown
    view.filter_bar.edit.setText("")
    assert proxy.rowCount() == model.rowCount()
    model.append_rows([dataclasses.replace(chosen, name="aaa-streamed")])  # streamed in: out of order
    view.table.sortByColumn(model.column_index("Last updated"), Qt.SortOrder.DescendingOrder)
    assert len(moves) == 2


def test_the_worker_computes_each_rows_cells(view: ModelsView):
    assert None not in view.model._facts  # filled by the indexing worker, not on the UI thread
    assert isinstance(view.model, ModelInventoryModel)


def test_the_filter_matches_the_computed_cells_as_they_change(view: ModelsView):
    """Governance, Findings and Monitoring texts are matched apart from the static cells' (which the
    worker computed once): a result that arrives or changes is matched at once, an old one no more."""
    model, proxy = view.model, view.proxy
    target = model.rows[7]
    model.set_attention({**model.attention, target.name: ModelAttention(governance="v9: ✗ Zebra-Target",
                                                                        findings="3 · critical-xyz")})
    view.filter_bar.edit.setText("zebra-target")
    flush_events()
    assert [proxy.index(r, 0).data(ENTITY_ROLE) for r in range(proxy.rowCount())] == [target]
    view.filter_bar.edit.setText("critical-xyz")
    flush_events()
    assert proxy.rowCount() == 1
    model.set_monitoring({target.name: [("9", "drift", "Drift-Seen-Qq")]})
    view.filter_bar.edit.setText("drift-seen-qq")
    flush_events()
    assert [proxy.index(r, 0).data(ENTITY_ROLE) for r in range(proxy.rowCount())] == [target]
    model.set_attention({})  # the results changed: the old text matches no more
    view.filter_bar.edit.setText("zebra-target")
    flush_events()
    assert proxy.rowCount() == 0
    row = model.rows.index(target)
    assert "drift-seen-qq" in model.search_text(row)  # every column's text, joined, as before
    assert model.search_text(row).count("\x1f") == len(model.columns) - 1
    view.filter_bar.edit.setText(target.name)  # a static cell still matches
    flush_events()
    assert target in [proxy.index(r, 0).data(ENTITY_ROLE) for r in range(proxy.rowCount())]


def test_the_monitoring_cells_are_computed_in_the_worker(view: ModelsView, catalog: Catalog):
    from datetime import UTC, datetime

    from mlops_desktop.ui.catalog.inventory_view import models_monitoring_job
    from mlops_desktop.ui.catalog.monitoring_tab import deployed_statuses
    from mlops_desktop.ui.models.catalog import monitoring_summary

    as_of = view.monitoring_as_of or datetime.now(UTC).date()  # as the page computed them
    overview, summaries = models_monitoring_job(catalog, as_of, view.monitoring_max_age_days,
                                                progress=lambda *_: None, is_cancelled=lambda: False)
    by_model = deployed_statuses(overview)
    assert summaries == {name: monitoring_summary(items) for name, items in by_model.items()} and summaries
    column = view.model.column_index("Monitoring")
    shown = {view.model.rows[r].name: view.model.index(r, column).data() for r in range(view.model.rowCount())}
    assert all(shown[name] == text for name, (text, _rank, _tip) in summaries.items())  # as the worker gave them
