"""Callbacks long-running core functions accept (the UI wires them to a worker)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mlops_desktop.core.errors import CancelledError

#: ``progress(done, total, message)``; ``total`` is 0 when unknown.
ProgressFn = Callable[[int, int, str], None]
#: Returns True once the user asked to stop.
CancelledFn = Callable[[], bool]


def no_progress(done: int, total: int, message: str) -> None:  # noqa: ARG001
    """Progress sink that ignores everything."""


def never_cancelled() -> bool:
    return False


def check_cancelled(is_cancelled: CancelledFn) -> None:
    """Raise :class:`CancelledError` when the user asked to stop."""
    if is_cancelled():
        raise CancelledError()


_hooks = threading.local()


def checkpoint() -> None:
    """A point where long work may pause so that the UI thread runs first.

    Core loops call it per item (a version, a dataset, a chunk of a document); it does nothing
    unless the thread was given a hook by :func:`checkpoint_hook` (the GUI's workers are, to
    give way to the UI thread while it is busy; the CLI's threads are not). It never raises.
    """
    hook = getattr(_hooks, "hook", None)
    if hook is not None:
        hook()


@contextmanager
def checkpoint_hook(hook: Callable[[], None]) -> Iterator[None]:
    """Run :func:`checkpoint` calls of this thread through ``hook`` while inside the block."""
    before = getattr(_hooks, "hook", None)
    _hooks.hook = hook
    try:
        yield
    finally:
        _hooks.hook = before
