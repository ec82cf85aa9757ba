"""The login prompt for MLflow servers read over REST (credentials kept in memory only)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlops_desktop.sources.loader import StoreFailed
from mlops_desktop.sources.mlflow_rest import (
    CredentialsRequired,
    RestCredentials,
    forget_credentials,
    prompted_credentials,
)
from mlops_desktop.ui.shell.credentials_dialog import CredentialsDialog
from tests.mlflow_server import free_port


@pytest.fixture(autouse=True)
def _no_remembered_logins():
    forget_credentials()
    yield
    forget_credentials()


def test_dialog_smoke_and_render(qtbot, ui) -> None:
    dialog = CredentialsDialog("mlflow+https://mlflow.example.org", "The server refused the credentials (HTTP 401).")
    qtbot.addWidget(dialog)
    dialog.show()
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not ok.isEnabled()
    dialog.username.setText("officer")
    assert not ok.isEnabled()  # a password is needed too
    dialog.password.setText("pw-1")
    assert ok.isEnabled()
    assert dialog.credentials() == RestCredentials(username="officer", password="pw-1")
    dialog.token.setText("tok-9")
    assert dialog.credentials() == RestCredentials(token="tok-9")
    ui.render(dialog, "credentials-dialog")
    dialog.close()


def test_window_asks_for_a_login_and_opens_the_store_again(make_window, qtbot, ui) -> None:
    window = make_window()
    url = f"mlflow+http://127.0.0.1:{free_port()}"  # nothing listens: the retry fails to connect
    error = CredentialsRequired("The MLflow server refused the credentials (HTTP 401).", "Log in.", url)
    window._pending_urls = [url]
    window._report_failures([StoreFailed(url, error)])
    dialog = window.credentials_dialog
    assert isinstance(dialog, CredentialsDialog) and dialog.url == url
    assert not window.notifier.dialogs  # the login prompt instead of an error
    dialog.username.setText("officer")
    dialog.password.setText("read-only-pw")
    dialog.accept()
    assert prompted_credentials(url) == RestCredentials(username="officer", password="read-only-pw")
    ui.wait_idle(qtbot, window.load_slot)
    assert window.credentials_dialog is None
    # the store was tried again with the login: now it is unreachable, and says so
    texts = [getattr(d, "text", str)() for d in window.notifier.dialogs]
    assert any("Cannot reach the MLflow server" in t for t in texts), texts
    window.gui_settings.save()
    home = Path(os.environ["HOME"])
    saved = [p for p in home.rglob("*") if p.is_file()]
    assert saved and all(b"read-only-pw" not in p.read_bytes() for p in saved)
    assert "read-only-pw" not in repr(window.gui_settings.prefs)


def test_cancelling_the_login_shows_the_refusal(make_window, qtbot) -> None:
    window = make_window()
    url = "mlflow+http://127.0.0.1:9"
    error = CredentialsRequired("The MLflow server refused the credentials (HTTP 401).", "Log in.", url)
    window._pending_urls = [url]
    window._report_failures([StoreFailed(url, error)])
    window.credentials_dialog.reject()
    assert window.credentials_dialog is None
    assert window.notifier.dialogs and prompted_credentials(url) is None
