"""Column fitting measures a column's first rows once and again only when those rows change:
cells filled in further down (as the inventory's workers do, in bursts) re-measure nothing,
and a changed top cell re-measures its own column only, with the new width applied."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QTableView

from mlops_desktop.ui.catalog.column_fit import _SAMPLE_ROWS, ColumnFitter, fit_columns
from tests.ui.conftest import flush_events


class CountingFitter(ColumnFitter):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.measured: list[int] = []
        super().__init__(*args, **kwargs)

    def _measure(self, column: int) -> int:
        self.measured.append(column)
        return super()._measure(column)


def _view(qtbot, rows: int = 200) -> tuple[QTableView, QStandardItemModel]:
    model = QStandardItemModel(0, 3)
    model.setHorizontalHeaderLabels(["Name", "Note", "Size"])
    for r in range(rows):
        model.appendRow([QStandardItem(f"model-{r}"), QStandardItem("n"), QStandardItem(str(r))])
    view = QTableView()
    view.setModel(model)
    qtbot.addWidget(view)
    view.resize(QSize(900, 400))
    view.show()
    return view, model


def test_widths_are_measured_once_and_again_only_for_changed_top_rows(qtbot):
    view, model = _view(qtbot)
    fitter = CountingFitter(view, ("Name", "Note"))
    fitter.fit()
    assert sorted(fitter.measured) == [0, 1, 2]
    fitter.measured.clear()
    fitter.fit()  # nothing changed: nothing measured again
    assert fitter.measured == []

    model.item(_SAMPLE_ROWS + 5, 1).setText("a very long note " * 10)  # below the measured rows
    flush_events()
    fitter.fit()
    assert fitter.measured == []

    narrow = view.columnWidth(1)
    model.item(3, 1).setText("a much longer note that needs room " * 2)  # a measured row of column 1
    qtbot.waitUntil(lambda: fitter.measured == [1], timeout=2000)  # the scheduled fit, column 1 only
    assert view.columnWidth(1) > narrow


def test_sorting_or_new_top_rows_measure_every_column_again(qtbot):
    view, model = _view(qtbot, rows=30)
    fitter = CountingFitter(view, ("Name",))
    fitter.fit()
    fitter.measured.clear()
    model.sort(2)
    qtbot.waitUntil(lambda: sorted(fitter.measured) == [0, 1, 2], timeout=2000)
    fitter.measured.clear()
    model.insertRow(0, [QStandardItem("x" * 80), QStandardItem(""), QStandardItem("")])
    qtbot.waitUntil(lambda: sorted(fitter.measured) == [0, 1, 2], timeout=2000)
    assert fitter.content_width(0) > fitter.content_width(2)
    model.removeRow(0)
    qtbot.waitUntil(lambda: fitter.content_width(0) < view.fontMetrics().horizontalAdvance("x" * 80), timeout=2000)


def test_fit_columns_returns_a_caching_fitter(qtbot):
    view, _model = _view(qtbot, rows=5)
    fitter = fit_columns(view, ("Name",))
    assert fitter.content_width(0) == fitter._measure(0)
