"""Light and dark palettes; by default the app follows the system colour scheme.

Views that draw their own colours (badges, pyqtgraph plots) ask :func:`colors` for the
current set and listen to :attr:`ThemeManager.sig_changed`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

logger = logging.getLogger(__name__)


class ThemeMode(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True, slots=True)
class ThemeColors:
    window: str
    base: str
    alternate: str
    text: str
    muted: str
    accent: str
    pii: str
    phi: str
    badge_text: str
    plot_background: str
    plot_foreground: str
    plot_pen: str
    ok: str  # verified / passed (status bar)


LIGHT = ThemeColors(
    window="#f4f5f7", base="#ffffff", alternate="#f0f3f6", text="#1d2330", muted="#5b6270",
    accent="#1f6f8b", pii="#b45309", phi="#b91c1c", badge_text="#ffffff",
    plot_background="#ffffff", plot_foreground="#374151", plot_pen="#1f6f8b", ok="#166534",
)
DARK = ThemeColors(
    window="#1f2329", base="#16191d", alternate="#1c2025", text="#e6e8eb", muted="#9aa3ad",
    accent="#4fb3d9", pii="#f59e0b", phi="#f87171", badge_text="#111827",
    plot_background="#16191d", plot_foreground="#c9ced6", plot_pen="#4fb3d9", ok="#4ade80",
)


def _palette(c: ThemeColors, dark: bool) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    group = QPalette.ColorGroup
    p.setColor(role.Window, QColor(c.window))
    p.setColor(role.WindowText, QColor(c.text))
    p.setColor(role.Base, QColor(c.base))
    p.setColor(role.AlternateBase, QColor(c.alternate))
    p.setColor(role.ToolTipBase, QColor(c.base))
    p.setColor(role.ToolTipText, QColor(c.text))
    p.setColor(role.PlaceholderText, QColor(c.muted))
    p.setColor(role.Text, QColor(c.text))
    p.setColor(role.Button, QColor(c.window if not dark else "#2a2f36"))
    p.setColor(role.ButtonText, QColor(c.text))
    p.setColor(role.BrightText, QColor("#ff5555"))
    p.setColor(role.Highlight, QColor(c.accent))
    p.setColor(role.HighlightedText, QColor("#ffffff" if not dark else "#0b0d10"))
    p.setColor(role.Link, QColor(c.accent))
    p.setColor(role.Mid, QColor("#c5cad1" if not dark else "#3a4048"))
    p.setColor(role.Dark, QColor("#9ca3af" if not dark else "#0f1113"))
    p.setColor(role.Light, QColor("#ffffff" if not dark else "#353b43"))
    for r in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(group.Disabled, r, QColor(c.muted))
    return p


def light_palette() -> QPalette:
    return _palette(LIGHT, dark=False)


def dark_palette() -> QPalette:
    return _palette(DARK, dark=True)


def system_prefers_dark() -> bool:
    app = QGuiApplication.instance()
    if app is None:
        return False
    scheme = QGuiApplication.styleHints().colorScheme()
    return bool(scheme == Qt.ColorScheme.Dark)


class ThemeManager(QObject):
    """Applies a :class:`ThemeMode` to the application and tracks system changes."""

    sig_changed = Signal(bool)  # is_dark

    def __init__(self, app: QApplication, mode: ThemeMode = ThemeMode.SYSTEM) -> None:
        super().__init__(app)
        self.app = app
        self.mode = mode
        self.is_dark = False
        app.setStyle("Fusion")
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_scheme_changed)
        self.apply(mode)

    def apply(self, mode: ThemeMode | str) -> None:
        self.mode = ThemeMode(mode)
        dark = system_prefers_dark() if self.mode is ThemeMode.SYSTEM else self.mode is ThemeMode.DARK
        self.is_dark = dark
        self.app.setPalette(dark_palette() if dark else light_palette())
        _CURRENT[0] = DARK if dark else LIGHT
        logger.debug("Theme %s (dark=%s)", self.mode, dark)
        self.sig_changed.emit(dark)

    def _on_system_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.mode is ThemeMode.SYSTEM:
            self.apply(ThemeMode.SYSTEM)


_CURRENT: list[ThemeColors] = [LIGHT]


def colors() -> ThemeColors:
    """The colours of the theme currently applied."""
    return _CURRENT[0]


_MANAGER: list[ThemeManager] = []


def theme_manager(app: QApplication | None = None) -> ThemeManager:
    """The application's theme manager, created on first use."""
    if not _MANAGER or _MANAGER[0].app is not QApplication.instance():
        instance = app or QApplication.instance()
        assert isinstance(instance, QApplication)
        _MANAGER[:] = [ThemeManager(instance)]
    return _MANAGER[0]
