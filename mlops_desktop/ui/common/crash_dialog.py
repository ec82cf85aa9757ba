"""The dialog for bugs: what happened, and a report the user can copy into an issue.

Reached through ``sys.excepthook`` (installed by :mod:`mlops_desktop.app`) and through
the notifier for unexpected worker errors, like qutebrowser's ``misc/crashsignal.py``.
"""

from __future__ import annotations

import platform
import sys
import traceback

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop import __version__


def crash_report(exc_type: type[BaseException], exc: BaseException, tb: object) -> str:
    """Plain-text report: versions, platform and the traceback (no store contents)."""
    lines = [
        f"MLOps Desktop {__version__}",
        f"Python {platform.python_version()} ({sys.platform}), PySide6 {pyside_version}, Qt {qVersion()}",
        f"Platform: {platform.platform()}",
        "",
        "".join(traceback.format_exception(exc_type, exc, tb)).rstrip(),  # type: ignore[call-overload]
    ]
    return "\n".join(lines)


class CrashDialog(QDialog):
    """Non-blocking (``open()``), with the report selectable and a Copy button."""

    def __init__(self, summary: str, report: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CrashDialog")
        self.setWindowTitle("MLOps Desktop — unexpected error")
        self.report = report
        self.resize(640, 420)

        intro = QLabel(
            "<b>Something went wrong inside MLOps Desktop.</b><br>"
            "This is a bug, not a problem with your data. Your stores were not changed.<br>"
            "Please copy the report below into a bug report. You can keep working, "
            "but restarting the application is safest."
        )
        intro.setWordWrap(True)
        self.summary_label = QLabel(summary)
        self.summary_label.setWordWrap(True)
        self.summary_label.setObjectName("crashSummary")

        self.report_edit = QPlainTextEdit(report)
        self.report_edit.setReadOnly(True)
        self.report_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy report")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self._on_copy_clicked)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.report_edit, 1)
        layout.addWidget(buttons)

    @classmethod
    def from_exception(cls, exc: BaseException, parent: QWidget | None = None) -> CrashDialog:
        return cls.from_exc_info(type(exc), exc, exc.__traceback__, parent)

    @classmethod
    def from_exc_info(
        cls, exc_type: type[BaseException], exc: BaseException, tb: object, parent: QWidget | None = None
    ) -> CrashDialog:
        summary = f"{exc_type.__name__}: {exc}"
        return cls(summary, crash_report(exc_type, exc, tb), parent)

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.report)
        self.copy_button.setText("Copied")
