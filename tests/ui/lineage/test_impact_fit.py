"""The impact view at 1280x800: the graph is fitted again once the impact table under it takes
its room, so every node, its label and its badge stay inside the plot."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, QRectF

from mlops_desktop.ui.lineage.view import LineageView
from tests.ui.conftest import flush_events, wait_idle
from tests.ui.lineage.conftest import wait_labels_drawn


def _outside(view: LineageView) -> list[tuple[str, str]]:
    """(node, what) for every node symbol, label or badge not wholly inside the plot."""
    plot = QRectF(view.plot.viewport().rect())
    item = view.text_item
    out = []
    for point in view.nodes.points():
        c = view.view.mapViewToDevice(QPointF(point.pos().x(), point.pos().y()))
        half = point.size() / 2
        if not plot.contains(QRectF(c.x() - half, c.y() - half, 2 * half, 2 * half)):
            out.append((str(point.data()), "node"))
    out += [(view.node_ids[i], "label") for i, r in item.drawn_rects.items() if not plot.contains(r)]
    out += [(view.node_ids[i], "badge") for i, r in item.badge_rects.items() if not plot.contains(r)]
    return out


@pytest.mark.parametrize("shown", [True, False], ids=["shown", "rendered"])
@pytest.mark.parametrize("dataset", ["public.claims", "readmission-risk-eval"])
def test_impact_refits_the_graph_once_its_table_is_shown(make_window, qtbot, merged_stores, dataset, shown):
    """Opened at 1920x1080 and looked at in 1280x800 (as the screenshots are taken), on screen or
    rendered without being shown."""
    window = make_window()
    window.persist_layout = False
    window.resize(1920, 1080)
    if shown:
        window.show()
        qtbot.waitExposed(window)
    window.open_stores(merged_stores)
    wait_idle(qtbot, window.load_slot)
    page = window.lineage_page
    window.open_lineage(dataset)  # the graph shown and fitted first, then the table opens under it
    wait_idle(qtbot, page.slot)
    flush_events()
    window.open_impact(dataset)
    wait_idle(qtbot, page.slot)
    wait_idle(qtbot, page.layout_slot)
    assert page.impact.isVisible() and page.impact.report is not None
    view = page.view
    window.resize(1280, 800)
    window.grab()
    wait_labels_drawn(view, qtbot)
    item = view.text_item
    # the range is the one a fit gives at this size (the margins kept for labels and badges in pixels)
    shown_range = [v for r in view.view.viewRange() for v in r]
    view.fit()
    assert [v for r in view.view.viewRange() for v in r] == pytest.approx(shown_range, rel=1e-6)
    # every badge drawn, labels drawn; nodes, labels and badges all inside the plot
    assert item.drawn_rects
    assert len(item.badge_rects) == item.badge_count > 0
    assert _outside(view) == []
    # the table closed: the graph takes the room back and is fitted to it again
    height = view.plot.viewport().height()
    page.impact.close_button.click()
    window.grab()
    wait_labels_drawn(view, qtbot)
    assert view.plot.viewport().height() > height
    assert _outside(view) == []
    # a pan by the user is kept when the plot is resized
    view.view.translateBy(x=10_000.0)
    view.view.sigRangeChangedManually.emit(view.view.state["mouseEnabled"])
    x_range = view.view.viewRange()[0]
    window.resize(1200, 780)
    window.grab()
    flush_events()
    assert view.view.viewRange()[0] == pytest.approx(x_range, rel=0.2)
