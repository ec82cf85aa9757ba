"""Qt icons, built lazily once a QApplication exists (like pyqtgraph's ``icons``)."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from mlops_desktop.resources import icon_path

#: PNG renders of the app icon shipped next to the SVG (``packaging/make_icons.py``).
APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


@cache
def app_icon() -> QIcon:
    """The application icon: ``resources/icons/app.svg`` plus its PNG sizes (used where
    the SVG image plugin is missing, and crisper at 16-32 px)."""
    icon = QIcon(str(icon_path("app")))
    base = icon_path("app").parent
    for size in APP_ICON_SIZES:
        png = base / f"app-{size}.png"
        if png.is_file():
            icon.addFile(str(png), QSize(size, size))
    return icon


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
