"""What a feature room may ask of the window that hosts it: a small protocol, so the
controllers of the rooms depend on it rather than on the main window."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QMenuBar, QStatusBar, QWidget

    from mlops_desktop.core.entities import Catalog
    from mlops_desktop.ui.common.dialogs import Notifier
    from mlops_desktop.ui.common.progress_widget import TaskProgressWidget
    from mlops_desktop.ui.common.settings import GuiSettings


class VersionPicker(Protocol):
    """The Models page as the governance room sees it."""

    detail: QWidget
    versions_table: QWidget
    sig_version_selected: SignalInstance

    def selected_version(self) -> Any: ...


class PageHost(Protocol):
    """The main window as the governance room sees it."""

    notifier: Notifier
    gui_settings: GuiSettings
    progress: TaskProgressWidget
    models_view: VersionPicker
    settings_action: QAction
    settings_dialog: QWidget | None
    catalog: Catalog
    governance_url: str | None
    store_urls: list[str]
    source_settings: dict[str, object]
    sig_catalog_loaded: SignalInstance
    sig_stores_changed: SignalInstance
    sig_governance_changed: SignalInstance
    sig_shutting_down: SignalInstance

    def add_page(self, key: str, title: str, widget: QWidget, icon_name: str | None = None) -> QWidget: ...

    def page(self, key: str) -> QWidget: ...

    def show_page(self, key: str) -> None: ...

    def current_page_key(self) -> str: ...

    def menuBar(self) -> QMenuBar: ...  # noqa: N802 - Qt name

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt name

    def addAction(self, action: QAction) -> None: ...  # noqa: N802 - Qt name
