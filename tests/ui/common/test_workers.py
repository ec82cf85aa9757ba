"""ui/workers.py and ui/tasks.py: one task per slot, cancellation, errors to one notifier."""

from __future__ import annotations

import threading
import time

import pytest

from mlops_desktop.core.errors import CancelledError, StoreError
from mlops_desktop.ui.common.crash_dialog import CrashDialog
from mlops_desktop.ui.common.dialogs import ErrorDialog, Notifier
from mlops_desktop.ui.common.workers import (
    TaskSlot,
    WorkerPool,
    live_worker_threads,
    warm_worker_pool,
)
from mlops_desktop.ui.models.loading import load_stores
from tests.ui.conftest import flush_events


def square(x, *, progress, is_cancelled):
    progress(0, 2, "squaring")
    progress(2, 2, "done")
    return x * x


def test_task_result_and_progress_reach_the_ui_thread(qtbot):
    slot = TaskSlot("t", Notifier())
    results, progress, threads = [], [], []
    slot.sig_progress.connect(lambda d, t, m: progress.append((d, t, m, threading.current_thread().name)))
    with qtbot.waitSignal(slot.sig_finished, timeout=5000):
        slot.start(square, 7, on_done=lambda r: (results.append(r), threads.append(threading.current_thread())))
    assert results == [49]
    assert threads == [threading.main_thread()]
    assert [p[:3] for p in progress] == [(0, 2, "squaring"), (2, 2, "done")]
    assert all(p[3] == "MainThread" for p in progress)
    assert not slot.is_running()
    assert slot.shutdown()


def test_new_task_cancels_the_old_one_and_drops_its_result(qtbot):
    slot = TaskSlot("t", Notifier())
    started = threading.Event()
    seen_cancel = []

    def slow(*, progress, is_cancelled):
        started.set()
        while not is_cancelled():
            time.sleep(0.005)
        seen_cancel.append(True)
        return "old"

    results = []
    old = slot.start(slow, on_done=results.append)
    assert started.wait(5)
    slot.start(square, 3, on_done=results.append)
    assert old.is_cancelled()
    qtbot.waitUntil(lambda: not slot.is_running(), timeout=5000)
    assert slot.shutdown()
    flush_events()
    assert results == [9]
    assert seen_cancel == [True]


def test_cancel_is_silent_and_reported_as_cancelled(qtbot):
    notifier = Notifier()
    slot = TaskSlot("t", notifier)

    def until_cancelled(*, progress, is_cancelled):
        while not is_cancelled():
            time.sleep(0.005)
        raise CancelledError()

    slot.start(until_cancelled)
    with qtbot.waitSignal(slot.sig_cancelled, timeout=2000):
        slot.cancel()
    assert slot.shutdown()
    flush_events()
    assert notifier.dialogs == []


def test_expected_error_becomes_an_error_dialog(qtbot):
    notifier = Notifier()
    slot = TaskSlot("t", notifier)

    def fail(*, progress, is_cancelled):
        raise StoreError("The store is gone.", "Reconnect and reload.")

    with qtbot.waitSignal(notifier.sig_error_shown, timeout=5000):
        slot.start(fail)
    dialog = notifier.last_dialog
    qtbot.addWidget(dialog)
    assert isinstance(dialog, ErrorDialog)
    assert dialog.text() == "The store is gone."
    assert dialog.informativeText() == "Reconnect and reload."
    assert "Traceback" not in dialog.full_text()
    assert slot.shutdown()


def test_bug_becomes_the_crash_dialog_with_a_report(qtbot):
    notifier = Notifier()
    slot = TaskSlot("t", notifier)

    def bug(*, progress, is_cancelled):
        return {}["missing"]

    with qtbot.waitSignal(notifier.sig_error_shown, timeout=5000):
        slot.start(bug)
    dialog = notifier.last_dialog
    qtbot.addWidget(dialog)
    assert isinstance(dialog, CrashDialog)
    assert "KeyError" in dialog.summary_label.text()
    assert "Traceback" in dialog.report and "in bug" in dialog.report
    assert slot.shutdown()


def test_on_error_can_handle_a_failure_itself(qtbot):
    notifier = Notifier()
    slot = TaskSlot("t", notifier)
    handled = []

    def fail(*, progress, is_cancelled):
        raise StoreError("nope")

    with qtbot.waitSignal(slot.sig_finished, timeout=5000):
        slot.start(fail, on_error=lambda exc: handled.append(str(exc)) or True)
    assert handled == ["nope"]
    assert notifier.dialogs == []
    assert slot.shutdown()


def test_shutdown_joins_every_thread(qtbot):
    slot = TaskSlot("t", Notifier())

    def slow(*, progress, is_cancelled):
        while not is_cancelled():
            time.sleep(0.005)

    slot.start(slow)
    slot.start(slow)
    assert len(live_worker_threads()) >= 1
    assert slot.shutdown(timeout=5)
    assert live_worker_threads() == []


# -- worker functions, called directly with fake callbacks ---------------------------------


def test_load_stores_reports_each_store_and_keeps_going(mlflow3_db, tmp_path):
    missing = str(tmp_path / "nope.db")
    partials, progress = [], []
    result = load_stores(
        [str(mlflow3_db), missing], {},
        progress=lambda d, t, m: progress.append((d, t, m)), is_cancelled=lambda: False, partial=partials.append,
    )
    try:
        assert [p.url for p in partials] == [str(mlflow3_db)]
        assert partials[0].registry_only  # the registry arrives before runs and datasets are read
        assert len(partials[0].catalog.models) == 8 and partials[0].catalog.runs == {}
        assert len(result.catalog.models) == 8
        assert [f.url for f in result.failures] == [missing]
        assert "No such file" in result.failures[0].error.message
        assert len(result.sources) == 1
        assert progress[-1][2] == "Stores loaded"
    finally:
        for s in result.sources:
            s.close()


def test_load_stores_cancelled_raises_and_closes(mlflow3_db):
    calls = {"n": 0}

    def cancel_after_first_check():
        calls["n"] += 1
        return calls["n"] > 1

    with pytest.raises(CancelledError):
        load_stores([str(mlflow3_db)], {}, progress=lambda *a: None, is_cancelled=cancel_after_first_check)


# -- workers give way to a busy UI thread ------------------------------------------------


def test_checkpoint_is_a_no_op_outside_a_worker_and_calls_the_hook_inside_one():
    from mlops_desktop.core.progress import checkpoint, checkpoint_hook

    calls: list[str] = []
    checkpoint()  # no hook: nothing happens, nothing raises
    with checkpoint_hook(lambda: calls.append("outer")):
        checkpoint()
        with checkpoint_hook(lambda: calls.append("inner")):
            checkpoint()
        checkpoint()
    checkpoint()
    assert calls == ["outer", "inner", "outer"]


def _busy(seconds: float) -> None:
    """Python work on the UI thread without returning to the event loop (a long repaint)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        sum(range(200))


def test_a_worker_pauses_at_its_checkpoints_while_the_ui_thread_is_busy(qtbot):
    from mlops_desktop.core.progress import checkpoint
    from mlops_desktop.ui.common.workers import ui_heartbeat

    counts: list[float] = []
    stop = threading.Event()

    def compute(*, progress, is_cancelled):
        while not stop.is_set():
            sum(range(2000))  # a worker computing in Python, as findings do
            checkpoint()
            counts.append(time.perf_counter())
        return len(counts)

    slot = TaskSlot("t", Notifier())
    beat = ui_heartbeat()
    pauses_before = beat.pauses
    slot.start(compute)
    qtbot.waitUntil(lambda: len(counts) > 50, timeout=5000)
    qtbot.wait(50)  # the heartbeat ticks
    start = time.perf_counter()
    _busy(0.2)
    end = time.perf_counter()
    busy_iterations = sum(1 for t in counts if start + 0.03 < t < end)
    qtbot.wait(100)
    after = sum(1 for t in counts if end < t < end + 0.1)
    stop.set()
    qtbot.waitUntil(lambda: not slot.is_running(), timeout=5000)
    assert slot.shutdown()
    assert beat.pauses > pauses_before
    # while the UI thread was busy the worker waited at its checkpoint, and went on afterwards
    assert busy_iterations <= 2, busy_iterations
    assert after > 10


def test_a_burst_announced_by_the_ui_thread_pauses_workers_at_once(qtbot):
    """UiHeartbeat.hold (ui_burst): a worker's next checkpoint waits until the UI thread ticks
    again, although no tick was missed yet; without it the checkpoint returns at once."""
    from mlops_desktop.ui.common.workers import UiHeartbeat

    beat = UiHeartbeat()
    beat._tick()
    returned = threading.Event()

    def checkpoint() -> None:
        beat.give_way(threading.Event())
        returned.set()

    fresh = threading.Thread(target=checkpoint)
    fresh.start()
    fresh.join(timeout=1)
    assert returned.is_set()  # a UI thread that just ticked is not waited for

    returned.clear()
    beat.hold()
    held = threading.Thread(target=checkpoint)
    held.start()
    held.join(timeout=0.03)
    assert not returned.is_set()  # the burst: the worker waits...
    beat._tick()  # (a timer that fires inside the burst, between two of its steps)
    held.join(timeout=0.03)
    assert not returned.is_set()  # ...through the burst's own event processing...
    beat._on_idle()  # the event loop is about to wait: the burst is over
    beat._tick()
    held.join(timeout=0.2)
    assert returned.is_set()  # ...and goes on once the UI thread is idle again

    returned.clear()
    beat.hold()
    never_idle = threading.Thread(target=checkpoint)
    started = time.monotonic()
    never_idle.start()
    never_idle.join(timeout=1)
    # a hold never outlasts HOLD_MAX_S, tick or no tick (a UI thread that waits for something
    # while it holds does not keep the worker waiting longer)
    assert returned.is_set() and time.monotonic() - started < beat.HOLD_MAX_S + 0.1

    # in a real event loop the hold ends when the loop is about to wait (QAbstractEventDispatcher.aboutToBlock)
    beat.hold()
    assert beat._held
    qtbot.wait(20)
    assert not beat._held


def test_tasks_the_user_waits_for_start_during_a_burst_the_others_after_it(qtbot):
    from mlops_desktop.ui.common.workers import ui_burst, ui_heartbeat

    ui_heartbeat()
    began: dict[str, float] = {}

    def job(name, *, progress, is_cancelled):
        began[name] = time.monotonic()
        return name

    background, asked = TaskSlot("background", Notifier()), TaskSlot("asked", Notifier(), asked=True)
    ui_burst()
    burst = time.monotonic()
    background.start(job, "background")
    asked.start(job, "asked")
    time.sleep(0.03)  # the UI thread still in its burst
    assert "asked" in began and "background" not in began
    qtbot.waitUntil(lambda: "background" in began, timeout=2000)  # once the event loop waits
    assert began["background"] - burst >= 0.03
    for slot in (background, asked):
        qtbot.waitUntil(lambda slot=slot: not slot.is_running(), timeout=2000)
        assert slot.shutdown()


def test_a_ui_thread_blocked_waiting_for_a_worker_does_not_stall_it(qtbot):
    """A UI thread that waits for the worker (a join on shutdown) is not waited for in turn."""
    from mlops_desktop.core.progress import checkpoint

    done = threading.Event()

    def compute(*, progress, is_cancelled):
        for _ in range(200):
            time.sleep(0.001)
            checkpoint()
        done.set()

    slot = TaskSlot("t", Notifier())
    slot.start(compute)
    start = time.perf_counter()
    assert done.wait(10)  # the UI thread blocks here without ticking
    assert time.perf_counter() - start < 2.0  # at most one GIVE_UP_S pause, not one per checkpoint
    qtbot.waitUntil(lambda: not slot.is_running(), timeout=5000)
    assert slot.shutdown()


def test_progress_reports_are_thinned_to_what_the_status_bar_can_show_and_the_last_one_arrives(qtbot):
    def many(*, progress, is_cancelled):
        for i in range(10_000):
            progress(i, 10_000, f"item {i}")
        progress(10_000, 10_000, "all done")
        return "ok"

    slot = TaskSlot("t", Notifier())
    seen: list[tuple[int, int, str]] = []
    slot.sig_progress.connect(lambda d, t, m: seen.append((d, t, m)))
    with qtbot.waitSignal(slot.sig_finished, timeout=5000):
        slot.start(many)
    assert slot.shutdown()
    assert seen[0] == (0, 10_000, "item 0")  # the first report is shown at once
    assert seen[-1] == (10_000, 10_000, "all done")  # and the last one always
    assert len(seen) < 200  # not one repaint of the status bar per item


# -- the worker pool ---------------------------------------------------------------------------


def test_tasks_run_on_pooled_threads_and_no_thread_is_started_for_a_task_when_one_waits(qtbot):
    warm_worker_pool()
    slot = TaskSlot("pooled", Notifier())
    idents: list[int] = []

    def ident(*, progress, is_cancelled):
        idents.append(threading.get_ident())
        return threading.current_thread().name

    names: list[str] = []
    threads_before = threading.active_count()
    for _ in range(5):
        with qtbot.waitSignal(slot.sig_finished, timeout=5000):
            slot.start(ident, on_done=names.append)
    assert threading.active_count() == threads_before  # every task went to a waiting thread
    assert len(set(idents)) < len(idents)  # threads are used again
    assert all(name.startswith("mlops-worker-pooled-") for name in names)  # named for the task while it runs
    assert slot.shutdown()
    assert live_worker_threads() == []  # each task ended, though its thread waits on


def test_a_pool_thread_survives_a_failing_job_and_an_idle_one_leaves():
    pool = WorkerPool()
    pool.KEEP, pool.IDLE_S = 0, 0.2
    ran = threading.Event()

    def fail() -> None:
        raise RuntimeError("boom")

    pool.submit(fail)
    deadline = time.monotonic() + 5
    while not pool._idle and time.monotonic() < deadline:  # the thread is back, waiting
        time.sleep(0.01)
    assert len(pool._idle) == 1 and pool._threads == 1
    pool.submit(ran.set)  # the same thread takes the next job
    assert ran.wait(5)
    assert pool._threads == 1
    while pool._threads and time.monotonic() < deadline:  # idle past IDLE_S: it leaves
        time.sleep(0.05)
    assert pool._threads == 0 and pool._idle == []
