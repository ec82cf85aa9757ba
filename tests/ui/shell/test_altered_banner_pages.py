"""A signed snapshot edited after signing (ALTERED), opened in the window: the blocking banner is
shown above every page the navigator lists, including one added later, and is not drawn over or
dismissable; an intact store opened instead takes it away."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QLabel

from mlops_desktop.governance.snapshot import create_snapshot
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust
from mlops_desktop.ui.common.roles import KEY_ROLE
from tests.governance.helpers import make_key
from tests.ui.conftest import flush_events


def _altered_signed_snapshot(tmp_path: Path, mlflow3_db: Path) -> Path:
    admin, alice = make_key("admin@example.org"), make_key("alice@example.org")
    out = tmp_path / "signed.mlsnap"
    with open_governance(str(tmp_path / "governance.db")) as gov:
        init_trust(gov, [admin])
        add_signer(gov, admin, alice.public_key, "alice@example.org", ["approver"])
        create_snapshot([str(mlflow3_db)], out, key=alice, governance=gov)
    con = sqlite3.connect(out)
    con.execute("UPDATE mlsnap_versions SET stage = 'Production' WHERE _pos = 0")
    con.commit()
    con.close()
    return out


def _page_keys(window) -> list[str]:  # type: ignore[no-untyped-def]
    nav = window.navigator
    return [nav.item(i).data(KEY_ROLE) for i in range(nav.count())]


def _assert_banner_above(window, key: str) -> None:  # type: ignore[no-untyped-def]
    banner = window.altered_banner
    page = window.page(key)
    assert window.current_page_key() == key
    assert banner.isVisible(), key
    assert not banner.visibleRegion().isEmpty(), f"the banner is hidden behind something on {key}"
    banner_bottom = banner.mapTo(window, QPoint(0, 0)).y() + banner.height()
    assert banner_bottom <= page.mapTo(window, QPoint(0, 0)).y(), f"the banner is not above the {key} page"
    assert banner.width() >= page.width() // 2


def test_altered_banner_on_every_page(make_window, qtbot, ui, tmp_path: Path, mlflow3_db: Path) -> None:
    snap = _altered_signed_snapshot(tmp_path, mlflow3_db)
    window = make_window()
    window.resize(1200, 800)
    window.open_stores([str(snap)])
    ui.wait_idle(qtbot, window.load_slot)
    text = window.altered_banner.text()
    assert text.startswith("ALTERED SNAPSHOT: what every page shows does not match what was signed. ")
    assert f"{snap}: ALTERED: table mlsnap_versions was changed" in text
    assert "check it with 'mlops-desktop snapshot verify'" in text
    keys = _page_keys(window)
    assert {"models", "datasets", "runs", "lineage", "approvals", "audit"} <= set(keys)
    for key in keys:
        window.show_page(key)
        flush_events()
        _assert_banner_above(window, key)
    # a page registered after the snapshot was opened shows it too
    window.add_page("later", "Later", QLabel("a page added later"))
    window.show_page("later")
    flush_events()
    _assert_banner_above(window, "later")
    # nothing dismisses it: no close button, and Escape leaves it
    assert not window.altered_banner.findChildren(QAbstractButton)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    flush_events()
    assert window.altered_banner.isVisible()
    window.show_page("models")
    flush_events()
    ui.render(window, "main_window_altered_signed_snapshot")
    # the intact store opened instead: the banner goes
    window.open_stores([str(mlflow3_db)])
    ui.wait_idle(qtbot, window.load_slot)
    assert not window.altered_banner.isVisible()
