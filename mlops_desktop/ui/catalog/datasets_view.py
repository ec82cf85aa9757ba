"""The datasets page: every dataset the stores know, with its classification and schema.

A big store has tens of thousands of datasets: above
:data:`~mlops_desktop.ui.models.SYNC_PREPARE_ROWS` rows the table (search texts, sort
ranks) is prepared in a worker; the paged :class:`~mlops_desktop.ui.models.DatasetsModel`
filters and sorts itself with numpy.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QItemSelection, QPoint, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.lineage import dataset_node_id
from mlops_desktop.ui.common.delegates import BadgeDelegate
from mlops_desktop.ui.common.layouts import build_table_page
from mlops_desktop.ui.common.roles import ENTITY_ROLE
from mlops_desktop.ui.common.widgets import FilterBar, badge_html, make_table
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot
from mlops_desktop.ui.models.catalog import DatasetRow, DatasetsModel, KeyValueModel, dataset_rows
from mlops_desktop.ui.models.paged import SYNC_PREPARE_ROWS, PreparedTable, prepare_table_job

NO_DATASETS_TEXT = "This store has no datasets logged as run inputs."
NO_MATCH_TEXT = "No dataset matches the filter."


class DatasetsView(QWidget):
    sig_open_lineage = Signal(str)  # lineage node id of a dataset

    def __init__(self, parent: QWidget | None = None, notifier: ErrorSink | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DatasetsView")
        self.setAccessibleName("Datasets page")
        self.filter_bar = FilterBar("Filter datasets: name, digest, source, PII, PHI, lawful basis…  (Ctrl+F)",
                                    "datasets")
        self.prepare_slot = TaskSlot("datasets-table", notifier, self)
        self._preparing = 0  # rows being prepared in prepare_slot
        self._pending: list[DatasetRow] | None = None  # rows to prepare when the page is shown
        self._select_after: str | None = None  # a dataset to select once they are
        self.model = DatasetsModel(parent=self)
        self.proxy = self.model  # the model filters and sorts itself (kept for callers of ``proxy``)
        self.table = make_table(self.model)
        self.table.setObjectName("datasetsTable")
        self.table.setAccessibleName("Datasets")
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu)
        self.table.doubleClicked.connect(lambda _index: self.open_lineage_of_selection())
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setItemDelegateForColumn(self.model.column_index("Data"), BadgeDelegate(self.table))
        for col, width in enumerate((220, 90, 90, 140, 110, 90, 320)):
            self.table.setColumnWidth(col, width)

        self.header = QLabel("<i>Select a dataset to see its schema and tags.</i>")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lineage_button = QPushButton("Open lineage")
        self.lineage_button.setObjectName("openLineageButton")
        self.lineage_button.setToolTip("Which runs, models and deployments use this dataset (Ctrl+L; or double-click)")
        self.lineage_button.setEnabled(False)
        self.lineage_button.clicked.connect(self.open_lineage_of_selection)
        header_row = QHBoxLayout()
        header_row.addWidget(self.header, 1)
        header_row.addWidget(self.lineage_button, 0, Qt.AlignmentFlag.AlignTop)
        self.columns_model = KeyValueModel("Column", "Type", self)
        self.columns_view = make_table(self.columns_model)
        self.tags_model = KeyValueModel("Tag", "Value", self)
        self.tags_view = make_table(self.tags_model)
        self.profile_text = QPlainTextEdit()
        self.profile_text.setReadOnly(True)
        tabs = QTabWidget()
        tabs.addTab(self.columns_view, "Schema")
        tabs.addTab(self.tags_view, "Tags")
        tabs.addTab(self.profile_text, "Profile")
        self.detail_tabs = tabs

        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addLayout(header_row)
        dl.addWidget(tabs, 1)

        self.stack, self.empty_label = build_table_page(
            self, [self.filter_bar], self.table, NO_DATASETS_TEXT, "datasetsEmpty", detail
        )

        self.filter_bar.edit.textChanged.connect(self._on_filter_text_changed)
        self.model.modelReset.connect(self._update_count)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self._update_state()

    def set_catalog(self, catalog: Catalog, rows: list[DatasetRow] | None = None) -> None:
        """Show the catalog's datasets (``rows`` when the worker already built them).

        Many rows are prepared in a worker once the page is shown (right after a store
        opens, several workers already compete for the GIL); the table says "Preparing…"
        until they are ready.
        """
        rows = rows if rows is not None else dataset_rows(catalog)
        self.prepare_slot.cancel()
        self._pending = None
        self._show(None)
        if len(rows) <= SYNC_PREPARE_ROWS:
            self._set_table(self.model.prepare(rows))
            return
        self.model.set_rows([])
        self._pending = rows
        self._preparing = len(rows)
        self._update_state()
        if self.isVisible():
            self._start_preparing()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._start_preparing()

    def _start_preparing(self) -> None:
        if self._pending is None:
            return
        rows, self._pending = self._pending, None
        column, order = self.model.sort_state
        self.prepare_slot.start(prepare_table_job, DatasetsModel.columns, rows, column, order,
                                label=f"Preparing {len(rows):,} datasets", on_done=self._set_table)

    def _set_table(self, table: PreparedTable[DatasetRow]) -> None:
        self._preparing = 0
        self._pending = None
        self.model.set_table(table)
        self._show(None)
        self._update_state()
        select, self._select_after = self._select_after, None
        if select is not None:
            self.select_dataset(select)

    def focus_filter(self) -> None:
        self.filter_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_bar.edit.selectAll()

    def selected_row(self) -> DatasetRow | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ENTITY_ROLE) if rows else None

    def select_dataset(self, dataset_id: str) -> bool:
        """Select a dataset by id (False when unknown or hidden by the filter).

        While the rows are being prepared, it is selected when they are ready (False now).
        """
        if self._preparing:
            self._select_after = dataset_id
            self._start_preparing()
            return False
        found = self.model.find(lambda r: r.dataset.id == dataset_id)
        row = self.model.row_of(found) if found is not None else None
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def open_lineage_of_selection(self) -> bool:
        row = self.selected_row()
        if row is None:
            return False
        self.sig_open_lineage.emit(dataset_node_id(row.dataset))
        return True

    def _on_table_context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        action = menu.addAction("Open lineage")
        action.setEnabled(self.selected_row() is not None)
        action.triggered.connect(self.open_lineage_of_selection)
        self._menu = menu
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _show(self, row: DatasetRow | None) -> None:
        self.lineage_button.setEnabled(row is not None)
        if row is None:
            self.header.setText("<i>Select a dataset to see its schema and tags.</i>")
            self.columns_model.set_rows([])
            self.tags_model.set_rows([])
            self.profile_text.setPlainText("")
            return
        ds = row.dataset
        self.header.setText(f"<b>{ds.name}</b> &nbsp; digest {ds.digest} &nbsp; {badge_html(row.classification.badges)}"
                            f"<br><small>{ds.source}</small>")
        cols: list[tuple[str, str]] = []
        schema = ds.schema
        if isinstance(schema, dict):
            for c in schema.get("mlflow_colspec") or schema.get("fields") or []:
                if isinstance(c, dict) and c.get("name"):
                    cols.append((str(c["name"]), str(c.get("type", ""))))
        self.columns_model.set_rows(cols)
        self.tags_model.set_mapping(ds.tags)
        profile = ds.profile
        self.profile_text.setPlainText(
            json.dumps(profile, indent=2, sort_keys=True) if isinstance(profile, dict | list) else str(profile or "")
        )

    def _on_table_selection_changed(self, _s: QItemSelection, _d: QItemSelection) -> None:
        self._show(self.selected_row())

    def _on_filter_text_changed(self, text: str) -> None:
        selected = self.selected_row()
        if self.model.set_filter_text(text) and selected is not None:
            self.select_dataset(selected.dataset.id)  # still shown: keep it selected
        self._update_state()

    def _update_count(self, *_args: object) -> None:
        self.filter_bar.set_count(self.model.shown_count(), self.model.total_count())

    def _update_state(self) -> None:
        """The table, or a message when there is nothing to show."""
        self._update_count()
        if self.model.shown_count():
            self.stack.setCurrentWidget(self.table)
            return
        if self._preparing:
            text = f"Preparing {self._preparing:,} datasets…"
        elif self.model.total_count():
            text = NO_MATCH_TEXT
        else:
            text = NO_DATASETS_TEXT
        self.empty_label.setText(text)
        self.stack.setCurrentWidget(self.empty_label)

    def shutdown(self) -> None:
        self.prepare_slot.shutdown()
