"""Where an exported file is: opened in the desktop's viewer when there is one, otherwise a
message with its path, Show in folder and Copy path (never a silent nothing)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from mlops_desktop.ui.common.widgets import Banner

logger = logging.getLogger(__name__)

#: Hands a local file or folder to the desktop (True when a program took it).
Launcher = Callable[[Path], bool]


def desktop_open(path: Path) -> bool:
    """Ask the desktop to open ``path`` (a file in its viewer, a folder in the file manager)."""
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _path_html(path: Path) -> str:
    """A path that wraps at its separators (a long path has no spaces to break at)."""
    return "<b>" + _esc(str(path)).replace("/", "/\u200b") + "</b>"


class FileLocationWidget(QWidget):
    """The written file's path with Show in folder and Copy path; hidden until a file is set."""

    def __init__(self, what: str = "file", launcher: Launcher | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fileLocation")
        self.what = what
        self.launcher: Launcher = launcher or desktop_open
        self.path: Path | None = None
        self.banner = Banner(name="fileLocationBanner")
        self.banner.setAccessibleName(f"Where the {what} is")
        self.show_button = QPushButton("Show in folder")
        self.show_button.setAccessibleName(f"Show the {what} in its folder")
        self.show_button.clicked.connect(self.show_in_folder)
        self.copy_button = QPushButton("Copy path")
        self.copy_button.setAccessibleName(f"Copy the path of the {what}")
        self.copy_button.clicked.connect(self.copy_path)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        row.addWidget(self.show_button)
        row.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        layout.addLayout(row)
        self.setVisible(False)

    def set_file(self, path: Path | str, *, opened: bool) -> None:
        """Say where ``path`` is; ``opened`` False means no viewer took it, and the message says so."""
        self.path = Path(path)
        where = _path_html(self.path)
        if opened:
            self.banner.show_message("ok", f"The {self.what} is saved at {where}.",
                                     f"The {self.what} is saved at {self.path}.")
        else:
            self.banner.show_message(
                "warning", f"No program on this computer opened the {self.what}. It is saved at {where}.<br>"
                           "Show it in its folder, or copy the path and open it where you read such files.",
                f"No program on this computer opened the {self.what}. It is saved at {self.path}.")
        self.setVisible(True)

    def open_file(self, path: Path | str) -> bool:
        """Open ``path`` in the desktop's viewer; when that fails, say where it is. True when opened."""
        path = Path(path)
        try:
            opened = self.launcher(path)
        except OSError:
            logger.warning("Could not hand %s to a viewer", path, exc_info=True)
            opened = False
        if not opened:
            logger.info("No viewer opened %s", path)
        self.set_file(path, opened=opened)
        return opened

    def copy_path(self) -> None:
        if self.path is not None:
            QGuiApplication.clipboard().setText(str(self.path))
            self.copy_button.setText("Path copied")

    def show_in_folder(self) -> bool:
        """Open the folder holding the file; when no file manager takes it, copy the path and say so."""
        if self.path is None:
            return False
        folder = self.path.parent
        try:
            shown = self.launcher(folder)
        except OSError:
            shown = False
        if not shown:
            QGuiApplication.clipboard().setText(str(self.path))
            self.banner.show_message(
                "warning", f"No file manager opened the folder {_path_html(folder)}. The {self.what}'s path is "
                           f"copied to the clipboard: {_path_html(self.path)}",
                f"No file manager opened the folder {folder}. The {self.what}'s path is copied to the "
                f"clipboard: {self.path}")
        return shown
