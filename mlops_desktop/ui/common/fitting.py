"""Sizing a short, fixed table to its content, so a dialog shows every row without scrolling."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QTableWidget


def table_content_size(table: QTableWidget) -> QSize:
    """The size that shows every row and column of ``table`` whole (header and frame included)."""
    header = table.horizontalHeader()
    rows = table.verticalHeader()
    frame = 2 * table.frameWidth()
    width = header.length() + (rows.width() if not rows.isHidden() else 0) + frame
    height = rows.length() + (header.sizeHint().height() if not header.isHidden() else 0) + frame
    return QSize(width, height)


def fit_table_height(table: QTableWidget) -> None:
    """Give ``table`` exactly the height of its rows: a dialog around it then has no empty area
    below the last row and no scroll bar."""
    table.setFixedHeight(table_content_size(table).height())
