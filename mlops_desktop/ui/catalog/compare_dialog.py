"""Compare two versions of a model: a window around :class:`~mlops_desktop.ui.catalog.diff_view.DiffView`.

The comparison (which may first build the lineage graph) runs in a worker through
:func:`compare_job`.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from mlops_desktop.core.diff import VersionDiff, diff_versions
from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.lineage import LineageGraph, shared_graph
from mlops_desktop.core.progress import CancelledFn, ProgressFn, check_cancelled
from mlops_desktop.ui.catalog.diff_view import DiffView


def compare_job(
    catalog: Catalog, graph: LineageGraph | None, model: str, old: str, new: str,
    *, progress: ProgressFn, is_cancelled: CancelledFn,
) -> tuple[LineageGraph, VersionDiff]:
    """Worker function: the lineage graph (built unless given) and the diff of two versions."""
    if graph is None:
        graph = shared_graph(catalog, progress, is_cancelled)
    check_cancelled(is_cancelled)
    progress(0, 1, f"Comparing {model} {old} and {new}")
    return graph, diff_versions(catalog, model, old, new, graph)


class CompareDialog(QDialog):
    """Non-modal window showing one :class:`VersionDiff`."""

    def __init__(self, diff: VersionDiff, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CompareDialog")
        self.setWindowTitle(f"Compare {diff.model}: version {diff.old.version} → {diff.new.version}")
        self.resize(1120, 640)
        self.view = DiffView()
        self.view.show_diff(diff)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
