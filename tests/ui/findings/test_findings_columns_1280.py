"""The Findings page at 1280x800 on the demo stores: every rule (id and name) shown whole; an
explanation or remediation cut by its column carries its whole text as tooltip."""

from __future__ import annotations

from PySide6.QtCore import Qt

from mlops_desktop.resources import demo_settings, demo_store_urls
from mlops_desktop.ui.catalog.elided_tips import cell_tooltip, is_elided
from tests.ui.conftest import flush_events, render, wait_idle


def _demo_findings(make_window, qtbot):  # type: ignore[no-untyped-def]
    """A 1280x800 window on the demo stores showing the Findings page, its findings computed."""
    window = make_window(source_settings=demo_settings())
    window.persist_layout = False
    window.resize(1280, 800)
    window.open_stores(demo_store_urls())
    wait_idle(qtbot, window.load_slot)
    window.show_page("findings")
    view = window.findings_view
    qtbot.waitUntil(lambda: not view.is_running() and view.model.rowCount() > 10, timeout=20_000)
    flush_events()
    return window, view


def test_rules_whole_and_cut_texts_with_tooltips_at_1280(make_window, qtbot) -> None:
    window, view = _demo_findings(make_window, qtbot)
    table, model = view.table, view.model
    assert not table.horizontalScrollBar().isVisible()
    rules = [model.index(r, 1) for r in range(model.rowCount())]
    assert any(str(i.data()).startswith("F1 Deployed version without a v") for i in rules)
    cut = [i.data() for i in rules if is_elided(table, i)]
    assert not cut, cut
    for col in (3, 4):  # explanation, remediation: long ones are cut, each with its whole text as tooltip
        assert table.columnWidth(col) >= 160
        for r in range(model.rowCount()):
            index = model.index(r, col)
            if is_elided(table, index):
                assert cell_tooltip(table, index) == index.data(Qt.ItemDataRole.DisplayRole)
    # the details pane keeps the whole text
    table.selectRow(0)
    flush_events()
    finding = view.visible_findings()[0]
    assert finding.evidence in view.details.toPlainText() or finding.evidence[:60] in view.details.toPlainText()
    render(window, "findings-columns-1280")
    # narrower: explanation and remediation keep their floor, the rule gives way last
    window.resize(1100, 700)
    flush_events()
    assert table.columnWidth(3) >= 160 and table.columnWidth(4) >= 150


def test_column_needs_are_measured_once_per_rows_on_the_longest_objects(make_window, qtbot) -> None:
    """A resize shares the width again without measuring any text; the Object column is measured
    on its longest texts by characters, as wide as measuring every object would make it here."""
    from mlops_desktop.ui.findings import page

    window, view = _demo_findings(make_window, qtbot)
    needs = view._needs
    assert needs is not None
    window.resize(1400, 800)
    flush_events()
    assert view._needs is needs  # reused: nothing measured again for a new width
    metrics = view.table.fontMetrics()
    every = max(metrics.horizontalAdvance(f.object) for f in view.model.rows) + page._CELL_PAD
    assert needs[2] == min(max(every, needs[2]), page._MAX_OBJECT)
    view.filter_bar.edit.setText("dataset:")  # other rows shown: measured again, for them
    qtbot.waitUntil(lambda: view._needs is not needs, timeout=5_000)
