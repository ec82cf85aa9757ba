"""The datasets page: every dataset the stores know, with its classification and schema.

A big store has a hundred thousand datasets: the :class:`~mlops_desktop.ui.models.catalog.DatasetPagesModel`
holds only the rows around those shown; its sort and filter are the stores' query
(:meth:`~mlops_desktop.sources.base.Source.page_datasets`: SQL for MLflow stores, which also
matches the PII/PHI badges and lawful basis of each dataset's inputs), read in a worker.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

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

from mlops_desktop.core.lineage import dataset_node_id
from mlops_desktop.core.progress import CancelledFn
from mlops_desktop.sources.base import DatasetQuery, Source
from mlops_desktop.ui.catalog.column_fit import fit_columns
from mlops_desktop.ui.common.delegates import BadgeDelegate
from mlops_desktop.ui.common.layouts import build_table_page
from mlops_desktop.ui.common.roles import ENTITY_ROLE
from mlops_desktop.ui.common.widgets import FilterBar, badge_html, make_table
from mlops_desktop.ui.common.workers import ErrorSink
from mlops_desktop.ui.models.catalog import (
    DatasetPagesModel,
    DatasetRow,
    KeyValueModel,
    dataset_row,
)
from mlops_desktop.ui.models.windowed import WindowFeeder

NO_DATASETS_TEXT = "This store has no datasets logged as run inputs."
NO_MATCH_TEXT = "No dataset matches the filter."


def count_datasets(source: Source, query: DatasetQuery, is_cancelled: CancelledFn) -> int:
    return source.count_datasets(query, is_cancelled=is_cancelled)


def page_datasets(source: Source, query: DatasetQuery, offset: int, limit: int,
                  is_cancelled: CancelledFn) -> list[DatasetRow]:
    """A page of datasets, classified (in the worker that reads them)."""
    return [dataset_row(d) for d in source.page_datasets(query, offset, limit, is_cancelled=is_cancelled)]


class DatasetsView(QWidget):
    sig_open_lineage = Signal(str)  # lineage node id of a dataset
    sig_open_impact = Signal(str)  # lineage node id of a dataset: the versions and deployments it reaches

    def __init__(self, parent: QWidget | None = None, notifier: ErrorSink | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DatasetsView")
        self.setAccessibleName("Datasets page")
        self.filter_bar = FilterBar("Filter datasets: name, digest, source, PII, PHI, lawful basis…  (Ctrl+F)",
                                    "datasets")
        self._select_after: str | None = None  # a dataset to select once the query looking for it is read
        self._shown: DatasetRow | None = None
        self.model = DatasetPagesModel(parent=self)
        self.proxy = self.model  # the stores filter and sort (kept for callers of ``proxy``)
        self.feeder = WindowFeeder("datasets", self.model, count_datasets, page_datasets,
                                   lambda filtered: self.model.dataset_query(filtered=filtered), notifier, self)
        self.prepare_slot = self.feeder.query_slot  # counts and first rows of the current query
        self.table = make_table(self.model)
        self.table.setObjectName("datasetsTable")
        self.table.setAccessibleName("Datasets")
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu)
        self.table.doubleClicked.connect(lambda _index: self.open_lineage_of_selection())
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setItemDelegateForColumn(self.model.column_index("Data"), BadgeDelegate(self.table))
        # the columns share the page's width (no sideways scrolling); cut cells show their text as tooltip
        self.table_fitter = fit_columns(self.table, ("Name", "Digest", "Lawful basis", "Source", "Store"),
                                        {"Digest": 140, "Source": 360, "Store": 220})

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
        self.model.modelReset.connect(self._update_state)
        self.feeder.sig_result.connect(self._on_feeder_result)
        self.feeder.query_slot.sig_started.connect(lambda _label: self._update_state())
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._on_header_sort_indicator_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self._update_state()

    def set_sources(self, sources: Sequence[Source]) -> None:
        """List the datasets of these stores (read now when the page is shown, else when it is)."""
        self._show(None)
        self.feeder.set_sources(sources, now=self.isVisible())
        self._update_state()

    def is_busy(self) -> bool:
        return self.feeder.is_busy()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.feeder.refresh_if_stale()
        self._update_state()

    def _on_feeder_result(self) -> None:
        select, self._select_after = self._select_after, None
        if select is None and self._shown is not None:
            select = self._shown.dataset.id  # still among the rows read: keep it selected
        if select is None:
            return
        row = self.model.held_row_of(lambda r: r.dataset.id == select)
        if row is not None:
            self._select_row(row)
        elif self._shown is not None:
            self._show(None)

    def _select_row(self, row: int) -> None:
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))

    def _on_header_sort_indicator_changed(self, column: int, _order: Qt.SortOrder) -> None:
        if not self.model.is_sortable(column):  # the stores cannot order by it: the indicator stays
            self.table.horizontalHeader().setSortIndicator(*self.model.sort_state)

    def focus_filter(self) -> None:
        self.filter_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_bar.edit.selectAll()

    def selected_row(self) -> DatasetRow | None:
        return self._shown

    def select_dataset(self, dataset_id: str) -> bool:
        """Select a dataset by id: at once when it is among the rows read (True), else the filter
        is set to its id and it is selected when the stores answer (False now)."""
        row = self.model.held_row_of(lambda r: r.dataset.id == dataset_id)
        if row is not None and not self.prepare_slot.is_running():
            self._select_row(row)
            return True
        self._select_after = dataset_id
        if self.filter_bar.edit.text() != dataset_id:
            self.filter_bar.edit.setText(dataset_id)
        else:
            self.feeder.refresh_if_stale()
        return False

    def open_lineage_of_selection(self) -> bool:
        row = self.selected_row()
        if row is None:
            return False
        self.sig_open_lineage.emit(dataset_node_id(row.dataset))
        return True

    def open_impact_of_selection(self) -> bool:
        row = self.selected_row()
        if row is None:
            return False
        self.sig_open_impact.emit(dataset_node_id(row.dataset))
        return True

    def _on_table_context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        action = menu.addAction("Open lineage")
        action.setEnabled(self.selected_row() is not None)
        action.triggered.connect(self.open_lineage_of_selection)
        impact = menu.addAction("Impact: versions and deployments it reaches…")
        impact.setObjectName("impactAction")
        impact.setEnabled(self.selected_row() is not None)
        impact.triggered.connect(self.open_impact_of_selection)
        self._menu = menu
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _show(self, row: DatasetRow | None) -> None:
        self._shown = row
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
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].data(ENTITY_ROLE) if rows else None
        if row is not None or not rows:
            self._show(row)

    def _on_filter_text_changed(self, text: str) -> None:
        self.model.set_filter_text(text)
        self._update_state()

    def _update_state(self, *_args: object) -> None:
        """The table, or a message when there is nothing to show."""
        self.filter_bar.set_count(self.model.shown_count(), self.model.total_count())
        if self.model.shown_count():
            self.stack.setCurrentWidget(self.table)
            return
        if self.prepare_slot.is_running() or self.feeder.stale:
            text = "Reading datasets…"
        elif self.model.total_count():
            text = NO_MATCH_TEXT
        else:
            text = NO_DATASETS_TEXT
        self.empty_label.setText(text)
        self.stack.setCurrentWidget(self.empty_label)

    def shutdown(self) -> None:
        self.feeder.shutdown()
