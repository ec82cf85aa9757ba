"""File > Open store…: a path or URL, a file browser, and the recently opened stores."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

HELP = (
    "A store file (MLflow or ML Metadata SQLite, <code>.mlsnap</code> snapshot, OpenLineage "
    "<code>.ndjson</code>) or a URL:<br>"
    "<code>mlflow+postgresql://user@host/db</code>, <code>mlflow+mysql://user@host/db</code>, "
    "<code>mlmd+sqlite:///path</code>, <code>openlineage:folder</code>, <code>snapshot:file.mlsnap</code>.<br>"
    "Stores are opened read-only; nothing is ever written to them."
)


class OpenStoreDialog(QDialog):
    """Returns the chosen store with :meth:`store_url` (the caller opens it in a worker)."""

    def __init__(self, recent: list[str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("OpenStoreDialog")
        self.setWindowTitle("Open store")
        self.resize(620, 380)

        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("/path/to/mlflow.db  or  mlflow+postgresql://user@host:5432/mlflow")
        self.url_edit.textChanged.connect(self._on_url_edit_changed)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        row = QHBoxLayout()
        row.addWidget(self.url_edit, 1)
        row.addWidget(browse)

        help_label = QLabel(HELP)
        help_label.setWordWrap(True)
        help_label.setTextFormat(Qt.TextFormat.RichText)

        self.recent_list = QListWidget()
        self.recent_list.setObjectName("recentStores")
        for url in recent or []:
            QListWidgetItem(url, self.recent_list)
        self.recent_list.currentTextChanged.connect(self.url_edit.setText)
        self.recent_list.itemDoubleClicked.connect(lambda _item: self._accept_if_valid())
        recent_label = QLabel("Recent stores:" if recent else "Recent stores: none yet")

        self.add_check = QCheckBox("Add to the stores already open (merge them)")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept_if_valid)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Store file or URL</b>"))
        layout.addLayout(row)
        layout.addWidget(help_label)
        layout.addWidget(recent_label)
        layout.addWidget(self.recent_list, 1)
        layout.addWidget(self.add_check)
        layout.addWidget(self.buttons)
        self._on_url_edit_changed(self.url_edit.text())

    def store_url(self) -> str:
        return self.url_edit.text().strip()

    def add_to_open(self) -> bool:
        return self.add_check.isChecked()

    def _accept_if_valid(self) -> None:
        if self.store_url():
            self.accept()

    def _on_url_edit_changed(self, text: str) -> None:
        button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        if button is not None:
            button.setEnabled(bool(text.strip()))

    def _on_browse_clicked(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Open store", "",
            "Metadata stores (*.db *.sqlite *.sqlite3 *.mlsnap *.ndjson *.json *.jsonl);;All files (*)",
        )
        if path:
            self.url_edit.setText(path)
