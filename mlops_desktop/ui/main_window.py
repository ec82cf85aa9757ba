"""The main window: a navigator of pages, stores opened in a worker, status bar, menus.

Adding a page is one line: ``window.add_page("approvals", "Approvals", ApprovalsView(...))``
(it replaces the placeholder registered under the same key).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop import __version__
from mlops_desktop.core.diff import VersionDiff
from mlops_desktop.core.entities import Catalog, Run
from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.lineage import LineageGraph
from mlops_desktop.sources.base import Source
from mlops_desktop.sources.snapshot import ALTERED, UNTRUSTED, SnapshotStatus
from mlops_desktop.ui import icons, theme
from mlops_desktop.ui.compare_dialog import CompareDialog, compare_job
from mlops_desktop.ui.datasets_view import DatasetsView
from mlops_desktop.ui.dialogs import Notifier
from mlops_desktop.ui.inventory_view import ModelsView
from mlops_desktop.ui.lineage_page import LineagePage
from mlops_desktop.ui.models import DatasetRow
from mlops_desktop.ui.open_store_dialog import OpenStoreDialog
from mlops_desktop.ui.progress_widget import TaskProgressWidget
from mlops_desktop.ui.runs_view import RunsView
from mlops_desktop.ui.settings import GuiSettings
from mlops_desktop.ui.tasks import (
    LoadResult,
    SortedRuns,
    StoreFailed,
    StoreLoaded,
    close_sources,
    load_all_runs,
    load_stores,
)
from mlops_desktop.ui.workers import TaskSlot

logger = logging.getLogger(__name__)

EMPTY_TEXT = "No store open — File > Open store… or drop a file here"
KEY_ROLE = Qt.ItemDataRole.UserRole + 1


def short_store_name(url: str) -> str:
    """The file name of a file store, the host/database of a server store (passwords are already gone)."""
    if "://" in url and not url.split("://", 1)[0].endswith("sqlite"):
        return url.split("://", 1)[1].split("@")[-1]
    return url.rstrip("/").rsplit("/", 1)[-1].removeprefix("openlineage:").removeprefix("snapshot:")


class PlaceholderPage(QWidget):
    """A page that a later feature fills (Lineage, Approvals, Audit log)."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PlaceholderPage")
        label = QLabel(f"<h2>{title}</h2><p>{text}</p>")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(label)


class EmptyStateWidget(QWidget):
    """What the content area shows while no store is open."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("EmptyStateWidget")
        icon = QLabel()
        icon.setPixmap(icons.app_icon().pixmap(96, 96))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label = QLabel(EMPTY_TEXT)
        self.label.setObjectName("emptyStateText")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        font = self.label.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.label.setFont(font)
        hint = QLabel("MLflow or ML Metadata SQLite files, OpenLineage event files, .mlsnap snapshots, "
                      "or a PostgreSQL / MySQL URL. Stores are opened read-only.")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        self.open_button = QPushButton("Open store…")
        self.open_button.setIcon(icons.icon("open"))
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(icon)
        layout.addWidget(self.label)
        layout.addWidget(hint)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)


class MainWindow(QMainWindow):
    sig_catalog_loaded = Signal(object)  # Catalog, after every (re)load
    sig_stores_changed = Signal(list)  # list[str] of open store URLs

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
        self.source_settings: dict[str, object] = dict(source_settings or {})
        self.governance_url = governance_url
        self.catalog = Catalog()
        self.store_urls: list[str] = []
        self.sources: list[Source] = []
        self._pending_urls: list[str] = []
        self._first_partial = True
        self._selection_before_load: tuple[str, str | None] | None = None

        self.load_slot = TaskSlot("stores", self.notifier, self)
        self.load_slot.sig_cancelled.connect(self._on_load_slot_cancelled)

        # pages
        self.navigator = QListWidget()
        self.navigator.setObjectName("navigator")
        self.navigator.setFixedWidth(160)
        self.navigator.setIconSize(QSize(18, 18))
        self.navigator.setSpacing(2)
        self.pages = QStackedWidget()
        self._page_keys: list[str] = []
        self.models_view = ModelsView(self.notifier, self.source_for_run)
        self.datasets_view = DatasetsView()
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
        self.datasets_view.sig_open_lineage.connect(self.open_lineage)
        self.compare_slot = TaskSlot("compare", self.notifier, self)
        self.compare_dialogs: list[CompareDialog] = []

        self.empty_state = EmptyStateWidget()
        self.empty_state.open_button.clicked.connect(self.show_open_dialog)
        self.content = QStackedWidget()
        self.content.addWidget(self.empty_state)
        self.content.addWidget(self.pages)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.navigator)
        row.addWidget(self.content, 1)
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

        self._build_menus()
        self.navigator.setCurrentRow(0)
        self._update_content()

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
        if self.navigator.currentRow() == self._page_keys.index(key):
            self.pages.setCurrentWidget(widget)
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
        self.pages.setCurrentIndex(row)
        if self._page_keys[row] == "runs":
            self._ensure_all_runs()
        elif self._page_keys[row] == "lineage" and not self.lineage_page.has_lineage():
            version = self.models_view.selected_version()
            if version is not None:
                self.models_view.open_lineage_of_selection()

    # -- menus -----------------------------------------------------------------------

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = QAction(icons.icon("open"), "&Open store…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.show_open_dialog)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.reload_action = QAction(icons.icon("reload"), "&Reload", self)
        self.reload_action.setShortcut(QKeySequence("F5"))
        self.reload_action.triggered.connect(self.reload)
        file_menu.addAction(self.reload_action)
        self.close_stores_action = QAction("&Close stores", self)
        self.close_stores_action.setShortcut(QKeySequence("Ctrl+W"))
        self.close_stores_action.triggered.connect(self.close_stores)
        file_menu.addAction(self.close_stores_action)
        file_menu.addSeparator()
        self.snapshot_action = QAction("Create &snapshot…", self)
        self.snapshot_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.snapshot_action.triggered.connect(self.show_snapshot_dialog)
        file_menu.addAction(self.snapshot_action)
        self.report_action = QAction("&Export report…", self)
        self.report_action.setShortcut(QKeySequence("Ctrl+E"))
        self.report_action.triggered.connect(self.show_report_dialog)
        file_menu.addAction(self.report_action)
        file_menu.addSeparator()
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)

        view_menu = bar.addMenu("&View")
        self.filter_action = QAction("&Filter", self)
        self.filter_action.setShortcut(QKeySequence("Ctrl+F"))
        self.filter_action.triggered.connect(self.focus_filter)
        view_menu.addAction(self.filter_action)
        self.lineage_action = QAction("Open &lineage of the selection", self)
        self.lineage_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lineage_action.triggered.connect(self.open_lineage_of_selection)
        view_menu.addAction(self.lineage_action)
        self.compare_action = QAction("&Compare two versions", self)
        self.compare_action.setShortcut(QKeySequence("Ctrl+D"))
        self.compare_action.triggered.connect(self._on_compare_action_triggered)
        view_menu.addAction(self.compare_action)
        theme_menu = view_menu.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for mode, title in (("system", "Follow the &system"), ("light", "&Light"), ("dark", "&Dark")):
            action = QAction(title, self, checkable=True)
            action.setChecked(self.gui_settings.theme == mode)
            action.triggered.connect(lambda _checked=False, m=mode: self.set_theme(m))
            group.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[mode] = action

        help_menu = bar.addMenu("&Help")
        about = QAction("&About MLOps Desktop", self)
        about.triggered.connect(self._on_about_triggered)
        help_menu.addAction(about)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.gui_settings.recent_stores
        if not recent:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        for url in recent:
            action = self.recent_menu.addAction(url)
            action.triggered.connect(functools.partial(self._on_recent_action_triggered, url))

    def _on_recent_action_triggered(self, url: str, _checked: bool = False) -> None:
        self.open_stores([url])

    def _on_about_triggered(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "About MLOps Desktop",
                          f"MLOps Desktop {__version__}\nGovernance for the ML metadata stores teams already run.",
                          QMessageBox.StandardButton.Ok, self)
        box.setIconPixmap(icons.app_icon().pixmap(64, 64))
        box.open()

    def set_theme(self, mode: str) -> None:
        self.gui_settings.theme = mode
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.theme_manager(app).apply(mode)
        self.models_view.detail.chart.apply_theme()
        self.theme_actions[mode].setChecked(True)

    # -- lineage, comparison, snapshot, report ----------------------------------------

    def open_lineage(self, node_id: str | None) -> None:
        """Show the Lineage page around ``node_id`` (a model version, dataset... node id)."""
        self.show_page("lineage")
        self.lineage_page.open_node(node_id)

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
        from mlops_desktop.ui.snapshot_dialog import SnapshotDialog

        dialog = SnapshotDialog(list(self.store_urls), governance_url=self.governance_url,
                                catalog=self.catalog if self.store_urls else None,
                                settings=self.source_settings, notifier=self.notifier, parent=self)
        dialog.open()
        self.snapshot_dialog = dialog
        return dialog

    def show_report_dialog(self) -> QWidget:
        from mlops_desktop.ui.report_dialog import ReportDialog

        dialog = ReportDialog(self.catalog, self.governance_url, notifier=self.notifier, parent=self)
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
        self._pending_urls = list(urls)
        self._first_partial = True
        self._selection_before_load = self.models_view.current_selection() or self._selection_before_load
        self.runs_view.task_slot.cancel()
        self.load_slot.start(
            load_stores, list(urls), dict(self.source_settings), label="Opening stores",
            on_partial=self._on_load_partial, on_done=self._on_load_done,
        )
        self._update_content()

    def reload(self) -> None:
        if self.store_urls:
            self.open_stores(self.store_urls)

    def close_stores(self) -> None:
        self.load_slot.cancel()
        self._shutdown_store_tasks()
        close_sources(self.sources)
        self.sources = []
        self.store_urls = []
        self._apply_catalog(Catalog())
        self._update_content()
        self.sig_stores_changed.emit([])

    def _on_load_partial(self, part: StoreLoaded) -> None:
        if self._first_partial:
            self._first_partial = False
            self.models_view.set_catalog(Catalog())
            self._update_content(force_pages=True)
        merged = self.models_view.catalog.merge(part.catalog)
        self.models_view.append_catalog(part.catalog, merged)

    def _on_load_slot_cancelled(self) -> None:
        """A load was cancelled (or replaced): drop its partial rows, show what was open."""
        if not self._first_partial:
            self._first_partial = True
            self.models_view.set_catalog(self.catalog, self._selection_before_load)
        self._update_content()

    def _on_load_done(self, result: LoadResult) -> None:
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
        self.sources = result.sources
        self.store_urls = ok_urls
        for url in ok_urls:
            self.gui_settings.add_recent_store(url)
        self._apply_catalog(result.catalog, result.dataset_rows)
        self._update_content()
        self.sig_stores_changed.emit(list(self.store_urls))
        self._report_failures(result.failures)
        if self.current_page_key() == "runs":
            self._ensure_all_runs()

    def _report_failures(self, failures: list[StoreFailed]) -> None:
        if not failures:
            return
        if len(failures) == 1:
            self.notifier.show_error(failures[0].error)
            return
        message = f"{len(failures)} stores could not be opened:\n" + "\n".join(f"• {f.error}" for f in failures)
        self.notifier.show_error(StoreError(message, "Check each path or URL and try again."))

    def _apply_catalog(self, catalog: Catalog, dataset_rows: list[DatasetRow] | None = None) -> None:
        self.catalog = catalog
        self.models_view.set_catalog(catalog, self._selection_before_load)
        self._selection_before_load = None
        if self.models_view.selected_model() is None and self.models_view.proxy.rowCount():
            self.models_view.table.selectRow(0)
        self.datasets_view.set_catalog(catalog, dataset_rows)
        self.runs_view.set_runs(catalog.runs, complete=False)
        self.lineage_page.set_catalog(catalog)
        self._update_status()
        self.sig_catalog_loaded.emit(catalog)

    def _ensure_all_runs(self) -> None:
        if not self.sources or self.runs_view.all_runs_loaded or self.runs_view.task_slot.is_running():
            return
        column, order = self.runs_view.sort_state
        self.runs_view.task_slot.start(
            load_all_runs, list(self.sources), column, order, label="Loading all runs",
            on_done=self._on_all_runs_done,
        )

    def _on_all_runs_done(self, result: SortedRuns) -> None:
        self.runs_view.set_runs(result.runs, complete=True, sorted_by=result.sorted_by)

    def source_for_run(self, run: Run) -> Source | None:
        for source in self.sources:
            if source.url.display == run.store:
                return source
        return self.sources[0] if len(self.sources) == 1 else None

    def snapshot_statuses(self) -> list[tuple[str, SnapshotStatus]]:
        """(store URL, verification status) of every open snapshot."""
        found = [(s.url.display, getattr(s, "status", None)) for s in self.sources]
        return [(url, status) for url, status in found if isinstance(status, SnapshotStatus)]

    def _update_verification(self) -> None:
        statuses = self.snapshot_statuses()
        title = "MLOps Desktop"
        if self.store_urls:
            title = f"{' + '.join(short_store_name(u) for u in self.store_urls)} — MLOps Desktop"
        if not statuses:
            self.verification_label.setVisible(False)
            self.setWindowTitle(title)
            return
        text = "; ".join(status.text for _url, status in statuses)
        bad = any(status.state in (ALTERED, UNTRUSTED) for _url, status in statuses)
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
        self.stores_label.setText(f"Connected to {n} store{'s' if n != 1 else ''} (read-only) — {short}")
        self.stores_label.setToolTip("\n".join(
            f"{s.kind}: {s.url}" + (f" (schema {s.schema})" if s.schema else "") for s in self.catalog.stores))

    def _update_content(self, force_pages: bool = False) -> None:
        has_data = force_pages or bool(self.store_urls)
        self.content.setCurrentIndex(1 if has_data else 0)

    def _shutdown_store_tasks(self) -> None:
        """Stop tasks that use the open sources before they are closed."""
        self.runs_view.task_slot.cancel()
        self.models_view.detail.history_slot.cancel()

    # -- drag and drop ---------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_stores(paths)

    # -- closing ---------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop every worker and close the stores (idempotent)."""
        self.load_slot.shutdown()
        self.runs_view.shutdown()
        self.models_view.shutdown()
        self.lineage_page.shutdown()
        self.compare_slot.shutdown()
        close_sources(self.sources)
        self.sources = []
        self.notifier.close_all()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)
