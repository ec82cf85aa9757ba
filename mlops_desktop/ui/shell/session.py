"""What the main window keeps between runs and takes from outside: window layout, the
stores that were open, and store files dropped on it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QSplitter

from mlops_desktop.core.errors import UsageError
from mlops_desktop.ui.common.dialogs import Notifier
from mlops_desktop.ui.common.settings import GuiSettings
from mlops_desktop.ui.shell.menus import WindowMenus
from mlops_desktop.ui.shell.pages import short_store_name

#: Files a drop opens (a folder is read as OpenLineage event files).
DROP_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".mlsnap", ".ndjson", ".jsonl", ".json")


class WindowSession(WindowMenus):
    """Layout persistence, session restore and drops of :class:`MainWindow`."""

    gui_settings: GuiSettings
    notifier: Notifier
    store_urls: list[str]

    def open_stores(self, urls: Sequence[str], settings: Mapping[str, object] | None = None) -> None:
        raise NotImplementedError  # MainWindow

    def show_page(self, key: str) -> None:
        raise NotImplementedError  # MainWindow

    def current_page_key(self) -> str:
        raise NotImplementedError  # MainWindow

    @staticmethod
    def droppable_paths(urls: Sequence[object]) -> list[str]:
        """Local store files (by suffix) or folders among dropped URLs."""
        paths = []
        for url in urls:
            if not url.isLocalFile():  # type: ignore[attr-defined]
                continue
            path = url.toLocalFile()  # type: ignore[attr-defined]
            if path.lower().endswith(DROP_SUFFIXES) or Path(path).is_dir():
                paths.append(path)
        return paths

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and self.droppable_paths(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: object) -> None:  # noqa: N802
        self.dragEnterEvent(event)  # type: ignore[arg-type]

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = self.droppable_paths(event.mimeData().urls()) if event.mimeData().hasUrls() else []
        if not paths:
            event.ignore()
            self.notifier.show_error(UsageError(
                "Only store files can be dropped here.",
                "Drop an MLflow or ML Metadata SQLite file (.db, .sqlite), a snapshot (.mlsnap) or "
                "OpenLineage events (.ndjson)."))
            return
        event.acceptProposedAction()
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            self.notifier.show_error(UsageError(f"{missing[0]} does not exist.",
                                                "Drop a store file that is on this computer."))
            return
        urls = [f"openlineage:{p}" if Path(p).is_dir() else p for p in paths]
        add = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        self.open_stores([*self.store_urls, *urls] if add else urls)

    def _splitters(self) -> list[QSplitter]:
        return [s for s in self.findChildren(QSplitter) if s.window() is self]

    def save_layout(self) -> None:
        prefs = self.gui_settings.prefs
        prefs.window_geometry = GuiSettings.encode_bytes(bytes(self.saveGeometry().data()))
        prefs.window_state = GuiSettings.encode_bytes(bytes(self.saveState().data()))
        prefs.splitter_sizes = {f"splitter{i}": list(s.sizes()) for i, s in enumerate(self._splitters())}
        prefs.current_page = self.current_page_key()
        self.gui_settings.save()

    def restore_layout(self) -> None:
        prefs = self.gui_settings.prefs
        if prefs.window_geometry:
            self.restoreGeometry(QByteArray(GuiSettings.decode_bytes(prefs.window_geometry)))
        if prefs.window_state:
            self.restoreState(QByteArray(GuiSettings.decode_bytes(prefs.window_state)))
        for i, splitter in enumerate(self._splitters()):
            sizes = prefs.splitter_sizes.get(f"splitter{i}")
            if sizes and len(sizes) == splitter.count() and any(sizes):
                splitter.setSizes(sizes)
        if prefs.current_page in self._page_keys:
            self.show_page(prefs.current_page)

    def restore_session(self) -> list[str]:
        """Reopen the stores open at the last quit (files that vanished are skipped, with a note)."""
        urls = self.gui_settings.stores_to_restore()
        present = [u for u in urls if "://" in u or Path(u.split(":", 1)[-1] if u.startswith(
            ("openlineage:", "snapshot:")) else u).exists()]
        if len(present) < len(urls):
            gone = ", ".join(short_store_name(u) for u in urls if u not in present)
            self.statusBar().showMessage(f"Not reopened (no longer there): {gone}", 10000)
        if present:
            self.open_stores(present)
        return present
