"""The Lineage page of the main window: an empty state until a lineage is opened, then the
:class:`~mlops_desktop.ui.lineage.view.LineageView`.

The graph of the open catalog is built once per load, in a worker, together with the
layout of the first neighbourhood (:func:`~mlops_desktop.ui.lineage.view.lineage_job`);
later openings reuse the graph and only lay out in the worker.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.lineage import LineageGraph
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot
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
        self.view.status.setText("Building the lineage…")
        self.slot.start(lineage_job, self.catalog, self.graph, node_id, hops, self.view.direction_key(),
                        self.view.fold.isChecked(), label="Building the lineage",
                        on_done=self._on_lineage_done)

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
