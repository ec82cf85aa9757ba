"""Tables whose rows stay in the store: :class:`WindowedQueryModel`.

The Runs and Datasets pages of a big store list hundreds of thousands of rows. The model
holds only a window of them (at most :attr:`WindowedQueryModel.window_rows`), the rows
around what the view shows; ``rowCount`` is the number of rows matching the query, so the
scroll bar is true. Sorting and filtering change the query (sort key and text) and the
store answers it (:meth:`~mlops_desktop.sources.base.Source.page_runs`, ``page_datasets``:
SQL for MLflow stores). The model never reads the store itself: it emits
:attr:`~WindowedQueryModel.sig_query_changed` and :attr:`~WindowedQueryModel.sig_window_wanted`,
the view reads in a worker (:func:`read_query`, :func:`read_window`) and hands the rows back
(:meth:`~WindowedQueryModel.set_result`, :meth:`~WindowedQueryModel.set_window`), tagged with
the query's generation so a late answer to an older query is dropped.

Several stores are listed one after the other, in the order they were opened, each in the
query's order (a window that spans two stores reads from both).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer, Signal

from mlops_desktop.core.progress import CancelledFn, ProgressFn, check_cancelled
from mlops_desktop.ui.common.roles import BADGES_ROLE, ENTITY_ROLE, SORT_ROLE
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot
from mlops_desktop.ui.models.base import AnyIndex, Column

R = TypeVar("R")

#: Rows a :class:`WindowedQueryModel` holds at most (the window read around the shown rows).
WINDOW_ROWS = 600
#: What a row not read yet shows in its first column.
PENDING_TEXT = "…"


@dataclass(frozen=True, slots=True)
class QueryState:
    """What the table asks of the store: a filter text and a sort (column, order)."""

    text: str = ""
    column: int = -1
    order: Qt.SortOrder = Qt.SortOrder.AscendingOrder


@dataclass(slots=True)
class QueryResult(Generic[R]):
    """The answer to a query: per store how many rows match (and how many there are at all),
    and the first window of the concatenated rows."""

    generation: int
    counts: list[int]
    totals: list[int]
    start: int
    rows: list[R] = field(default_factory=list)


@dataclass(slots=True)
class WindowResult(Generic[R]):
    generation: int
    start: int
    rows: list[R] = field(default_factory=list)


#: ``(source, query, is_cancelled) -> matching rows`` and ``(source, query, offset, limit, is_cancelled)
#: -> rows``: a cancelled read may stop early (raising CancelledError).
CountFn = Callable[[Any, Any, CancelledFn], int]
PageFn = Callable[[Any, Any, int, int, CancelledFn], list[Any]]


def read_window(
    sources: Sequence[Any], counts: Sequence[int], query: Any, start: int, limit: int,
    page: PageFn, is_cancelled: CancelledFn,
) -> list[Any]:
    """Rows ``start`` to ``start + limit`` of the stores' rows listed one store after the other."""
    out: list[Any] = []
    base = 0
    end = start + limit
    for source, n in zip(sources, counts, strict=True):
        lo, hi = max(start, base), min(end, base + n)
        if lo < hi:
            check_cancelled(is_cancelled)
            out.extend(page(source, query, lo - base, hi - lo, is_cancelled))
        base += n
        if base >= end:
            break
    return out


def read_query(
    sources: Sequence[Any], query: Any, unfiltered: Any | None, start: int, limit: int,
    count: CountFn, page: PageFn, generation: int, is_cancelled: CancelledFn,
) -> QueryResult[Any]:
    """Count the rows matching ``query`` in each store (and those matching ``unfiltered``, when
    given: the filter bar's "N of M"), then read the window at ``start``."""
    counts = []
    for source in sources:
        check_cancelled(is_cancelled)
        counts.append(count(source, query, is_cancelled))
    totals = counts
    if unfiltered is not None:
        totals = []
        for source in sources:
            check_cancelled(is_cancelled)
            totals.append(count(source, unfiltered, is_cancelled))
    start = max(0, min(start, sum(counts) - 1))
    rows = read_window(sources, counts, query, start, limit, page, is_cancelled)
    return QueryResult(generation, counts, totals, start, rows)


class WindowedQueryModel(QAbstractTableModel, Generic[R]):
    """A table of ``rowCount()`` rows of which a window of at most :attr:`window_rows` is held.

    - :meth:`sort` and :meth:`set_filter_text` change the :attr:`query` (a column without a
      query sort key, :attr:`sort_keys`, is not sortable: the order stays) and emit
      ``sig_query_changed``; the table keeps its rows until :meth:`set_result` replaces them;
    - ``data`` for a row outside the window shows :data:`PENDING_TEXT` and asks, once per
      event-loop turn, for the window around the rows asked (``sig_window_wanted(start, n)``);
    - :meth:`set_window` replaces the held rows (the ones before are dropped: memory does not
      grow with scrolling).
    """

    columns: Sequence[Column[Any]] = ()
    #: the store's sort key of each column, None when the store cannot sort by it
    sort_keys: Sequence[str | None] = ()
    window_rows = WINDOW_ROWS

    sig_query_changed = Signal()
    sig_window_wanted = Signal(int, int)  # first row, how many

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.query = QueryState()
        self.generation = 0
        self._counts: list[int] = []
        self._totals: list[int] = []
        self._count = 0
        self._start = 0
        self._rows: list[R] = []
        self._texts: list[list[str]] = []
        self._wanted: tuple[int, int] | None = None  # the window asked for and not yet read
        self._asked: list[int] = []  # rows ``data`` was asked for outside the window this turn
        self._ask_timer = QTimer(self)
        self._ask_timer.setSingleShot(True)
        self._ask_timer.setInterval(0)
        self._ask_timer.timeout.connect(self._on_ask_timer_timeout)

    # -- our API -------------------------------------------------------------------

    @property
    def sort_state(self) -> tuple[int, Qt.SortOrder]:
        return self.query.column, self.query.order

    @property
    def filter_text(self) -> str:
        return self.query.text

    @property
    def counts(self) -> list[int]:
        """Per store, how many rows match the current result's query."""
        return list(self._counts)

    @property
    def window(self) -> tuple[int, int]:
        """``(first row, number of rows)`` held."""
        return self._start, len(self._rows)

    @property
    def held_rows(self) -> list[R]:
        return list(self._rows)

    def shown_count(self) -> int:
        """Rows matching the filter (all of them count in ``rowCount``, held or not)."""
        return self._count

    def total_count(self) -> int:
        """Rows of the stores, filter aside."""
        return sum(self._totals)

    def is_sortable(self, column: int) -> bool:
        return 0 <= column < len(self.sort_keys) and self.sort_keys[column] is not None

    def sort_key_of(self, column: int) -> str | None:
        return self.sort_keys[column] if self.is_sortable(column) else None

    def set_filter_text(self, text: str) -> bool:
        """Ask the stores for the rows containing ``text``; False when the filter did not change."""
        text = text.strip()
        if text == self.query.text:
            return False
        self._set_query(QueryState(text, self.query.column, self.query.order))
        return True

    def set_result(self, result: QueryResult[R]) -> bool:
        """Show the answer to the current query (False: it answers an older one; dropped)."""
        if result.generation != self.generation:
            return False
        self.beginResetModel()
        self._counts, self._totals = list(result.counts), list(result.totals)
        self._count = sum(result.counts)
        self._take(result.start, result.rows)
        self._wanted = None
        self._asked = []
        self.endResetModel()
        return True

    def clear(self) -> None:
        """No rows (no store open); the query stays."""
        self.generation += 1
        self.set_result(QueryResult(self.generation, [], [], 0, []))

    def set_window(self, result: WindowResult[R]) -> bool:
        """Hold these rows instead of the window before (False: an older query's; dropped)."""
        if result.generation != self.generation:
            return False
        old = self.window
        self._take(result.start, result.rows)
        self._wanted = None
        for first, n in (old, self.window):
            if n:
                self.dataChanged.emit(self.index(first, 0), self.index(min(first + n, self._count) - 1,
                                                                       len(self.columns) - 1))
        return True

    def entity(self, row: int) -> R | None:
        """The row's entity, None when it is not held (not read yet, or scrolled away)."""
        i = row - self._start
        return self._rows[i] if 0 <= i < len(self._rows) else None

    def held_row_of(self, predicate: Callable[[R], bool]) -> int | None:
        """The row number of the first held row for which ``predicate`` is true."""
        return next((self._start + i for i, r in enumerate(self._rows) if predicate(r)), None)

    def want_rows(self, first: int, last: int) -> None:
        """Make sure rows ``first`` to ``last`` are held (asks for a window when they are not)."""
        if self._count == 0:
            return
        first, last = max(0, first), min(last, self._count - 1)
        if first > last or self._holds(first, last):
            return
        n = min(self.window_rows, self._count)
        span = last - first + 1
        start = first - (n - span) // 2 if span < n else first
        start = max(0, min(start, self._count - n))
        if self._wanted is not None and self._wanted[0] <= first and last < self._wanted[0] + self._wanted[1]:
            return
        self._wanted = (start, n)
        self.sig_window_wanted.emit(start, n)

    def forget_wanted(self) -> None:
        """The window asked for will not come (its read failed): ask again when rows are shown."""
        self._wanted = None

    def column_index(self, title: str) -> int:
        for i, col in enumerate(self.columns):
            if col.title == title:
                return i
        raise KeyError(title)

    def _holds(self, first: int, last: int) -> bool:
        return self._start <= first and last < self._start + len(self._rows)

    def _take(self, start: int, rows: list[R]) -> None:
        rows = rows[: self.window_rows]
        self._start = start
        self._rows = rows
        self._texts = [[col.display(r) for col in self.columns] for r in rows]

    def _set_query(self, query: QueryState) -> None:
        self.query = query
        self.generation += 1
        self._wanted = None
        self.sig_query_changed.emit()

    def _on_ask_timer_timeout(self) -> None:
        asked, self._asked = self._asked, []
        if asked:
            self.want_rows(min(asked), max(asked))

    # -- Qt overrides --------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Ask the stores for the rows in this column's order (ignored for a column they cannot sort by)."""
        if not self.is_sortable(column) or (column, order) == self.sort_state:
            return
        self._set_query(QueryState(self.query.text, column, order))

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].title
            if role == Qt.ItemDataRole.ToolTipRole and not self.is_sortable(section):
                return "Not sortable: the store cannot order by this column"
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.column() >= len(self.columns):
            return None
        row, column = index.row(), index.column()
        i = row - self._start
        if not 0 <= i < len(self._rows):
            if role != Qt.ItemDataRole.DisplayRole or not 0 <= row < self._count:
                return None
            if not self._asked:
                self._ask_timer.start()
            self._asked.append(row)
            return PENDING_TEXT if column == 0 else ""
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[i][column]
        item = self._rows[i]
        col = self.columns[column]
        if role == ENTITY_ROLE:
            return item
        if role == SORT_ROLE:
            return col.sort(item) if col.sort else self._texts[i][column].casefold()
        if role == BADGES_ROLE:
            return col.badges(item) if col.badges else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if col.tooltip:
                return col.tooltip(item)
            text = self._texts[i][column]
            return text if len(text) > 40 else None
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def read_query_job(
    sources: Sequence[Any], query: Any, unfiltered: Any | None, start: int, limit: int, count: CountFn,
    page: PageFn, generation: int, *, progress: ProgressFn, is_cancelled: CancelledFn,
) -> QueryResult[Any]:
    """Worker function (:class:`~mlops_desktop.ui.common.workers.TaskSlot`) around :func:`read_query`."""
    progress(0, 1, "Reading from the stores")
    result = read_query(sources, query, unfiltered, start, limit, count, page, generation, is_cancelled)
    progress(1, 1, f"{sum(result.counts):,} rows")
    return result


def read_window_job(
    sources: Sequence[Any], counts: Sequence[int], query: Any, start: int, limit: int, page: PageFn,
    generation: int, *, progress: ProgressFn, is_cancelled: CancelledFn,
) -> WindowResult[Any]:
    """Worker function around :func:`read_window`."""
    progress(0, 1, f"Reading rows {start + 1:,} to {start + limit:,}")
    rows = read_window(sources, counts, query, start, limit, page, is_cancelled)
    progress(1, 1, f"{len(rows):,} rows read")
    return WindowResult(generation, start, rows)


class WindowFeeder(QObject):
    """Answers a :class:`WindowedQueryModel`'s queries and windows from the open stores, in workers.

    One task for the query (counts and first window) and one for the window: a newer one
    cancels the older (its late answer is dropped by the model's generation check).
    ``query_of(filtered)`` turns the model's :class:`QueryState` into the stores' query.
    """

    sig_result = Signal()  # the answer to a query is shown

    def __init__(self, name: str, model: WindowedQueryModel[Any], count: CountFn, page: PageFn,
                 query_of: Callable[[bool], Any], notifier: ErrorSink | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.count, self.page, self.query_of = count, page, query_of
        self.query_slot = TaskSlot(name, notifier, self, asked=True)
        self.window_slot = TaskSlot(f"{name}-window", notifier, self, asked=True)
        self.sources: list[Any] = []
        #: the rows shown do not answer the current stores and query (read when the page is shown)
        self.stale = False
        model.sig_query_changed.connect(self.refresh)
        model.sig_window_wanted.connect(self._on_model_window_wanted)

    def set_sources(self, sources: Sequence[Any], *, now: bool) -> None:
        """Read from these stores from now on (at once when ``now``; else at :meth:`refresh_if_stale`)."""
        self.query_slot.cancel()
        self.window_slot.cancel()
        self.sources = list(sources)
        self.model.clear()
        self.stale = bool(self.sources)
        if now:
            self.refresh_if_stale()

    def refresh_if_stale(self) -> None:
        if self.stale:
            self.refresh()

    def refresh(self) -> None:
        """Ask the stores for the model's current query (counts and the first window)."""
        self.window_slot.cancel()
        if not self.sources:
            self.stale = False
            self.model.clear()
            return
        model = self.model
        unfiltered = self.query_of(False) if model.filter_text else None
        self.stale = False
        self.query_slot.start(read_query_job, self.sources, self.query_of(True), unfiltered, 0, model.window_rows,
                              self.count, self.page, model.generation, label="Reading from the stores",
                              on_done=self._on_query_done)

    def is_busy(self) -> bool:
        return self.query_slot.is_running() or self.window_slot.is_running()

    def shutdown(self) -> None:
        self.query_slot.shutdown()
        self.window_slot.shutdown()

    def _on_query_done(self, result: QueryResult[Any]) -> None:
        if self.model.set_result(result):
            self.sig_result.emit()

    def _on_model_window_wanted(self, start: int, n: int) -> None:
        if self.query_slot.is_running() or not self.sources:
            return  # the query's own window comes first
        model = self.model
        self.window_slot.start(read_window_job, self.sources, model.counts, self.query_of(True), start, n, self.page,
                               model.generation, label="Reading rows", on_done=self._on_window_read,
                               on_error=self._on_window_failed)

    def _on_window_read(self, result: WindowResult[Any]) -> None:
        self.model.set_window(result)

    def _on_window_failed(self, _exc: BaseException) -> bool:
        self.model.forget_wanted()  # asked again when the rows are next shown
        return False  # the notifier shows the error
