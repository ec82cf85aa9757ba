"""The impact view of the Lineage page: every model version and deployment a dataset reaches,
with its classification and governance status, while the graph shows the dataset's downstream
with those nodes highlighted.

The query is :func:`mlops_desktop.services.impact.impact_report` (the one ``mlops-desktop
impact`` prints), run in a worker with the lineage layout (:func:`impact_job`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QPushButton, QVBoxLayout, QWidget

from mlops_desktop.core.lineage import LineageGraph
from mlops_desktop.core.progress import CancelledFn, ProgressFn, check_cancelled
from mlops_desktop.services.governance_status import APPROVED, NOT_REQUIRED, REJECTED, TargetStatus
from mlops_desktop.services.impact import (
    ImpactedDeployment,
    ImpactedVersion,
    ImpactReport,
    impact_report,
)
from mlops_desktop.services.settings import VerificationSettings
from mlops_desktop.sources.base import redact
from mlops_desktop.ui.common.roles import ENTITY_ROLE
from mlops_desktop.ui.common.status import status_color
from mlops_desktop.ui.common.widgets import badge_html, make_table
from mlops_desktop.ui.lineage.view import PreparedLineage, prepare_lineage
from mlops_desktop.ui.models.base import Column, EntityTableModel


@dataclass(frozen=True, slots=True)
class ImpactRow:
    """One row of the impact table: an affected version or deployment."""

    kind: str  # "Version" | "Deployment"
    item: ImpactedVersion | ImpactedDeployment
    graph: LineageGraph

    @property
    def node_id(self) -> str:
        return self.item.node_id

    @property
    def name(self) -> str:
        return self.item.label

    @property
    def targets(self) -> str:
        if isinstance(self.item, ImpactedVersion):
            return ", ".join(self.item.targets) or "not deployed"
        return f"{self.item.target} ({self.item.kind})" if self.item.kind else self.item.target

    @property
    def targets_tip(self) -> str:
        if isinstance(self.item, ImpactedVersion):
            return f"{self.name} holds: {self.targets}"
        return f"{self.name}: {self.targets} held by {', '.join(self.item.versions) or 'no affected version'}"

    @property
    def classification(self) -> str:
        return ", ".join(self.item.classification.badges) or "none"

    @property
    def statuses(self) -> tuple[TargetStatus, ...]:
        return self.item.statuses

    @property
    def governance(self) -> str:
        if not self.statuses:
            return "—" if isinstance(self.item, ImpactedVersion) and not self.item.targets else "not read"
        if isinstance(self.item, ImpactedDeployment):
            return "  ".join(f"{s.symbol} {s.words}" for s in self.statuses)
        return "  ".join(s.label for s in self.statuses)

    @property
    def governance_tip(self) -> str:
        lines = []
        for s in self.statuses:
            lines.append(f"{s.target}: {s.words}")
            lines += [f"  • {r}" for r in s.reasons]
        return "\n".join(lines) or "No governance status: see the note above the table."

    @property
    def worst(self) -> str | None:
        """The status to colour the row's governance cell by (the worst of its targets)."""
        order = (REJECTED, "unmet", NOT_REQUIRED, APPROVED)
        found = [s.status for s in self.statuses]
        return next((o for o in order if o in found), None)

    @property
    def path(self) -> str:
        return " → ".join(self.graph.label(n) for n in self.item.path)

    @property
    def hops(self) -> int:
        return max(len(self.item.path) - 1, 0)


_STATUS_COLOUR = {APPROVED: "valid", "unmet": "evidence_changed", REJECTED: "invalid", NOT_REQUIRED: "expired"}


class ImpactModel(EntityTableModel[ImpactRow]):
    columns = (
        Column("Kind", lambda r: r.kind),
        Column("Name", lambda r: r.name, tooltip=lambda r: f"{r.name}\n{r.node_id}"),
        Column("Targets", lambda r: r.targets, tooltip=lambda r: r.targets_tip),
        Column("Classification", lambda r: r.classification),
        Column("Governance", lambda r: r.governance, tooltip=lambda r: r.governance_tip),
        Column("Hops", lambda r: str(r.hops), sort=lambda r: r.hops),
        Column("Path from the dataset", lambda r: r.path, tooltip=lambda r: r.path.replace(" → ", "\n→ ")),
    )

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid() and index.row() < len(self.rows):
            row = self.rows[index.row()]
            title = self.columns[index.column()].title
            if title == "Governance" and row.worst is not None:
                return status_color(_STATUS_COLOUR[row.worst])
            if title == "Classification" and row.item.classification.badges:
                return QColor(status_color("invalid"))
        return super().data(index, role)


def impact_rows(report: ImpactReport) -> list[ImpactRow]:
    graph = report.graph
    assert graph is not None
    return ([ImpactRow("Version", v, graph) for v in report.versions]
            + [ImpactRow("Deployment", d, graph) for d in report.deployments])


@dataclass(slots=True)
class PreparedImpact:
    """An impact report and the lineage layout that shows it (computed in a worker)."""

    report: ImpactReport
    lineage: PreparedLineage


def impact_job(
    catalog: object,
    graph: LineageGraph | None,
    dataset_ref: str,
    governance_url: str | None,
    settings: VerificationSettings | None,
    fold: bool = True,
    *,
    progress: ProgressFn,
    is_cancelled: CancelledFn,
) -> PreparedImpact:
    """Worker function: the impact of ``dataset_ref`` (graph built unless given) and the
    layout of the dataset's downstream."""
    report = impact_report(catalog, dataset_ref, governance_url, settings, graph=graph,  # type: ignore[arg-type]
                           progress=progress, is_cancelled=is_cancelled)
    check_cancelled(is_cancelled)
    progress(0, 1, "Laying out the lineage")
    assert report.graph is not None
    return PreparedImpact(report, prepare_lineage(report.graph, report.dataset, 0, "downstream", fold))


class ImpactPanel(QWidget):
    """The table of what a dataset reaches (shown under the graph)."""

    sig_node_activated = Signal(str)  # a row's node id (select it on the graph)
    sig_closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ImpactPanel")
        self.setAccessibleName("Impact of a dataset")
        self.report: ImpactReport | None = None
        self.title = QLabel()
        self.title.setObjectName("impactTitle")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QPushButton("Close impact")
        self.close_button.setObjectName("impactClose")
        self.close_button.setToolTip("Hide this table and the highlight")
        self.close_button.clicked.connect(self._on_close_button_clicked)
        self.note = QLabel()
        self.note.setObjectName("impactNote")
        self.note.setWordWrap(True)
        self.note.setVisible(False)
        self.model = ImpactModel(parent=self)
        self.table = make_table(self.model)
        self.table.setObjectName("impactTable")
        self.table.setAccessibleName("Affected versions and deployments")
        self.table.setSortingEnabled(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((90, 190, 190, 110, 250, 50)):
            self.table.setColumnWidth(col, width)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.clicked.connect(self._on_table_double_clicked)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)

    def show_report(self, report: ImpactReport) -> None:
        self.report = report
        self.model.set_rows(impact_rows(report))
        e = html.escape
        n_v, n_d = len(report.versions), len(report.deployments)
        reach = (f"reaches <b>{n_v}</b> version{'s' if n_v != 1 else ''} and <b>{n_d}</b> "
                 f"deployment{'s' if n_d != 1 else ''}" if n_v or n_d else "reaches no model version")
        url = redact(report.governance_url) if report.governance_url else ""
        where = f" · governance from {e(url.rstrip('/').rsplit('/', 1)[-1])}" if url else ""
        self.title.setToolTip(f"Governance status read from {url}" if url else "")
        self.title.setText(f"<b>Impact of {e(report.label)}</b> {badge_html(report.classification.badges)} — "
                           f"{reach} ({len(report.models)} model{'s' if len(report.models) != 1 else ''}, "
                           f"{report.runs} run{'s' if report.runs != 1 else ''}, {len(report.datasets)} derived "
                           f"dataset{'s' if len(report.datasets) != 1 else ''}){where}")
        self.note.setText(report.note)
        self.note.setVisible(bool(report.note))

    def rows(self) -> list[ImpactRow]:
        return list(self.model.rows)

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        row = index.data(ENTITY_ROLE)
        if row is not None:
            self.sig_node_activated.emit(row.node_id)

    def _on_close_button_clicked(self) -> None:
        self.report = None
        self.model.set_rows([])
        self.setVisible(False)
        self.sig_closed.emit()
