"""Layouts several pages share."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QStackedWidget, QVBoxLayout, QWidget


def table_or_message(table: QWidget, empty_text: str, empty_name: str) -> tuple[QStackedWidget, QLabel]:
    """``table`` in a stack with a message to show in its place when it has nothing to show
    (``stack.setCurrentWidget(label)``). Returns the stack and the message label."""
    empty = QLabel(empty_text)
    empty.setObjectName(empty_name)
    empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
    empty.setWordWrap(True)
    font = empty.font()
    font.setPointSizeF(font.pointSizeF() * 1.2)
    empty.setFont(font)
    stack = QStackedWidget()
    stack.addWidget(table)
    stack.addWidget(empty)
    return stack, empty


def build_table_page(
    owner: QWidget,
    above: Sequence[QWidget],
    table: QWidget,
    empty_text: str,
    empty_name: str,
    detail: QWidget,
) -> tuple[QStackedWidget, QLabel]:
    """Lay ``owner`` out as a table (or, when it has nothing to show, a message in its place)
    with ``above`` it and ``detail`` below a splitter. Returns the stack and the message label."""
    top = QWidget()
    tl = QVBoxLayout(top)
    tl.setContentsMargins(0, 0, 0, 0)
    for widget in above:
        tl.addWidget(widget)
    stack, empty = table_or_message(table, empty_text, empty_name)
    tl.addWidget(stack, 1)
    split = QSplitter(Qt.Orientation.Vertical)
    split.addWidget(top)
    split.addWidget(detail)
    split.setSizes([420, 300])
    layout = QVBoxLayout(owner)
    layout.setContentsMargins(6, 6, 6, 6)
    layout.addWidget(split)
    return stack, empty
