"""An ALTERED snapshot opened in the window: a banner above every page that cannot be dismissed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mlops_desktop.governance.snapshot import create_snapshot


def test_altered_snapshot_shows_a_banner_on_every_page(make_window, qtbot, ui, tmp_path: Path,
                                                       mlflow3_db: Path) -> None:
    out = tmp_path / "altered.mlsnap"
    create_snapshot([str(mlflow3_db)], out)
    con = sqlite3.connect(out)
    con.execute("UPDATE mlsnap_runs SET user = 'mallory' WHERE _pos = 0")
    con.commit()
    con.close()
    window = make_window()
    window.open_stores([str(out)])
    ui.wait_idle(qtbot, window.load_slot)
    assert window.altered_banner.isVisible()
    text = window.altered_banner.text()
    assert text.startswith("ALTERED SNAPSHOT: what every page shows does not match what was signed. ")
    assert "table mlsnap_runs was changed (its SHA-256 differs from the manifest)" in text
    for key in ("models", "datasets", "runs", "lineage", "approvals", "audit"):
        window.show_page(key)
        assert window.current_page_key() == key
        assert window.altered_banner.isVisible(), key
    ui.render(window, "main_window_altered_snapshot")


def test_no_banner_for_an_intact_snapshot(make_window, qtbot, ui, tmp_path: Path, mlflow3_db: Path) -> None:
    out = tmp_path / "ok.mlsnap"
    create_snapshot([str(mlflow3_db)], out)
    window = make_window()
    window.open_stores([str(out)])
    ui.wait_idle(qtbot, window.load_slot)
    assert not window.altered_banner.isVisible()
    assert window.models_view.model.rowCount() == 8
