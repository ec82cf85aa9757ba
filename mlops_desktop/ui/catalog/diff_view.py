"""Side-by-side comparison of two model versions (params, metrics, datasets,
classification, upstream lineage), fed by :func:`mlops_desktop.core.diff.diff_versions`."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.diff import ADDED, CHANGED, REMOVED, VersionDiff
from mlops_desktop.ui.catalog.column_fit import fit_columns

STATUS_COLOURS = {CHANGED: "#fef3c7", ADDED: "#dcfce7", REMOVED: "#fee2e2"}
COLUMNS = ("Section", "Item", "From", "To", "Status", "Note")


class DiffView(QWidget):
    """Standalone widget: call :meth:`show_diff` with a :class:`VersionDiff`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.diff: VersionDiff | None = None
        self.title = QLabel("Pick two versions to compare.")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.only_changes = QCheckBox("Only differences")
        self.only_changes.toggled.connect(self._on_only_changes_toggled)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        # the columns share the window's width (values and notes cut, each with a tooltip)
        self.fitter = fit_columns(self.table, ("Item", "From", "To", "Note"), {"From": 420, "To": 420})
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.only_changes)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

    def show_diff(self, diff: VersionDiff) -> None:
        self.diff = diff
        head = f"{diff.model}: version {diff.old.version} → {diff.new.version}"
        changed = len(diff.changed)
        self.title.setText(f"{head}  ({changed} difference{'s' if changed != 1 else ''})")
        self.table.setRowCount(len(diff.rows))
        for r, row in enumerate(diff.rows):
            values = (row.section, row.key, row.old or "", row.new or "", row.status, row.note)
            colour = STATUS_COLOURS.get(row.status)
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                if colour:
                    item.setBackground(QBrush(QColor(colour)))
                    item.setForeground(QBrush(QColor("#111827")))
                if row.section == "dataset" and "digest" in row.note and c in (2, 3):
                    f = item.font()
                    f.setBold(True)
                    item.setFont(f)
                self.table.setItem(r, c, item)
        self.fitter.fit()
        self._on_only_changes_toggled(self.only_changes.isChecked())

    def _on_only_changes_toggled(self, checked: bool) -> None:
        if self.diff is None:
            return
        for r, row in enumerate(self.diff.rows):
            self.table.setRowHidden(r, checked and row.status == "same")


__all__ = ["DiffView"]
