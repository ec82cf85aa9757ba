"""Callbacks long-running core functions accept (the UI wires them to a worker)."""

from __future__ import annotations

from collections.abc import Callable

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
