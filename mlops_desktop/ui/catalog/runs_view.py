"""The runs page: every run of the open stores (all runs load on demand), with params and metrics.

All runs of a big store are 100,000 rows: the worker that reads them also prepares the
table (search texts, sort ranks: :func:`~mlops_desktop.ui.models.prepare_table`), and the
:class:`~mlops_desktop.ui.models.RunsModel` pages them in, filters and sorts (pandas frames),
so the UI thread's work does not grow with the number of runs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from mlops_desktop.core.entities import Run
from mlops_desktop.core.progress import CancelledFn, ProgressFn, check_cancelled
from mlops_desktop.sources.base import Source
from mlops_desktop.ui.common.layouts import build_table_page
from mlops_desktop.ui.common.roles import ENTITY_ROLE
from mlops_desktop.ui.common.widgets import FilterBar, make_table
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot
from mlops_desktop.ui.models.base import format_value
from mlops_desktop.ui.models.catalog import KeyValueModel, RunsModel
from mlops_desktop.ui.models.paged import (
    SYNC_PREPARE_ROWS,
    PreparedTable,
    full_collections_paused,
    prepare_table,
    prepare_table_job,
)

NO_RUNS_TEXT = "No runs — the open stores have no runs logged."
NO_MATCH_TEXT = "No run matches the filter."


def load_runs_table(
    sources: Sequence[Source], sort_column: int, sort_order: Qt.SortOrder, *, progress: ProgressFn,
    is_cancelled: CancelledFn,
) -> PreparedTable[Run]:
    """Worker function: every run of every open store, prepared for the runs table."""
    runs: dict[str, Run] = {}
    with full_collections_paused():  # millions of new objects: no GIL-holding full collections meanwhile
        for i, source in enumerate(sources):
            check_cancelled(is_cancelled)
            progress(i, len(sources), f"Reading all runs of {source.url.display}")
            runs.update(source.load_catalog(progress, is_cancelled, all_runs=True).runs)
        progress(len(sources), len(sources), f"Preparing {len(runs):,} runs")
        return prepare_table(RunsModel.columns, runs.values(), sort_column, sort_order, is_cancelled=is_cancelled)


class RunsView(QWidget):
    """Shows ``set_runs``; the main window fills it with all runs the first time it is shown."""

    def __init__(self, notifier: ErrorSink | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RunsView")
        self.setAccessibleName("Runs page")
        self.task_slot = TaskSlot("runs", notifier, self)  # all runs: read and prepared
        self.prepare_slot = TaskSlot("runs-table", notifier, self)  # the catalog's runs, prepared
        self.all_runs_loaded = False
        self._preparing = 0  # runs being prepared in prepare_slot
        self._pending: tuple[list[Run], bool] | None = None  # runs to prepare when the page is shown
        self._select_after: str | None = None  # a run to select once they are

        self.filter_bar = FilterBar("Filter runs: name, id, experiment, user, status…  (Ctrl+F)", "runs")
        self.note = QLabel()
        self.note.setObjectName("runsNote")
        self.model = RunsModel(parent=self)
        self.proxy = self.model  # the model filters and sorts itself (kept for callers of ``proxy``)
        self.table = make_table(self.model)
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
        self.stack, self.empty_label = build_table_page(
            self, [self.filter_bar, self.note], self.table, NO_RUNS_TEXT, "runsEmpty", detail
        )

        self.filter_bar.edit.textChanged.connect(self._on_filter_text_changed)
        self.model.modelReset.connect(self._update_count)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self._update_state()

    def set_runs(self, runs: dict[str, Run] | list[Run], *, complete: bool,
                 sorted_by: tuple[int, Qt.SortOrder] | None = None) -> None:
        """Show these runs (``complete``: all runs of the stores, not only those versions use).

        Up to :data:`~mlops_desktop.ui.models.SYNC_PREPARE_ROWS` runs are prepared here,
        more in a worker once the page is shown (the table says "Preparing…" meanwhile):
        right after a store opens, several workers already compete for the GIL.
        """
        del sorted_by  # the model sorts by the header's column anyway
        rows = list(runs.values() if isinstance(runs, dict) else runs)
        self.prepare_slot.cancel()
        self._pending = None
        if len(rows) <= SYNC_PREPARE_ROWS:
            self._set_table(self.model.prepare(rows), complete)
            return
        self.all_runs_loaded = complete
        self.model.set_rows([])
        self._pending = (rows, complete)
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
        rows, complete = self._pending
        self._pending = None
        column, order = self.model.sort_state
        self.prepare_slot.start(prepare_table_job, RunsModel.columns, rows, column, order,
                                label=f"Preparing {len(rows):,} runs",
                                on_done=functools.partial(self._set_table, complete=complete))

    def load_all_runs(self, sources: Sequence[Source]) -> None:
        """Read and prepare every run of ``sources`` in the worker; shown when ready."""
        column, order = self.model.sort_state
        self.task_slot.start(load_runs_table, list(sources), column, order, label="Loading all runs",
                             on_done=lambda table: self._set_table(table, True))
        self._update_state()

    def _set_table(self, table: PreparedTable[Run], complete: bool) -> None:
        if complete:
            self.prepare_slot.cancel()
            self._pending = None
        self.all_runs_loaded = complete
        self._preparing = 0
        self.model.set_table(table)
        self.note.setText("" if complete else "Showing the runs that produced model versions; all runs are loading…")
        self.note.setVisible(not complete)
        self._show(None)
        self._update_state()
        select, self._select_after = self._select_after, None
        if select is not None:
            self.select_run(select)

    @property
    def sort_state(self) -> tuple[int, Qt.SortOrder]:
        return self.model.sort_state

    def focus_filter(self) -> None:
        self.filter_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_bar.edit.selectAll()

    def select_run(self, run_id: str) -> bool:
        """Select a run by id (the filter is cleared when it hides it).

        While the runs are being prepared, it is selected when they are ready (False now).
        """
        if self._preparing:
            self._select_after = run_id
            self._start_preparing()
            return False
        index = self.model.find(lambda r: r.run_id == run_id)
        if index is None:
            return False
        row = self.model.row_of(index)
        if row is None:
            self.filter_bar.edit.clear()
            row = self.model.row_of(index)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def selected_run(self) -> Run | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ENTITY_ROLE) if rows else None

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
        selected = self.selected_run()
        if self.model.set_filter_text(text) and selected is not None:
            index = self.model.find(lambda r: r is selected)
            row = self.model.row_of(index) if index is not None else None
            if row is not None:  # still shown: keep it selected
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
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
            text = f"Preparing {self._preparing:,} runs…"
        elif self.model.total_count():
            text = NO_MATCH_TEXT
        elif self.task_slot.is_running():
            text = "Loading all runs…"
        else:
            text = NO_RUNS_TEXT
        self.empty_label.setText(text)
        self.stack.setCurrentWidget(self.empty_label)

    def shutdown(self) -> None:
        self.task_slot.shutdown()
        self.prepare_slot.shutdown()
