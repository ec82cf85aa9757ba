"""The datasets page: every dataset the stores know, with its classification and schema."""

from __future__ import annotations

import json

from PySide6.QtCore import QItemSelection, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.lineage import dataset_node_id
from mlops_desktop.ui.delegates import BadgeDelegate
from mlops_desktop.ui.inventory_view import FilterBar
from mlops_desktop.ui.models import (
    ENTITY_ROLE,
    DatasetRow,
    DatasetsModel,
    FilterProxyModel,
    KeyValueModel,
    dataset_rows,
)
from mlops_desktop.ui.version_detail import badge_html, make_table


class DatasetsView(QWidget):
    sig_open_lineage = Signal(str)  # lineage node id of a dataset

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DatasetsView")
        self.setAccessibleName("Datasets page")
        self.filter_bar = FilterBar("Filter datasets: name, digest, source, PII, PHI, lawful basis…  (Ctrl+F)",
                                    "datasets")
        self.model = DatasetsModel(parent=self)
        self.proxy = FilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.table = make_table(self.proxy)
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

        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.filter_bar)
        tl.addWidget(self.table, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(detail)
        split.setSizes([420, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(split)

        self.filter_bar.edit.textChanged.connect(self._on_filter_text_changed)
        for sig in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset, self.proxy.layoutChanged):
            sig.connect(self._update_count)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self._update_count()

    def set_catalog(self, catalog: Catalog, rows: list[DatasetRow] | None = None) -> None:
        """Show the catalog's datasets (``rows`` when the worker already built them)."""
        self.model.set_rows(rows if rows is not None else dataset_rows(catalog))
        self._show(None)

    def focus_filter(self) -> None:
        self.filter_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_bar.edit.selectAll()

    def selected_row(self) -> DatasetRow | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ENTITY_ROLE) if rows else None

    def select_dataset(self, dataset_id: str) -> bool:
        for r in range(self.proxy.rowCount()):
            index = self.proxy.index(r, 0)
            if index.data(ENTITY_ROLE).dataset.id == dataset_id:
                self.table.selectRow(r)
                self.table.scrollTo(index)
                return True
        return False

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
        self.proxy.set_filter_text(text)
        self._update_count()

    def _update_count(self, *_args: object) -> None:
        self.filter_bar.set_count(self.proxy.rowCount(), self.model.rowCount())
