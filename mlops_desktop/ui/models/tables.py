"""Thin Qt item models over core entities (Orange3 ``TableModel``, napari ``_base_item_model``).

Each model is a list of entities plus column definitions; it reads the entity when a
view asks (no copies of the data), offers the entity itself under :data:`ENTITY_ROLE`
and a sortable key under :data:`SORT_ROLE`. Reset with ``beginResetModel``; streamed
rows arrive with ``beginInsertRows``. Filtering and sorting are the proxy's job
(:class:`FilterProxyModel`). Models never open dialogs.

Big tables (all runs, all datasets) use :class:`PagedTableModel` instead: its rows are
prepared off the UI thread (:func:`prepare_table`: pandas DataFrames of the cell texts and the
sort keys, and a search column), it filters and sorts itself with pandas, reads cells with
``DataFrame.iat`` and pages rows in with ``fetchMore`` (Spyder's ``DataFrameModel``).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

if TYPE_CHECKING:  # pandas loads lazily (~0.2 s): only where a table is prepared
    import pandas as pd

from mlops_desktop.core.classification import Classification, classify, normalise_tags
from mlops_desktop.core.entities import (
    Catalog,
    Dataset,
    DatasetInput,
    ModelVersion,
    RegisteredModel,
    Run,
)
from mlops_desktop.core.errors import CancelledError
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


def _time_key(value: datetime | None) -> float:
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
        self.endResetModel()

    def append_rows(self, rows: Iterable[T]) -> None:
        new = list(rows)
        if not new:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._rows.extend(new)
        self._search.extend([None] * len(new))
        self.endInsertRows()

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
        by_id = {id(r): t for r, t in zip(rows, texts, strict=True)}
        self._search = [by_id.get(id(r), cached) for r, cached in zip(self._rows, self._search, strict=True)]

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
        if i % 500 == 0:
            check_cancelled(is_cancelled)
            progress(i, len(rows), "Indexing rows for the filter")
        texts.append("\x1f".join(col.display(row) for col in columns).casefold())
    return rows, texts


# -- big tables: prepared off the UI thread, shown page by page -------------------------

#: Rows a :class:`PagedTableModel` shows more on each ``fetchMore`` (Spyder's DataFrameModel: 500).
PAGE_ROWS = 2000
#: Up to this many rows a view prepares its table in place; above, in a worker.
SYNC_PREPARE_ROWS = 3000
#: String sort keys longer than this are sorted in Python, not in a numpy 'U' array (memory).
_MAX_NUMPY_KEY_CHARS = 256


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_threshold: tuple[int, int, int] = gc.get_threshold()


@contextlib.contextmanager
def full_collections_paused() -> Iterator[None]:
    """Keep the cyclic GC's full collections out of a worker that builds a big object graph.

    A full (generation 2) collection walks every tracked object while holding the GIL: with
    all runs of the reference store loaded that is 1.8 million objects, 0.3-1 s in which the
    UI thread cannot run, and a load that doubles the heap triggers several. While any
    worker is inside this block, generation 2 is not collected (the young generations still
    are: cheap, and short-lived cycles are still freed). When the last one leaves,
    ``gc.freeze()`` moves the surviving objects out of the collector's sight, so the full
    collections after it stay short; frozen objects are still freed by reference counting
    when dropped (only garbage cycles among them are kept).
    """
    global _gc_pauses, _gc_threshold
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_threshold = gc.get_threshold()
            gc.set_threshold(_gc_threshold[0], _gc_threshold[1], 1 << 30)
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0:
                gc.freeze()
                gc.set_threshold(*_gc_threshold)


@dataclass(slots=True)
class PreparedTable(Generic[T]):
    """What a :class:`PagedTableModel` needs about all its rows, computed once.

    :func:`prepare_table` builds it without Qt objects, so a worker can (rows of 100,000 runs
    take about a second). It is read-only afterwards: the model sorts with
    ``keys[column].sort_values`` on the UI thread (a few ms for 100,000 rows), reads cells from
    ``frame``'s columns and filters by ``search``.
    """

    rows: list[T]
    #: One column per table column: the text shown in each row's cell (``str`` dtype).
    frame: pd.DataFrame
    #: One column per table column: what it sorts by: ``float64``/``int64`` for numeric sort
    #: keys, an ordered ``category`` of the case-folded text (its codes are the dense ranks)
    #: for text, dense ranks (``int32``) for other keys (tuples).
    keys: pd.DataFrame
    #: Every column's text of each row, case-folded: what the filter matches. A list, not a
    #: ``str`` Series: without pyarrow, ``Series.str.contains`` calls a Python function per row
    #: and is 1.4-1.7 times slower than ``needle in text`` over a list (100,000 runs: 8 -> 12 ms).
    search: list[str]
    sort_column: int
    sort_order: Qt.SortOrder
    #: Row indexes in ``(sort_column, sort_order)`` order.
    order: np.ndarray

    @property
    def ranks(self) -> list[np.ndarray]:
        """Per column, each row's dense rank among the column's sort keys (computed on demand)."""
        return [_key_ranks(self.keys.iloc[:, c]) for c in range(self.keys.shape[1])]


def _rank_perm(keys: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ranks, perm, step)``: dense ranks (int32), a stable sorting permutation and where it steps."""
    n = len(keys)
    types = {type(k) for k in keys}
    arr: np.ndarray | None = None
    if types <= {int, float}:
        arr = np.asarray(keys, dtype=np.float64)
    elif types == {str} and max(map(len, keys)) <= _MAX_NUMPY_KEY_CHARS:
        arr = np.asarray(keys, dtype=str)
    if arr is not None:
        perm = np.argsort(arr, kind="stable")
        ordered = arr[perm]
        if arr.dtype.kind == "f":
            step = (ordered[1:] != ordered[:-1]) & ~(np.isnan(ordered[1:]) & np.isnan(ordered[:-1]))
        else:
            step = ordered[1:] != ordered[:-1]
    else:
        perm = np.asarray(sorted(range(n), key=keys.__getitem__), dtype=np.int64)
        step = np.fromiter((keys[a] != keys[b] for a, b in itertools.pairwise(perm.tolist())), bool, n - 1)
    ranks = np.empty(n, np.int32)
    ranks[perm] = np.concatenate((np.zeros(1, np.int32), np.cumsum(step, dtype=np.int32)))
    return ranks, perm, step


def dense_ranks(keys: Sequence[Any]) -> np.ndarray:
    """Rank of each key in sorted order, equal keys sharing a rank (int32); NaN ranks last.

    Numbers and short strings are sorted by numpy (``argsort`` lets other threads run);
    anything else (tuples, long strings) by Python's ``sorted``.
    """
    if len(keys) == 0:
        return np.zeros(0, np.int32)
    return _rank_perm(keys)[0]


def sorted_order(ranks: np.ndarray, order: Qt.SortOrder) -> np.ndarray:
    """Row indexes sorted by ``ranks`` (stable: equal keys keep their index order)."""
    key = ranks if order == Qt.SortOrder.AscendingOrder else -ranks.astype(np.int64)
    return np.argsort(key, kind="stable")


def _key_column(keys: list[Any]) -> pd.Series:
    """The sort keys of one column as a Series of the fitting dtype (see :attr:`PreparedTable.keys`).

    Text becomes a ``category`` built from numpy's dense ranks (``Categorical.from_codes``):
    ``pd.Categorical(keys)`` hashes every string and takes two to three times as long on 100,000 runs.
    """
    import pandas as pd
    if not keys:
        return pd.Series(np.zeros(0, np.float64))
    types = {type(k) for k in keys}
    if types <= {int, bool}:
        return pd.Series(np.asarray(keys, dtype=np.int64))
    if types <= {int, float, bool}:
        return pd.Series(np.asarray(keys, dtype=np.float64))
    ranks, perm, step = _rank_perm(keys)
    if types == {str}:
        firsts = perm[np.concatenate(([True], step))]
        categories = pd.Index([keys[i] for i in firsts.tolist()], dtype=object)
        return pd.Series(pd.Categorical.from_codes(ranks, categories=categories, ordered=True))
    return pd.Series(ranks)


def _key_ranks(column: pd.Series) -> np.ndarray:
    import pandas as pd
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(np.int32)
    values = column.to_numpy()
    return values.astype(np.int32) if values.dtype.kind == "i" else dense_ranks(values.tolist())


def _sort_order(keys: pd.Series, order: Qt.SortOrder) -> np.ndarray:
    """Row indexes sorted by one key column: stable (ties keep their index order), NaN last."""
    import pandas as pd
    values = keys.array.codes if isinstance(keys.dtype, pd.CategoricalDtype) else keys.to_numpy()
    if order == Qt.SortOrder.DescendingOrder:  # negated: stable ties, and NaN stays NaN, so last
        values = -values.astype(np.int64 if values.dtype.kind in "iub" else np.float64)
    # argsort of the column's values rather than ``sort_values``: the same order, without
    # building a sorted Series (0.5-1 ms of the UI thread's sort of 100,000 runs)
    return np.argsort(values, kind="stable")


def prepare_table(
    columns: Sequence[Column[Any]],
    rows: Iterable[T],
    sort_column: int = -1,
    sort_order: Qt.SortOrder = Qt.SortOrder.AscendingOrder,
    *,
    is_cancelled: Callable[[], bool] | None = None,
) -> PreparedTable[T]:
    """Cell texts, sort keys, search texts and the initial order of ``rows`` (no Qt objects)."""
    import pandas as pd
    rows = list(rows)
    displays: list[list[str]] = []
    keys: list[pd.Series] = []
    for col in columns:
        if is_cancelled is not None and is_cancelled():
            raise CancelledError("Preparing the table was cancelled.")
        shown = [col.display(r) for r in rows]
        displays.append(shown)
        keys.append(_key_column([s.casefold() for s in shown] if col.sort is None else [col.sort(r) for r in rows]))
    titles = [col.title for col in columns]
    frame = pd.DataFrame(dict(enumerate(pd.Series(d, dtype="str") for d in displays)), index=pd.RangeIndex(len(rows)))
    frame.columns = titles
    key_frame = pd.DataFrame(dict(enumerate(keys)), index=pd.RangeIndex(len(rows)))
    key_frame.columns = titles
    texts = ["\x1f".join(cells).casefold() for cells in zip(*displays, strict=True)] if displays else [""] * len(rows)
    if 0 <= sort_column < len(columns):
        order = _sort_order(key_frame.iloc[:, sort_column], sort_order)
    else:
        order = np.arange(len(rows))
    return PreparedTable(rows, frame, key_frame, texts, sort_column, sort_order, order)


def _cell_arrays(table: PreparedTable[Any]) -> list[np.ndarray]:
    """The frame's text columns as arrays (no copies): what ``data`` reads a cell from."""
    return [table.frame.iloc[:, c].to_numpy() for c in range(table.frame.shape[1])]


def prepare_table_job(
    columns: Sequence[Column[Any]],
    rows: Sequence[T],
    sort_column: int,
    sort_order: Qt.SortOrder,
    *,
    progress: Callable[[int, int, str], None],
    is_cancelled: Callable[[], bool],
) -> PreparedTable[T]:
    """Worker function (:class:`~mlops_desktop.ui.common.workers.TaskSlot`) around :func:`prepare_table`."""
    progress(0, 1, f"Preparing {len(rows):,} rows")
    with full_collections_paused():
        table = prepare_table(columns, rows, sort_column, sort_order, is_cancelled=is_cancelled)
    progress(1, 1, f"{len(rows):,} rows ready")
    return table


class PagedTableModel(QAbstractTableModel, Generic[T]):
    """A table over a :class:`PreparedTable` that filters and sorts itself (no proxy model).

    The UI thread's cost is proportional to the rows on screen, not to the table:

    - ``rowCount`` grows by :data:`PAGE_ROWS` through ``canFetchMore``/``fetchMore``, as
      the view scrolls down (Spyder's ``DataFrameModel``);
    - ``sort`` is a stable ``sort_values`` of the column's prepared sort keys (numbers, or
      text as an ordered category; NaN last), a layout change that keeps the selection;
    - ``set_filter_text`` matches the prepared search texts (a typed refinement only looks
      at the rows the shorter text matched) and resets the model;
    - cells are read from the prepared text columns (the frame's column arrays, cached at
      :meth:`set_table`: ``DataFrame.iat`` costs 1.5 us a cell, more than formatting it).

    :meth:`shown_count` and :meth:`total_count` are the filtered and the whole size
    (``rowCount`` is only what has been paged in). Same roles as :class:`EntityTableModel`.
    """

    columns: Sequence[Column[Any]] = ()
    page_rows = PAGE_ROWS

    def __init__(self, rows: Iterable[T] = (), parent: Any = None) -> None:
        super().__init__(parent)
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._needle = ""
        self._mask: np.ndarray | None = None
        self._table: PreparedTable[T] = prepare_table(self.columns, rows)
        self._cells: list[np.ndarray] = _cell_arrays(self._table)
        self._order: np.ndarray = self._table.order
        self._shown: np.ndarray = self._order
        self._loaded = min(self.page_rows, len(self._shown))

    # -- our API -------------------------------------------------------------------

    @property
    def rows(self) -> list[T]:
        """Every row (filtered or not), in the order they were given."""
        return self._table.rows

    @property
    def sort_state(self) -> tuple[int, Qt.SortOrder]:
        return self._sort_column, self._sort_order

    @property
    def filter_text(self) -> str:
        return self._needle

    def prepare(self, rows: Iterable[T], is_cancelled: Callable[[], bool] | None = None) -> PreparedTable[T]:
        """A table for :meth:`set_table` in this model's current sort order (safe in a worker)."""
        return prepare_table(self.columns, rows, self._sort_column, self._sort_order, is_cancelled=is_cancelled)

    def set_rows(self, rows: Iterable[T], *, sorted_by: tuple[int, Qt.SortOrder] | None = None) -> None:
        """Replace the rows, preparing them here (small tables; big ones: :meth:`set_table`)."""
        del sorted_by  # the ranks are computed anyway; the order comes with them
        self.set_table(self.prepare(rows))

    def set_table(self, table: PreparedTable[T]) -> None:
        """Show a prepared table (the current filter and sort order apply to it)."""
        self.beginResetModel()
        self._table = table
        self._cells = _cell_arrays(table)
        columns = table.keys.shape[1]
        if 0 <= self._sort_column < columns and (table.sort_column, table.sort_order) != self.sort_state:
            self._order = _sort_order(table.keys.iloc[:, self._sort_column], self._sort_order)
        elif self._sort_column < 0 or self._sort_column >= columns:
            self._order = np.arange(len(table.rows))
        else:
            self._order = table.order
        self._mask = self._match(self._needle, None) if self._needle else None
        self._reshow()
        self.endResetModel()

    def set_filter_text(self, text: str) -> bool:
        """Show only rows whose text in some column contains ``text`` (case-insensitive).

        Returns False when the filter did not change. Resets the model.
        """
        needle = text.strip().casefold()
        if needle == self._needle:
            return False
        narrower = bool(self._needle) and self._needle in needle and self._mask is not None
        mask = (self._match(needle, self._mask if narrower else None)) if needle else None
        self.beginResetModel()
        self._needle, self._mask = needle, mask
        self._reshow()
        self.endResetModel()
        return True

    def shown_count(self) -> int:
        """Rows that pass the filter (``rowCount`` is only those paged in so far)."""
        return len(self._shown)

    def total_count(self) -> int:
        return len(self._table.rows)

    def entity(self, row: int) -> T:
        return self._table.rows[int(self._shown[row])]

    def row_of(self, source_index: int) -> int | None:
        """Where ``rows[source_index]`` is shown (paging it in), None when the filter hides it."""
        hits = np.flatnonzero(self._shown == source_index)
        if not len(hits):
            return None
        row = int(hits[0])
        self.ensure_loaded(row)
        return row

    def find(self, predicate: Callable[[T], bool]) -> int | None:
        """Index in :attr:`rows` of the first row for which ``predicate`` is true."""
        return next((i for i, r in enumerate(self._table.rows) if predicate(r)), None)

    def ensure_loaded(self, row: int) -> None:
        """Page rows in until ``row`` is one of them."""
        last = min(row, len(self._shown) - 1)
        if last >= self._loaded:
            self.beginInsertRows(QModelIndex(), self._loaded, last)
            self._loaded = last + 1
            self.endInsertRows()

    def column_index(self, title: str) -> int:
        for i, col in enumerate(self.columns):
            if col.title == title:
                return i
        raise KeyError(title)

    def sort_key(self, column: int) -> Callable[[T], Any]:
        col = self.columns[column]
        if col.sort is not None:
            return col.sort
        return lambda item: col.display(item).casefold()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by the column's prepared keys (stable ``sort_values``); the selection follows its rows."""
        self._sort_column, self._sort_order = column, order
        table = self._table
        if not 0 <= column < table.keys.shape[1] or not table.rows:
            return
        self.layoutAboutToBeChanged.emit()
        old_shown = self._shown
        self._order = _sort_order(table.keys.iloc[:, column], order)
        self._shown = self._order if self._mask is None else self._order[self._mask[self._order]]
        old_indexes = self.persistentIndexList()
        if old_indexes:
            where = np.full(len(table.rows), -1, np.int64)
            where[self._shown] = np.arange(len(self._shown))
            new_indexes = []
            for index in old_indexes:
                new_row = int(where[old_shown[index.row()]]) if index.row() < len(old_shown) else -1
                ok = 0 <= new_row < self._loaded
                new_indexes.append(self.index(new_row, index.column()) if ok else QModelIndex())
            self.changePersistentIndexList(old_indexes, new_indexes)
        self.layoutChanged.emit()

    def _match(self, needle: str, within: np.ndarray | None) -> np.ndarray:
        search = self._table.search
        if within is None:
            return np.fromiter((needle in s for s in search), bool, len(search))
        mask = np.zeros(len(search), bool)
        candidates = np.flatnonzero(within).tolist()
        mask[[i for i in candidates if needle in search[i]]] = True
        return mask

    def _reshow(self) -> None:
        self._shown = self._order if self._mask is None else self._order[self._mask[self._order]]
        self._loaded = min(self.page_rows, len(self._shown))

    # -- Qt overrides --------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self._loaded

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def canFetchMore(self, parent: AnyIndex) -> bool:  # noqa: N802
        return not parent.isValid() and self._loaded < len(self._shown)

    def fetchMore(self, parent: AnyIndex) -> None:  # noqa: N802
        if self.canFetchMore(parent):
            self.ensure_loaded(self._loaded + self.page_rows - 1)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.columns[section].title if 0 <= section < len(self.columns) else None
        return str(section + 1)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self._loaded or index.column() >= len(self.columns):
            return None
        source = int(self._shown[index.row()])
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[column][source]
        item = self._table.rows[source]
        col = self.columns[column]
        if role == ENTITY_ROLE:
            return item
        if role == SORT_ROLE:
            return col.sort(item) if col.sort else self._cells[column][source].casefold()
        if role == BADGES_ROLE:
            return col.badges(item) if col.badges else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if col.tooltip:
                return col.tooltip(item)
            text = self._cells[column][source]
            return text if len(text) > 40 else None
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


# -- registered models --------------------------------------------------------------


def model_badges(model: RegisteredModel) -> list[str]:
    return model_classification(model).badges


def model_classification(model: RegisteredModel) -> Classification:
    tag_sets: list[dict[str, str]] = [model.tags]
    for v in model.visible_versions():
        tag_sets.append(v.tags)
        tag_sets.extend(d.tags for d in v.datasets)
    return classify(tag_sets)


def risk_tier(model: RegisteredModel) -> str:
    return normalise_tags(model.tags).get("risk_tier", "")


_RISK_ORDER = {"low": 1, "medium": 2, "high": 3, "unacceptable": 4}


def stage_and_aliases(model: RegisteredModel) -> str:
    parts = [f"{v.stage} v{v.version}" for v in model.visible_versions() if v.stage and v.stage != "None"]
    parts += [f"@{alias} v{ver}" for alias, ver in sorted(model.aliases.items())]
    return " · ".join(parts)


def last_updated(model: RegisteredModel) -> datetime | None:
    times = [t for t in [model.updated_at, *(v.updated_at or v.created_at for v in model.versions)] if t]
    return max(times) if times else None


def _latest(model: RegisteredModel) -> str:
    latest = model.latest_version()
    return latest.version if latest else ""


def _latest_key(model: RegisteredModel) -> tuple[int, int, str]:
    latest = model.latest_version()
    return version_sort_key(latest.version) if latest else (2, 0, "")


def _author(model: RegisteredModel) -> str:
    latest = model.latest_version()
    return (latest.author or "") if latest else ""


class ModelInventoryModel(EntityTableModel[RegisteredModel]):
    """The registered-model inventory: one row per model."""

    columns = (
        Column("Name", lambda m: m.name),
        Column("Latest version", _latest, _latest_key),
        Column("Stage / aliases", stage_and_aliases),
        Column("Author", _author),
        Column("Risk tier", risk_tier, lambda m: (_RISK_ORDER.get(risk_tier(m), 0), risk_tier(m))),
        Column(
            "Data", lambda m: " ".join(model_badges(m)), lambda m: " ".join(model_badges(m)) or "~", model_badges,
            lambda m: ", ".join(model_badges(m)) or "No PII or PHI recorded",
        ),
        Column("Last updated", lambda m: format_time(last_updated(m)), lambda m: _time_key(last_updated(m))),
    )


# -- model versions -----------------------------------------------------------------


class VersionsModel(EntityTableModel[ModelVersion]):
    """Versions of one registered model (newest first)."""

    columns = (
        Column("Version", lambda v: v.version, lambda v: version_sort_key(v.version)),
        Column("Stage", lambda v: v.stage or ""),
        Column("Aliases", lambda v: ", ".join(f"@{a}" for a in v.aliases)),
        Column("Status", lambda v: v.status),
        Column("Author", lambda v: v.author or ""),
        Column("Data", lambda v: " ".join(v.classification().badges),
                             badges=lambda v: v.classification().badges),
        Column("Created", lambda v: format_time(v.created_at), lambda v: _time_key(v.created_at)),
    )

    def set_model(self, model: RegisteredModel | None) -> None:
        versions = model.visible_versions() if model else []
        self.set_rows(sorted(versions, key=lambda v: version_sort_key(v.version), reverse=True))


# -- datasets -------------------------------------------------------------------------


@dataclass(slots=True)
class DatasetRow:
    """A dataset plus what the catalog says about its use."""

    dataset: Dataset
    classification: Classification
    used_by_runs: int


def dataset_rows(catalog: Catalog) -> list[DatasetRow]:
    uses: dict[str, int] = {}
    for run in catalog.runs.values():
        for inp in run.inputs:
            uses[inp.dataset_id] = uses.get(inp.dataset_id, 0) + 1
    rows = []
    for ds in catalog.datasets.values():
        rows.append(DatasetRow(ds, classify([ds.tags]), uses.get(ds.id, 0)))
    rows.sort(key=lambda r: (r.dataset.name.casefold(), r.dataset.digest))
    return rows


class DatasetsModel(PagedTableModel[DatasetRow]):
    columns = (
        Column("Name", lambda r: r.dataset.name),
        Column("Digest", lambda r: r.dataset.digest),
        Column("Data", lambda r: " ".join(r.classification.badges),
                           badges=lambda r: r.classification.badges),
        Column("Lawful basis", lambda r: r.classification.facts.get("lawful_basis", "")),
        Column("Retention until", lambda r: r.classification.facts.get("retention_until", "")),
        Column("Used by runs", lambda r: str(r.used_by_runs), lambda r: r.used_by_runs),
        Column("Source", lambda r: r.dataset.source),
        Column("Store", lambda r: r.dataset.store),
    )


class DatasetInputsModel(EntityTableModel[tuple[DatasetInput, Classification]]):
    """Datasets a version's run used, each with its classification."""

    columns = (
        Column("Dataset", lambda r: r[0].name),
        Column("Context", lambda r: r[0].context or ""),
        Column("Data", lambda r: " ".join(r[1].badges), badges=lambda r: r[1].badges),
        Column("Lawful basis", lambda r: r[1].facts.get("lawful_basis", "")),
        Column("Digest", lambda r: r[0].digest),
        Column("Source", lambda r: r[0].source),
    )


def version_inputs(version: ModelVersion, catalog: Catalog | None) -> list[tuple[DatasetInput, Classification]]:
    out = []
    for inp in version.datasets:
        ds = catalog.datasets.get(inp.dataset_id) if catalog else None
        out.append((inp, classify([inp.tags, ds.tags if ds else {}])))
    return out


# -- runs -----------------------------------------------------------------------------


def _duration(run: Run) -> float | None:
    if run.start_time and run.end_time:
        return (run.end_time - run.start_time).total_seconds()
    return None


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class RunsModel(PagedTableModel[Run]):
    columns = (
        Column("Run", lambda r: r.name or r.run_id),
        Column("Run ID", lambda r: r.run_id),
        Column("Experiment", lambda r: r.experiment_name or r.experiment_id),
        Column("User", lambda r: r.user or ""),
        Column("Status", lambda r: r.status + (" (deleted)" if r.deleted else "")),
        Column("Started", lambda r: format_time(r.start_time), lambda r: _time_key(r.start_time)),
        Column("Duration", lambda r: format_duration(_duration(r)),
                    lambda r: d if (d := _duration(r)) is not None else -1.0),
        Column("Datasets", lambda r: str(len(r.inputs)), lambda r: len(r.inputs)),
    )


# -- key/value lists (tags, params, metrics) ------------------------------------------


class KeyValueModel(EntityTableModel[tuple[str, str]]):
    """Two columns of text; used for tags, params and latest metrics."""

    def __init__(self, key_title: str = "Key", value_title: str = "Value", parent: Any = None) -> None:
        self.columns = (
            Column(key_title, lambda kv: kv[0]),
            Column(value_title, lambda kv: kv[1]),
        )
        super().__init__((), parent)

    def set_mapping(self, mapping: dict[str, str]) -> None:
        self.set_rows(sorted(((str(k), str(v)) for k, v in mapping.items()), key=lambda kv: kv[0].casefold()))


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
            return self._needle in model.search_text(source_row)
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
