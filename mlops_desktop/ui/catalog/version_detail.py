"""The detail pane of one model version: tags, run, params, metrics, datasets, metric history."""

from __future__ import annotations

import functools
import html
from collections.abc import Callable

from PySide6.QtCore import QEvent, QItemSelection, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.entities import Catalog, MetricValue, ModelVersion, RegisteredModel, Run
from mlops_desktop.core.monitoring import MonitoringOverview
from mlops_desktop.sources.base import Source
from mlops_desktop.ui.catalog.column_fit import fit_columns
from mlops_desktop.ui.catalog.elided_tips import install_elided_tooltips
from mlops_desktop.ui.catalog.governance_tab import GovernanceTabWidget
from mlops_desktop.ui.catalog.history_tab import HistoryTabWidget
from mlops_desktop.ui.catalog.metric_chart import MetricChartWidget
from mlops_desktop.ui.catalog.monitoring_tab import MonitoringTabWidget, approval_marks
from mlops_desktop.ui.common import theme
from mlops_desktop.ui.common.delegates import BadgeDelegate
from mlops_desktop.ui.common.roles import ENTITY_ROLE
from mlops_desktop.ui.common.widgets import badge_html, make_table
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot
from mlops_desktop.ui.models.base import format_time, format_value
from mlops_desktop.ui.models.catalog import DatasetInputsModel, KeyValueModel, version_inputs
from mlops_desktop.ui.models.loading import fetch_metric_history, read_run


class FactLabel(QLabel):
    """One line of selectable text that never widens the pane: what does not fit is cut at
    the right edge and the whole text is in the tooltip (ids and URIs do not word-wrap)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(40, super().minimumSizeHint().height())

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        self.setToolTip(text if len(text) > 40 else "")




class VersionDetailWidget(QWidget):
    """Fill with :meth:`set_version`; metric histories load on demand in a worker."""

    sig_open_lineage = Signal(object)  # ModelVersion
    sig_open_run = Signal(str)  # run id
    sig_open_dataset = Signal(str)  # dataset id

    def __init__(
        self,
        notifier: ErrorSink | None = None,
        source_for_run: Callable[[Run], Source | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("VersionDetailWidget")
        self.setAccessibleName("Model version details")
        self.source_for_run = source_for_run or (lambda _run: None)
        self.history_slot = TaskSlot("metric-history", notifier, self, asked=True)
        self.run_slot = TaskSlot("version-run", notifier, self, asked=True)  # a run held lean, read whole
        self.version: ModelVersion | None = None
        self.run: Run | None = None
        self.catalog: Catalog | None = None

        self.header = QLabel()
        self.header.setObjectName("versionHeader")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lineage_button = QPushButton("Lineage")
        self.lineage_button.setObjectName("openLineageButton")
        self.lineage_button.setToolTip("Open the lineage of this version: its datasets, run and deployments (Ctrl+L)")
        self.lineage_button.setAccessibleName("Open lineage of this version")
        self.lineage_button.clicked.connect(self._on_lineage_button_clicked)
        # links to the version's run and datasets on their pages
        self.links = QLabel()
        self.links.setObjectName("versionLinks")
        self.links.setTextFormat(Qt.TextFormat.RichText)
        self.links.setWordWrap(True)
        self.links.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                           | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.links.linkActivated.connect(self._on_links_link_activated)
        header_row = QHBoxLayout()
        header_row.addWidget(self.header, 1)
        header_row.addWidget(self.lineage_button, 0, Qt.AlignmentFlag.AlignTop)

        self.tabs = QTabWidget()
        # Overview: facts and tags
        overview = QWidget()
        self.facts = QFormLayout()
        self.facts.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.fact_labels: dict[str, QLabel] = {}
        for name in ("Status", "Author", "Run", "Experiment", "Created", "Source", "Description"):
            label = FactLabel()
            label.setAccessibleName(name)
            self.fact_labels[name] = label
            self.facts.addRow(f"{name}:", label)
        # the run's name, id, status and user are wider than the pane at 1280x800: wrapped at
        # the spaces (the id is one word) instead of cut at the edge; the whole text stays the tooltip
        self.fact_labels["Run"].setWordWrap(True)
        # what another registry (SageMaker, DataRobot) claims about the version's approval: unsigned
        # (one claim per line, cut at the pane's edge like the other facts; all of it in the tooltip)
        self.claims_label = FactLabel()
        self.claims_label.setObjectName("externalClaims")
        self.claims_label.setAccessibleName("External approval claims")
        self.facts.addRow("External approvals (not signed):", self.claims_label)
        self.tags_model = KeyValueModel("Tag", "Value", self)
        self.tags_view = make_table(self.tags_model)
        ov_layout = QVBoxLayout(overview)
        ov_layout.addLayout(self.facts)
        ov_layout.addWidget(QLabel("Version and model tags:"))
        ov_layout.addWidget(self.tags_view, 1)
        self.tabs.addTab(overview, "Overview")

        # Datasets used by the version's run
        self.inputs_model = DatasetInputsModel(parent=self)
        self.inputs_view = make_table(self.inputs_model)
        self.inputs_view.setItemDelegateForColumn(self.inputs_model.column_index("Data"), BadgeDelegate(self.inputs_view))
        self.inputs_view.setToolTip("Double-click a dataset to open it on the Datasets page")
        self.inputs_fitter = fit_columns(self.inputs_view, ("Dataset", "Context", "Lawful basis", "Digest", "Source"),
                                         {"Digest": 150, "Source": 260})
        self.inputs_view.doubleClicked.connect(self._on_inputs_view_double_clicked)
        self.tabs.addTab(self.inputs_view, "Datasets")

        # Params
        self.params_model = KeyValueModel("Parameter", "Value", self)
        self.params_view = make_table(self.params_model)
        self.tabs.addTab(self.params_view, "Params")

        # Metrics + history
        metrics_page = QSplitter(Qt.Orientation.Horizontal)
        self.metrics_model = KeyValueModel("Metric", "Latest value", self)
        self.metrics_view = make_table(self.metrics_model)
        self.metrics_view.selectionModel().selectionChanged.connect(self._on_metrics_selection_changed)
        self.chart = MetricChartWidget()
        metrics_page.addWidget(self.metrics_view)
        metrics_page.addWidget(self.chart)
        metrics_page.setStretchFactor(0, 1)
        metrics_page.setStretchFactor(1, 2)
        metrics_page.setSizes([240, 520])
        self.metrics_page = metrics_page
        self.tabs.addTab(metrics_page, "Metrics")

        # Monitoring: drift and data quality over time (filled by set_monitoring_overview)
        self.monitoring_tab = MonitoringTabWidget()
        self.monitoring_overview: MonitoringOverview | None = None
        self.tabs.addTab(self.monitoring_tab, "Monitoring")

        # Governance: every held target, the policy rule by rule, the decisions (set_governance_status)
        self.governance_tab = GovernanceTabWidget()
        self.governance_status: object | None = None
        self.sig_decision_requested = self.governance_tab.sig_decision_requested
        self.tabs.addTab(self.governance_tab, "Governance")

        # History: the registry journal's changes of this version and a timeline (loaded when shown)
        self.history_tab = HistoryTabWidget(notifier, scope="version")
        self.tabs.addTab(self.history_tab, "History")
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        for view in (self.tags_view, self.params_view, self.metrics_view):
            install_elided_tooltips(view)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header_row)
        layout.addWidget(self.links)
        layout.addWidget(self.tabs, 1)
        self.set_version(None, None, None)

    # -- filling ---------------------------------------------------------------------

    def set_version(
        self, version: ModelVersion | None, model: RegisteredModel | None, catalog: Catalog | None
    ) -> None:
        self.history_slot.cancel()
        self.run_slot.cancel()
        self.version = version
        self.catalog = catalog
        self.run = catalog.runs.get(version.run_id) if (catalog and version and version.run_id) else None
        self.chart.clear()
        self.lineage_button.setEnabled(version is not None)
        self._show_monitoring()
        self._show_governance()
        self.history_tab.set_subject(catalog, version.model_name if version else None,
                                     version.version if version else None)
        self._show_links(version)
        if version is None:
            self.header.setText("<i>Select a model version to see its details.</i>")
            for label in self.fact_labels.values():
                label.setText("")
            self.claims_label.setText("")
            self.claims_label.setToolTip("")
            self.tags_model.set_rows([])
            self.inputs_model.set_rows([])
            self.params_model.set_rows([])
            self.metrics_model.set_rows([])
            return
        model_tags = model.tags if model else {}
        cls = version.classification(model_tags)
        stage = f" — <b>{html.escape(version.stage)}</b>" if version.stage else ""
        aliases = "".join(f" &nbsp;@{html.escape(a)}" for a in version.aliases)
        self.header.setText(
            f"<span style='font-size:large'><b>{html.escape(version.model_name)}</b> version "
            f"{html.escape(version.version)}</span>{stage}{aliases} &nbsp; {badge_html(cls.badges)}"
        )
        run = self.run
        f = self.fact_labels
        f["Status"].setText(version.status + (" (deleted)" if version.deleted else ""))
        f["Author"].setText(version.author or "unknown")
        if run:
            f["Run"].setText(f"{run.name or '(unnamed)'} — {run.run_id} ({run.status}, by {run.user or 'unknown'})")
            f["Run"].setToolTip(f["Run"].text())
            f["Experiment"].setText(run.experiment_name or run.experiment_id)
        else:
            f["Run"].setText(version.run_id or "no run recorded")
            f["Experiment"].setText("")
        f["Created"].setText(format_time(version.created_at) + " UTC" if version.created_at else "")
        f["Source"].setText(version.source)
        f["Description"].setText(version.description or "—")
        claims = version.external_approvals
        self.claims_label.setText("\n".join(c.statement() for c in claims) if claims else "none recorded")
        self.claims_label.setToolTip(
            "Approval states another registry records for this version. Nobody signed them; they are "
            "not approvals of this app.\n" + "\n".join(f"{c.statement()} — {c.evidence}" for c in claims)
            if claims else "")
        tags = {f"model: {k}": v for k, v in model_tags.items()}
        tags.update(version.tags)
        self.tags_model.set_mapping(tags)
        self.inputs_model.set_rows(version_inputs(version, catalog))
        if run is not None and run.lean and catalog is not None:  # params and metrics are read when shown
            self.params_model.set_rows([])
            self.metrics_model.set_rows([])
            self.run_slot.start(read_run, catalog.full_run, run.run_id, label=f"Reading run {run.run_id}",
                                on_done=functools.partial(self._on_whole_run_read, version))
        else:
            self._show_run_details(run)

    def _on_whole_run_read(self, version: ModelVersion, run: Run | None) -> None:
        if version is not self.version or run is None:
            return
        self.run = run
        self._show_run_details(run)

    def _show_run_details(self, run: Run | None) -> None:
        self.params_model.set_mapping(run.params if run else {})
        self.metrics_model.set_mapping({k: format_value(m.value) for k, m in (run.metrics if run else {}).items()})
        for view in (self.tags_view, self.params_view, self.metrics_view):
            view.resizeColumnToContents(0)
        if self.tabs.currentWidget() is self.metrics_page:
            self.show_first_metric()

    def set_monitoring_overview(self, overview: MonitoringOverview | None) -> None:
        """Every version's monitoring (computed in a worker by the Models page)."""
        self.monitoring_overview = overview
        self._show_monitoring()

    def set_governance_status(self, status: object | None) -> None:
        """Every version's governance per target (computed in a worker by the Models page)."""
        self.governance_status = status
        self._governance_loaded = True
        self._show_governance()
        self._show_monitoring()  # its approvals are marked on the monitoring charts
        self.history_tab.set_governance_status(status)  # type: ignore[arg-type]

    def _show_governance(self) -> None:
        self.governance_tab.set_governance(self.version, self.governance_status,  # type: ignore[arg-type]
                                           "" if getattr(self, "_governance_loaded", False)
                                           else "Governance status is being verified…")

    def _show_monitoring(self) -> None:
        v, overview = self.version, self.monitoring_overview
        vm = overview.version(v.model_name, v.version) if (v is not None and overview is not None) else None
        self.monitoring_tab.set_approvals([] if v is None else approval_marks(self.governance_status, v.model_name,
                                                                              v.version))
        self.monitoring_tab.set_monitoring(vm, "" if v is None else "Monitoring results are being linked…")

    # -- metric history ----------------------------------------------------------------

    def show_metric(self, key: str) -> None:
        """Load and plot the history of ``key`` for the current run (in a worker)."""
        run = self.run
        if run is None:
            return
        source = self.source_for_run(run)
        if source is None or not source.KEEPS_METRIC_HISTORY:
            latest = run.metrics.get(key)
            self.chart.set_series(key, [latest] if latest else [])
            self.chart.title.setText(f"{key}: this store keeps only the latest value")
            return
        self.chart.set_loading(key)
        self.history_slot.start(
            fetch_metric_history, source, run.run_id, key, label=f"Metric history: {key}",
            on_done=functools.partial(self._on_history_done, key),
        )

    def _on_history_done(self, key: str, values: list[MetricValue]) -> None:
        self.chart.set_series(key, values)

    def _on_metrics_selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            return
        key, _value = indexes[0].data(ENTITY_ROLE)
        self.show_metric(key)

    def show_first_metric(self) -> bool:
        """Select the first metric (its history is plotted) unless one is selected already."""
        if self.metrics_view.selectionModel().hasSelection() or not self.metrics_model.rowCount():
            return False
        self.metrics_view.selectRow(0)
        return True

    def _on_tabs_current_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.metrics_page:
            self.show_first_metric()

    def _show_links(self, version: ModelVersion | None) -> None:
        if version is None:
            self.links.setText("")
            return
        a = f"<a style='color:{theme.colors().accent}' href="
        parts = []
        if version.run_id:
            name = (self.run.name if self.run is not None else None) or version.run_id
            parts.append(f"Run {a}'run:{html.escape(version.run_id)}'>{html.escape(name)}</a>")
        seen: set[str] = set()
        datasets = []
        for inp in version.datasets:
            if inp.dataset_id in seen:
                continue
            seen.add(inp.dataset_id)
            datasets.append(f"{a}'dataset:{html.escape(inp.dataset_id)}'>{html.escape(inp.name)}</a>")
        if datasets:
            parts.append("Datasets " + ", ".join(datasets))
        self.links.setText(" &nbsp;·&nbsp; ".join(parts) if parts else "<i>No run or dataset recorded</i>")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "links"):
            self._show_links(self.version)  # links in the theme's colour

    def _on_links_link_activated(self, link: str) -> None:
        kind, _, key = link.partition(":")
        if kind == "run":
            self.sig_open_run.emit(key)
        elif kind == "dataset":
            self.sig_open_dataset.emit(key)

    def _on_inputs_view_double_clicked(self, index) -> None:
        row = index.data(ENTITY_ROLE)
        if row is not None:
            self.sig_open_dataset.emit(row[0].dataset_id)

    def _on_lineage_button_clicked(self) -> None:
        if self.version is not None:
            self.sig_open_lineage.emit(self.version)

    def shutdown(self) -> None:
        self.history_slot.shutdown()
        self.run_slot.shutdown()
        self.history_tab.shutdown()
