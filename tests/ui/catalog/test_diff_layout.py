"""The comparison window's table fits its width: every column visible, long values cut with
their whole text as tooltip."""

from __future__ import annotations

from pathlib import Path

from mlops_desktop.core.diff import diff_versions
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.catalog.compare_dialog import CompareDialog
from mlops_desktop.ui.catalog.elided_tips import cell_tooltip
from tests.ui.conftest import flush_events, render


def test_compare_table_fits_without_horizontal_scrolling(qtbot, mlflow3_db: Path) -> None:
    catalog = load_catalog([str(mlflow3_db)])
    dialog = CompareDialog(diff_versions(catalog, "credit-limit", "2", "3"))
    qtbot.addWidget(dialog)
    dialog.show()
    view = dialog.view
    for width in (800, 1000, 1280):
        dialog.resize(width, 600)
        flush_events()
        view.fitter.fit()
        table = view.table
        header = table.horizontalHeader()
        assert sum(header.sectionSize(i) for i in range(header.count())) <= table.viewport().width(), width
        assert min(header.sectionSize(i) for i in range(header.count())) >= 36
    # a cut value shows whole in its tooltip
    table = view.table
    col = 2  # From
    for row in range(table.rowCount()):
        index = table.model().index(row, col)
        assert cell_tooltip(table, index) == (index.data() or None) or not index.data()
    render(dialog, "compare_dialog_fitted")
