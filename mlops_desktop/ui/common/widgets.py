"""Small widgets every page shares: the message banner, the filter bar, the table factory,
form labels and PII/PHI badge markup."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QTextDocumentFragment
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QTableView,
    QWidget,
)

from mlops_desktop.ui.common import theme
from mlops_desktop.ui.common.status import _BANNER_DARK, _BANNER_LIGHT, is_dark


class Banner(QLabel):
    """A coloured message strip (ok / error / warning / info) that follows the theme.

    Painted, not styled with a style sheet: a style sheet would pin the colours of the theme
    it was made in, and a styled widget gets no palette-change event to update it.
    """

    def __init__(self, parent: QWidget | None = None, name: str = "banner") -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.kind = "info"
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAccessibleName("Status")
        self.setContentsMargins(9, 6, 9, 6)

    def show_message(self, kind: str, html_text: str, accessible: str | None = None) -> None:
        self.kind = kind
        self.setText(html_text)
        # screen readers read the words, not the markup
        self.setAccessibleDescription(accessible or QTextDocumentFragment.fromHtml(html_text).toPlainText())
        self.setVisible(True)
        self.update()

    def colors(self) -> tuple[QColor, QColor]:
        """(background, text) of the current kind in the current theme."""
        table = _BANNER_DARK if is_dark() else _BANNER_LIGHT
        bg, fg = table.get(self.kind, table["info"])
        return QColor(bg), QColor(fg)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        bg, fg = self.colors()
        if self.palette().color(QPalette.ColorRole.WindowText) != fg:
            palette = self.palette()
            for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
                palette.setColor(role, fg)
            self.setPalette(palette)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(fg)
        painter.setBrush(bg)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        painter.end()
        super().paintEvent(event)



def field_label(text: str = "", name: str = "") -> QLabel:
    """A word-wrapped, selectable label that takes a form row's full width."""
    label = QLabel(text)
    if name:
        label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label



class FilterBar(QWidget):
    """A search field with a "shown of total" count, shared by the list pages."""

    def __init__(self, placeholder: str, noun: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.noun = noun
        self.setAccessibleName(f"Filter {noun}")
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        self.edit.setAccessibleName(f"Filter {noun}")
        self.count = QLabel()
        self.count.setObjectName("filterCount")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.count)

    def set_count(self, shown: int, total: int) -> None:
        text = f"{total} {self.noun}" if shown == total else f"{shown} of {total} {self.noun}"
        self.count.setText(text)


def make_table(model, stretch_last: bool = True) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(24)
    view.horizontalHeader().setStretchLastSection(stretch_last)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    return view


def badge_html(badges: list[str]) -> str:
    c = theme.colors()
    spans = []
    for b in badges:
        color = c.phi if b == "PHI" else c.pii
        spans.append(f'<span style="background:{color};color:{c.badge_text};font-weight:bold">&nbsp;{b}&nbsp;</span>')
    return " ".join(spans)


def show_load_error(banner: Banner, notifier: Any, exc: BaseException, reading: str, doing: str) -> bool:
    """Explain a failed load of a governance page in its banner (worker ``on_error`` handler).

    Expected problems (:class:`MlopsError`) are handled here; a bug also goes to the notifier.
    """
    from mlops_desktop.core.errors import MlopsError

    if isinstance(exc, MlopsError):
        banner.show_message("error", f"<b>Cannot read {reading}:</b> {html.escape(exc.message)}"
                                     + (f"<br>{html.escape(exc.hint)}" if exc.hint else ""))
        return True
    banner.show_message("error", f"Cannot {doing}: internal error ({type(exc).__name__}).")
    if notifier is not None:
        notifier.show_error(exc)
        return True
    return False

