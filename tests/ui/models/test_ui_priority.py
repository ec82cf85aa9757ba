"""The Models page's long computations leave the UI thread room: they run one after another
(each thread computing at once is one more the UI thread waits behind for the GIL), the window
makes Python hand the GIL over after 1 ms, and the Governance and Findings cells are computed
in the worker, not on the UI thread."""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import CancelledError
from mlops_desktop.governance.store import open_governance
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.catalog import inventory_view
from mlops_desktop.ui.catalog.inventory_view import ModelsView
from mlops_desktop.ui.common.workers import TaskSlot
from mlops_desktop.ui.models import loading
from mlops_desktop.ui.models.loading import UI_SWITCH_INTERVAL, one_at_a_time
from tests.ui.conftest import wait_idle


def _busy(seconds: float, spans: list[tuple[float, float]], *, progress, is_cancelled) -> str:
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        sum(range(1000))
    spans.append((start, time.perf_counter()))
    return threading.current_thread().name


def test_jobs_run_one_after_another_and_report_running_while_they_wait(qtbot):
    spans: list[tuple[float, float]] = []
    job = one_at_a_time(_busy)
    slots = [TaskSlot(f"turn-{i}") for i in range(3)]
    for slot in slots:
        slot.start(job, 0.15, spans)
    assert all(slot.is_running() for slot in slots)  # waiting for its turn counts as running
    for slot in slots:
        wait_idle(qtbot, slot, timeout=20_000)
    assert len(spans) == 3
    spans.sort()
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end, f"two jobs computed at once: {spans}"


def test_a_job_waiting_for_its_turn_can_be_cancelled(qtbot):
    spans: list[tuple[float, float]] = []
    job = one_at_a_time(_busy)
    first, second = TaskSlot("first"), TaskSlot("second")
    cancelled: list[bool] = []
    first.start(job, 0.5, spans)
    qtbot.waitUntil(loading._COMPUTE_TURN.locked, timeout=5_000)  # the first computes
    state = second.start(job, 0.5, spans)
    state.sig_cancelled.connect(lambda: cancelled.append(True))
    second.cancel()
    qtbot.waitUntil(lambda: bool(cancelled), timeout=5_000)
    wait_idle(qtbot, first, timeout=20_000)
    assert len(spans) == 1  # the cancelled one never computed
    with pytest.raises(CancelledError):
        job(0.1, spans, progress=lambda *_: None, is_cancelled=lambda: True)


def test_the_window_hands_the_gil_over_after_a_millisecond(make_window):
    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)
        make_window()
        assert sys.getswitchinterval() <= UI_SWITCH_INTERVAL
    finally:
        sys.setswitchinterval(before)


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
def gov_url(tmp_path: Path) -> str:
    url = str(tmp_path / "gov.db")
    with open_governance(url):
        pass
    return url


@pytest.fixture
def big_catalog(mlflow3_db: Path) -> Catalog:
    return scaled(load_catalog([str(mlflow3_db)]), 60)


def test_governance_cells_are_computed_in_the_worker(qtbot, big_catalog, gov_url, monkeypatch):
    threads: set[str] = set()
    real = inventory_view.model_attention

    def recorded(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(inventory_view, "model_attention", recorded)
    view = ModelsView()
    qtbot.addWidget(view)
    view.governance_url_source = lambda: gov_url
    view.set_catalog(big_catalog)
    wait_idle(qtbot, view.governance_slot, timeout=120_000)
    assert threads and threading.main_thread().name not in threads
    assert set(view.model.attention) == {m.name for m in big_catalog.models}
    deployed = [m for m in big_catalog.models if view.model.attention[m.name].governance]
    assert deployed, "the fixture's deployed versions show their governance"


def test_the_ui_thread_keeps_running_while_the_page_computes(qtbot, big_catalog, gov_url):
    """A 5 ms timer on the UI thread is never held up long while the page's workers compute."""
    view = ModelsView()
    qtbot.addWidget(view)
    view.governance_url_source = lambda: gov_url
    view.resize(1280, 800)
    view.show()
    clock, gaps = QElapsedTimer(), []
    timer = QTimer()
    timer.setInterval(5)

    def tick() -> None:
        gaps.append(clock.restart())

    timer.timeout.connect(tick)
    view.set_catalog(big_catalog)
    clock.start()
    timer.start()
    start = time.perf_counter()
    while view.governance_slot.is_running() or view.monitoring_slot.is_running():
        qtbot.wait(5)
        assert time.perf_counter() - start < 120
    timer.stop()
    gaps.append(clock.elapsed())  # the stretch since the last tick counts too (a fast machine may tick once)
    qtbot.waitUntil(lambda: set(view.model.attention) == {m.name for m in big_catalog.models}, timeout=10_000)
    assert max(gaps) < 400, f"the UI thread was held up {max(gaps)} ms"


def shown_names(view: ModelsView) -> list[str]:
    return [view.proxy.index(r, 0).data() for r in range(view.proxy.rowCount())]


def test_the_inventory_filter_keeps_the_selection_and_never_asks_qt_per_row(qtbot, big_catalog, monkeypatch):
    """The filter picks its rows in one loop (no call per model from Qt), a still-shown selected
    model stays selected without its versions being read again, a hidden one is unselected, and a
    sort keeps the selection on its model."""
    view = ModelsView()
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    view.model.set_rows(big_catalog.models)
    view.catalog = big_catalog
    total = view.model.rowCount()
    assert not hasattr(type(view.proxy), "filterAcceptsRow")  # Qt never calls back per row
    target = next(m for m in big_catalog.models if m.name.endswith("-7"))
    assert view.select_model(target.name)
    shown_versions: list[object] = []
    monkeypatch.setattr(view.versions_model, "set_model", lambda m: shown_versions.append(m))
    view.filter_bar.edit.setText("-7")
    names = shown_names(view)
    assert names and all("-7" in n for n in names) and len(names) < total
    assert view.selected_model() is target and shown_versions == []  # kept, not shown again
    assert view.filter_bar.count.text() == f"{len(names)} of {total} models"
    view.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert shown_names(view) == sorted(names, key=str.casefold, reverse=True)
    assert view.selected_model() is target
    view.filter_bar.edit.setText("no such model")
    assert view.proxy.rowCount() == 0 and view.selected_model() is None and shown_versions == [None]
    view.filter_bar.edit.setText("")
    assert view.proxy.rowCount() == total
    extra = scaled(big_catalog, 1).models[:3]
    view.filter_bar.edit.setText("-0")
    view.model.append_rows(extra)  # streamed rows are filtered as they arrive
    assert view.proxy.rowCount() == sum("-0" in view.model.search_text(r) for r in range(view.model.rowCount()))


def test_a_filter_typed_while_the_texts_are_computed_waits_for_them(qtbot, mlflow3_db):
    catalog = scaled(load_catalog([str(mlflow3_db)]), 1 + inventory_view.DEFER_FILTER_ROWS // 4)
    view = ModelsView()
    qtbot.addWidget(view)
    view.set_catalog(catalog)
    total = view.model.rowCount()
    assert total > inventory_view.DEFER_FILTER_ROWS and view.search_slot.is_running()
    view.filter_bar.edit.setText("-7")
    if view.search_slot.is_running():  # not computed on the UI thread meanwhile
        assert view.proxy.rowCount() == total and view.filter_bar.count.text() == "Indexing models…"
        assert all(text is None for text in view.model._search)
    wait_idle(qtbot, view.search_slot, timeout=60_000)
    names = shown_names(view)
    assert names and all("-7" in n for n in names) and len(names) < total
    assert view.filter_bar.count.text() == f"{len(names)} of {total} models"
