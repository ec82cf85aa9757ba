"""Thin Qt item models over core entities (Orange3 ``TableModel``, napari ``_base_item_model``).

Each model is a list of entities plus column definitions; it reads the entity when a
view asks (no copies of the data), offers the entity itself under :data:`ENTITY_ROLE`
and a sortable key under :data:`SORT_ROLE`. Reset with ``beginResetModel``; streamed
rows arrive with ``beginInsertRows``. Filtering and sorting are the proxy's job
(:class:`FilterProxyModel`). Models never open dialogs.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

if TYPE_CHECKING:  # pandas loads lazily (~0.2 s): only where a table is prepared
    pass

from mlops_desktop.core.progress import check_cancelled
from mlops_desktop.ui.common.roles import BADGES_ROLE, ENTITY_ROLE, SORT_ROLE

T = TypeVar("T")
AnyIndex = QModelIndex | QPersistentModelIndex


def format_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return f"{value:.6g}"


def version_sort_key(version: str) -> tuple[int, int, str]:
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


def same_rows(a: Sequence[object], b: Sequence[object]) -> bool:
    """Whether two row lists hold the same objects in the same order (compared by identity, in C)."""
    return len(a) == len(b) and all(map(operator.is_, a, b))


def time_key(value: datetime | None) -> float:
    return value.timestamp() if value else float("-inf")


@dataclass(frozen=True, slots=True)
class Column(Generic[T]):
    title: str
    display: Callable[[T], str]
    sort: Callable[[T], Any] | None = None
    badges: Callable[[T], list[str]] | None = None
    tooltip: Callable[[T], str] | None = None


class EntityTableModel(QAbstractTableModel, Generic[T]):
    """Rows are entities of one kind; columns are :class:`Column` definitions."""

    columns: Sequence[Column[Any]] = ()

    def __init__(self, rows: Iterable[T] = (), parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[T] = list(rows)
        self._search: list[str | None] = [None] * len(self._rows)
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder

    # -- our API -------------------------------------------------------------------

    @property
    def rows(self) -> list[T]:
        return self._rows

    def set_rows(self, rows: Iterable[T], *, sorted_by: tuple[int, Qt.SortOrder] | None = None) -> None:
        """Replace the rows; ``sorted_by`` says they are already in that (column, order)."""
        self.beginResetModel()
        rows = list(rows)
        self._rows = rows if sorted_by == (self._sort_column, self._sort_order) else self._sorted(rows)
        self._search = [None] * len(self._rows)
        self._rows_reset()
        self.endResetModel()

    def append_rows(self, rows: Iterable[T]) -> None:
        new = list(rows)
        if not new:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._rows.extend(new)
        self._search.extend([None] * len(new))
        self._rows_appended(first, len(new))
        self.endInsertRows()

    def _rows_reset(self) -> None:
        """Hook: :meth:`set_rows` replaced every row (inside the model reset). A subclass resets
        its per-row caches here."""

    def _rows_appended(self, first: int, count: int) -> None:
        """Hook: :meth:`append_rows` added ``count`` rows from ``first`` on (inside the insertion).
        A subclass extends its per-row caches here."""

    def search_text(self, row: int) -> str:
        """Every column's text of one row, case-folded (cached): what the filter matches."""
        text = self._search[row]
        if text is None:
            item = self._rows[row]
            text = "\x1f".join(col.display(item) for col in self.columns).casefold()
            self._search[row] = text
        return text

    def set_search_texts(self, rows: Sequence[T], texts: Sequence[str]) -> None:
        """Fill the filter's cache with texts computed elsewhere (:func:`search_texts_job`).

        ``texts[i]`` belongs to ``rows[i]``; rows the model no longer has are ignored.
        """
        if same_rows(rows, self._rows):
            self._search = list(texts)
            return
        by_id = {id(r): t for r, t in zip(rows, texts, strict=True)}
        self._search = [by_id.get(id(r), cached) for r, cached in zip(self._rows, self._search, strict=True)]

    def matches(self, row: int, needle: str) -> bool:
        """Whether the filter's ``needle`` (case-folded) is in the row's text."""
        return needle in self.search_text(row)

    def sort_key(self, column: int) -> Callable[[T], Any]:
        col = self.columns[column]
        if col.sort is not None:
            return col.sort
        return lambda item: col.display(item).casefold()

    def _sorted(self, rows: list[T]) -> list[T]:
        if not 0 <= self._sort_column < len(self.columns):
            return rows
        return sorted(rows, key=self.sort_key(self._sort_column),
                      reverse=self._sort_order == Qt.SortOrder.DescendingOrder)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by an argsort permutation of the column's sort keys (stable, in Python, fast)."""
        self._sort_column, self._sort_order = column, order
        if not 0 <= column < len(self.columns) or not self._rows:
            return
        self.layoutAboutToBeChanged.emit()
        key = self.sort_key(column)
        keys = [key(item) for item in self._rows]
        order_ = sorted(range(len(keys)), key=keys.__getitem__, reverse=order == Qt.SortOrder.DescendingOrder)
        new_pos = [0] * len(order_)
        for new, old in enumerate(order_):
            new_pos[old] = new
        self._rows = [self._rows[i] for i in order_]
        self._search = [self._search[i] for i in order_]
        old_indexes = self.persistentIndexList()
        new_indexes = [self.index(new_pos[i.row()], i.column()) for i in old_indexes]
        self.changePersistentIndexList(old_indexes, new_indexes)
        self.layoutChanged.emit()

    def entity(self, row: int) -> T:
        return self._rows[row]

    def column_index(self, title: str) -> int:
        for i, col in enumerate(self.columns):
            if col.title == title:
                return i
        raise KeyError(title)

    # -- Qt overrides --------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self.columns):
                return self.columns[section].title
            return None
        return str(section + 1)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows) or index.column() >= len(self.columns):
            return None
        item = self._rows[index.row()]
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.display(item)
        if role == ENTITY_ROLE:
            return item
        if role == SORT_ROLE:
            return col.sort(item) if col.sort else col.display(item).casefold()
        if role == BADGES_ROLE:
            return col.badges(item) if col.badges else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if col.tooltip:
                return col.tooltip(item)
            text = col.display(item)
            return text if len(text) > 40 else None
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def search_texts_job(
    columns: Sequence[Column[Any]], rows: Sequence[T], *, progress: Callable[[int, int, str], None],
    is_cancelled: Callable[[], bool],
) -> tuple[Sequence[T], list[str]]:
    """Worker function: what :meth:`EntityTableModel.search_text` would compute for each row.

    The inventory's texts need each model's classification over all its versions: 2,000
    models take a quarter of a second, too long for the first keystroke in the filter.
    """
    texts = []
    for i, row in enumerate(rows):
        if i % 50 == 0:  # a model's texts take about 0.1 ms: a checkpoint every few ms
            check_cancelled(is_cancelled)
        if i % 500 == 0:
            progress(i, len(rows), "Indexing rows for the filter")
        texts.append("\x1f".join(col.display(row) for col in columns).casefold())
    return rows, texts



# -- filtering ------------------------------------------------------------------------


class FilterProxyModel(QSortFilterProxyModel):
    """Instant, case-insensitive search across every column.

    Matching uses the source model's cached ``search_text`` (one Python call per row, not
    one per cell). Sorting is forwarded to the source model, which sorts by an argsort
    permutation of :data:`SORT_ROLE` keys instead of a Python ``lessThan`` per comparison.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._needle = ""
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)

    def set_filter_text(self, text: str) -> None:
        needle = text.strip().casefold()
        if needle != self._needle:
            self._change_filter(lambda: setattr(self, "_needle", needle))

    def _change_filter(self, change: Callable[[], None]) -> None:
        """Apply ``change`` to the filter state and re-filter the rows."""
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:  # noqa: N802
        if not self._needle:
            return True
        model = self.sourceModel()
        if isinstance(model, EntityTableModel):
            return model.matches(source_row, self._needle)
        return super().filterAcceptsRow(source_row, source_parent)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        model = self.sourceModel()
        if isinstance(model, EntityTableModel):
            model.sort(column, order)
        else:
            super().sort(column, order)


class FieldFilterProxyModel(FilterProxyModel):
    """The text filter plus an exact match on one field of each row's entity (a combo box choice)."""

    def __init__(self, field: Callable[[Any], object], parent: Any = None) -> None:
        super().__init__(parent)
        self._field = field
        self.value: object | None = None

    def set_value(self, value: object | None) -> None:
        """Keep only rows whose field equals ``value``; None or empty keeps every row."""
        self._change_filter(lambda: setattr(self, "value", value or None))

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:  # noqa: N802
        model = self.sourceModel()
        if (self.value is not None and isinstance(model, EntityTableModel)
                and self._field(model.entity(source_row)) != self.value):
            return False
        return super().filterAcceptsRow(source_row, source_parent)
