"""Item delegates: PII/PHI badges and verification statuses drawn as coloured pills."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from mlops_desktop.ui.common import theme
from mlops_desktop.ui.common.roles import BADGES_ROLE, STATUS_ROLE
from mlops_desktop.ui.common.status import status_color, status_text


def badge_color(badge: str) -> QColor:
    c = theme.colors()
    return QColor(c.phi if badge == "PHI" else c.pii if badge == "PII" else c.accent)


class BadgeDelegate(QStyledItemDelegate):
    """Paints the strings under :data:`BADGES_ROLE` as pills; falls back to text."""

    PAD_X = 6
    GAP = 4

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        badges = index.data(BADGES_ROLE)
        if not badges:
            super().paint(painter, option, index)
            return
        draw_item_background(self, painter, option, index)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = option.font
        font.setBold(True)
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 6.0))
        painter.setFont(font)
        fm = QFontMetrics(font)
        rect = option.rect
        x = rect.x() + 4
        h = min(fm.height() + 4, rect.height() - 4)
        y = rect.y() + (rect.height() - h) / 2
        for badge in badges:
            w = fm.horizontalAdvance(badge) + 2 * self.PAD_X
            pill = QRectF(x, y, w, h)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(badge_color(badge))
            painter.drawRoundedRect(pill, h / 2, h / 2)
            painter.setPen(QColor(theme.colors().badge_text))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, badge)
            x += w + self.GAP
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        badges = index.data(BADGES_ROLE)
        if badges:
            fm = QFontMetrics(option.font)
            width = sum(fm.horizontalAdvance(b) + 2 * self.PAD_X + self.GAP for b in badges) + 8
            size.setWidth(max(size.width(), width))
        return size


def draw_item_background(delegate: QStyledItemDelegate, painter: QPainter, option: QStyleOptionViewItem,
                         index: QModelIndex | QPersistentModelIndex) -> None:
    """Paint a cell's background and selection as the style does, without its text."""
    opt = QStyleOptionViewItem(option)
    delegate.initStyleOption(opt, index)
    opt.text = ""
    widget = opt.widget
    style = widget.style() if widget is not None else None
    if style is not None:
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)


class StatusBadgeDelegate(QStyledItemDelegate):
    """Paints the status under :data:`STATUS_ROLE` as a coloured pill with its words."""

    PAD_X = 8

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        status = index.data(STATUS_ROLE)
        if not status:
            super().paint(painter, option, index)
            return
        draw_item_background(self, painter, option, index)
        text = status_text(str(status))
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        fm = QFontMetrics(font)
        rect = option.rect
        h = min(fm.height() + 4, rect.height() - 2)
        w = min(fm.horizontalAdvance(text) + 2 * self.PAD_X, rect.width() - 6)
        pill = QRectF(rect.x() + 3, rect.y() + (rect.height() - h) / 2, w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(status_color(str(status)))
        painter.drawRoundedRect(pill, h / 2, h / 2)
        painter.setPen(QColor(theme.colors().badge_text))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, fm.elidedText(text, Qt.TextElideMode.ElideRight,
                                                                           int(w) - 4))
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        status = index.data(STATUS_ROLE)
        if status:
            font = QFont(option.font)
            font.setBold(True)
            size.setWidth(max(size.width(), QFontMetrics(font).horizontalAdvance(status_text(status)) + 24))
        return size

