"""The runs page: every run of the open stores (all runs load on demand), with params and metrics."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from mlops_desktop.core.entities import Run
from mlops_desktop.ui.inventory_view import FilterBar
from mlops_desktop.ui.models import (
    ENTITY_ROLE,
    FilterProxyModel,
    KeyValueModel,
    RunsModel,
    format_value,
)
from mlops_desktop.ui.version_detail import make_table
from mlops_desktop.ui.workers import ErrorSink, TaskSlot


class RunsView(QWidget):
    """Shows ``set_runs``; the main window fills it with all runs the first time it is shown."""

    def __init__(self, notifier: ErrorSink | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RunsView")
        self.setAccessibleName("Runs page")
        self.task_slot = TaskSlot("runs", notifier, self)
        self.all_runs_loaded = False

        self.filter_bar = FilterBar("Filter runs: name, id, experiment, user, status…  (Ctrl+F)", "runs")
        self.note = QLabel()
        self.note.setObjectName("runsNote")
        self.model = RunsModel(parent=self)
        self.proxy = FilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.table = make_table(self.proxy)
        self.table.setObjectName("runsTable")
        self.table.setAccessibleName("Runs")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)
        for col, width in enumerate((190, 250, 160, 150, 140, 120, 80)):
            self.table.setColumnWidth(col, width)

        self.header = QLabel("<i>Select a run to see its parameters and metrics.</i>")
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.params_model = KeyValueModel("Parameter", "Value", self)
        self.metrics_model = KeyValueModel("Metric", "Latest value", self)
        self.tags_model = KeyValueModel("Tag", "Value", self)
        self.inputs_model = KeyValueModel("Dataset", "Context", self)
        tabs = QTabWidget()
        tabs.addTab(make_table(self.params_model), "Params")
        tabs.addTab(make_table(self.metrics_model), "Metrics")
        tabs.addTab(make_table(self.inputs_model), "Datasets")
        tabs.addTab(make_table(self.tags_model), "Tags")

        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.header)
        dl.addWidget(tabs, 1)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.filter_bar)
        tl.addWidget(self.note)
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

    def set_runs(self, runs: dict[str, Run] | list[Run], *, complete: bool,
                 sorted_by: tuple[int, Qt.SortOrder] | None = None) -> None:
        self.all_runs_loaded = complete
        self.model.set_rows(runs.values() if isinstance(runs, dict) else runs, sorted_by=sorted_by)
        self.note.setText("" if complete else "Showing the runs that produced model versions; all runs are loading…")
        self.note.setVisible(not complete)
        self._show(None)

    @property
    def sort_state(self) -> tuple[int, Qt.SortOrder]:
        header = self.table.horizontalHeader()
        return header.sortIndicatorSection(), header.sortIndicatorOrder()

    def focus_filter(self) -> None:
        self.filter_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_bar.edit.selectAll()

    def select_run(self, run_id: str) -> bool:
        """Select a run by id (the filter is cleared when it hides it)."""
        rows = self.model.rows
        row = next((i for i, r in enumerate(rows) if r.run_id == run_id), None)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            self.filter_bar.edit.clear()
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        return True

    def _show(self, run: Run | None) -> None:
        if run is None:
            self.header.setText("<i>Select a run to see its parameters and metrics.</i>")
            for m in (self.params_model, self.metrics_model, self.tags_model, self.inputs_model):
                m.set_rows([])
            return
        self.header.setText(f"<b>{run.name or run.run_id}</b> — {run.run_id} · {run.experiment_name} · "
                            f"{run.user or 'unknown user'} · {run.status}")
        self.params_model.set_mapping(run.params)
        self.metrics_model.set_mapping({k: format_value(m.value) for k, m in run.metrics.items()})
        self.tags_model.set_mapping({k: v for k, v in run.tags.items()})
        self.inputs_model.set_rows([(f"{i.name} ({i.digest})", i.context or "") for i in run.inputs])

    def _on_table_selection_changed(self, _s: QItemSelection, _d: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        self._show(rows[0].data(ENTITY_ROLE) if rows else None)

    def _on_filter_text_changed(self, text: str) -> None:
        self.proxy.set_filter_text(text)
        self._update_count()

    def _update_count(self, *_args: object) -> None:
        self.filter_bar.set_count(self.proxy.rowCount(), self.model.rowCount())

    def shutdown(self) -> None:
        self.task_slot.shutdown()
