"""What a feature room may ask of the window that hosts it: a small protocol, so the
controllers of the rooms depend on it rather than on the main window."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QDialog, QMenuBar, QStatusBar, QWidget

    from mlops_desktop.core.entities import Catalog
    from mlops_desktop.ui.common.dialogs import Notifier
    from mlops_desktop.ui.common.progress_widget import TaskProgressWidget
    from mlops_desktop.ui.common.settings import GuiSettings


class VersionPicker(Protocol):
    """The Models page as the governance room sees it."""

    @property
    def detail(self) -> QWidget: ...

    @property
    def versions_table(self) -> QWidget: ...

    @property
    def sig_version_selected(self) -> SignalInstance: ...

    def selected_version(self) -> Any: ...


class PageHost(Protocol):
    """The main window as a feature room sees it (``window()`` is the widget itself, the
    parent of the room's pages, actions and dialogs)."""

    @property
    def notifier(self) -> Notifier: ...

    @property
    def gui_settings(self) -> GuiSettings: ...

    @property
    def progress(self) -> TaskProgressWidget: ...

    @property
    def models_view(self) -> VersionPicker: ...

    @property
    def settings_action(self) -> QAction: ...

    @property
    def settings_dialog(self) -> QDialog | None: ...

    @property
    def catalog(self) -> Catalog: ...

    @property
    def governance_url(self) -> str | None: ...

    @property
    def store_urls(self) -> list[str]: ...

    @property
    def source_settings(self) -> dict[str, object]: ...

    @property
    def sig_catalog_loaded(self) -> SignalInstance: ...

    @property
    def sig_stores_changed(self) -> SignalInstance: ...

    @property
    def sig_governance_changed(self) -> SignalInstance: ...

    @property
    def sig_shutting_down(self) -> SignalInstance: ...

    def window(self) -> QWidget: ...

    def add_page(self, key: str, title: str, widget: QWidget, icon_name: str | None = None) -> QWidget: ...

    def page(self, key: str) -> QWidget: ...

    def show_page(self, key: str) -> None: ...

    def current_page_key(self) -> str: ...

    def menuBar(self) -> QMenuBar: ...  # noqa: N802 - Qt name

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt name

    def addAction(self, action: QAction) -> None: ...  # noqa: N802 - Qt name
