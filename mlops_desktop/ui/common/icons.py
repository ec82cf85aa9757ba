"""Qt icons, built lazily once a QApplication exists (like pyqtgraph's ``icons``)."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QPainter
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


#: Standard icons drawn as a black glyph: recoloured with the text colour (dark theme).
_GLYPHS = {"runs"}


def icon(name: str) -> QIcon:
    """A named icon: our SVG when there is one, else a standard style icon (glyph icons
    take the theme's text colour, so they stay visible on a dark background)."""
    if name == "app":
        return app_icon()
    pixmap = _STANDARD.get(name)
    style = QApplication.style()
    if pixmap is None or style is None:
        return QIcon()
    standard = style.standardIcon(pixmap)
    if name in _GLYPHS:
        from mlops_desktop.ui.common import theme

        return tinted(standard, theme.colors().text)
    return standard


def tinted(source: QIcon, colour: str, size: int = 32) -> QIcon:
    """``source`` with every opaque pixel painted ``colour`` (keeps the shape's alpha)."""
    pixmap = source.pixmap(size, size)
    if pixmap.isNull():
        return source
    painter = QPainter(pixmap)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
    painter.fillRect(pixmap.rect(), QColor(colour))
    painter.end()
    return QIcon(pixmap)
