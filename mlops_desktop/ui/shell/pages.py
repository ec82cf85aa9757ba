"""The window's own pages: the placeholder a feature replaces and the empty start screen."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from mlops_desktop.ui.common import icons

EMPTY_TEXT = "No store open — File > Open store… or drop a file here"


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
        self.setAccessibleName(f"{title} page")
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
        self.demo_hint = QLabel("New here? Run <code>mlops-desktop demo</code> to explore the bundled demo stores. "
                                "Press Ctrl+K to search, F1 for all keyboard shortcuts.")
        self.demo_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.demo_hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(icon)
        layout.addWidget(self.label)
        layout.addWidget(hint)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.demo_hint)
        layout.addStretch(3)
