"""The runs page: every run of the open stores, read from the stores a window at a time.

A big store has hundreds of thousands of runs: the :class:`~mlops_desktop.ui.models.catalog.RunPagesModel`
holds only the rows around those shown; its sort and filter are the stores' query
(:meth:`~mlops_desktop.sources.base.Source.page_runs`: SQL for MLflow stores), read in a
worker by a :class:`~mlops_desktop.ui.models.windowed.WindowFeeder`. A selected run's params,
metrics, tags and datasets are read in a worker too (:meth:`~mlops_desktop.sources.base.Source.run_detail`),
so neither memory nor the UI thread's work grows with the number of runs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from mlops_desktop.core.entities import Run
from mlops_desktop.core.progress import CancelledFn
from mlops_desktop.sources.base import RunQuery, RunSummary, Source
from mlops_desktop.ui.catalog.column_fit import fit_columns
from mlops_desktop.ui.common.layouts import build_table_page
from mlops_desktop.ui.common.roles import ENTITY_ROLE
from mlops_desktop.ui.common.widgets import FilterBar, make_table
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot
from mlops_desktop.ui.models.base import format_value
from mlops_desktop.ui.models.catalog import KeyValueModel, RunPagesModel
from mlops_desktop.ui.models.loading import read_run
from mlops_desktop.ui.models.windowed import WindowFeeder

NO_RUNS_TEXT = "No runs — the open stores have no runs logged."
NO_MATCH_TEXT = "No run matches the filter."


def count_runs(source: Source, query: RunQuery, is_cancelled: CancelledFn) -> int:
    return source.count_runs(query, is_cancelled=is_cancelled)


def page_runs(source: Source, query: RunQuery, offset: int, limit: int, is_cancelled: CancelledFn) -> list[RunSummary]:
    return source.page_runs(query, offset, limit, is_cancelled=is_cancelled)


class RunsView(QWidget):
    """The runs of :meth:`set_sources`' stores, read when the page is first shown."""

    def __init__(self, notifier: ErrorSink | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RunsView")
        self.setAccessibleName("Runs page")
        self.model = RunPagesModel(parent=self)
        self.proxy = self.model  # the stores filter and sort (kept for callers of ``proxy``)
        self.feeder = WindowFeeder("runs", self.model, count_runs, page_runs,
                                   lambda filtered: self.model.run_query(filtered=filtered), notifier, self)
        self.task_slot = self.feeder.query_slot  # counts and first rows of the current query
        self.detail_slot = TaskSlot("run-detail", notifier, self, asked=True)
        self._select_after: str | None = None  # a run to select once the query that looks for it is read
        self._shown_run: RunSummary | None = None

        self.filter_bar = FilterBar("Filter runs: name, id, experiment, user, status…  (Ctrl+F)", "runs")
        self.note = QLabel()
        self.note.setObjectName("runsNote")
        self.note.setVisible(False)
        self.table = make_table(self.model)
        self.table.setObjectName("runsTable")
        self.table.setAccessibleName("Runs")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)
        # the columns share the page's width (no sideways scrolling); cut cells show their text as tooltip
        self.table_fitter = fit_columns(self.table, ("Run", "Run ID", "Experiment", "User"), {"Run ID": 150})

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
        self.model.modelReset.connect(self._update_state)
        self.feeder.sig_result.connect(self._on_feeder_result)
        self.feeder.query_slot.sig_started.connect(lambda _label: self._update_state())
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._on_header_sort_indicator_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self._update_state()

    def set_sources(self, sources: Sequence[Source]) -> None:
        """List the runs of these stores (read now when the page is shown, else when it is)."""
        self.detail_slot.cancel()
        self._show(None)
        self.feeder.set_sources(sources, now=self.isVisible())
        self.note.setText(f"Runs of {len(sources)} stores, one store after the other, each in the chosen order."
                          if len(sources) > 1 else "")
        self.note.setVisible(len(sources) > 1)
        self._update_state()

    def load_all_runs(self, sources: Sequence[Source]) -> None:
        """List the runs of ``sources`` now, whether the page is shown or not."""
        self.feeder.set_sources(sources, now=True)
        self._update_state()

    @property
    def all_runs_loaded(self) -> bool:
        """Every run of the open stores is counted and listed (the rows are read as they are shown)."""
        return bool(self.feeder.sources) and not self.feeder.stale and not self.task_slot.is_running()

    def is_busy(self) -> bool:
        """A worker is reading rows or a run's details."""
        return self.feeder.is_busy() or self.detail_slot.is_running()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.feeder.refresh_if_stale()
        self._update_state()

    @property
    def sort_state(self) -> tuple[int, Qt.SortOrder]:
        return self.model.sort_state

    def focus_filter(self) -> None:
        self.filter_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_bar.edit.selectAll()

    def select_run(self, run_id: str) -> bool:
        """Select a run by id: at once when it is among the rows read (True), else the filter is
        set to its id and it is selected when the stores answer (False now)."""
        row = self.model.held_row_of(lambda r: r.run.run_id == run_id)
        if row is not None and not self.task_slot.is_running():
            self._select_row(row)
            return True
        self._select_after = run_id
        if self.filter_bar.edit.text() != run_id:
            self.filter_bar.edit.setText(run_id)
        else:
            self.feeder.refresh_if_stale()
        return False

    def selected_run(self) -> Run | None:
        """The selected run (with its params and metrics once they are read)."""
        return self._shown_run.run if self._shown_run is not None else None

    def _select_row(self, row: int) -> None:
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))

    def _on_feeder_result(self) -> None:
        select, self._select_after = self._select_after, None
        if select is None and self._shown_run is not None:
            select = self._shown_run.run.run_id  # still among the rows read: keep it selected
        if select is None:
            return
        row = self.model.held_row_of(lambda r: r.run.run_id == select)
        if row is not None:
            self._select_row(row)
        elif self._shown_run is not None:
            self._show(None)  # the selected run is not among the rows any more

    def _show(self, row: RunSummary | None) -> None:
        self._shown_run = row
        if row is None:
            self.detail_slot.cancel()
            self.header.setText("<i>Select a run to see its parameters and metrics.</i>")
            for m in (self.params_model, self.metrics_model, self.tags_model, self.inputs_model):
                m.set_rows([])
            return
        self._show_run(row.run)
        source = self._source_of(row.run)
        if source is not None:
            self.detail_slot.start(read_run, source.run_detail, row.run.run_id, label="Reading the run",
                                   on_done=functools.partial(self._on_run_detail_read, row))

    def _show_run(self, run: Run) -> None:
        self.header.setText(f"<b>{run.name or run.run_id}</b> — {run.run_id} · {run.experiment_name} · "
                            f"{run.user or 'unknown user'} · {run.status}")
        self.params_model.set_mapping(run.params)
        self.metrics_model.set_mapping({k: format_value(m.value) for k, m in run.metrics.items()})
        self.tags_model.set_mapping({k: v for k, v in run.tags.items()})
        self.inputs_model.set_rows([(f"{i.name} ({i.digest})", i.context or "") for i in run.inputs])

    def _on_run_detail_read(self, shown: RunSummary, run: Run | None) -> None:
        if self._shown_run is not shown or run is None:
            return
        self._shown_run = RunSummary(run, shown.datasets)
        self._show_run(run)

    def _source_of(self, run: Run) -> Source | None:
        sources = self.feeder.sources
        return next((s for s in sources if s.url.display == run.store), sources[0] if len(sources) == 1 else None)

    def _on_table_selection_changed(self, _s: QItemSelection, _d: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].data(ENTITY_ROLE) if rows else None
        shown = self._shown_run
        if row is not None and shown is not None and row.run.run_id == shown.run.run_id:
            return  # the same run, selected again after a new query: its details are read
        if row is not None or not rows:
            self._show(row)

    def _on_header_sort_indicator_changed(self, column: int, _order: Qt.SortOrder) -> None:
        if not self.model.is_sortable(column):  # the stores cannot order by it: the indicator stays
            self.table.horizontalHeader().setSortIndicator(*self.model.sort_state)

    def _on_filter_text_changed(self, text: str) -> None:
        self.model.set_filter_text(text)
        self._update_state()

    def _update_state(self, *_args: object) -> None:
        """The table, or a message when there is nothing to show."""
        self.filter_bar.set_count(self.model.shown_count(), self.model.total_count())
        if self.model.shown_count():
            self.stack.setCurrentWidget(self.table)
            return
        if self.task_slot.is_running() or self.feeder.stale:
            text = "Reading runs…"
        elif self.model.total_count():
            text = NO_MATCH_TEXT
        else:
            text = NO_RUNS_TEXT
        self.empty_label.setText(text)
        self.stack.setCurrentWidget(self.empty_label)

    def shutdown(self) -> None:
        self.feeder.shutdown()
        self.detail_slot.shutdown()
