"""Error reporting for the GUI: one notifier, clear dialogs, never a traceback for expected errors.

``MlopsError`` (a store that cannot be opened, a schema we do not read, a wrong
passphrase...) becomes an :class:`ErrorDialog` with the message and what to do; anything
else is a bug and gets the :class:`~mlops_desktop.ui.common.crash_dialog.CrashDialog` with a
copyable report. Dialogs are opened non-modally with ``open()`` so nothing blocks and
tests can read them (``notifier.last_dialog``).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from mlops_desktop.core.errors import MlopsError, StoreError, UsageError

logger = logging.getLogger(__name__)

DEFAULT_HINT = "Check the input and try again."


def error_title(exc: MlopsError) -> str:
    if isinstance(exc, StoreError):
        return "Cannot open the store"
    if isinstance(exc, UsageError):
        return "Cannot do that"
    return "Something needs your attention"


class ErrorDialog(QMessageBox):
    """An expected problem: the message in bold words, and what to do about it."""

    def __init__(self, exc: MlopsError, title: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error = exc
        self.setObjectName("ErrorDialog")
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(title or error_title(exc))
        self.setText(exc.message)
        self.setInformativeText(exc.hint or DEFAULT_HINT)
        self.setStandardButtons(QMessageBox.StandardButton.Ok)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def full_text(self) -> str:
        """What the user reads (title, message and hint), for tests and the clipboard."""
        return f"{self.windowTitle()}\n{self.text()}\n{self.informativeText()}"


class Notifier(QObject):
    """The one place task failures and uncaught errors are shown."""

    sig_error_shown = Signal(object)  # the dialog

    def __init__(self, parent_widget: QWidget | None = None) -> None:
        super().__init__()
        self.parent_widget = parent_widget
        self.last_dialog: QWidget | None = None
        self.dialogs: list[QWidget] = []

    def show_error(self, exc: BaseException, title: str | None = None) -> QWidget:
        if isinstance(exc, MlopsError):
            logger.info("Showing error: %s", exc)
            dialog: QWidget = ErrorDialog(exc, title, self.parent_widget)
        else:
            from mlops_desktop.ui.common.crash_dialog import CrashDialog

            logger.error("Unexpected error", exc_info=exc)
            dialog = CrashDialog.from_exception(exc, self.parent_widget)
        self._open(dialog)
        return dialog

    def _open(self, dialog: QWidget) -> None:
        self.dialogs = [d for d in self.dialogs if d.isVisible()]
        self.dialogs.append(dialog)
        self.last_dialog = dialog
        dialog.open()  # type: ignore[attr-defined]  # QDialog/QMessageBox: non-blocking, window-modal
        self.sig_error_shown.emit(dialog)

    def close_all(self) -> None:
        for dialog in self.dialogs:
            dialog.close()
        self.dialogs.clear()


class TaskDialog(QDialog):
    """A dialog whose work runs in ``self.slot`` (a TaskSlot): closing it, by any path,
    cancels the work and waits for the worker, so nothing half-done outlives the dialog."""

    slot: Any

    def shutdown(self, timeout: float = 10.0) -> bool:
        return bool(self.slot.shutdown(timeout))

    def reject(self) -> None:
        self.shutdown()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)
