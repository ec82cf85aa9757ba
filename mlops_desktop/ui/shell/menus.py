"""The menu bar of the main window: File, Edit, View, Help, the Go-to-page shortcuts
(Ctrl+1…) and the recent-stores menu."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QListWidget, QMainWindow, QMenu

from mlops_desktop.ui.common import icons
from mlops_desktop.ui.common.settings import GuiSettings


@dataclass(frozen=True, slots=True)
class MenuHandlers:
    """What the menu actions do: the window's own methods."""

    open_store: Callable[[], object]
    reload: Callable[[], object]
    close_stores: Callable[[], object]
    create_snapshot: Callable[[], object]
    export_report: Callable[[], object]
    search: Callable[[], object]
    settings: Callable[[], object]
    focus_filter: Callable[[], object]
    open_lineage: Callable[[], object]
    compare: Callable[[], object]
    set_theme: Callable[[str], object]
    shortcuts: Callable[[], object]
    about: Callable[[], object]
    show_page: Callable[[str], object]
    open_stores: Callable[[list[str]], object]
    keys: Callable[[], object] | None = None
    open_demo: Callable[[], object] | None = None


class WindowMenus(QMainWindow):
    """The menus part of :class:`~mlops_desktop.ui.shell.main_window.MainWindow`; the actions
    call the window's own methods (``show_open_dialog``, ``reload``…)."""

    gui_settings: GuiSettings
    navigator: QListWidget
    _page_keys: list[str]

    def _build_menus(self, handlers: MenuHandlers) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = QAction(icons.icon("open"), "&Open store…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(handlers.open_store)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        if handlers.open_demo is not None:
            self.demo_action = QAction("Open the &demo", self)
            self.demo_action.setToolTip("The bundled demo stores, as 'mlops-desktop demo'")
            self.demo_action.triggered.connect(handlers.open_demo)
            file_menu.addAction(self.demo_action)
        self.reload_action = QAction(icons.icon("reload"), "&Reload", self)
        self.reload_action.setShortcut(QKeySequence("F5"))
        self.reload_action.triggered.connect(handlers.reload)
        file_menu.addAction(self.reload_action)
        self.close_stores_action = QAction("&Close stores", self)
        self.close_stores_action.setShortcut(QKeySequence("Ctrl+W"))
        self.close_stores_action.triggered.connect(handlers.close_stores)
        file_menu.addAction(self.close_stores_action)
        file_menu.addSeparator()
        self.snapshot_action = QAction("Create &snapshot…", self)
        self.snapshot_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.snapshot_action.triggered.connect(handlers.create_snapshot)
        file_menu.addAction(self.snapshot_action)
        self.report_action = QAction("&Export report…", self)
        self.report_action.setShortcut(QKeySequence("Ctrl+E"))
        self.report_action.triggered.connect(handlers.export_report)
        file_menu.addAction(self.report_action)
        file_menu.addSeparator()
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)

        edit_menu = bar.addMenu("&Edit")
        self.search_action = QAction("&Search everything…", self)
        self.search_action.setShortcut(QKeySequence("Ctrl+K"))
        self.search_action.triggered.connect(handlers.search)
        edit_menu.addAction(self.search_action)
        self.settings_action = QAction("Se&ttings…", self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(handlers.settings)
        edit_menu.addAction(self.settings_action)
        if handlers.keys is not None:
            self.keys_action = QAction("Signing &keys…", self)
            self.keys_action.triggered.connect(handlers.keys)
            edit_menu.addAction(self.keys_action)

        view_menu = bar.addMenu("&View")
        self.go_menu = view_menu.addMenu("&Go to page")
        self.page_actions: list[QAction] = []
        self.filter_action = QAction("&Filter", self)
        self.filter_action.setShortcut(QKeySequence("Ctrl+F"))
        self.filter_action.triggered.connect(handlers.focus_filter)
        view_menu.addAction(self.filter_action)
        self.lineage_action = QAction("Open &lineage of the selection", self)
        self.lineage_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lineage_action.triggered.connect(handlers.open_lineage)
        view_menu.addAction(self.lineage_action)
        self.compare_action = QAction("&Compare two versions", self)
        self.compare_action.setShortcut(QKeySequence("Ctrl+D"))
        self.compare_action.triggered.connect(handlers.compare)
        view_menu.addAction(self.compare_action)
        theme_menu = view_menu.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for mode, title in (("system", "Follow the &system"), ("light", "&Light"), ("dark", "&Dark")):
            action = QAction(title, self, checkable=True)
            action.setChecked(self.gui_settings.theme == mode)
            action.triggered.connect(lambda _checked=False, m=mode: handlers.set_theme(m))
            group.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[mode] = action

        help_menu = bar.addMenu("&Help")
        self.shortcuts_action = QAction("&Keyboard shortcuts", self)
        self.shortcuts_action.setShortcuts([QKeySequence("F1"), QKeySequence("Ctrl+/")])
        self.shortcuts_action.triggered.connect(handlers.shortcuts)
        help_menu.addAction(self.shortcuts_action)
        self.about_action = QAction("&About MLOps Desktop", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(handlers.about)
        help_menu.addAction(self.about_action)
        self._handlers = handlers
        self._fill_go_menu()

    def _fill_go_menu(self) -> None:
        """View > Go to page: Ctrl+1… for every page (rebuilt when a page is added)."""
        for action in self.page_actions:
            self.go_menu.removeAction(action)
            self.removeAction(action)
        self.page_actions = []
        for i, key in enumerate(self._page_keys):
            item = self.navigator.item(i)
            action = QAction(f"{item.text()} page", self)
            if i < 9:
                action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(functools.partial(self._on_go_action_triggered, key))
            self.go_menu.addAction(action)
            self.page_actions.append(action)

    def _on_go_action_triggered(self, key: str, _checked: bool = False) -> None:
        self._handlers.show_page(key)
        self.navigator.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def all_actions(self) -> list[QAction]:
        """Every action of the menus (for the shortcuts sheet), in menu order."""
        found: list[QAction] = []

        def walk(actions: list[QAction]) -> None:
            for action in actions:
                menu: object = action.menu()
                if isinstance(menu, QMenu):
                    walk(menu.actions())
                elif not action.isSeparator():
                    found.append(action)

        walk(self.menuBar().actions())
        return found

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.gui_settings.recent_stores
        if not recent:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        for url in recent:
            action = self.recent_menu.addAction(url)
            action.triggered.connect(functools.partial(self._on_recent_action_triggered, url))

    def _on_recent_action_triggered(self, url: str, _checked: bool = False) -> None:
        self._handlers.open_stores([url])
