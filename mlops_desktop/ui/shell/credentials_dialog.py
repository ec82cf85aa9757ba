"""Log in to an MLflow tracking server read over REST, when it refused the request (HTTP 401).

What is typed here lives in this process's memory only
(:func:`mlops_desktop.sources.mlflow_rest.remember_credentials`): never in the settings, the
recent-stores list or a log.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.sources.mlflow_rest import RestCredentials


class CredentialsDialog(QDialog):
    """User name and password, or an access token, for one server URL."""

    def __init__(self, url: str, reason: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CredentialsDialog")
        self.setWindowTitle("Log in to the MLflow server")
        self.url = url
        intro = QLabel(f"<b>{url}</b> asks for a login."
                       + (f"<br><span style='color:#666'>{reason}</span>" if reason else "")
                       + "<br>The login is kept in memory until the application closes; it is never saved.")
        intro.setWordWrap(True)
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.token = QLineEdit()
        self.token.setObjectName("token")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("instead of a user name and password")
        form = QFormLayout()
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        form.addRow("Access token", self.token)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Log in")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for field in (self.username, self.password, self.token):
            field.textChanged.connect(self._on_field_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._on_field_changed()

    def _on_field_changed(self) -> None:
        ok = bool(self.token.text().strip()) or bool(self.username.text().strip() and self.password.text())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def credentials(self) -> RestCredentials:
        token = self.token.text().strip()
        if token:
            return RestCredentials(token=token)
        return RestCredentials(username=self.username.text().strip(), password=self.password.text())
