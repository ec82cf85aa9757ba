"""Qt icons, built lazily once a QApplication exists (like pyqtgraph's ``icons``)."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from mlops_desktop.resources import icon_path


@cache
def app_icon() -> QIcon:
    """The application icon (``resources/icons/app.svg``)."""
    return QIcon(str(icon_path("app")))


_STANDARD = {
    "models": QStyle.StandardPixmap.SP_FileDialogDetailedView,
    "datasets": QStyle.StandardPixmap.SP_DriveHDIcon,
    "runs": QStyle.StandardPixmap.SP_MediaPlay,
    "lineage": QStyle.StandardPixmap.SP_FileDialogListView,
    "approvals": QStyle.StandardPixmap.SP_DialogApplyButton,
    "audit": QStyle.StandardPixmap.SP_FileDialogContentsView,
    "open": QStyle.StandardPixmap.SP_DialogOpenButton,
    "reload": QStyle.StandardPixmap.SP_BrowserReload,
    "cancel": QStyle.StandardPixmap.SP_DialogCancelButton,
}


def icon(name: str) -> QIcon:
    """A named icon: our SVG when there is one, else a standard style icon."""
    if name == "app":
        return app_icon()
    pixmap = _STANDARD.get(name)
    style = QApplication.style()
    if pixmap is None or style is None:
        return QIcon()
    return style.standardIcon(pixmap)
