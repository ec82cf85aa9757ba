"""Tooltips for table cells whose text is cut: the whole text, whenever it does not fit.

A model's own tooltip (an explanation, a reason) wins; otherwise a cell elided by its column
width gets its full text as tooltip, however short the text is.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyleOptionViewItem, QToolTip

#: room the style takes around a cell's text (margins, focus frame)
_TEXT_MARGIN = 8


def is_elided(view: QAbstractItemView, index: QModelIndex | QPersistentModelIndex) -> bool:
    """Whether the display text of ``index`` is wider than the room its cell gives it."""
    text = index.data(Qt.ItemDataRole.DisplayRole)
    if not isinstance(text, str) or not text:
        return False
    rect = view.visualRect(index)
    option = QStyleOptionViewItem()
    option.initFrom(view)
    width = option.fontMetrics.horizontalAdvance(text.splitlines()[0]) + _TEXT_MARGIN
    margin = view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, option, view) * 2
    return "\n" in text or width + margin > rect.width()


def cell_tooltip(view: QAbstractItemView, index: QModelIndex | QPersistentModelIndex) -> str | None:
    """The tooltip a cell shows: the model's own, else the whole text when it is cut."""
    if not index.isValid():
        return None
    own = index.data(Qt.ItemDataRole.ToolTipRole)
    if own:
        return str(own)
    if is_elided(view, index):
        return str(index.data(Qt.ItemDataRole.DisplayRole))
    return None


class ElidedTooltipFilter(QObject):
    """Event filter on a view's viewport answering tooltip requests with :func:`cell_tooltip`."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self.view = view

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.view.indexAt(event.pos())
            text = cell_tooltip(self.view, index)
            if text:
                QToolTip.showText(event.globalPos(), text, self.view.viewport(), self.view.visualRect(index))
                return True
        return False  # the view's own handling (and the view's own tooltip, if any)


def install_elided_tooltips(view: QAbstractItemView) -> ElidedTooltipFilter:
    """Give every cut cell of ``view`` its whole text as tooltip."""
    tip_filter = ElidedTooltipFilter(view)
    view.viewport().installEventFilter(tip_filter)
    return tip_filter
