"""Background work for the GUI: the one place in the application that makes threads.

Modelled on Orange3's ``widgets/utils/concurrent.py``:

- the work is a plain function ``fn(*args, progress, is_cancelled[, partial])`` that knows
  nothing about Qt (core and sources functions are called as they are);
- a small :class:`TaskState` QObject carries progress, partial and final results back to
  the UI thread as queued signals;
- every view owns one :class:`TaskSlot`; starting a task there cancels the one before it
  (its late results are dropped);
- every failure goes to one notifier (napari's ``_qt/qthreading.py``): expected
  :class:`~mlops_desktop.core.errors.MlopsError` become a dialog, anything else the
  crash dialog. Cancellation is silent.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QAbstractEventDispatcher, QObject, Qt, QTimer, Signal

from mlops_desktop.core.errors import CancelledError
from mlops_desktop.core.gc_pause import full_collections_paused
from mlops_desktop.core.progress import checkpoint_hook

logger = logging.getLogger(__name__)

THREAD_PREFIX = "mlops-worker"
_counter = itertools.count(1)


class WorkerTask:
    """One function running on a pooled worker thread, as tests and ``shutdown`` see it: a
    ``name``, ``is_alive()`` until the function has returned, and ``join(timeout)``."""

    __slots__ = ("name", "_done")

    def __init__(self, name: str) -> None:
        self.name = name
        self._done = threading.Event()

    def is_alive(self) -> bool:
        return not self._done.is_set()

    def join(self, timeout: float | None = None) -> None:
        self._done.wait(timeout)


_running_lock = threading.Lock()
_running: set[WorkerTask] = set()


class WorkerPool:
    """Threads kept for the next task instead of one new thread per task.

    ``threading.Thread.start`` waits until the new thread has run; while workers compute, that
    wait is a hand-over of the interpreter among every busy thread, on the UI thread (measured
    with three computing threads: 7.9 ms median, 18 ms at worst, per start; a version selected
    on the 5x store starts a dozen tasks). Handing a task to a waiting pooled thread is a queue
    put. Each thread has its own inbox; an idle thread leaves after :attr:`IDLE_S`, except the
    first :attr:`KEEP` (started before any store loads, when starting costs nothing).
    """

    IDLE_S = 30.0
    KEEP = 6

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[Callable[[], None]]] = []
        self._threads = 0
        self._numbers = itertools.count(1)

    def warm(self) -> None:
        """Start the kept threads now, if they are not yet (cheap while nothing computes)."""
        for _ in range(self.KEEP - self._threads):
            self._spawn(None)

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is not None:
            inbox.put(job)
        else:
            self._spawn(job)

    def _spawn(self, job: Callable[[], None] | None) -> None:
        inbox: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        with self._lock:
            self._threads += 1
            number = next(self._numbers)
            if job is None:
                self._idle.append(inbox)
            else:
                inbox.put(job)
        keep = number <= self.KEEP
        threading.Thread(target=self._serve, args=(inbox, keep), name=f"{THREAD_PREFIX}-pool-{number}",
                         daemon=True).start()

    def _serve(self, inbox: queue.SimpleQueue[Callable[[], None]], keep: bool) -> None:
        while True:
            try:
                job = inbox.get(timeout=None if keep else self.IDLE_S)
            except queue.Empty:
                with self._lock:
                    if inbox in self._idle:  # not handed a task meanwhile: leave
                        self._idle.remove(inbox)
                        self._threads -= 1
                        return
                job = inbox.get()  # handed one just as the wait ended
            try:
                job()
            except BaseException:  # noqa: BLE001 - a job reports its own failures; the thread stays
                logger.exception("Worker job failed")
            with self._lock:
                self._idle.append(inbox)


_pool = WorkerPool()


class UiHeartbeat(QObject):
    """Workers give way to the UI thread: they pause at their checkpoints while it is busy.

    Python runs one thread at a time. Each call Qt makes into Python on the UI thread (a cell's
    text, a size hint, a slot) must take the interpreter back from a computing worker, which can
    take up to the switch interval (1 ms); a repaint of a few hundred cells behind a worker then
    blocks for hundreds of ms although its own work takes tens. So, while workers run, the UI
    thread ticks every :attr:`TICK_S`; a worker at a checkpoint (``is_cancelled``/``progress``)
    that sees the last tick older than :attr:`LATE_S` (the UI thread is busy, or waiting for the
    interpreter) sleeps until the UI thread ticks again. A UI thread that has not ticked for
    :attr:`GIVE_UP_S` is taken to be waiting for something else (a modal wait, a join) and is
    not waited for. Only workers started by a :class:`TaskSlot` pause; the CLI has no heartbeat.

    For the same reason every worker runs inside :func:`full_collections_paused`: a full garbage
    collection over the objects of a big catalog holds the interpreter for 0.1-0.4 s (5x store),
    and no checkpoint can interrupt it.
    """

    TICK_S = 0.002
    LATE_S = 0.005
    GIVE_UP_S = 0.5
    #: the longest a burst announced by the UI thread (:meth:`hold`) keeps workers waiting
    HOLD_MAX_S = 0.1

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition()
        self._last = time.monotonic()
        self._held = False  # the UI thread announced a burst of its own (hold), until it is idle
        self._held_until = 0.0
        self._workers = 0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(int(self.TICK_S * 1000))
        self._timer.timeout.connect(self._tick)
        dispatcher = QAbstractEventDispatcher.instance()
        if dispatcher is not None:  # the event loop about to wait: the UI thread's burst is over
            dispatcher.aboutToBlock.connect(self._on_idle)
        #: checkpoints that paused, and the seconds they paused in all (for measurements)
        self.pauses = 0
        self.paused_s = 0.0

    # -- UI thread -------------------------------------------------------------------

    def worker_started(self) -> None:
        with self._cond:
            self._workers += 1
            self._last = time.monotonic()
        if not self._timer.isActive():
            self._timer.start()

    def hold(self) -> None:
        """The UI thread is about to do a burst of its own work (a version shown and painted, a
        page switched): workers pause at their next checkpoint until its event loop is about to
        wait again (at most :attr:`HOLD_MAX_S`), instead of taking the interpreter back at each
        of its calls into Python until it has missed a tick."""
        with self._cond:
            self._held = True
            self._held_until = time.monotonic() + self.HOLD_MAX_S
        if not self._timer.isActive():
            self._timer.start()

    def _on_idle(self) -> None:
        if self._held:
            with self._cond:
                self._held = False
                self._cond.notify_all()

    def _tick(self) -> None:
        with self._cond:
            self._last = time.monotonic()
            if self._held and self._last >= self._held_until:
                self._held = False
            self._cond.notify_all()
            idle = self._workers <= 0
        if idle:
            self._timer.stop()

    # -- worker threads ----------------------------------------------------------------

    def worker_ended(self) -> None:
        with self._cond:
            self._workers -= 1

    def give_way(self, cancelled: threading.Event) -> None:
        """Called by a worker at a checkpoint: return at once unless the UI thread is busy (it
        announced a burst, :meth:`hold`, or it missed a tick)."""
        now = time.monotonic()
        start = now
        if self._held and now < self._held_until:  # a burst: until it ends, at most HOLD_MAX_S
            with self._cond:
                self._cond.wait_for(lambda: cancelled.is_set() or not self._held
                                    or time.monotonic() >= self._held_until,
                                    timeout=max(self._held_until - now, 0.0))
        else:
            late = now - self._last
            if late < self.LATE_S or late > self.GIVE_UP_S:
                return
            with self._cond:
                self._cond.wait_for(
                    lambda: cancelled.is_set() or time.monotonic() - self._last < self.LATE_S,
                    timeout=self.GIVE_UP_S - late,
                )
        self.pauses += 1
        self.paused_s += time.monotonic() - start


_heartbeat: UiHeartbeat | None = None


def ui_heartbeat() -> UiHeartbeat:
    """The application's heartbeat (made on first use, on the UI thread)."""
    global _heartbeat
    if _heartbeat is None:
        _heartbeat = UiHeartbeat()
    return _heartbeat


def ui_burst() -> None:
    """Call on the UI thread before a burst of its own work: see :meth:`UiHeartbeat.hold`."""
    if _heartbeat is not None:
        _heartbeat.hold()


class ErrorSink(Protocol):
    """Where failed tasks report (``ui.dialogs.Notifier`` in the app, a recorder in tests)."""

    def show_error(self, exc: BaseException, title: str | None = None) -> object: ...


class _Relay(QObject):
    """A slot's signals from its tasks' threads, each carrying the task's state; connected once
    per slot (connecting a task's own signals at each start held the UI thread for up to 13 ms
    while workers computed: each connect hands the interpreter over)."""

    sig_progress = Signal(object, int, int, str)
    sig_partial = Signal(object, object)
    sig_done = Signal(object, object)
    sig_failed = Signal(object, object)
    sig_cancelled = Signal(object)


class TaskState(QObject):
    """Shared between one running function and the UI; signals are queued to the UI thread."""

    sig_progress = Signal(int, int, str)
    sig_partial = Signal(object)
    sig_done = Signal(object)
    sig_failed = Signal(object)
    sig_cancelled = Signal()

    def __init__(self, label: str = "", heartbeat: UiHeartbeat | None = None, relay: _Relay | None = None) -> None:
        super().__init__()
        self.label = label
        self._relay = relay
        self._cancel = threading.Event()
        self._heartbeat = heartbeat
        self._last_progress = -1.0
        self.asked = False  # see TaskSlot.asked

    # -- called from the worker thread ---------------------------------------------

    #: seconds between two progress reports shown (a report repaints the status bar at once, on
    #: the UI thread; the findings of a 5x store report 10,000 times)
    PROGRESS_EVERY_S = 0.05

    def progress(self, done: int, total: int, message: str) -> None:
        if self._cancel.is_set():
            return
        self.give_way()
        now = time.monotonic()
        if 0 <= done < total and now - self._last_progress < self.PROGRESS_EVERY_S:
            return  # the last report of a step (done == total) and unknown totals always pass
        self._last_progress = now
        self.sig_progress.emit(int(done), int(total), str(message))
        if self._relay is not None:
            self._relay.sig_progress.emit(self, int(done), int(total), str(message))

    def is_cancelled(self) -> bool:
        self.give_way()
        return self._cancel.is_set()

    def give_way(self) -> None:
        """Pause while the UI thread is busy (see :class:`UiHeartbeat`); worker threads only."""
        if self._heartbeat is not None and threading.current_thread() is not threading.main_thread():
            self._heartbeat.give_way(self._cancel)

    def partial(self, value: object) -> None:
        if not self._cancel.is_set():
            self.sig_partial.emit(value)
            if self._relay is not None:
                self._relay.sig_partial.emit(self, value)

    def _ended(self, result: object = None, error: BaseException | None = None, *, cancelled: bool = False) -> None:
        """The function returned ``result``, raised ``error`` or was cancelled (worker thread)."""
        relay = self._relay
        if cancelled:
            self.sig_cancelled.emit()
            if relay is not None:
                relay.sig_cancelled.emit(self)
        elif error is not None:
            self.sig_failed.emit(error)
            if relay is not None:
                relay.sig_failed.emit(self, error)
        else:
            self.sig_done.emit(result)
            if relay is not None:
                relay.sig_done.emit(self, result)

    # -- called from the UI thread -------------------------------------------------

    def cancel(self) -> None:
        self._cancel.set()


class TaskSlot(QObject):
    """Runs at most one task at a time for one view; a new task cancels the old one.

    ``start`` returns immediately. ``on_done(result)`` and ``on_partial(value)`` run in the
    UI thread, and only for the current task. Failures go to ``notifier.show_error``.
    """

    sig_started = Signal(str)
    sig_progress = Signal(int, int, str)
    sig_cancelled = Signal()  # the current task was cancelled (by cancel() or a newer task)
    sig_finished = Signal()  # the current task ended (done, failed or cancelled), after its callbacks

    def __init__(self, name: str, notifier: ErrorSink | None = None, parent: QObject | None = None, *,
                 asked: bool = False) -> None:
        super().__init__(parent)
        self.name = name
        self.notifier = notifier
        #: its tasks are what the user is waiting to see (a page's rows, the run shown): they start
        #: at once, without waiting out the UI thread's burst (their first query runs meanwhile);
        #: at their checkpoints they give way like the others
        self.asked = asked
        self._current: TaskState | None = None
        self._tasks: list[WorkerTask] = []
        self._relay = _Relay(self)
        queued = Qt.ConnectionType.QueuedConnection
        self._relay.sig_progress.connect(self._on_state_progress, queued)
        self._relay.sig_partial.connect(self._on_state_partial, queued)
        self._relay.sig_done.connect(self._on_state_done, queued)
        self._relay.sig_failed.connect(self._on_state_failed, queued)
        self._relay.sig_cancelled.connect(self._on_state_cancelled, queued)
        self._on_done: Callable[[Any], None] | None = None
        self._on_partial: Callable[[Any], None] | None = None
        self._on_error: Callable[[BaseException], bool] | None = None

    @property
    def current(self) -> TaskState | None:
        return self._current

    def is_running(self) -> bool:
        return self._current is not None

    def start(
        self,
        fn: Callable[..., Any],
        *args: Any,
        label: str = "",
        on_done: Callable[[Any], None] | None = None,
        on_partial: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], bool] | None = None,
    ) -> TaskState:
        """Run ``fn(*args, progress=, is_cancelled=[, partial=])`` in a worker thread.

        ``on_error(exc)`` may handle a failure itself by returning True; otherwise it is
        shown by the notifier.
        """
        self.cancel()
        heartbeat = ui_heartbeat()
        state = TaskState(label or self.name, heartbeat, self._relay)
        state.asked = self.asked
        self._current = state
        self._on_done, self._on_partial, self._on_error = on_done, on_partial, on_error
        kwargs: dict[str, Any] = {"progress": state.progress, "is_cancelled": state.is_cancelled}
        if on_partial is not None:
            kwargs["partial"] = state.partial

        task = WorkerTask(f"{THREAD_PREFIX}-{self.name}-{next(_counter)}")

        def run() -> None:
            thread = threading.current_thread()
            pool_name, thread.name = thread.name, task.name
            try:
                with full_collections_paused(), checkpoint_hook(state.give_way):
                    if not state.asked:  # started in a burst of the UI thread's (ui_burst): after it
                        state.give_way()
                    result = fn(*args, **kwargs)
            except CancelledError:
                state._ended(cancelled=True)
            except BaseException as exc:  # noqa: BLE001 - handed to the notifier
                state._ended(error=exc, cancelled=state.is_cancelled())
            else:
                state._ended(result, cancelled=state.is_cancelled())
            finally:
                heartbeat.worker_ended()
                thread.name = pool_name
                with _running_lock:
                    _running.discard(task)
                task._done.set()

        self._tasks = [t for t in self._tasks if t.is_alive()]
        self._tasks.append(task)
        with _running_lock:
            _running.add(task)
        heartbeat.worker_started()
        _pool.submit(run)
        self.sig_started.emit(state.label)
        return state

    def cancel(self) -> None:
        """Ask the current task to stop; its results, if any still come, are dropped."""
        state = self._current
        if state is None:
            return
        state.cancel()
        self._take_callbacks()
        self.sig_cancelled.emit()
        self.sig_finished.emit()

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel and wait for every task this slot started. True when all ended."""
        self.cancel()
        deadline = time.monotonic() + timeout
        for task in self._tasks:
            task.join(max(0.0, deadline - time.monotonic()))
        alive = [t for t in self._tasks if t.is_alive()]
        if alive:
            logger.warning("Worker tasks still running after %.1f s: %s", timeout, [t.name for t in alive])
        self._tasks = alive
        return not alive

    # -- UI thread handlers --------------------------------------------------------

    def _on_state_progress(self, state: TaskState, done: int, total: int, message: str) -> None:
        if state is self._current:
            self.sig_progress.emit(done, total, message)

    def _on_state_partial(self, state: TaskState, value: object) -> None:
        if state is self._current and self._on_partial is not None:
            self._on_partial(value)

    def _on_state_done(self, state: TaskState, result: object) -> None:
        if state is not self._current:
            return
        on_done = self._take_callbacks()[0]
        try:
            if on_done is not None:
                on_done(result)
        finally:
            self.sig_finished.emit()

    def _on_state_failed(self, state: TaskState, exc: BaseException) -> None:
        if state is not self._current:
            return
        on_error = self._take_callbacks()[2]
        try:
            if on_error is not None and on_error(exc):
                return
            if self.notifier is not None:
                self.notifier.show_error(exc)
            else:
                logger.error("Task %s failed", state.label, exc_info=exc)
        finally:
            self.sig_finished.emit()

    def _on_state_cancelled(self, state: TaskState) -> None:
        if state is self._current:
            self._take_callbacks()
            self.sig_cancelled.emit()
            self.sig_finished.emit()

    def _take_callbacks(self) -> tuple[Any, Any, Any]:
        callbacks = (self._on_done, self._on_partial, self._on_error)
        self._current = None
        self._on_done = self._on_partial = self._on_error = None
        return callbacks


def live_worker_threads() -> list[WorkerTask]:
    """Worker tasks still running (tests fail when a test leaves one behind)."""
    with _running_lock:
        return [t for t in _running if t.is_alive()]


def warm_worker_pool() -> None:
    """Start the pool's kept threads (the main window does, before any store loads)."""
    _pool.warm()
