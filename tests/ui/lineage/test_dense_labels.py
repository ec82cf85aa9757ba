"""Whole-store graphs at the fitted zoom, on every fixture store and the merged demo at 1280x800
and 1920x1080: every layer in which a label has a place clear of edges, nodes and badges gets
labels; a node left without one for want of room names itself when hovered (a real mouse move
over it shows its tooltip: the whole label, its kind and id), and zooming in around it to the
layout's own size draws its label."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF
from PySide6.QtTest import QTest

from mlops_desktop.ui.lineage.view import KIND_NAMES, LineageView
from tests.ui.conftest import flush_events
from tests.ui.lineage.conftest import STORES, fitted_and_painted

SIZES = [(1280, 800), (1920, 1080)]


def _repaint(view: LineageView) -> None:
    flush_events()
    view.plot.viewport().repaint()


def _hover(qtbot, view: LineageView, node_id: str) -> str:
    """The view's tooltip after the mouse moved onto ``node_id``."""
    dev = view.view.mapViewToDevice(QPointF(*view.positions[node_id]))
    qtbot.wait(40)  # pyqtgraph drops mouse moves that come faster than its rate limit
    QTest.mouseMove(view.plot.viewport(), QPoint(round(dev.x()), round(dev.y())))
    flush_events()
    return str(view.view.toolTip())


@pytest.mark.parametrize("name", STORES)
def test_whole_store_labels_every_layer_with_room_and_names_the_rest(qtbot, store_graph, shown_view, name):
    graph = store_graph(name)
    for size in SIZES:
        view = shown_view(size, graph, None)
        fitted_and_painted(view, qtbot)
        item = view.text_item
        index = {n: i for i, n in enumerate(view.node_ids)}
        unlabelled: dict[int, str] = {}  # layer -> its first node without a label
        for li, layer in enumerate(view._prepared.layout.layers):
            ids = [index[n] for n in layer]
            if any(item.free_places.get(i, 0) for i in ids):
                assert any(i in item.drawn for i in ids), (size, li, layer)
            left_out = [n for n in layer if index[n] not in item.drawn]
            if left_out:
                unlabelled[li] = left_out[0]
        for node_id in unlabelled.values():
            tip = _hover(qtbot, view, node_id)
            assert tip.startswith(f"{graph.label(node_id)} ({KIND_NAMES[graph.kind(node_id)]})"), (size, node_id, tip)
            assert node_id in tip.splitlines()
        width, height = view.view.width(), view.view.height()
        for node_id in unlabelled.values():  # zoomed in around it (a little past the layout's own size)
            x, y = view.positions[node_id]
            view.view.setRange(xRange=(x - width / 2.1, x + width / 2.1), yRange=(y - height / 2.1, y + height / 2.1),
                               padding=0)
            _repaint(view)
            assert index[node_id] in item.drawn, (size, node_id)
        view.close()
