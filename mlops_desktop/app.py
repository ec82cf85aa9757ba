"""GUI bootstrap: the QApplication, the theme, the crash handler and the main window.

``sys.excepthook`` sends any uncaught exception to one notifier: an ``MlopsError`` (an
expected problem) becomes a clear dialog, anything else the crash dialog with a report
the user can copy (qutebrowser ``misc/crashsignal.py``).
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from types import TracebackType

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from mlops_desktop import __version__

logger = logging.getLogger(__name__)

APP_NAME = "MLOps Desktop"
#: Set to 1 to quit once the stores are loaded (smoke tests of ``mlops-desktop gui/demo``).
QUIT_AFTER_LOAD_ENV = "MLOPS_DESKTOP_QUIT_AFTER_LOAD"


#: glibc's M_ARENA_MAX (malloc.h)
_M_ARENA_MAX = -8
#: malloc arenas for the whole process (glibc's default: eight per core)
MALLOC_ARENAS = 2


def limit_malloc_arenas(count: int = MALLOC_ARENAS) -> bool:
    """Have glibc's malloc keep at most ``count`` arenas; True when it was set.

    glibc gives a thread that allocates while another holds an arena one of its own, and keeps
    the pages freed in each arena for that arena. The window's workers build large results
    (a store's catalog, its findings, its governance) one after another on different threads:
    each leaves an arena of freed pages resident (20 MB at five times the reference store).
    Called before the first worker starts; a user's ``MALLOC_ARENA_MAX`` is left as set, and
    other C libraries (no ``mallopt``) are left alone.
    """
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, count))


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication (reused when one exists), named, themed and with its icon."""
    from mlops_desktop.ui.common import icons, theme
    from mlops_desktop.ui.common.settings import GuiSettings

    app = QApplication.instance()
    if not isinstance(app, QApplication):
        limit_malloc_arenas()
        app = QApplication(list(argv) if argv is not None else [sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("mlops-desktop")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("mlops-desktop")
    app.setWindowIcon(icons.app_icon())
    theme.theme_manager(app).apply(GuiSettings().theme)
    return app


class ExceptHook:
    """Replaces ``sys.excepthook`` while the GUI runs; restores the previous hook on ``uninstall``."""

    def __init__(self, notifier: object) -> None:
        self.notifier = notifier
        self.previous = sys.excepthook

    def __call__(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self.previous(exc_type, exc, tb)
            return
        logger.error("Uncaught exception", exc_info=(exc_type, exc, tb))
        if exc.__traceback__ is None and tb is not None:
            exc = exc.with_traceback(tb)
        try:
            self.notifier.show_error(exc)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - the crash handler itself must never crash the app
            self.previous(exc_type, exc, tb)

    def install(self) -> ExceptHook:
        sys.excepthook = self
        return self

    def uninstall(self) -> None:
        if sys.excepthook is self:
            sys.excepthook = self.previous


def run_gui(
    stores: Sequence[str] = (),
    *,
    governance_url: str | None = None,
    source_settings: Mapping[str, object] | None = None,
    smoke_test: bool = False,
    restore: bool = True,
) -> int:
    """Start the desktop app, open ``stores`` (if any) and run the event loop.

    Without ``stores`` the stores open at the last quit are reopened (``restore``).
    ``smoke_test``: show the main window, process events, close it cleanly and return 0
    (2 when an error dialog was shown), without touching the user's settings; with
    ``stores`` it waits until they are loaded.
    """
    from mlops_desktop.ui.common.dialogs import Notifier
    from mlops_desktop.ui.shell.main_window import MainWindow

    app = create_application()
    notifier = Notifier()
    hook = ExceptHook(notifier).install()
    from mlops_desktop.ui.common.settings import GuiSettings

    window = MainWindow(notifier=notifier, source_settings=source_settings, governance_url=governance_url,
                        gui_settings=GuiSettings(readonly=smoke_test))
    notifier.parent_widget = window
    window.persist_layout = not smoke_test
    window.show()
    status = {"code": 0}
    if smoke_test:
        def _smoke_done() -> None:
            if window.load_slot.is_running():
                return
            app.processEvents()
            ok = window.isVisible() and not notifier.dialogs and (window.store_urls or not stores)
            if not ok:
                logger.error("Smoke test failed: window visible=%s, dialogs=%d, stores=%s",
                             window.isVisible(), len(notifier.dialogs), window.store_urls)
            status["code"] = 0 if ok else 2
            window.close()
            app.quit()

        window.load_slot.sig_finished.connect(_smoke_done)
        if not stores:
            QTimer.singleShot(0, _smoke_done)
    elif os.environ.get(QUIT_AFTER_LOAD_ENV) == "1":
        def _quit_when_loaded() -> None:
            if window.load_slot.is_running():
                return
            status["code"] = 0 if window.store_urls and not notifier.dialogs else 2
            if notifier.last_dialog is not None:
                logger.warning("Dialog shown: %s", getattr(notifier.last_dialog, "full_text", lambda: "")())
            app.quit()

        window.load_slot.sig_finished.connect(_quit_when_loaded)
        if not stores:
            QTimer.singleShot(0, app.quit)
    if stores:
        window.open_stores(list(stores))
    elif restore and not smoke_test and os.environ.get(QUIT_AFTER_LOAD_ENV) != "1":
        window.restore_session()
    try:
        code = app.exec()
    finally:
        window.shutdown()
        hook.uninstall()
    return status["code"] or int(code)
