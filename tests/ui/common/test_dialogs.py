"""Dialogs: construct, show, render to PNG, close; the crash handler; the open-store flow."""

from __future__ import annotations

import sys

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox

from mlops_desktop.app import ExceptHook
from mlops_desktop.core.errors import SchemaError
from mlops_desktop.ui.common.crash_dialog import CrashDialog
from mlops_desktop.ui.common.dialogs import ErrorDialog, Notifier
from mlops_desktop.ui.shell.open_store_dialog import OpenStoreDialog


def test_open_store_dialog_renders_and_returns_the_url(qtbot, ui):
    dialog = OpenStoreDialog(["/data/mlflow.db", "mlflow+postgresql://alice:***@db/mlflow"])
    qtbot.addWidget(dialog)
    dialog.open()
    open_button = dialog.buttons.button(QDialogButtonBox.StandardButton.Open)
    assert not open_button.isEnabled()
    dialog.recent_list.setCurrentRow(0)
    assert dialog.store_url() == "/data/mlflow.db"
    assert open_button.isEnabled()
    ui.render(dialog, "dialog_open_store")
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        open_button.click()
    assert not dialog.add_to_open()


def test_open_dialog_from_the_window_opens_the_store(make_window, qtbot, ui, mlflow3_db):
    window = make_window()
    window.open_action.trigger()
    dialog = window.open_dialog
    assert dialog.isVisible()
    dialog.url_edit.setText(str(mlflow3_db))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Open).click()
    ui.wait_idle(qtbot, window.load_slot)
    assert window.models_view.model.rowCount() == 8
    # the next dialog lists it as recent
    window.show_open_dialog()
    assert window.open_dialog.recent_list.item(0).text() == str(mlflow3_db)
    window.open_dialog.close()


def test_recent_stores_never_keep_a_password(make_window):
    window = make_window()
    window.gui_settings.add_recent_store("mlflow+postgresql://alice:s3cret@db:5432/mlflow")
    assert window.gui_settings.recent_stores == ["mlflow+postgresql://alice:***@db:5432/mlflow"]
    assert "s3cret" not in window.gui_settings.path.read_text(encoding="utf-8")


def test_error_dialog_text(qtbot, ui):
    dialog = ErrorDialog(SchemaError("The store uses MLflow schema 9.9, which this version cannot read.",
                                     "Update MLOps Desktop."))
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.windowTitle() == "Cannot open the store"
    assert dialog.full_text() == ("Cannot open the store\nThe store uses MLflow schema 9.9, which this version "
                                  "cannot read.\nUpdate MLOps Desktop.")
    ui.render(dialog, "dialog_error")


def test_crash_dialog_has_a_copyable_report(qtbot, ui):
    try:
        raise RuntimeError("boom in a view")
    except RuntimeError as exc:
        dialog = CrashDialog.from_exception(exc)
    qtbot.addWidget(dialog)
    dialog.open()
    assert "RuntimeError: boom in a view" in dialog.summary_label.text()
    assert "Traceback (most recent call last)" in dialog.report
    assert "MLOps Desktop" in dialog.report and "PySide6" in dialog.report
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == dialog.report
    ui.render(dialog, "dialog_crash")


def test_excepthook_routes_bugs_to_the_crash_dialog_and_errors_to_a_dialog(qtbot):
    notifier = Notifier()
    hook = ExceptHook(notifier).install()
    try:
        assert sys.excepthook is hook
        try:
            raise ValueError("unexpected")
        except ValueError:
            sys.excepthook(*sys.exc_info())
        assert isinstance(notifier.last_dialog, CrashDialog)
        assert "ValueError: unexpected" in notifier.last_dialog.summary_label.text()
        try:
            raise SchemaError("Schema too new.", "Update the app.")
        except SchemaError:
            sys.excepthook(*sys.exc_info())
        assert isinstance(notifier.last_dialog, ErrorDialog)
        assert notifier.last_dialog.text() == "Schema too new."
    finally:
        hook.uninstall()
        notifier.close_all()
    assert sys.excepthook is not hook


def test_about_and_placeholder_pages_render(make_window, ui):
    window = make_window()
    window.show_page("lineage")
    ui.render(window, "main_window_placeholder_lineage")
    assert window.current_page_key() == "lineage"
