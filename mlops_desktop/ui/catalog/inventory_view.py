"""The model inventory page: filterable model table, versions of the selected model, detail pane."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.entities import Catalog, ModelVersion, RegisteredModel, Run
from mlops_desktop.core.lineage import version_node_id
from mlops_desktop.core.monitoring import DEFAULT_MAX_AGE_DAYS, MonitoringOverview
from mlops_desktop.core.progress import CancelledFn, ProgressFn, check_cancelled
from mlops_desktop.services.governance_status import Overview, overview_job
from mlops_desktop.services.settings import VerificationSettings
from mlops_desktop.sources.base import Source
from mlops_desktop.ui.catalog.as_of_view import AsOfControl, AsOfView
from mlops_desktop.ui.catalog.column_fit import fit_columns
from mlops_desktop.ui.catalog.history_tab import HistoryTabWidget
from mlops_desktop.ui.catalog.model_info import ModelInfoWidget
from mlops_desktop.ui.catalog.monitoring_tab import deployed_statuses, monitoring_job
from mlops_desktop.ui.catalog.version_detail import VersionDetailWidget
from mlops_desktop.ui.common.delegates import BadgeDelegate
from mlops_desktop.ui.common.roles import ENTITY_ROLE
from mlops_desktop.ui.common.widgets import FilterBar, make_table
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot, ui_burst
from mlops_desktop.ui.models.base import version_sort_key
from mlops_desktop.ui.models.catalog import (
    AttentionFilterProxyModel,
    ModelAttention,
    ModelInventoryModel,
    RowFacts,
    VersionsModel,
    inventory_texts_job,
    model_attention,
    monitoring_summaries,
)
from mlops_desktop.ui.models.loading import one_at_a_time

# the page's long computations run one after another: fewer threads for the UI thread to wait
# behind for the GIL. The filter's texts do not wait for their turn (the first keystroke needs them;
# a governance job still finishing its cancelled run would hold the turn)
_search_texts_job = inventory_texts_job


def models_monitoring_job(catalog: Catalog, as_of: date, max_age_days: int, *, progress: ProgressFn,
                          is_cancelled: CancelledFn) -> tuple[MonitoringOverview, dict[str, tuple[str, int, str]]]:
    """Worker function: :func:`monitoring_job` and each model's Monitoring cell from it."""
    overview = monitoring_job(catalog, as_of, max_age_days, progress=progress, is_cancelled=is_cancelled)
    return overview, monitoring_summaries(deployed_statuses(overview))


_monitoring_job = one_at_a_time(models_monitoring_job)

#: With more models than this, a filter typed while their texts are computed waits for them.
DEFER_FILTER_ROWS = 1000


def attention_job(url: str | None, catalog: Catalog, settings: VerificationSettings, *,
                  progress: Callable[[int, int, str], None],
                  is_cancelled: Callable[[], bool]) -> tuple[Overview, dict[str, ModelAttention]]:
    """Worker function: the governance overview and each model's Governance and Findings cells
    (computed here, not on the UI thread: 10,000 models take a second of Python)."""
    from mlops_desktop.core.findings import FindingSettings
    from mlops_desktop.core.findings.context import deployment_targets

    overview = overview_job(url, catalog, settings, progress=progress, is_cancelled=is_cancelled)
    finding_settings = FindingSettings()
    by_model: dict[str, list[Any]] = {}
    for f in overview.findings.findings:
        for name in f.models:
            by_model.setdefault(name, []).append(f)
    attention = {}
    for i, m in enumerate(catalog.models):
        if i % 500 == 0:
            check_cancelled(is_cancelled)
        attention[m.name] = model_attention(m, overview.status, by_model.get(m.name, []),
                                            lambda mm, v: deployment_targets(mm, v, finding_settings))
    return overview, attention


_overview_job = one_at_a_time(attention_job)


class ModelsView(QWidget):
    """Registered models (top), the selected model's versions and a version's details (bottom)."""

    sig_version_selected = Signal(object)  # ModelVersion | None
    sig_open_lineage = Signal(str)  # lineage node id of a model version
    sig_compare = Signal(str, str, str)  # model name, older version, newer version
    sig_open_run = Signal(str)  # run id (a version's link to its run)
    sig_open_dataset = Signal(str)  # dataset id (a version's link to a dataset)

    def __init__(
        self,
        notifier: ErrorSink | None = None,
        source_for_run: Callable[[Run], Source | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ModelsView")
        self.setAccessibleName("Models page")
        self.catalog = Catalog()
        self.search_slot = TaskSlot("models-search", notifier, self)  # the filter's texts, computed ahead
        self.monitoring_slot = TaskSlot("models-monitoring", notifier, self)  # statuses, computed in a worker
        #: the day and window monitoring is judged on (None: today, UTC; tests fix it)
        self.monitoring_as_of: date | None = None
        self.monitoring_max_age_days = DEFAULT_MAX_AGE_DAYS
        self.governance_slot = TaskSlot("models-governance", notifier, self)  # status and findings, in a worker
        #: the governance store URL and verification settings (the window sets these sources)
        self.governance_url_source: Callable[[], str | None] = lambda: None
        self.verification_source: Callable[[], VerificationSettings] = VerificationSettings
        self.overview: Overview | None = None

        self.filter_bar = FilterBar("Filter models: name, author, stage, alias, risk tier, PII, PHI…  (Ctrl+F)",
                                    "models")
        self.model = ModelInventoryModel(parent=self)
        self.proxy = AttentionFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self._reselecting: str | None = None
        self._before_preview: Catalog | None = None  # the catalog before a store's preview rows
        self._pending_filter: str | None = None  # typed while the rows' texts were computed
        self.table = make_table(self.proxy)
        self.table.setObjectName("modelsTable")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setItemDelegateForColumn(self.model.column_index("Data"), BadgeDelegate(self.table))
        # the columns share the page's width: the stages and aliases whole while the room allows,
        # then the governance verdicts and the monitoring states share the rest by what each needs
        # (cut, with their whole text in a tooltip, only when the page is too narrow for both)
        self.table_fitter = fit_columns(self.table, ("Stage / aliases", "Governance", "Monitoring"),
                                        {"Name": 220, "Author": 200, "Governance": 360, "Monitoring": 300},
                                        priority=("Stage / aliases",),
                                        floors={"Monitoring": 150})  # "Not monitored (v3)" whole

        self.versions_model = VersionsModel(parent=self)
        self.versions_table = make_table(self.versions_model)
        self.versions_table.setObjectName("versionsTable")
        self.versions_table.setAccessibleName("Versions of the selected model")
        self.versions_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.versions_table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.versions_table.customContextMenuRequested.connect(self._on_versions_context_menu)
        self.table.setAccessibleName("Registered models")
        self.versions_table.setItemDelegateForColumn(self.versions_model.column_index("Data"),
                                                     BadgeDelegate(self.versions_table))
        # the stage and the aliases whole first (what a version is deployed as), then the author
        self.versions_fitter = fit_columns(self.versions_table, ("Stage", "Aliases", "Author"), {"Author": 220},
                                           priority=("Stage", "Aliases"))
        self.detail = VersionDetailWidget(notifier, source_for_run)
        self.detail.sig_open_lineage.connect(self._on_detail_open_lineage)
        self.detail.sig_open_run.connect(self.sig_open_run)
        self.detail.sig_open_dataset.connect(self.sig_open_dataset)
        self.detail.history_tab.url_source = lambda: self.governance_url_source()
        self.compare_button = QPushButton("Compare")
        self.compare_button.setObjectName("compareButton")
        self.compare_button.setToolTip("Select two versions (Ctrl+click) and compare them (Ctrl+D)")
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(self.compare_selected)

        self.filter_bar.edit.textChanged.connect(self._on_filter_text_changed)
        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.versions_table.selectionModel().selectionChanged.connect(self._on_versions_selection_changed)

        versions_box = QWidget()
        vb = QVBoxLayout(versions_box)
        vb.setContentsMargins(0, 0, 0, 0)
        self.versions_label = QLabel("Versions")
        self.versions_label.setObjectName("versionsLabel")
        # the model's description may be long: cut at the pane's edge (whole text in the tooltip)
        self.versions_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        versions_head = QHBoxLayout()
        versions_head.addWidget(self.versions_label, 1)
        versions_head.addWidget(self.compare_button)
        vb.addLayout(versions_head)
        vb.addWidget(self.versions_table, 1)
        # the selected model: its versions, its own description and tags, its history
        self.model_info = ModelInfoWidget()
        self.model_history = HistoryTabWidget(notifier, scope="model")
        self.model_history.url_source = lambda: self.governance_url_source()
        self.model_tabs = QTabWidget()
        self.model_tabs.setObjectName("modelTabs")
        self.model_tabs.addTab(versions_box, "Versions")
        self.model_tabs.addTab(self.model_info, "Model")
        self.model_tabs.addTab(self.model_history, "History")

        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.model_tabs)
        bottom.addWidget(self.detail)
        bottom.setStretchFactor(0, 5)
        bottom.setStretchFactor(1, 6)
        bottom.setSizes([500, 600])  # at 1280 px the version pane's tabs all show

        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        self.attention_check = QCheckBox("Needs attention")
        self.attention_check.setObjectName("needsAttention")
        self.attention_check.setToolTip("Only models with a deployed target not approved (as verify judges it), a "
                                        "failed validation tag, or a critical or high finding")
        self.attention_check.toggled.connect(self._on_attention_check_toggled)
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.filter_bar, 1)
        filter_row.addWidget(self.attention_check)
        self.as_of_control = AsOfControl()
        self.as_of_control.sig_as_of.connect(self._on_as_of_control_as_of)
        filter_row.addWidget(self.as_of_control)
        tl.addWidget(self.table, 1)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([300, 420])
        # "as of" a past time: the state rebuilt from the journal replaces the live tables
        self.as_of_view = AsOfView(notifier)
        self.as_of_view.sig_back_to_now.connect(self._on_as_of_view_back_to_now)
        self.as_of_view.proxy.modelReset.connect(self._update_count)
        self.as_of_view.proxy.layoutChanged.connect(self._update_count)
        self.as_of_view.proxy.rowsInserted.connect(self._update_count)
        self.as_of_view.proxy.rowsRemoved.connect(self._update_count)
        self.live = split
        self.content = QStackedWidget()
        self.content.addWidget(split)
        self.content.addWidget(self.as_of_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(filter_row)
        layout.addWidget(self.content, 1)
        self._update_count()

    # -- data ------------------------------------------------------------------------

    def set_catalog(self, catalog: Catalog, keep: tuple[str, str | None] | None = None) -> None:
        """Show a whole catalog (replaces the rows).

        The selected model and version stay selected when they are still there; ``keep``
        names another ``(model, version)`` to select (e.g. the one before a reload).
        """
        keep = keep or self.current_selection()
        self._before_preview = None
        self.catalog = catalog
        self.model.set_rows(catalog.models)
        self.restore_selection(keep)
        self.search_slot.cancel()
        if self.model.rowCount():
            self.search_slot.start(_search_texts_job, self.model.columns, list(self.model.rows),
                                   label="Indexing models", on_done=self._on_search_texts_done)
        elif self._pending_filter is not None:
            self._on_filter_text_changed(self._pending_filter)
        self.detail.set_monitoring_overview(None)
        when = self.as_of_control.when()
        if when is not None:
            self.as_of_view.load(self.governance_url_source(), catalog, when)
        if self.model.rowCount():
            self.monitoring_slot.start(_monitoring_job, catalog, self.monitoring_as_of or datetime.now(UTC).date(),
                                       self.monitoring_max_age_days, label="Linking monitoring results",
                                       on_done=self._on_monitoring_done)
        self.start_governance()

    def start_governance(self) -> None:
        """Compute every version's governance per target and the findings (in a worker)."""
        self.governance_slot.cancel()
        if not self.model.rowCount():
            return
        self.governance_slot.start(_overview_job, self.governance_url_source(), self.catalog,
                                   self.verification_source(), label="Governance status and findings",
                                   on_done=self._on_governance_done)

    def _on_governance_done(self, result: tuple[Overview, dict[str, ModelAttention]]) -> None:
        overview, attention = result
        self.overview = overview
        self.detail.set_governance_status(overview.status)
        self.model_history.set_governance_status(overview.status)
        self.model.set_attention(attention)
        if self.proxy.only_attention:
            self._refilter(lambda: self.proxy.set_only_attention(True))
        self._update_count()

    def _on_attention_check_toggled(self, on: bool) -> None:
        self._refilter(lambda: self.proxy.set_only_attention(on))
        self._update_count()

    def _on_monitoring_done(self, result: tuple[MonitoringOverview, dict[str, tuple[str, int, str]]]) -> None:
        overview, summaries = result
        self.model.set_monitoring_summaries(summaries)
        self.detail.set_monitoring_overview(overview)

    def _on_search_texts_done(self, result: tuple[list[RegisteredModel], list[str], list[RowFacts],
                                                  dict[int, list[RegisteredModel]]]) -> None:
        self.model.set_search_texts(*result)
        text, self._pending_filter = self._pending_filter, None
        if text is not None:
            self._on_filter_text_changed(text)

    def current_selection(self) -> tuple[str, str | None] | None:
        model = self.selected_model()
        if model is None:
            return None
        version = self.selected_version()
        return model.name, version.version if version else None

    def restore_selection(self, selection: tuple[str, str | None] | None) -> None:
        if selection is None or not self.select_model(selection[0]):
            self._show_model(None)
            return
        if selection[1] is not None:
            self.select_version(selection[1])

    def append_catalog(self, part: Catalog, merged: Catalog) -> None:
        """Rows of one more store, shown as soon as they arrive."""
        self.catalog = merged
        self.model.append_rows(part.models)

    def add_store_part(self, part: Catalog, *, preview: bool = False) -> None:
        """One more store's registry, shown as it arrives. A ``preview`` (the store's first models)
        is replaced by the part that follows it (that store's whole registry)."""
        base = self._before_preview if self._before_preview is not None else self.catalog
        merged = base.merge(part)
        if self._before_preview is not None:  # the preview's rows give way to the whole registry
            self.catalog = merged
            self.model.set_rows(merged.models)
        else:
            self.append_catalog(part, merged)
        self._before_preview = base if preview else None

    def focus_filter(self) -> None:
        self.filter_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_bar.edit.selectAll()

    # -- selection -------------------------------------------------------------------

    def selected_model(self) -> RegisteredModel | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ENTITY_ROLE) if rows else None

    def selected_version(self) -> ModelVersion | None:
        """The version the detail pane shows: the current row when selected, else the first selected."""
        selection = self.versions_table.selectionModel()
        current = self.versions_table.currentIndex()
        if current.isValid() and selection.isRowSelected(current.row()):
            return self.versions_model.entity(current.row())
        rows = selection.selectedRows()
        return rows[0].data(ENTITY_ROLE) if rows else None

    def selected_versions(self) -> list[ModelVersion]:
        rows = sorted(i.row() for i in self.versions_table.selectionModel().selectedRows())
        return [self.versions_model.entity(r) for r in rows]

    def select_versions(self, versions: list[str]) -> None:
        """Select several versions (e.g. two to compare)."""
        selection = self.versions_table.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in range(self.versions_model.rowCount()):
            if self.versions_model.entity(row).version in versions:
                selection.select(self.versions_model.index(row, 0), flags)

    def compare_selected(self) -> bool:
        """Ask to compare the two selected versions (older first). False unless exactly two."""
        versions = self.selected_versions()
        if len(versions) != 2:
            return False
        old, new = sorted(versions, key=lambda v: version_sort_key(v.version))
        self.sig_compare.emit(old.model_name, old.version, new.version)
        return True

    def open_lineage_of_selection(self) -> bool:
        version = self.selected_version()
        if version is None:
            return False
        self.sig_open_lineage.emit(version_node_id(version.model_name, version.version))
        return True

    def _on_detail_open_lineage(self, version: ModelVersion) -> None:
        self.sig_open_lineage.emit(version_node_id(version.model_name, version.version))

    def _on_versions_context_menu(self, pos: QPoint) -> None:
        menu = self.versions_menu()
        menu.popup(self.versions_table.viewport().mapToGlobal(pos))

    def versions_menu(self) -> QMenu:
        """The versions table's context menu (built fresh for the current selection)."""
        menu = QMenu(self)
        lineage = menu.addAction("Open lineage")
        lineage.setEnabled(self.selected_version() is not None)
        lineage.triggered.connect(self.open_lineage_of_selection)
        compare = menu.addAction("Compare the two selected versions")
        compare.setEnabled(len(self.selected_versions()) == 2)
        compare.triggered.connect(self.compare_selected)
        self._versions_menu = menu
        return menu

    def select_model(self, name: str) -> bool:
        row = self.proxy.row_of(name)
        if row < 0:
            return False
        index = self.proxy.index(row, 0)
        self.table.selectionModel().select(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.scrollTo(index)
        return True

    def _refilter(self, change: Callable[[], None]) -> None:
        """Change the shown rows (``change`` sets a filter); the selected model stays selected
        when still shown, without its versions being read again, else nothing is selected."""
        model = self.selected_model()
        change()
        if model is None or self.selected_model() is model:
            return
        if self.proxy.row_of(model.name) < 0:
            self._show_model(None)  # filtered out
            return
        self._reselecting = model.name
        try:
            self.select_model(model.name)
        finally:
            self._reselecting = None

    def select_version(self, version: str) -> bool:
        for row in range(self.versions_model.rowCount()):
            if self.versions_model.entity(row).version == str(version):
                self.versions_table.selectRow(row)
                return True
        return False

    def _show_model(self, model: RegisteredModel | None) -> None:
        self.versions_model.set_model(model)
        self.model_info.set_model(model)
        self.model_history.set_subject(self.catalog if model else None, model.name if model else None)
        if model is None:
            self.versions_label.setText("Versions")
            self.versions_label.setToolTip("")
        else:
            n = self.versions_model.rowCount()
            text = f"Versions of <b>{html.escape(model.name)}</b> ({n})" if n else \
                f"<b>{html.escape(model.name)}</b> has no versions"
            if model.description:
                first = model.description.strip().splitlines()[0] if model.description.strip() else ""
                cut = first if len(first) <= 60 else first[:59].rstrip() + "…"
                text += f" — <i>{html.escape(cut)}</i>"
            self.versions_label.setText(text)
            self.versions_label.setToolTip(model.description or "")
        if self.versions_model.rowCount():
            self.versions_table.selectRow(0)
        else:
            self.detail.set_version(None, model, self.catalog)
            self.sig_version_selected.emit(None)

    def _on_table_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        ui_burst()  # the model's versions and a version's tabs filled and painted: workers wait
        model = self.selected_model()
        if self._reselecting is not None and model is not None and model.name == self._reselecting:
            return  # the same model selected again after a filter: its versions are shown already
        self._show_model(model)

    def _on_versions_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        ui_burst()
        self.compare_button.setEnabled(len(self.selected_versions()) == 2)
        version = self.selected_version()
        model = self.catalog.model(version.model_name) if version else None
        self.detail.set_version(version, model, self.catalog)
        self.sig_version_selected.emit(version)

    def _on_filter_text_changed(self, text: str) -> None:
        ui_burst()
        if self.search_slot.is_running() and self.model.rowCount() > DEFER_FILTER_ROWS:
            # the worker is computing the rows' texts: filter when they are there, not by
            # computing them here (10,000 models: seconds of the UI thread)
            self._pending_filter = text
            self.as_of_view.set_filter_text(text)
            self.filter_bar.count.setText("Indexing models…")
            return
        self._pending_filter = None
        self._refilter(lambda: self.proxy.set_filter_text(text))
        self.as_of_view.set_filter_text(text)
        self._update_count()

    # -- as of a past time -------------------------------------------------------------

    def show_as_of(self, when: datetime | None) -> None:
        """Show the registry as the journal recorded it at ``when`` (None: the live registry)."""
        self.as_of_control.set_when(when)

    def _on_as_of_control_as_of(self, when: datetime | None) -> None:
        self.attention_check.setEnabled(when is None)
        if when is None:
            self.as_of_view.slot.cancel()
            self.content.setCurrentWidget(self.live)
            self._update_count()
            return
        self.content.setCurrentWidget(self.as_of_view)
        self.as_of_view.load(self.governance_url_source(), self.catalog, when)
        self._update_count()

    def _on_as_of_view_back_to_now(self) -> None:
        self.show_as_of(None)

    def _update_count(self, *_args: object) -> None:
        content = getattr(self, "content", None)
        if content is not None and content.currentWidget() is self.as_of_view:
            self.filter_bar.noun = "versions then"  # the rows of the state rebuilt from the journal
            self.filter_bar.set_count(self.as_of_view.proxy.rowCount(), self.as_of_view.model.rowCount())
            return
        self.filter_bar.noun = "models"
        self.filter_bar.set_count(self.proxy.rowCount(), self.model.rowCount())

    def shutdown(self) -> None:
        self.search_slot.shutdown()
        self.monitoring_slot.shutdown()
        self.governance_slot.shutdown()
        self.as_of_view.shutdown()
        self.model_history.shutdown()
        self.detail.shutdown()
