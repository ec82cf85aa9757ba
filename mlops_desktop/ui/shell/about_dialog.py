"""Help > About: what this is, and the versions of everything that matters for a bug report."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop import __version__
from mlops_desktop.ui.common import icons
from mlops_desktop.ui.common.fitting import fit_table_height

PACKAGES = ("SQLAlchemy", "cryptography", "reportlab", "pyqtgraph", "alembic", "networkx")


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def component_versions() -> list[tuple[str, str]]:
    """(component, version) rows: the app, Python, Qt, PySide6 and the libraries we rely on."""
    rows = [
        ("MLOps Desktop", __version__),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("Qt", qVersion()),
        ("PySide6", pyside_version),
    ]
    rows += [(name, _dist_version(name)) for name in PACKAGES]
    rows.append(("Platform", platform.platform()))
    if getattr(sys, "frozen", False):
        rows.append(("Bundle", "PyInstaller one-folder build"))
    return rows


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AboutDialog")
        self.setWindowTitle("About MLOps Desktop")
        self.resize(560, 0)  # as tall as its content
        logo = QLabel()
        logo.setPixmap(icons.app_icon().pixmap(72, 72))
        intro = QLabel(
            f"<h2>MLOps Desktop {__version__}</h2>"
            "<p>Inventory, lineage, signed approvals and audit reports for the ML metadata stores "
            "teams already run. Stores are always opened read-only.</p>"
        )
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        head = QHBoxLayout()
        head.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(intro, 1)
        self.rows = component_versions()
        self.table = QTableWidget(len(self.rows), 2)
        self.table.setObjectName("versionsTable")
        self.table.setAccessibleName("Component versions")
        self.table.setHorizontalHeaderLabels(["Component", "Version"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, (name, version) in enumerate(self.rows):
            self.table.setItem(r, 0, QTableWidgetItem(name))
            self.table.setItem(r, 1, QTableWidgetItem(version))
        self.table.resizeColumnToContents(0)
        fit_table_height(self.table)  # every component shown, no empty area below the last
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy versions")
        self.copy_button.clicked.connect(self._on_copy_clicked)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.table)
        layout.addWidget(buttons)

    def text(self) -> str:
        return "\n".join(f"{name}: {version}" for name, version in self.rows)

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
        self.copy_button.setText("Copied")
