"""The window's own pages: the placeholder a feature replaces and the empty start screen."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.ui.common import icons

RECENT_MAX_WIDTH = 720
RECENT_MIN_WIDTH = 420
EMPTY_TEXT = "No store open — File > Open store… or drop a file here"


def short_store_name(url: str) -> str:
    """The file name of a file store, the host/database of a server store (passwords are already gone)."""
    if "://" in url and not url.split("://", 1)[0].endswith("sqlite"):
        return url.split("://", 1)[1].split("@")[-1]
    return url.rstrip("/").rsplit("/", 1)[-1].removeprefix("openlineage:").removeprefix("snapshot:")

def local_store_path(url: str) -> Path | None:
    """The file or folder a file store's URL names (None for a server store)."""
    text = url.strip()
    for prefix in ("mlflow+sqlite:///", "mlmd+sqlite:///"):
        if text.startswith(prefix):
            return Path(text[len(prefix):]).expanduser()
    for kind in ("openlineage", "snapshot", "sagemaker", "datarobot", "monitoring"):
        if text.startswith(kind + ":"):
            return Path(text[len(kind) + 1:].removeprefix("//")).expanduser()
    if "://" in text:
        return None
    return Path(text).expanduser()


class PlaceholderPage(QWidget):
    """A page that a later feature fills (Lineage, Approvals, Audit log)."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PlaceholderPage")
        self.setAccessibleName(f"{title} page")
        label = QLabel(f"<h2>{title}</h2><p>{text}</p>")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(label)

class EmptyStateWidget(QWidget):
    """What the content area shows while no store is open: Open store…, Open the demo, and the
    stores opened recently (Settings' recent list, newest first)."""

    sig_open_demo = Signal()
    sig_open_recent = Signal(str)  # the store URL

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("EmptyStateWidget")
        self.setAccessibleName("No store open")
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
        self.demo_button = QPushButton("Open the demo")
        self.demo_button.setObjectName("openDemoButton")
        self.demo_button.setAccessibleName("Open the bundled demo stores")
        self.demo_button.setToolTip("An MLflow registry, a TFX pipeline (ML Metadata) and Airflow lineage "
                                    "(OpenLineage), bundled with the app; the same as 'mlops-desktop demo'.")
        self.demo_button.clicked.connect(self.sig_open_demo)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        self.recent_title = QLabel("<b>Recent stores</b>")
        self.recent_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.recent_list = QListWidget()
        self.recent_list.setObjectName("recentStores")
        self.recent_list.setAccessibleName("Recent stores")
        self.recent_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.recent_list.setUniformItemSizes(True)
        self.recent_list.itemActivated.connect(self._on_recent_list_item_activated)
        self.recent_list.itemClicked.connect(self._on_recent_list_item_activated)
        self.demo_hint = QLabel("Press Ctrl+K to search, F1 for all keyboard shortcuts.")
        self.demo_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.demo_hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(icon)
        layout.addWidget(self.label)
        layout.addWidget(hint)
        layout.addLayout(buttons)
        layout.addSpacing(12)
        layout.addWidget(self.recent_title)
        layout.addWidget(self.recent_list, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.demo_hint)
        layout.addStretch(3)
        self.set_recent([])

    def set_demo_available(self, available: bool, why: str = "") -> None:
        self.demo_button.setEnabled(available)
        if not available:
            self.demo_button.setToolTip(why or "The demo stores are not installed with this copy of the app.")

    def set_recent(self, urls: Sequence[str]) -> None:
        """Show ``urls`` (newest first); the list hides itself when there are none."""
        self.recent_list.clear()
        metrics = self.recent_list.fontMetrics()
        room = RECENT_MAX_WIDTH - 2 * self.recent_list.frameWidth() - 40  # icon and margins
        for url in urls:
            local = local_store_path(url)
            missing = local is not None and not local.exists()  # a stat, no reading: the screen stays quick
            name = f"{short_store_name(url)}  —  "
            marker = "  (not found)" if missing else ""
            width = max(80, room - metrics.horizontalAdvance(name + marker))
            item = QListWidgetItem(name + metrics.elidedText(url, Qt.TextElideMode.ElideMiddle, width) + marker)
            item.setData(Qt.ItemDataRole.UserRole, url)
            item.setToolTip(f"{url}\nNot found at {local}: moved or deleted?" if missing else url)
            if missing:
                item.setForeground(self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
            item.setIcon(icons.icon("open"))
            self.recent_list.addItem(item)
        rows = len(urls)
        self.recent_title.setVisible(bool(rows))
        self.recent_list.setVisible(bool(rows))
        if rows:
            row_height = self.recent_list.sizeHintForRow(0)
            self.recent_list.setFixedHeight(min(rows, 8) * row_height + 2 * self.recent_list.frameWidth() + 2)
            self.recent_list.setFixedWidth(min(RECENT_MAX_WIDTH, max(
                self.recent_list.sizeHintForColumn(0) + 2 * self.recent_list.frameWidth() + 24, RECENT_MIN_WIDTH)))

    def recent_urls(self) -> list[str]:
        return [str(self.recent_list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.recent_list.count())]

    def _on_recent_list_item_activated(self, item: QListWidgetItem) -> None:
        self.sig_open_recent.emit(str(item.data(Qt.ItemDataRole.UserRole)))
