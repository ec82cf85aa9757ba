"""Table columns that share the view's width instead of scrolling sideways.

Fixed columns keep their content width; flexible ones get their content width when
everything fits, otherwise (after the ``priority`` ones got theirs, as far as the room goes)
a share of what is left in proportion to it (never below a minimum), and their cut text
shows in a tooltip (:mod:`elided_tips`). A header needs room for the sort arrow only where
the arrow is drawn (the sorted column).

A column's content width is measured on its first rows, or, when the model offers
``fit_sample(column, count)`` (the cells to measure: e.g. its widest texts of all rows) and
``fit_key()`` (changes when those cells may), on those cells: then filtering and sorting the
rows measure nothing again (the widths hold for every subset of the rows).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QHeaderView,
    QStyle,
    QStyleOptionViewItem,
    QTableView,
)

from mlops_desktop.ui.catalog.elided_tips import install_elided_tooltips

MIN_FLEX = 44  # px: the narrowest a flexible column gets
MAX_FLOOR = 110  # px: a flexible column keeps its header's width up to this much
#: room the style takes around a cell's text (as :func:`elided_tips.is_elided` counts it)
_CELL_MARGIN = 12
_SAMPLE_ROWS = 60  # rows measured for a column's content width (a fit stays well under 10 ms)


class ColumnFitter(QObject):
    """Keeps the columns of ``view`` within its viewport (on resize and when rows change)."""

    def __init__(self, view: QTableView, flexible: Sequence[str], caps: dict[str, int] | None = None,
                 priority: Sequence[str] = (), floors: dict[str, int] | None = None) -> None:
        super().__init__(view)
        self.view = view
        self.flexible = set(flexible)
        self.caps = dict(caps or {})
        self.priority = list(priority)  # flexible columns that get their width before the others share
        #: the narrowest a flexible column gets (when it wants that much), instead of its header's width
        self.floors = dict(floors or {})
        header = view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setMinimumSectionSize(24)
        header.sortIndicatorChanged.connect(self._schedule)  # the arrow's room moves with it
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.viewport().installEventFilter(self)
        model = view.model()
        self._model = model  # the one whose signals are watched (it may outlive the view)
        #: content width per column (and the model's fit key then), measured once until the rows
        #: it was measured on change
        self._widths: dict[int, tuple[tuple[object, int], int]] = {}
        for signal in (model.modelReset, model.layoutChanged):
            signal.connect(self._invalidate)
        model.headerDataChanged.connect(self._on_header_data_changed)
        model.rowsInserted.connect(self._on_rows_changed)
        model.rowsRemoved.connect(self._on_rows_changed)
        model.dataChanged.connect(self._on_data_changed)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.fit)
        install_elided_tooltips(view)

    def _schedule(self, *_args: object) -> None:
        self._timer.start()

    def _fit_key(self) -> object:
        """The model's fit key (None: it has none; its first rows are measured)."""
        key = getattr(self._model, "fit_key", None)
        return key() if callable(key) else None

    def _invalidate(self, *_args: object) -> None:
        if self._fit_key() is None:  # the first rows may be others now (a keyed width checks its key)
            self._widths.clear()
        self._schedule()

    def _on_header_data_changed(self, *_args: object) -> None:
        self._widths.clear()
        self._schedule()

    def _on_rows_changed(self, _parent: object, first: int, _last: int) -> None:
        if first < _SAMPLE_ROWS:  # rows below the measured ones change no width
            self._invalidate()

    def _on_data_changed(self, top_left: object, bottom_right: object, *_roles: object) -> None:
        """Re-measure only the columns whose measured rows changed (workers fill cells in bursts;
        measuring every column's rows again for each would keep the UI thread busy)."""
        if self._fit_key() is not None:  # the model's key says which widths still hold
            self._schedule()
            return
        top = top_left.row()  # type: ignore[attr-defined]
        if top >= _SAMPLE_ROWS:
            return
        for column in range(top_left.column(), bottom_right.column() + 1):  # type: ignore[attr-defined]
            self._widths.pop(column, None)
        self._schedule()

    def _titles(self) -> list[str]:
        model = self.view.model()
        return [str(model.headerData(i, Qt.Orientation.Horizontal)) for i in range(model.columnCount())]

    def content_width(self, column: int) -> int:
        """The widest of the header and the first rows (what the user sees first), or of the
        model's sample, as drawn (kept until those rows, the sample or the header change)."""
        key = (self._fit_key(), self.header_width(column))
        cached = self._widths.get(column)
        if cached is not None and cached[0] == key:
            return cached[1]
        width = self._measure(column)
        self._widths[column] = (key, width)
        return width

    def header_width(self, column: int) -> int:
        """The room ``column``'s header needs: its title, and the sort arrow when it is the sorted one."""
        header = self.view.horizontalHeader()
        size = header.sectionSizeFromContents(column)
        if header.isSortIndicatorShown() and header.sortIndicatorSection() != column:
            # Qt counts the arrow's room (the header's height and a margin) in every section
            size.setWidth(size.width() - size.height() - header.style().pixelMetric(
                QStyle.PixelMetric.PM_HeaderMargin, None, header))
        return size.width()

    def _measure(self, column: int) -> int:
        view = self.view
        model = view.model()
        width = self.header_width(column)
        fm = view.fontMetrics()
        delegate: QAbstractItemDelegate | None = view.itemDelegateForColumn(column)  # None when not set
        option = QStyleOptionViewItem()
        option.initFrom(view)
        grid = 1 if view.showGrid() else 0  # the grid line takes a pixel of each cell
        sample = getattr(model, "fit_sample", None)
        indexes = (sample(column, _SAMPLE_ROWS) if callable(sample) and self._fit_key() is not None
                   else [model.index(row, column) for row in range(min(model.rowCount(), _SAMPLE_ROWS))])
        for index in indexes:
            if delegate is not None:  # drawn its own way (badges)
                width = max(width, delegate.sizeHint(option, index).width())
                continue
            text = index.data(Qt.ItemDataRole.DisplayRole)
            if isinstance(text, str) and text:
                width = max(width, fm.horizontalAdvance(text.splitlines()[0]) + grid + _CELL_MARGIN)
        return width

    def fit(self) -> None:
        """Set every column's width so that together they fill the viewport exactly (or less)."""
        view = self.view
        available = view.viewport().width()
        if available <= 0:
            return
        titles = self._titles()
        wants = []
        for i, title in enumerate(titles):
            if view.isColumnHidden(i):
                wants.append(0)
                continue
            want = self.content_width(i)
            if title in self.caps:
                want = min(want, self.caps[title])
            wants.append(want)
        flex = [i for i, t in enumerate(titles) if t in self.flexible and not view.isColumnHidden(i)]
        fixed_total = sum(w for i, w in enumerate(wants) if i not in flex)
        flex_total = sum(wants[i] for i in flex)
        room = max(0, available - fixed_total)
        widths = list(wants)
        if flex and flex_total:
            if flex_total <= room:  # all fits: the spare room goes to the flexible columns
                spare = room - flex_total
                for i in flex:
                    widths[i] = wants[i] + spare * wants[i] // flex_total
            else:  # each keeps its header readable (up to MAX_FLOOR); the priority ones get what they
                # want as far as the room goes, the rest is shared by what each wants more
                floors = {i: min(wants[i], max(MIN_FLEX, self.floors.get(titles[i], 0),
                                               min(MAX_FLOOR, self.header_width(i)))) for i in flex}
                extra = {i: wants[i] - floors[i] for i in flex}
                left = room - sum(floors.values())
                first = [i for t in self.priority for i in flex if titles[i] == t]
                for i in first:
                    give = min(extra[i], max(0, left))
                    widths[i] = floors[i] + give
                    left -= give
                rest = [i for i in flex if i not in first]
                total_extra = sum(extra[i] for i in rest)
                for i in rest:
                    share = left * extra[i] // total_extra if left > 0 and total_extra else 0
                    widths[i] = floors[i] + share
        over = sum(widths) - available
        if over > 0:  # minimums or fixed columns still too wide: take it from the widest
            for i in sorted(range(len(widths)), key=lambda j: -widths[j]):
                cut = min(over, max(0, widths[i] - MIN_FLEX))
                widths[i] -= cut
                over -= cut
                if over <= 0:
                    break
        for i, w in enumerate(widths):
            if not view.isColumnHidden(i):
                view.setColumnWidth(i, w)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize:
            self._schedule()
        return False


def fit_columns(view: QTableView, flexible: Sequence[str], caps: dict[str, int] | None = None,
                priority: Sequence[str] = (), floors: dict[str, int] | None = None) -> ColumnFitter:
    """Fit ``view``'s columns to its width; ``flexible`` names the columns that shrink (cut
    with a tooltip), ``caps`` the widest any column may want, ``priority`` the flexible
    columns that keep their whole width while the room allows (before the others share),
    ``floors`` the narrowest a flexible column gets when it wants that much."""
    return ColumnFitter(view, flexible, caps, priority, floors)
