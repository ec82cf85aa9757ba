"""The Lineage page of the main window: an empty state until a lineage is opened, then the
:class:`~mlops_desktop.ui.lineage.view.LineageView`.

The graph of the open catalog is built once per load, in a worker, together with the
layout of the first neighbourhood (:func:`~mlops_desktop.ui.lineage.view.lineage_job`);
later openings reuse the graph and only lay out in the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.lineage import LineageGraph
from mlops_desktop.services.settings import VerificationSettings
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot
from mlops_desktop.ui.lineage.impact import ImpactPanel, PreparedImpact, impact_job
from mlops_desktop.ui.lineage.view import LineageView, PreparedLineage, lineage_job

logger = logging.getLogger(__name__)

EMPTY_LINEAGE_TEXT = (
    "<h3>No lineage open</h3>"
    "<p>Select a model version on the <b>Models</b> page and press <b>Lineage</b> (Ctrl+L),<br>"
    "or a dataset on the <b>Datasets</b> page and press <b>Open lineage</b>.</p>"
    "<p>The lineage shows which datasets trained a version and where it is deployed.</p>"
)
NO_STORE_TEXT = "<h3>No store open</h3><p>Open a store first (File &gt; Open store…, Ctrl+O).</p>"


class LineagePage(QWidget):
    sig_shown = Signal(str)  # focus node id ("" for the whole graph) once drawn
    sig_impact_shown = Signal(object)  # services.impact.ImpactReport, once listed and highlighted

    def __init__(self, notifier: ErrorSink | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LineagePage")
        self.setAccessibleName("Lineage page")
        self.catalog = Catalog()
        self.graph: LineageGraph | None = None
        self.focus: str | None = None
        self.slot = TaskSlot("lineage", notifier, self)
        self.layout_slot = TaskSlot("lineage-layout", notifier, self)
        self.view = LineageView(layout_slot=self.layout_slot)
        #: Where the impact view reads governance status from, and what it verifies with.
        self.governance_url_source: Callable[[], str | None] = lambda: None
        self.verification_source: Callable[[], VerificationSettings] = VerificationSettings
        self.impact = ImpactPanel()
        self.impact.setVisible(False)
        self.impact.sig_node_activated.connect(self.view.select)
        self.impact.sig_closed.connect(lambda: self.view.highlight([]))
        self.view.sig_impact_requested.connect(self.open_impact)
        self.view.add_panel(self.impact)
        self.empty = QLabel(NO_STORE_TEXT)
        self.empty.setObjectName("lineageEmptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    def set_catalog(self, catalog: Catalog) -> None:
        """A new catalog: the graph is rebuilt when a lineage is next opened (or now, when one is shown)."""
        self.catalog = catalog
        self.graph = None
        self.slot.cancel()
        self.layout_slot.cancel()
        if not catalog.stores:
            self.focus = None
            self.empty.setText(NO_STORE_TEXT)
            self.stack.setCurrentWidget(self.empty)
        elif self.stack.currentWidget() is self.view and self.impact.report is not None:
            self.open_impact(self.impact.report.dataset)
        elif self.stack.currentWidget() is self.view and self.focus is not None:
            self.open_node(self.focus)
        else:
            self.empty.setText(EMPTY_LINEAGE_TEXT)
            self.stack.setCurrentWidget(self.empty)

    def has_lineage(self) -> bool:
        return self.stack.currentWidget() is self.view or self.slot.is_running()

    def open_node(self, node_id: str | None, hops: int = 0) -> None:
        """Show the lineage around ``node_id`` (None: the whole graph), computed in a worker."""
        if not self.catalog.stores:
            return
        self.focus = node_id
        self.layout_slot.cancel()
        self._close_impact()
        self.view.status.setText("Building the lineage…")
        self.slot.start(lineage_job, self.catalog, self.graph, node_id, hops, self.view.direction_key(),
                        self.view.fold.isChecked(), label="Building the lineage",
                        on_done=self._on_lineage_done)

    def open_impact(self, dataset: str) -> None:
        """List every version and deployment downstream of ``dataset`` (a node id or any
        reference ``impact --dataset`` takes) with its classification and governance status, and
        show the dataset's downstream with them highlighted (computed in a worker)."""
        if not self.catalog.stores:
            return
        self.focus = dataset
        self.layout_slot.cancel()
        self.view.status.setText("Finding what the dataset reaches…")
        self.slot.start(impact_job, self.catalog, self.graph, dataset, self.governance_url_source(),
                        self.verification_source(), self.view.fold.isChecked(), label="Impact of a dataset",
                        on_done=self._on_impact_done, on_error=self._on_impact_error)

    def _on_impact_done(self, prepared: PreparedImpact) -> None:
        report = prepared.report
        self._on_lineage_done(prepared.lineage)
        self.focus = report.dataset
        self.impact.show_report(report)
        self.impact.setVisible(True)
        self.view.highlight(report.node_ids)
        n = len(report.node_ids)
        self.view.status.setText(f"Downstream of {report.label}: {n} affected version(s) and deployment(s) "
                                 "highlighted in red. Click a row to select its node.")
        self.sig_impact_shown.emit(report)

    def _on_impact_error(self, exc: BaseException) -> bool:
        if isinstance(exc, MlopsError):  # the reference names no dataset of the open stores
            self.view.status.setText(f"No impact shown: {exc.message}" + (f" {exc.hint}" if exc.hint else ""))
            return True
        return False

    def _close_impact(self) -> None:
        if self.impact.isVisible() or self.impact.report is not None:
            self.impact.report = None
            self.impact.model.set_rows([])
            self.impact.setVisible(False)
            self.view.highlight([])

    def _on_lineage_done(self, prepared: PreparedLineage) -> None:
        self.graph = prepared.graph
        self.stack.setCurrentWidget(self.view)
        self.view.show_prepared(prepared)
        if self.focus is not None and prepared.focus is None:
            self.view.status.setText(f"{self.focus} is not in the lineage of the open stores; "
                                     f"showing the whole graph.")
        self.sig_shown.emit(prepared.focus or "")

    def focus_filter(self) -> None:
        self.view.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.view.search.selectAll()

    def shutdown(self) -> None:
        self.slot.shutdown()
        self.layout_slot.shutdown()
