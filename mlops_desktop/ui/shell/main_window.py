"""The main window: a navigator of pages, stores opened in a worker, status bar, menus.

Adding a page is one line: ``window.add_page("approvals", "Approvals", ApprovalsView(...))``
(it replaces the placeholder registered under the same key).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import (
    QCloseEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.diff import VersionDiff
from mlops_desktop.core.entities import Catalog, Run
from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.lineage import LineageGraph
from mlops_desktop.sources.base import Source
from mlops_desktop.sources.loader import StoreFailed, StoreLoaded, close_sources
from mlops_desktop.sources.snapshot import ALTERED, UNANCHORED, UNTRUSTED, SnapshotStatus
from mlops_desktop.ui.catalog.compare_dialog import CompareDialog, compare_job
from mlops_desktop.ui.catalog.datasets_view import DatasetsView
from mlops_desktop.ui.catalog.inventory_view import ModelsView
from mlops_desktop.ui.catalog.runs_view import RunsView
from mlops_desktop.ui.catalog.search_dialog import SearchDialog, SearchHit, build_index
from mlops_desktop.ui.common import icons, theme
from mlops_desktop.ui.common.dialogs import Notifier
from mlops_desktop.ui.common.progress_widget import TaskProgressWidget
from mlops_desktop.ui.common.roles import ICON_ROLE, KEY_ROLE
from mlops_desktop.ui.common.settings import GuiSettings
from mlops_desktop.ui.common.source_lines import drop_source_lines
from mlops_desktop.ui.common.workers import TaskSlot, ui_burst, warm_worker_pool
from mlops_desktop.ui.lineage.page import LineagePage
from mlops_desktop.ui.models.loading import LoadResult, load_stores, share_the_gil_with_the_ui
from mlops_desktop.ui.shell.menus import MenuHandlers
from mlops_desktop.ui.shell.open_store_dialog import OpenStoreDialog
from mlops_desktop.ui.shell.pages import EmptyStateWidget, PlaceholderPage, short_store_name
from mlops_desktop.ui.shell.session import WindowSession

if TYPE_CHECKING:
    from mlops_desktop.ui.settings.dialog import SettingsDialog

logger = logging.getLogger(__name__)



class MainWindow(WindowSession):
    sig_catalog_loaded = Signal(object)  # Catalog, after every (re)load
    sig_stores_changed = Signal(list)  # list[str] of open store URLs
    sig_governance_changed = Signal(object)  # str | None: the governance store URL now in use
    sig_shutting_down = Signal()  # shutdown() began: pages and dialogs stop their workers

    def __init__(
        self,
        *,
        notifier: Notifier | None = None,
        gui_settings: GuiSettings | None = None,
        source_settings: Mapping[str, object] | None = None,
        governance_url: str | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setWindowTitle("MLOps Desktop")
        self.setWindowIcon(icons.app_icon())
        self.resize(1280, 800)
        self.setAcceptDrops(True)

        self.notifier = notifier or Notifier(self)
        if self.notifier.parent_widget is None:
            self.notifier.parent_widget = self
        self.gui_settings = gui_settings or GuiSettings()
        self.source_settings: dict[str, object] = self._merged_source_settings(source_settings)
        self.governance_url = governance_url or self.gui_settings.prefs.governance_url or None
        self._search_index: tuple[tuple[int, int], list[SearchHit]] | None = None
        #: Save the layout on close (off for smoke tests, which must not touch the user's settings).
        self.persist_layout = True
        self.catalog = Catalog()
        self.store_urls: list[str] = []
        self.settings_dialog: QDialog | None = None
        self._settings_before: tuple[str | None, dict[str, str]] = (None, {})
        self.sources: list[Source] = []
        self._pending_urls: list[str] = []
        self._first_partial = True
        self._selection_before_load: tuple[str, str | None] | None = None

        share_the_gil_with_the_ui()  # the workers' computing delays Qt's calls into Python less
        warm_worker_pool()  # threads started now cost nothing; started while workers compute, they block
        self.load_slot = TaskSlot("stores", self.notifier, self)
        self.load_slot.sig_cancelled.connect(self._on_load_slot_cancelled)

        # pages
        self.navigator = QListWidget()
        self.navigator.setObjectName("navigator")
        self.navigator.setAccessibleName("Pages")
        self.navigator.setFixedWidth(160)
        self.navigator.setIconSize(QSize(18, 18))
        self.navigator.setSpacing(2)
        self.pages = QStackedWidget()
        self._page_keys: list[str] = []
        self.models_view = ModelsView(self.notifier, self.source_for_run)
        self.models_view.governance_url_source = lambda: self.governance_url
        self.models_view.verification_source = lambda: self.gui_settings.verification_settings(
            self._artifact_roots())
        self.datasets_view = DatasetsView(notifier=self.notifier)
        self.runs_view = RunsView(self.notifier)
        self.add_page("models", "Models", self.models_view, "models")
        self.add_page("datasets", "Datasets", self.datasets_view, "datasets")
        self.add_page("runs", "Runs", self.runs_view, "runs")
        self.lineage_page = LineagePage(self.notifier)
        self.add_page("lineage", "Lineage", self.lineage_page, "lineage")
        self.add_page("approvals", "Approvals", PlaceholderPage(
            "Approvals", "Signed promotion approvals will be shown here."), "approvals")
        self.add_page("audit", "Audit log", PlaceholderPage(
            "Audit log", "The tamper-evident record of every action will be shown here."), "audit")
        self.navigator.currentRowChanged.connect(self._on_navigator_row_changed)
        self.models_view.sig_open_lineage.connect(self.open_lineage)
        self.models_view.sig_compare.connect(self.compare_versions)
        self.models_view.sig_open_run.connect(lambda rid: self.navigate_to(SearchHit("run", rid, "", (rid,), "")))
        self.models_view.sig_open_dataset.connect(lambda did: self.navigate_to(SearchHit("dataset", did, "", (did,), "")))
        self.datasets_view.sig_open_lineage.connect(self.open_lineage)
        self.datasets_view.sig_open_impact.connect(self.open_impact)
        self.compare_slot = TaskSlot("compare", self.notifier, self)
        self.compare_dialogs: list[CompareDialog] = []

        self.empty_state = EmptyStateWidget()
        self.empty_state.open_button.clicked.connect(self.show_open_dialog)
        self.empty_state.sig_open_demo.connect(self.open_demo)
        self.empty_state.sig_open_recent.connect(self._on_empty_state_open_recent)
        self.content = QStackedWidget()
        self.content.addWidget(self.empty_state)
        self.content.addWidget(self.pages)

        # an ALTERED snapshot: a banner above every page that cannot be dismissed
        self.altered_banner = QLabel()
        self.altered_banner.setObjectName("alteredBanner")
        self.altered_banner.setWordWrap(True)
        self.altered_banner.setAccessibleName("Altered snapshot warning")
        self.altered_banner.setVisible(False)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.altered_banner)
        column.addWidget(self.content, 1)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.navigator)
        row.addWidget(right, 1)
        self.setCentralWidget(central)

        # status bar
        self.stores_label = QLabel("No store open")
        self.stores_label.setObjectName("storesLabel")
        self.progress = TaskProgressWidget()
        self.verification_label = QLabel()
        self.verification_label.setObjectName("verificationLabel")
        self.verification_label.setVisible(False)
        for slot in (self.load_slot, self.runs_view.task_slot, self.models_view.detail.history_slot,
                     self.lineage_page.slot, self.lineage_page.layout_slot, self.compare_slot):
            self.progress.watch(slot)
        self.statusBar().addWidget(self.stores_label, 1)
        self.statusBar().addPermanentWidget(self.verification_label)
        self.statusBar().addPermanentWidget(self.progress)

        self._build_menus(MenuHandlers(
            open_store=self.show_open_dialog, reload=self.reload, close_stores=self.close_stores,
            create_snapshot=self.show_snapshot_dialog, export_report=self.show_report_dialog,
            search=self.show_search_dialog, settings=self.show_settings_dialog, focus_filter=self.focus_filter,
            open_lineage=self.open_lineage_of_selection, compare=self._on_compare_action_triggered,
            set_theme=self.set_theme, shortcuts=self.show_shortcuts_dialog, about=self._on_about_triggered,
            show_page=self.show_page, open_stores=self.open_stores, keys=self.show_keys_dialog,
            open_demo=self.open_demo))
        app = QApplication.instance()
        if isinstance(app, QApplication):  # follow system light/dark changes too
            theme.theme_manager(app).sig_changed.connect(self._on_theme_changed)
        from mlops_desktop.ui.governance.controller import install_governance_pages

        self.governance = install_governance_pages(self)  # Approvals, Audit log, Trust
        # decisions are read where the Approvals page reads them (an open snapshot's own records)
        self.models_view.governance_url_source = lambda: self.governance.governance_url(verified_only=True)
        self.lineage_page.governance_url_source = self.governance.governance_url
        self.lineage_page.verification_source = lambda: self.gui_settings.verification_settings(
            self._artifact_roots())
        from mlops_desktop.ui.findings.page import install_findings_page

        self.findings_view = install_findings_page(
            self, self.open_finding_object, self.governance.governance_url,
            lambda: self.gui_settings.verification_settings(self._artifact_roots()))
        self.governance.sig_decided.connect(self.findings_view.mark_stale)
        self.navigator.setCurrentRow(0)
        self._update_content()
        self.restore_layout()
        drop_source_lines()  # what PySide6 read of every module imported (40 MB)

    # -- pages -----------------------------------------------------------------------

    def add_page(self, key: str, title: str, widget: QWidget, icon_name: str | None = None) -> QWidget:
        """Add a page to the navigator, or replace the page registered under ``key``."""
        if key in self._page_keys:
            row = self._page_keys.index(key)
            old = self.pages.widget(row)
            if old is not None:
                self.pages.removeWidget(old)
                old.deleteLater()
            self.pages.insertWidget(row, widget)
            item = self.navigator.item(row)
            item.setText(title)
        else:
            self._page_keys.append(key)
            self.pages.addWidget(widget)
            item = QListWidgetItem(title, self.navigator)
            item.setData(KEY_ROLE, key)
        if icon_name:
            item.setIcon(icons.icon(icon_name))
            item.setData(ICON_ROLE, icon_name)
        if self.navigator.currentRow() == self._page_keys.index(key):
            self.pages.setCurrentWidget(widget)
        if hasattr(self, "go_menu"):
            self._fill_go_menu()
        return widget

    def page(self, key: str) -> QWidget:
        widget = self.pages.widget(self._page_keys.index(key))
        assert widget is not None
        return widget

    def show_page(self, key: str) -> None:
        self.navigator.setCurrentRow(self._page_keys.index(key))

    def current_page_key(self) -> str:
        return self._page_keys[self.pages.currentIndex()]

    def _on_navigator_row_changed(self, row: int) -> None:
        if row < 0:
            return
        ui_burst()  # the page shown and painted: background workers wait (not the page's own reads)
        self.pages.setCurrentIndex(row)
        if self._page_keys[row] == "runs":
            self._ensure_all_runs()
        elif self._page_keys[row] == "lineage" and not self.lineage_page.has_lineage():
            version = self.models_view.selected_version()
            if version is not None:
                self.models_view.open_lineage_of_selection()

    # -- menus -----------------------------------------------------------------------


    def _on_about_triggered(self) -> None:
        self.show_about_dialog()

    def show_about_dialog(self) -> QWidget:
        from mlops_desktop.ui.shell.about_dialog import AboutDialog

        dialog = AboutDialog(self)
        dialog.open()
        self.about_dialog = dialog
        return dialog

    def show_shortcuts_dialog(self) -> QWidget:
        from mlops_desktop.ui.shell.shortcuts_dialog import ShortcutsDialog

        dialog = ShortcutsDialog(self.all_actions(), self)
        dialog.open()
        self.shortcuts_dialog = dialog
        return dialog

    def show_settings_dialog(self) -> QDialog:
        from mlops_desktop.ui.settings.dialog import SettingsDialog

        dialog = SettingsDialog(self.gui_settings, self, roots_in_force=self._artifact_roots())
        prefs = self.gui_settings.prefs
        # what Settings held when opened: only a value the user changed there replaces one given
        # on the command line (--governance, --artifact-root, the demo's mapping)
        self._settings_before = (prefs.governance_url or None, dict(prefs.artifact_roots))
        dialog.accepted.connect(self._on_settings_accepted)
        dialog.sig_manage_keys.connect(lambda d=dialog: self._on_settings_dialog_manage_keys(d))
        dialog.open()
        self.settings_dialog = dialog
        return dialog

    def show_keys_dialog(self, parent: QWidget | None = None) -> QDialog:
        from mlops_desktop.ui.keys.dialog import KeysDialog

        dialog = KeysDialog(self.gui_settings, parent or self)
        dialog.open()
        self.keys_dialog = dialog
        return dialog

    def _on_settings_dialog_manage_keys(self, settings_dialog: SettingsDialog) -> None:
        """Settings > General > Signing keys…: the Keys dialog over Settings, whose key field then
        shows a key chosen there with "Sign with this key"."""
        keys = self.show_keys_dialog(settings_dialog)
        keys.finished.connect(lambda _code: settings_dialog.follow_signing_key())

    def _on_settings_accepted(self) -> None:
        prefs = self.gui_settings.prefs
        self.set_theme(prefs.theme)
        url_before, roots_before = self._settings_before
        roots = dict(prefs.artifact_roots)
        if roots != roots_before and roots != self.source_settings.get("artifact_roots"):
            self.source_settings["artifact_roots"] = roots
        url = prefs.governance_url or None
        if url != url_before and url != self.governance_url:
            self.governance_url = url
            self.sig_governance_changed.emit(url)

    def _merged_source_settings(self, given: Mapping[str, object] | None) -> dict[str, object]:
        """Source settings: the saved artifact-root mappings, overridden by what the command line gave."""
        merged: dict[str, object] = self.gui_settings.source_settings()
        for key, value in (given or {}).items():
            if key == "artifact_roots" and isinstance(value, Mapping):
                merged["artifact_roots"] = {**self.gui_settings.prefs.artifact_roots, **value}
            else:
                merged[key] = value
        return merged

    # -- global search ----------------------------------------------------------------

    def search_index(self) -> list[SearchHit]:
        runs: list[Run] = []  # the Runs page reads runs on demand: the search covers the catalog's
        key = (id(self.catalog), len(runs))
        if self._search_index is None or self._search_index[0] != key:
            self._search_index = (key, build_index(self.catalog, runs))
        return self._search_index[1]

    def show_search_dialog(self) -> SearchDialog:
        dialog = SearchDialog(self.search_index(), self)
        dialog.sig_activated.connect(self.navigate_to)
        dialog.open()
        self.search_dialog = dialog
        return dialog

    def navigate_to(self, hit: SearchHit) -> bool:
        """Show a search hit in its page, selected."""
        if hit.kind in ("model", "version"):
            self.show_page("models")
            view = self.models_view
            if not view.select_model(hit.key[0]):
                view.filter_bar.edit.clear()
                if not view.select_model(hit.key[0]):
                    return False
            if hit.kind == "version":
                return view.select_version(hit.key[1])
            view.table.setFocus()
            return True
        if hit.kind == "dataset":
            self.show_page("datasets")
            self.datasets_view.select_dataset(hit.key[0])  # at once, or when the store answers
            return True
        if hit.kind == "run":
            self.show_page("runs")
            self.runs_view.select_run(hit.key[0])  # at once, or when the store answers
            return True
        return False

    def open_finding_object(self, obj: str) -> bool:
        """Show a finding's object: a model version on the Models page, a dataset on the
        Datasets page (``dataset:NAME@DIGEST12``), the audit log on its page."""
        if obj.startswith("models:/"):
            name, _, version = obj.removeprefix("models:/").rpartition("/")
            return self.navigate_to(SearchHit("version", obj, "", (name, version), ""))
        if obj.startswith("dataset:"):
            name, _, digest = obj.removeprefix("dataset:").partition("@")
            found = next((ds.id for ds in self.catalog.datasets.values()
                          if ds.name == name and (not digest or ds.digest.startswith(digest))), None)
            if found is not None and self.navigate_to(SearchHit("dataset", obj, "", (found,), "")):
                return True
            self.show_page("datasets")  # logged only as a run input: filter by its name
            self.datasets_view.filter_bar.edit.setText(name)
            return True
        if obj == "audit-log" and "audit" in self._page_keys:
            self.show_page("audit")
            return True
        return False

    def _artifact_roots(self) -> dict[str, str] | None:
        """The window's artifact-root mapping (Settings' merged with the command line's), if any."""
        roots = self.source_settings.get("artifact_roots")
        return {str(k): str(v) for k, v in roots.items()} if isinstance(roots, Mapping) else None

    def set_theme(self, mode: str) -> None:
        if self.gui_settings.theme != mode:
            self.gui_settings.theme = mode
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.theme_manager(app).apply(mode)
        self.theme_actions[mode].setChecked(True)
        self._on_theme_changed()

    def _on_theme_changed(self, _is_dark: bool = False) -> None:
        """Redraw what paints its own colours (plots, glyph icons, the verification label)."""
        for row in range(self.navigator.count()):
            item = self.navigator.item(row)
            name = item.data(ICON_ROLE)
            if name:
                item.setIcon(icons.icon(name))
        self.models_view.detail.chart.apply_theme()
        self.lineage_page.view.apply_theme()
        self._update_verification()

    # -- lineage, comparison, snapshot, report ----------------------------------------

    def open_lineage(self, node_id: str | None) -> None:
        """Show the Lineage page around ``node_id`` (a model version, dataset... node id)."""
        self.show_page("lineage")
        self.lineage_page.open_node(node_id)

    def open_impact(self, dataset: str) -> None:
        """Show on the Lineage page what ``dataset`` (a dataset node id) reaches: every version and
        deployment downstream, with classification and governance status, highlighted on the graph."""
        self.show_page("lineage")
        self.lineage_page.open_impact(dataset)

    def open_lineage_of_selection(self) -> bool:
        key = self.current_page_key()
        if key == "datasets":
            return self.datasets_view.open_lineage_of_selection()
        return self.models_view.open_lineage_of_selection()

    def _on_compare_action_triggered(self) -> None:
        if not self.models_view.compare_selected():
            self.statusBar().showMessage("Select two versions of a model (Ctrl+click) to compare them.", 5000)

    def compare_versions(self, model: str, old: str, new: str) -> None:
        """Compare two versions in a worker, then show the differences in a window."""
        catalog = self.catalog
        self.compare_slot.start(compare_job, catalog, self.lineage_page.graph, model, old, new,
                                label=f"Comparing {model} {old} and {new}",
                                on_done=functools.partial(self._on_compare_done, catalog))

    def _on_compare_done(self, catalog: Catalog, result: tuple[LineageGraph, VersionDiff]) -> None:
        graph, diff = result
        if catalog is self.catalog and self.lineage_page.graph is None:
            self.lineage_page.graph = graph
        dialog = CompareDialog(diff, self)
        self.compare_dialogs = [d for d in self.compare_dialogs if d.isVisible()]
        self.compare_dialogs.append(dialog)
        dialog.show()

    def show_snapshot_dialog(self) -> QWidget:
        from mlops_desktop.ui.export.snapshot_dialog import SnapshotDialog

        dialog = SnapshotDialog(list(self.store_urls), governance_url=self.governance_url,
                                catalog=self.catalog if self.store_urls else None,
                                settings=self.source_settings, notifier=self.notifier,
                                key_path=self.gui_settings.signing_key_path(), parent=self)
        dialog.open()
        self.snapshot_dialog = dialog
        return dialog

    def show_report_dialog(self) -> QWidget:
        from mlops_desktop.ui.export.report_dialog import ReportDialog

        settings = self.gui_settings.report_settings()  # thresholds and the report profile from Settings
        unverified = self.unverified_inputs()
        if unverified:  # the cover says so, as a report made with --allow-unverified does
            settings = dataclasses.replace(settings, unverified_inputs=(*settings.unverified_inputs, *unverified))
        dialog = ReportDialog(self.catalog, self.governance_url, notifier=self.notifier, settings=settings,
                              key_path=self.gui_settings.signing_key_path(), parent=self)
        dialog.open()
        self.report_dialog = dialog
        return dialog

    def focus_filter(self) -> None:
        page = self.pages.currentWidget()
        focus = getattr(page, "focus_filter", None)
        if callable(focus):
            focus()

    # -- stores ----------------------------------------------------------------------

    def show_open_dialog(self) -> OpenStoreDialog:
        """Opens the dialog non-modally; the chosen store is opened when it is accepted."""
        dialog = OpenStoreDialog(self.gui_settings.recent_stores, self)
        dialog.accepted.connect(lambda d=dialog: self._on_open_dialog_accepted(d))
        dialog.open()
        self.open_dialog = dialog
        return dialog

    def _on_open_dialog_accepted(self, dialog: OpenStoreDialog) -> None:
        url = dialog.store_url()
        if url:
            self.open_stores([*self.store_urls, url] if dialog.add_to_open() else [url])

    def open_stores(self, urls: Sequence[str], settings: Mapping[str, object] | None = None) -> None:
        """Open and read ``urls`` in a worker; rows appear as each store arrives."""
        urls = [u for u in urls if u.strip()]
        if not urls:
            return
        if settings is not None:
            self.source_settings = dict(settings)
        self._with_demo_roots(urls)
        self._pending_urls = list(urls)
        self._first_partial = True
        self._selection_before_load = self.models_view.current_selection() or self._selection_before_load
        self.runs_view.task_slot.cancel()
        self.load_slot.start(
            load_stores, list(urls), dict(self.source_settings), label="Opening stores",
            on_partial=self._on_load_partial, on_done=self._on_load_done,
        )
        self._update_content()

    def open_demo(self) -> bool:
        """Open the bundled demo stores with the demo's artifact-root mapping (as ``mlops-desktop demo``)."""
        from mlops_desktop.resources import demo_settings, demo_store_urls

        try:
            urls = demo_store_urls()
            demo_settings()  # the bundled artifacts are there too
        except FileNotFoundError as exc:
            self.notifier.show_error(StoreError(str(exc), "Reinstall the app, or open your own stores."))
            return False
        self.open_stores(urls)  # with the demo's mapping (_with_demo_roots)
        return True

    def _with_demo_roots(self, urls: Sequence[str]) -> None:
        """A bundled demo store (from the demo, the recent list or a drop) always gets the demo's
        artifact-root mapping, so its subject digests are those 'mlops-desktop demo' computes."""
        from mlops_desktop.resources import demo_settings, demo_store_urls

        try:
            demo_urls, demo = set(demo_store_urls()), demo_settings()
        except FileNotFoundError:
            return
        if not demo_urls.intersection(u.strip() for u in urls):
            return
        roots = self.source_settings.get("artifact_roots")
        demo_roots = demo.get("artifact_roots")
        merged = {**(roots if isinstance(roots, Mapping) else {}),
                  **(demo_roots if isinstance(demo_roots, Mapping) else {})}
        self.source_settings = {**self.source_settings, "artifact_roots": merged}

    def _on_empty_state_open_recent(self, url: str) -> None:
        if self.load_slot.is_running() and self._pending_urls == [url]:
            return  # the second click of a double-click
        self.open_stores([url])

    def reload(self) -> None:
        if self.store_urls:
            self.open_stores(self.store_urls)

    def close_stores(self) -> None:
        self.load_slot.cancel()
        self._shutdown_store_tasks()
        close_sources(self.sources)
        self.sources = []
        self.store_urls = []
        self.gui_settings.set_open_stores([])
        self._apply_catalog(Catalog())
        self._update_content()
        self.sig_stores_changed.emit([])

    def _on_load_partial(self, part: StoreLoaded) -> None:
        if self._first_partial:
            self._first_partial = False
            self.models_view.set_catalog(Catalog())
            self._update_content(force_pages=True)
        self.models_view.add_store_part(part.catalog, preview=part.preview)

    def _on_load_slot_cancelled(self) -> None:
        """A load was cancelled (or replaced): drop its partial rows, show what was open."""
        if not self._first_partial:
            self._first_partial = True
            self.models_view.set_catalog(self.catalog, self._selection_before_load)
        self._update_content()

    def _on_load_done(self, result: LoadResult) -> None:
        ui_burst()  # the catalog applied to every page: workers wait
        ok_urls = [u for u in self._pending_urls if u not in {f.url for f in result.failures}]
        if not result.sources:
            # nothing opened: keep what was open before, explain why
            self._report_failures(result.failures)
            if self.store_urls:
                self.models_view.set_catalog(self.catalog, self._selection_before_load)
            self._update_content()
            return
        self._shutdown_store_tasks()
        close_sources(self.sources)
        drop_source_lines()  # of the modules the load imported
        self.sources = result.sources
        self.store_urls = ok_urls
        for url in ok_urls:
            self.gui_settings.add_recent_store(url)
        self.gui_settings.set_open_stores(ok_urls)
        self._apply_catalog(result.catalog)
        self._update_content()
        self.sig_stores_changed.emit(list(self.store_urls))
        self._report_failures(result.failures)
        if self.current_page_key() == "runs":
            self._ensure_all_runs()

    def _report_failures(self, failures: list[StoreFailed]) -> None:
        if not failures:
            return
        if self._ask_login(failures):
            return
        if len(failures) == 1:
            self.notifier.show_error(failures[0].error)
            return
        message = f"{len(failures)} stores could not be opened:\n" + "\n".join(f"• {f.error}" for f in failures)
        self.notifier.show_error(StoreError(message, "Check each path or URL and try again."))

    def _ask_login(self, failures: list[StoreFailed]) -> bool:
        """An MLflow server read over REST refused us for want of a login: ask for one (kept in
        memory only), then open the stores again. False when no failure is of that kind."""
        rest = sys.modules.get("mlops_desktop.sources.mlflow_rest")  # loaded if a REST store was tried
        if rest is None or getattr(self, "credentials_dialog", None) is not None:
            return False
        refused = next((f for f in failures if isinstance(f.error, rest.CredentialsRequired)), None)
        if refused is None:
            return False
        error = refused.error
        from mlops_desktop.ui.shell.credentials_dialog import CredentialsDialog

        urls = list(dict.fromkeys([*self.store_urls, *self._pending_urls]))
        dialog = CredentialsDialog(error.url, error.message, self)  # type: ignore[attr-defined]

        def _on_credentials_dialog_accepted() -> None:
            rest.remember_credentials(dialog.url, dialog.credentials())
            self.open_stores(urls)

        dialog.accepted.connect(_on_credentials_dialog_accepted)
        dialog.rejected.connect(lambda: self.notifier.show_error(error))
        dialog.finished.connect(lambda _result: setattr(self, "credentials_dialog", None))
        self.credentials_dialog = dialog
        dialog.open()
        others = [f for f in failures if f is not refused]
        if others:
            self._report_failures(others)
        return True

    def _apply_catalog(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.models_view.set_catalog(catalog, self._selection_before_load)
        self._selection_before_load = None
        if self.models_view.selected_model() is None and self.models_view.proxy.rowCount():
            self.models_view.table.selectRow(0)
        self.datasets_view.set_sources(self.sources)  # both pages read from the stores when shown
        self.runs_view.set_sources(self.sources)
        self.lineage_page.set_catalog(catalog)
        self._update_status()
        self.sig_catalog_loaded.emit(catalog)

    def _ensure_all_runs(self) -> None:
        self.runs_view.feeder.refresh_if_stale()  # the first rows, read in the view's worker

    def source_for_run(self, run: Run) -> Source | None:
        for source in self.sources:
            if source.url.display == run.store:
                return source
        return self.sources[0] if len(self.sources) == 1 else None

    def snapshot_statuses(self) -> list[tuple[str, SnapshotStatus]]:
        """(store URL, verification status) of every open snapshot."""
        found = [(s.url.display, getattr(s, "status", None)) for s in self.sources]
        return [(url, status) for url, status in found if isinstance(status, SnapshotStatus)]

    def unverified_inputs(self) -> tuple[str, ...]:
        """One line per open snapshot that is not verified (ALTERED, unsigned, untrusted,
        unanchored): the window opens such a snapshot as the command line does with
        --allow-unverified, so what it exports names it, as the command line's outputs do."""
        return tuple(f"UNVERIFIED snapshot {url} used (opened unverified in the desktop app): {status.text}"
                     for url, status in self.snapshot_statuses() if not status.ok)

    def _update_verification(self) -> None:
        statuses = self.snapshot_statuses()
        altered = [(url, status) for url, status in statuses if status.state == ALTERED]
        if altered:
            self.altered_banner.setText(
                "ALTERED SNAPSHOT: what every page shows does not match what was signed. "
                + " ".join(f"{url}: {status.text}." for url, status in altered)
                + " Do not rely on it; check it with 'mlops-desktop snapshot verify'.")
            self.altered_banner.setStyleSheet(
                f"QLabel {{ background: {theme.colors().phi}; color: {theme.colors().badge_text}; font-weight: bold; padding: 8px; }}")
        self.altered_banner.setVisible(bool(altered))
        title = "MLOps Desktop"
        if self.store_urls:
            title = f"{' + '.join(short_store_name(u) for u in self.store_urls)} — MLOps Desktop"
        if not statuses:
            self.verification_label.setVisible(False)
            self.setWindowTitle(title)
            return
        text = "; ".join(status.text for _url, status in statuses)
        bad = any(status.state in (ALTERED, UNTRUSTED, UNANCHORED) for _url, status in statuses)
        self.verification_label.setText(("⚠ " if bad else "✔ ") + text)
        self.verification_label.setToolTip("\n".join(f"{url}: {status.text}" for url, status in statuses))
        self.verification_label.setProperty("alarm", bad)
        colour = theme.colors().phi if bad else theme.colors().ok
        self.verification_label.setStyleSheet(f"QLabel {{ color: {colour}; font-weight: bold; }}")
        self.verification_label.setVisible(True)
        self.setWindowTitle(f"{title} [{text}]")

    def _update_status(self) -> None:
        self._update_verification()
        if not self.catalog.stores:
            self.stores_label.setText("No store open")
            self.stores_label.setToolTip("")
            return
        n = len(self.catalog.stores)
        short = " · ".join(f"{s.kind}: {short_store_name(s.url)}" for s in self.catalog.stores)
        # files a folder source could not use (monitoring results, DataRobot responses), with the reason
        rejected = [(src.url.display, f) for src in self.sources for f in getattr(src, "rejected", None) or []]
        not_read = f" · {len(rejected)} file{'s' if len(rejected) != 1 else ''} not read (see the tooltip)" \
            if rejected else ""
        self.stores_label.setText(f"Connected to {n} store{'s' if n != 1 else ''} (read-only) — {short}{not_read}")
        self.stores_label.setToolTip("\n".join(
            f"{s.kind}: {s.url}" + (f" (schema {s.schema})" if s.schema else "") for s in self.catalog.stores)
            + ("\n\nNot read (the rest loaded):\n" + "\n".join(f"{f.name}: {f.reason}" for _, f in rejected[:30])
               + (f"\n… and {len(rejected) - 30} more" if len(rejected) > 30 else "") if rejected else ""))

    def _update_content(self, force_pages: bool = False) -> None:
        has_data = force_pages or bool(self.store_urls)
        if not has_data:
            self.empty_state.set_recent(self.gui_settings.recent_stores)
        self.content.setCurrentIndex(1 if has_data else 0)

    def _shutdown_store_tasks(self) -> None:
        """Stop tasks that use the open sources before they are closed."""
        self.runs_view.task_slot.cancel()
        self.runs_view.feeder.window_slot.cancel()
        self.runs_view.detail_slot.cancel()
        self.datasets_view.feeder.query_slot.cancel()
        self.datasets_view.feeder.window_slot.cancel()
        self.models_view.detail.history_slot.cancel()

    # -- drag and drop ---------------------------------------------------------------


    # -- the last layout and session -------------------------------------------------


    # -- closing ---------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop every worker and close the stores (idempotent)."""
        self.sig_shutting_down.emit()
        self.load_slot.shutdown()
        self.runs_view.shutdown()
        self.datasets_view.shutdown()
        self.models_view.shutdown()
        self.lineage_page.shutdown()
        self.compare_slot.shutdown()
        close_sources(self.sources)
        self.sources = []
        self.notifier.close_all()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.persist_layout:
            self.save_layout()
        self.shutdown()
        super().closeEvent(event)
