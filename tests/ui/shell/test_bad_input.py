"""Bad input in the GUI: each case is one clear dialog (message + what to do), no traceback,
the window stays usable and nothing is written to the input."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from mlops_desktop.ui.common.dialogs import ErrorDialog

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _open_and_get_dialog(window, qtbot, ui, url: str) -> ErrorDialog:
    window.open_stores([url])
    ui.wait_idle(qtbot, window.load_slot)
    qtbot.waitUntil(lambda: window.notifier.last_dialog is not None, timeout=10_000)
    dialog = window.notifier.last_dialog
    assert isinstance(dialog, ErrorDialog), type(dialog)
    assert dialog.isVisible()
    text = dialog.full_text()
    assert "Traceback" not in text and "Error:" not in text.split("\n", 1)[0]
    assert dialog.informativeText()  # always says what to do
    return dialog


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def bad_dir(tmp_path) -> Path:
    d = tmp_path / "bad"
    d.mkdir()
    return d


def test_missing_path(make_window, qtbot, ui, bad_dir):
    window = make_window()
    dialog = _open_and_get_dialog(window, qtbot, ui, str(bad_dir / "nowhere.db"))
    assert dialog.windowTitle() == "Cannot open the store"
    assert dialog.text() == f"No such file or folder: {bad_dir / 'nowhere.db'}."
    assert dialog.informativeText() == "Check the path and try again."
    assert list(bad_dir.iterdir()) == []
    assert window.content.currentWidget() is window.empty_state
    ui.render(dialog, "dialog_error_missing_path")


def test_text_file(make_window, qtbot, ui, bad_dir):
    path = bad_dir / "notes.txt"
    path.write_text("just some notes\n", encoding="utf-8")
    before = _snapshot(bad_dir)
    dialog = _open_and_get_dialog(make_window(), qtbot, ui, str(path))
    assert "is not a metadata store" in dialog.text()
    assert "MLflow or MLMD SQLite file" in dialog.informativeText()
    assert _snapshot(bad_dir) == before
    ui.render(dialog, "dialog_error_text_file")


def test_zero_byte_file(make_window, qtbot, ui, bad_dir):
    path = bad_dir / "empty.db"
    path.touch()
    dialog = _open_and_get_dialog(make_window(), qtbot, ui, str(path))
    assert dialog.text() == f"{path} is empty."
    assert _snapshot(bad_dir) == {"empty.db": b""}


def test_sqlite_file_without_tables(make_window, qtbot, ui, bad_dir):
    path = bad_dir / "blank.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.execute("DROP TABLE t")
    con.commit()
    con.close()
    before = _snapshot(bad_dir)
    dialog = _open_and_get_dialog(make_window(), qtbot, ui, str(path))
    assert "empty SQLite database with no tables" in dialog.text()
    assert "MLflow server or pipeline writes to" in dialog.informativeText()
    assert _snapshot(bad_dir) == before


def test_mlmd_database_opened_as_mlflow(make_window, qtbot, ui, mlmd_db):
    before = _snapshot(mlmd_db.parent)
    dialog = _open_and_get_dialog(make_window(), qtbot, ui, f"mlflow+sqlite:///{mlmd_db}")
    assert "is not an MLflow store" in dialog.text()
    assert "model_versions" in dialog.text()
    assert "ML Metadata store" in dialog.informativeText()
    assert _snapshot(mlmd_db.parent) == before
    ui.render(dialog, "dialog_error_mlmd_as_mlflow")


def test_mlflow_store_with_model_versions_dropped(make_window, qtbot, ui, bad_dir):
    path = bad_dir / "damaged.db"
    shutil.copyfile(FIXTURES / "mlflow-3.17-sqlite.db", path)
    path.chmod(0o644)
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("DROP TABLE model_version_tags")
    con.execute("DROP TABLE model_versions")
    con.commit()
    con.close()
    before = _snapshot(bad_dir)
    dialog = _open_and_get_dialog(make_window(), qtbot, ui, str(path))
    assert "not an MLflow store" in dialog.text() and "model_versions" in dialog.text()
    assert _snapshot(bad_dir) == before


def test_unreachable_postgres_port(make_window, qtbot, ui):
    dialog = _open_and_get_dialog(make_window(), qtbot, ui, "mlflow+postgresql://postgres@127.0.0.1:1/test")
    assert dialog.text().startswith("Cannot reach the database server for mlflow+postgresql://postgres@127.0.0.1:1/test")
    assert dialog.informativeText() == "Check that the server is running and the host and port are right."
    ui.render(dialog, "dialog_error_unreachable_postgres")


def test_wrong_credentials(make_window, qtbot, ui, postgres_database):
    # trust auth accepts any password, but not a role that does not exist
    url = postgres_database.replace("postgresql://postgres@", "mlflow+postgresql://nobody_here:secret@")
    dialog = _open_and_get_dialog(make_window(), qtbot, ui, url)
    assert dialog.text().startswith("The server refused the credentials for")
    assert "secret" not in dialog.full_text()  # the password is never shown
    assert dialog.informativeText() == "Check the user name and password in the URL."


def test_failed_open_keeps_the_stores_already_open(loaded_window, qtbot, ui, bad_dir):
    models_before = loaded_window.models_view.model.rowCount()
    urls_before = list(loaded_window.store_urls)
    _open_and_get_dialog(loaded_window, qtbot, ui, str(bad_dir / "nowhere.db"))
    assert loaded_window.store_urls == urls_before
    assert loaded_window.models_view.model.rowCount() == models_before
    assert loaded_window.gui_settings.recent_stores == urls_before  # failures are not remembered


def test_one_bad_store_among_good_ones_still_opens_the_good(make_window, qtbot, ui, mlflow3_db, bad_dir):
    window = make_window()
    window.open_stores([str(mlflow3_db), str(bad_dir / "nowhere.db")])
    ui.wait_idle(qtbot, window.load_slot)
    assert window.store_urls == [str(mlflow3_db)]
    assert window.models_view.model.rowCount() == 8
    assert "No such file" in window.notifier.last_dialog.text()
