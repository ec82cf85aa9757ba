"""The keyboard shortcuts sheet and the About dialog show every row without scrolling and fit a
1280x800 screen (the sheet's last rows were cut off below a scroll bar)."""

from __future__ import annotations

import pytest

from tests.ui.conftest import flush_events


@pytest.mark.parametrize("which", ["shortcuts", "about"])
def test_dialog_shows_every_row_on_a_small_screen(make_window, ui, which: str) -> None:
    window = make_window()
    window.persist_layout = False
    dialog = window.show_shortcuts_dialog() if which == "shortcuts" else window.show_about_dialog()
    flush_events()
    table = dialog.table
    assert table.rowCount() > 5
    assert table.verticalScrollBar().maximum() == 0, "rows hidden below a scroll bar"
    assert table.horizontalScrollBar().maximum() == 0, "columns cut at the right"
    last = table.visualRect(table.model().index(table.rowCount() - 1, 0))
    assert last.bottom() <= table.viewport().height(), "the last row is cut"
    assert dialog.width() <= 1280 and dialog.height() <= 800
    if which == "shortcuts":  # every action's key is on the sheet, in one of the two column pairs
        shown = {table.item(r, c).text() for r in range(table.rowCount()) for c in (0, 2) if table.item(r, c)}
        assert {keys for keys, _what in dialog.rows} == shown
    ui.render(dialog, f"dialog_{which}_fitted")
