"""Big tables (all runs, all datasets): :class:`PagedTableModel`.

Rows are prepared off the UI thread (:func:`prepare_table`: pandas DataFrames of the cell
texts and the sort keys, and a search column); the model filters and sorts itself with
pandas, reads cells with ``DataFrame.iat`` and pages rows in with ``fetchMore`` (Spyder's
``DataFrameModel``).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    Qt,
)

if TYPE_CHECKING:  # pandas loads lazily (~0.2 s): only where a table is prepared
    import pandas as pd

from mlops_desktop.core.errors import CancelledError
from mlops_desktop.ui.common.roles import BADGES_ROLE, ENTITY_ROLE, SORT_ROLE
from mlops_desktop.ui.models.base import AnyIndex, Column, T

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


