"""The key-file field (path + Browse…), remembered key paths and the passphrase rule shared
by every dialog that signs. The signing key a dialog starts with is decided in one place,
:meth:`~mlops_desktop.ui.common.settings.GuiSettings.signing_key_path`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget

if TYPE_CHECKING:
    from mlops_desktop.ui.common.settings import GuiSettings

LAST_ADMIN_KEY_SETTING = "last_admin_key_path"
KEY_FILE_FILTER = "Key files (*.key *.pem *.p12 *.pfx);;All files (*)"


def passphrase_or_env(typed: str) -> str:
    """The typed passphrase, else MLOPS_DESKTOP_PASSPHRASE (automation), else a clear error."""
    import os

    from mlops_desktop.core.errors import UsageError
    from mlops_desktop.governance.keys import PASSPHRASE_ENV

    if typed:
        return typed
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env
    raise UsageError("Type the passphrase of your key.", f"Or set {PASSPHRASE_ENV} for automation.")



def remembered_path(settings: GuiSettings | None, key: str) -> str:
    if settings is None:
        return ""
    value = settings.data.get(key)
    return str(value) if isinstance(value, str) else ""


def remember_path(settings: GuiSettings | None, key: str, path: str) -> None:
    if settings is None or not path or settings.data.get(key) == path:
        return
    settings.data[key] = path
    settings.save()


class KeyFileField(QWidget):
    """A key-file path with a Browse… button."""

    sig_changed = Signal(str)

    def __init__(self, title: str = "Key file", placeholder: str = "key file written by 'keys create'",
                 file_filter: str = KEY_FILE_FILTER, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.file_filter = file_filter
        self.setAccessibleName(title)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setAccessibleName(title)
        self.edit.setClearButtonEnabled(True)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setAccessibleName(f"Browse for the {title.lower()}")
        self.browse_button.clicked.connect(self._on_browse_button_clicked)
        self.edit.textChanged.connect(self.sig_changed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse_button)
        self.setFocusProxy(self.edit)

    def path(self) -> str:
        return self.edit.text().strip()

    def set_path(self, path: str) -> None:
        self.edit.setText(path)

    def _on_browse_button_clicked(self) -> None:
        start = self.path() or str(Path.home())
        path, _filter = QFileDialog.getOpenFileName(self, self.title, start, self.file_filter)
        if path:
            self.edit.setText(path)

