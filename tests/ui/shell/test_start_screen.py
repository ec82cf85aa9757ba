"""The empty start screen: Open the demo (the bundled stores with their artifact-root mapping)
and the recent stores, persisted in Settings, newest first; rendered in both themes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from mlops_desktop.resources import DEMO_ARTIFACT_PREFIX, demo_settings, demo_store_urls
from mlops_desktop.ui.common.settings import GuiSettings
from tests.ui.conftest import flush_events


def _settings(tmp_path: Path) -> GuiSettings:
    return GuiSettings(tmp_path / "gui.ini")


def test_first_start_offers_the_demo_and_no_recent_list(make_window, tmp_path: Path) -> None:
    window = make_window(gui_settings=_settings(tmp_path))
    empty = window.empty_state
    assert window.content.currentWidget() is empty
    assert empty.demo_button.isVisible() and empty.demo_button.isEnabled()
    assert empty.open_button.isVisible()
    assert not empty.recent_list.isVisible() and not empty.recent_title.isVisible()


def test_open_the_demo(make_window, qtbot, ui, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    window = make_window(gui_settings=settings)
    window.empty_state.demo_button.click()
    ui.wait_idle(qtbot, window.load_slot)
    assert not window.notifier.dialogs
    assert window.store_urls == demo_store_urls()
    assert window.content.currentWidget() is window.pages
    assert window.models_view.model.rowCount() > 0
    # the demo's artifacts are found, as with 'mlops-desktop demo'
    roots = window.source_settings["artifact_roots"]
    assert roots[DEMO_ARTIFACT_PREFIX] == demo_settings()["artifact_roots"][DEMO_ARTIFACT_PREFIX]
    assert DEMO_ARTIFACT_PREFIX not in settings.prefs.artifact_roots  # not written into Settings
    # the demo stores are now recent stores, persisted
    assert sorted(GuiSettings(settings.path).recent_stores[:3]) == sorted(demo_store_urls())
    window.close_stores()
    assert window.content.currentWidget() is window.empty_state
    assert sorted(window.empty_state.recent_urls()[:3]) == sorted(demo_store_urls())


def test_recent_stores_are_listed_and_open(make_window, qtbot, ui, tmp_path: Path, mlflow3_db: Path,
                                           mlmd_db: Path) -> None:
    path = tmp_path / "gui.ini"
    first = GuiSettings(path)
    first.add_recent_store(str(mlmd_db))
    first.add_recent_store(str(mlflow3_db))
    window = make_window(gui_settings=GuiSettings(path))  # read back from the file
    empty = window.empty_state
    assert empty.recent_list.isVisible()
    assert empty.recent_urls() == [str(mlflow3_db), str(mlmd_db)]
    item = empty.recent_list.item(1)
    assert item.toolTip() == str(mlmd_db) and "mlmd.sqlite" in item.text()
    rect = empty.recent_list.visualItemRect(item)
    qtbot.mouseClick(empty.recent_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseClick(empty.recent_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a second click
    ui.wait_idle(qtbot, window.load_slot)
    assert window.store_urls == [str(mlmd_db)]
    assert GuiSettings(path).recent_stores == [str(mlmd_db), str(mlflow3_db)]  # newest first, persisted
    window.close_stores()
    assert empty.recent_urls() == [str(mlmd_db), str(mlflow3_db)]
    width = empty.recent_list.width()
    for _ in range(3):  # shown again and again: the list keeps its size
        empty.set_recent(window.gui_settings.recent_stores)
    assert empty.recent_list.width() == width


def test_a_recent_store_that_is_gone_is_explained(make_window, qtbot, ui, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    gone = tmp_path / "moved-away.db"
    settings.add_recent_store(str(gone))
    window = make_window(gui_settings=settings)
    item = window.empty_state.recent_list.item(0)
    assert item.text().endswith("(not found)") and "moved or deleted" in item.toolTip()
    window.empty_state.sig_open_recent.emit(str(gone))
    ui.wait_idle(qtbot, window.load_slot)
    assert window.content.currentWidget() is window.empty_state
    assert window.notifier.dialogs, "a store that cannot be opened must be explained"
    text = window.notifier.dialogs[-1].full_text()
    assert str(gone) in text
    window.notifier.close_all()


def test_demo_missing_is_a_message(make_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlops_desktop.resources as resources

    def missing() -> list[str]:
        raise FileNotFoundError("Bundled resource missing: demo/mlflow-3.17-sqlite.db (looked in /nowhere).")

    monkeypatch.setattr(resources, "demo_store_urls", missing)
    window = make_window(gui_settings=_settings(tmp_path))
    assert window.open_demo() is False
    assert "Bundled resource missing" in window.notifier.dialogs[-1].full_text()
    window.notifier.close_all()


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_start_screen_renders(make_window, ui, tmp_path: Path, mode: str) -> None:
    settings = _settings(tmp_path)
    registry = tmp_path / "registry"
    registry.mkdir()
    (registry / "mlflow.db").write_bytes(b"")
    for url in [str(tmp_path / "moved-away" / "old-registry.db"), "postgresql://mlflow:***@db.example.org:5432/mlflow",
                str(registry / "mlflow.db"), *demo_store_urls()]:
        settings.add_recent_store(url)
    window = make_window(gui_settings=settings)
    window.resize(1280, 800)
    window.set_theme(mode)
    flush_events()
    assert window.empty_state.recent_list.verticalScrollBar().maximum() == 0  # all six shown
    ui.render(window, f"main_window_start_{mode}")
    window.resize(1920, 1080)
    flush_events()
    ui.render(window, f"main_window_start_1920_{mode}")
    window.set_theme("system")


def test_file_menu_opens_the_demo_too(make_window, qtbot, ui, mlflow3_db: Path, tmp_path: Path) -> None:
    window = make_window(gui_settings=_settings(tmp_path))
    window.open_stores([str(mlflow3_db)])
    ui.wait_idle(qtbot, window.load_slot)
    window.demo_action.trigger()  # with a store open: the demo replaces it
    ui.wait_idle(qtbot, window.load_slot)
    assert window.store_urls == demo_store_urls()


def test_local_store_path() -> None:
    from mlops_desktop.ui.shell.pages import local_store_path

    assert local_store_path("mlflow+sqlite:////data/m.db") == Path("/data/m.db")
    assert local_store_path("mlmd+sqlite:////data/p.sqlite") == Path("/data/p.sqlite")
    assert local_store_path("openlineage:/data/e.ndjson") == Path("/data/e.ndjson")
    assert local_store_path("snapshot:/data/a.mlsnap") == Path("/data/a.mlsnap")
    assert local_store_path("/data/a.db") == Path("/data/a.db")
    assert local_store_path("postgresql://u:***@h/db") is None
    assert local_store_path("mlflow+postgresql://u@h/db") is None
    assert local_store_path("mlflow+https://mlflow.example.org") is None


def test_a_demo_store_from_the_recent_list_gets_the_demo_mapping(make_window, qtbot, ui, tmp_path: Path) -> None:
    """Opened alone (recent list, File > Open recent), a bundled demo store still maps its artifact
    root to the bundled artifacts, so its subject digests are the ones 'mlops-desktop demo' computes."""
    settings = _settings(tmp_path)
    mlflow_demo = demo_store_urls()[0]
    settings.add_recent_store(mlflow_demo)
    window = make_window(gui_settings=settings)
    assert DEMO_ARTIFACT_PREFIX not in window.source_settings.get("artifact_roots", {})
    window.empty_state.sig_open_recent.emit(mlflow_demo)
    ui.wait_idle(qtbot, window.load_slot)
    assert window.store_urls == [mlflow_demo]
    expected = demo_settings()["artifact_roots"][DEMO_ARTIFACT_PREFIX]
    assert window.source_settings["artifact_roots"][DEMO_ARTIFACT_PREFIX] == expected
    assert dict(window.models_view.verification_source().artifact_roots)[DEMO_ARTIFACT_PREFIX] == expected
    assert DEMO_ARTIFACT_PREFIX not in GuiSettings(settings.path).prefs.artifact_roots


def test_other_stores_get_no_demo_mapping(make_window, qtbot, ui, tmp_path: Path, mlflow3_db: Path) -> None:
    window = make_window(gui_settings=_settings(tmp_path))
    window.open_stores([str(mlflow3_db)])
    ui.wait_idle(qtbot, window.load_slot)
    assert DEMO_ARTIFACT_PREFIX not in window.source_settings.get("artifact_roots", {})
