"""The keyboard shortcuts sheet (F1 or Ctrl+/), generated from the window's actions so it
never drifts from what the keys really do."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.ui.common.fitting import fit_table_height, table_content_size

#: Keys that work inside views without a menu action.
EXTRA_KEYS = (
    ("Tab / Shift+Tab", "Move between the navigator, tables, fields and buttons"),
    ("Ctrl+PgDown / Ctrl+PgUp", "Next / previous tab in a detail pane"),
    ("Enter (in a list)", "Open the selected search result or recent store"),
    ("Menu key / Shift+F10", "Context menu of a table (Open lineage, Compare)"),
    ("Escape", "Close a dialog"),
)


def shortcut_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """(keys, what they do) for every action with a shortcut, plus :data:`EXTRA_KEYS`."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for action in actions:
        keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts())
        if not keys or keys in seen:
            continue
        seen.add(keys)
        rows.append((keys, action.text().replace("&", "").rstrip("…").rstrip(".")))
    return rows + list(EXTRA_KEYS)


class ShortcutsDialog(QDialog):
    def __init__(self, actions: Iterable[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ShortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.rows = shortcut_rows(actions)
        # two pairs of columns side by side: every row is shown, even on a 1280x800 screen
        half = (len(self.rows) + 1) // 2
        self.table = QTableWidget(half, 4)
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Keys", "Action", "Keys", "Action"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for i, (keys, what) in enumerate(self.rows):
            r, c = i % half, 2 * (i // half)
            self.table.setItem(r, c, QTableWidgetItem(keys))
            self.table.setItem(r, c + 1, QTableWidgetItem(what))
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        for c in range(4):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        fit_table_height(self.table)
        self.table.setMinimumWidth(table_content_size(self.table).width())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Every main action has a key. Menus open with Alt + the underlined letter."))
        layout.addWidget(self.table)
        layout.addWidget(buttons)
