"""Light and dark palettes; by default the app follows the system colour scheme.

Views that draw their own colours (badges, pyqtgraph plots) ask :func:`colors` for the
current set and listen to :attr:`ThemeManager.sig_changed`.

The Fusion style derives its outlines (check box and radio indicators, line edits, combo and
spin boxes, buttons, frames) from the window colour, which leaves them nearly invisible on a
dark window and faint on a light one; its group-box frame is a fixed translucent image and its
keyboard focus frame is drawn at a fraction of the highlight's opacity. :class:`ThemedStyle`
draws those with the theme's ``outline``, the table grid with ``grid`` and the focus frame with
a colour that stands out from what is behind it, so every one of them has a contrast ratio of
at least 3:1 against its background (WCAG 2.1, 1.4.11) in both themes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleHintReturn,
    QStyleOption,
    QStyleOptionComplex,
    QStyleOptionFocusRect,
    QToolTip,
    QWidget,
)

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
    button: str
    outline: str  # indicator, field, button and frame borders
    grid: str  # table grid lines


LIGHT = ThemeColors(
    window="#f4f5f7", base="#ffffff", alternate="#f0f3f6", text="#1d2330", muted="#5b6270",
    accent="#1f6f8b", pii="#b45309", phi="#b91c1c", badge_text="#ffffff",
    plot_background="#ffffff", plot_foreground="#374151", plot_pen="#1f6f8b", ok="#166534",
    button="#f4f5f7", outline="#737b87", grid="#808893",
)
DARK = ThemeColors(
    window="#1f2329", base="#16191d", alternate="#1c2025", text="#e6e8eb", muted="#9aa3ad",
    accent="#4fb3d9", pii="#f59e0b", phi="#f87171", badge_text="#111827",
    plot_background="#16191d", plot_foreground="#c9ced6", plot_pen="#4fb3d9", ok="#4ade80",
    button="#2a2f36", outline="#808893", grid="#6b7380",
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
    p.setColor(role.Button, QColor(c.button))
    p.setColor(role.ButtonText, QColor(c.text))
    p.setColor(role.BrightText, QColor("#ff5555"))
    p.setColor(role.Highlight, QColor(c.accent))
    p.setColor(role.HighlightedText, QColor("#ffffff" if not dark else "#0b0d10"))
    p.setColor(role.Link, QColor(c.accent))
    p.setColor(role.Mid, QColor(c.outline))
    p.setColor(role.Dark, QColor("#9ca3af" if not dark else "#0f1113"))
    p.setColor(role.Light, QColor("#ffffff" if not dark else "#353b43"))
    for r in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(group.Disabled, r, QColor(c.muted))
    return p


def light_palette() -> QPalette:
    return _palette(LIGHT, dark=False)


def dark_palette() -> QPalette:
    return _palette(DARK, dark=True)


def relative_luminance(colour: QColor | str) -> float:
    """WCAG 2.1 relative luminance of an opaque sRGB colour (0 black .. 1 white)."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    c = QColor(colour)
    return 0.2126 * linear(c.redF()) + 0.7152 * linear(c.greenF()) + 0.0722 * linear(c.blueF())


def contrast_ratio(a: QColor | str, b: QColor | str) -> float:
    """WCAG 2.1 contrast ratio of two opaque colours, from 1 (same) to 21 (black on white)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


_PE = QStyle.PrimitiveElement
#: Fusion primitives whose border is ``window.darker(140)``: drawn with the theme's outline.
_OUTLINED_PRIMITIVES = frozenset({
    _PE.PE_IndicatorCheckBox, _PE.PE_IndicatorRadioButton, _PE.PE_FrameLineEdit, _PE.PE_PanelLineEdit,
    _PE.PE_Frame, _PE.PE_FrameTabWidget, _PE.PE_PanelButtonCommand,
})
_OUTLINED_COMPLEX = frozenset({QStyle.ComplexControl.CC_ComboBox, QStyle.ComplexControl.CC_SpinBox,
                               QStyle.ComplexControl.CC_ScrollBar})
_OUTLINED_CONTROLS = frozenset({QStyle.ControlElement.CE_ProgressBarGroove})
#: Fusion's outline is the window colour made darker by this factor.
_FUSION_OUTLINE_FACTOR = 140


class ThemedStyle(QProxyStyle):
    """Fusion with borders, grid lines and the focus frame in the theme's colours (see the module
    docstring). Colours come from :func:`colors`, so one instance serves both themes."""

    def __init__(self) -> None:
        super().__init__("Fusion")
        self._palettes: dict[tuple[int, str], QPalette] = {}

    def _outlined(self, palette: QPalette) -> QPalette:
        """``palette`` with a window colour from which Fusion derives the theme's outline.

        Kept per source palette so Fusion's pixmap cache (keyed on the palette) keeps working."""
        outline = colors().outline
        key = (palette.cacheKey(), outline)
        cached = self._palettes.get(key)
        if cached is None:
            if len(self._palettes) > 64:
                self._palettes.clear()
            cached = QPalette(palette)
            cached.setColor(QPalette.ColorRole.Window, QColor(outline).lighter(_FUSION_OUTLINE_FACTOR))
            self._palettes[key] = cached
        return cached

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption, painter: QPainter,
                      widget: QWidget | None = None) -> None:
        if element == _PE.PE_FrameGroupBox:
            self._draw_outline(option, painter)
            return
        if element == _PE.PE_FrameFocusRect:
            self._draw_focus_rect(option, painter)
            return
        if element in _OUTLINED_PRIMITIVES:
            option = type(option)(option)
            option.palette = self._outlined(option.palette)
        super().drawPrimitive(element, option, painter, widget)
        if element in (_PE.PE_PanelMenu, _PE.PE_FrameMenu):  # a popup menu's edge, over whatever is below it
            self._draw_outline(option, painter)

    def drawControl(self, element: QStyle.ControlElement, option: QStyleOption, painter: QPainter,
                    widget: QWidget | None = None) -> None:
        if element in _OUTLINED_CONTROLS:
            option = type(option)(option)
            option.palette = self._outlined(option.palette)
        super().drawControl(element, option, painter, widget)

    def drawComplexControl(self, control: QStyle.ComplexControl, option: QStyleOptionComplex, painter: QPainter,
                           widget: QWidget | None = None) -> None:
        if control in _OUTLINED_COMPLEX:
            option = type(option)(option)
            option.palette = self._outlined(option.palette)
        super().drawComplexControl(control, option, painter, widget)

    def styleHint(self, hint: QStyle.StyleHint, option: QStyleOption | None = None, widget: QWidget | None = None,
                  returnData: QStyleHintReturn | None = None) -> int:  # noqa: N803 (Qt's name)
        if hint == QStyle.StyleHint.SH_Table_GridLineColor:
            rgba = QColor(colors().grid).rgba()
            return rgba - (1 << 32) if rgba >= 1 << 31 else rgba  # a QRgb in Qt's signed int
        return int(super().styleHint(hint, option, widget, returnData))

    @staticmethod
    def _draw_outline(option: QStyleOption, painter: QPainter) -> None:
        painter.save()
        painter.setPen(QColor(colors().outline))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(option.rect.adjusted(0, 0, -1, -1))
        painter.restore()

    @staticmethod
    def _draw_focus_rect(option: QStyleOption, painter: QPainter) -> None:
        """A solid one-pixel frame, as Fusion only after keyboard navigation, in whichever of the
        highlight, text and highlighted-text colours stands out most from the background."""
        if not option.state & QStyle.StateFlag.State_KeyboardFocusChange:
            return
        background = QColor()
        if isinstance(option, QStyleOptionFocusRect):
            background = QColor(option.backgroundColor)
        if not background.isValid():
            background = option.palette.color(QPalette.ColorRole.Window)
        roles = (QPalette.ColorRole.Highlight, QPalette.ColorRole.Text, QPalette.ColorRole.HighlightedText)
        colour = max((option.palette.color(r) for r in roles), key=lambda c: contrast_ratio(c, background))
        painter.save()
        painter.setPen(colour)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(option.rect.adjusted(0, 0, -1, -1))
        painter.restore()


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
        self.style = ThemedStyle()
        app.setStyle(self.style)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_scheme_changed)
        self.apply(mode)

    def apply(self, mode: ThemeMode | str) -> None:
        self.mode = ThemeMode(mode)
        dark = system_prefers_dark() if self.mode is ThemeMode.SYSTEM else self.mode is ThemeMode.DARK
        self.is_dark = dark
        _CURRENT[0] = DARK if dark else LIGHT  # before the palette: the style draws with it on the repaint
        palette = dark_palette() if dark else light_palette()
        self.app.setPalette(palette)
        QToolTip.setPalette(palette)  # else a platform's own tooltip palette (light on a dark theme) may win
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
