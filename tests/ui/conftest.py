"""GUI test fixtures: real Qt (offscreen), real stores, PNG renders under test-artifacts/."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.ui.common.workers import live_worker_threads

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
LOAD_TIMEOUT_MS = 20_000


def render(widget, name: str) -> Path:
    """Save what ``widget`` shows to ``test-artifacts/<name>.png`` (for people to look at)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert widget.grab().save(str(path)), f"could not write {path}"
    assert path.stat().st_size > 1000
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wait_idle(qtbot, slot, timeout: int = LOAD_TIMEOUT_MS) -> None:
    """Wait until a TaskSlot has no running task (its results have been applied)."""
    qtbot.waitUntil(lambda: not slot.is_running(), timeout=timeout)
    flush_events()


def flush_events() -> None:
    """Deliver every event already posted (queued results and progress of finished workers),
    without waiting for a fixed time."""
    from PySide6.QtCore import QCoreApplication

    QCoreApplication.sendPostedEvents()
    QCoreApplication.processEvents()


#: Noise of the offscreen platform plugin, not of our code.
OFFSCREEN_NOISE = r"This plugin does not support propagateSizeHints"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture(autouse=True)
def _no_dangling_worker_threads() -> Iterator[None]:
    """Fail a test that leaves a worker thread running (napari's ``_dangling_qthreads``).

    Set up before ``qtbot`` so it is torn down after the widgets are closed.
    """
    before = set(live_worker_threads())
    yield
    deadline = time.monotonic() + 5.0
    left = [t for t in live_worker_threads() if t not in before]
    for thread in left:
        thread.join(max(0.0, deadline - time.monotonic()))
    alive = [t.name for t in left if t.is_alive()]
    if alive:
        pytest.fail(f"test left worker threads running: {alive}")


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class UiHelpers:
    """The helpers above, handed to tests as the ``ui`` fixture."""

    render = staticmethod(render)
    sha256 = staticmethod(sha256)
    wait_idle = staticmethod(wait_idle)


@pytest.fixture
def ui() -> type[UiHelpers]:
    return UiHelpers


@pytest.fixture
def make_window(qtbot):
    """Build MainWindow objects that are shut down (workers joined) at teardown."""
    from mlops_desktop.ui.shell.main_window import MainWindow

    windows = []

    def factory(**kwargs):
        window = MainWindow(**kwargs)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield factory
    for window in windows:
        window.shutdown()


@pytest.fixture
def loaded_window(make_window, qtbot, mlflow3_db):
    """The main window on a private copy of the MLflow 3.17 fixture store."""
    window = make_window()
    window.open_stores([str(mlflow3_db)])
    wait_idle(qtbot, window.load_slot)
    assert not window.notifier.dialogs, [getattr(d, "text", str)() for d in window.notifier.dialogs]
    return window
