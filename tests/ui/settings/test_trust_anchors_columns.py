"""Settings > Trust anchors at the size the dialog has in a 1280x800 window: every column in
view (no horizontal scrolling), the Note column given the room left, each cut cell's tooltip the
whole text, the fingerprint cut in the middle."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyleOptionViewItem

from mlops_desktop.crypto.ecdsa import generate_private_key, key_id, public_pem
from mlops_desktop.governance.anchors import add_anchor
from mlops_desktop.ui.common.settings import GuiSettings
from mlops_desktop.ui.settings.dialog import SettingsDialog
from tests.ui.conftest import flush_events

NOTE = "fingerprint read out by phone with Carol Officer and compared digit by digit, 2026-12-01"


def _pub(path: Path, identity: str) -> str:
    private = generate_private_key()
    path.write_bytes(f"# identity: {identity}\n".encode() + public_pem(private.public_key()))
    return key_id(private.public_key())


@pytest.mark.parametrize("width", [860, 1000])
def test_every_column_in_view_and_the_note_gets_the_room(qtbot, tmp_path: Path, width: int) -> None:
    kids = []
    for name, who in (("admin", "admin@example.org"), ("carol", "Carol Officer <carol@example.org>")):
        kids.append(_pub(tmp_path / f"{name}.pub", who))
        add_anchor(str(tmp_path / f"{name}.pub"), NOTE)
    dlg = SettingsDialog(GuiSettings(tmp_path / "gui.ini"))
    qtbot.addWidget(dlg)
    dlg.resize(width, 520)
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.tabs.setCurrentWidget(dlg.anchors_tab)
    tab = dlg.anchors_tab
    tab.refresh()
    flush_events()
    table, header = tab.table, tab.table.horizontalHeader()
    assert table.rowCount() == 2
    # nothing beyond the right edge: no horizontal scrolling, the last column ends in view
    assert table.horizontalScrollBar().maximum() == 0
    viewport = table.viewport().width()
    assert header.sectionViewportPosition(3) + header.sectionSize(3) <= viewport
    # the Source column whole, the Note column wider than the fingerprint's and the holder's
    source = table.item(0, 3)
    assert header.sectionSize(3) >= table.fontMetrics().horizontalAdvance(source.text())
    assert header.sectionSize(2) >= max(header.sectionSize(0), header.sectionSize(1)) * 0.9
    assert header.sectionSize(2) >= 200
    # every cell's tooltip is its whole text (a cut note or fingerprint can be read in full)
    for r in range(2):
        for c in range(4):
            item = table.item(r, c)
            assert item.toolTip() == item.text()
    assert {table.item(r, 0).text() for r in range(2)} == set(kids)
    assert {table.item(r, 2).toolTip() for r in range(2)} == {NOTE}
    # the fingerprint column is cut in the middle (both ends stay readable); the rest at the right
    assert table.textElideMode() == Qt.TextElideMode.ElideRight
    opt = QStyleOptionViewItem()
    table.itemDelegateForColumn(0).initStyleOption(opt, table.model().index(0, 0))
    assert opt.textElideMode == Qt.TextElideMode.ElideMiddle
