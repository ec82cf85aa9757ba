"""The lineage runs left to right in columns: each layer one column (its nodes share x), the
columns in order from raw data (datasets nothing produced) to deployments (the last column),
every edge going right, in the layout and on screen at 1280x800."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QPointF

from mlops_desktop.core.lineage import DATASET, DEPLOYMENT
from mlops_desktop.ui.lineage.view import prepare_lineage
from tests.ui.conftest import flush_events
from tests.ui.lineage.conftest import STORES


def _assert_columns(graph, prepared) -> None:
    layout = prepared.layout
    layer_of = {n: li for li, lay in enumerate(layout.layers) for n in lay}
    assert all(b > a for a, b in itertools.pairwise(layout.layer_x)), layout.layer_x
    for li, lay in enumerate(layout.layers):
        assert lay, f"layer {li} is empty"
        assert {layout.positions[n][0] for n in lay} == {layout.layer_x[li]}
    shown = set(layer_of)
    for s, t in prepared.edges:
        assert layer_of[s] < layer_of[t], (s, t)
    last = len(layout.layers) - 1
    for n in shown:
        if graph.kind(n) == DEPLOYMENT:
            assert layer_of[n] == last, n
        if graph.kind(n) == DATASET and not any(prepared.shown(p) in shown for p in graph.g.pred[n]):
            assert layer_of[n] == 0, n


@pytest.mark.parametrize("name", STORES)
def test_every_lineage_is_in_columns_left_to_right(store_graph, name):
    graph = store_graph(name)
    focuses = [None, *sorted(n for n in graph.g.nodes if graph.kind(n) in (DEPLOYMENT, DATASET))[:12]]
    for focus in focuses:
        _assert_columns(graph, prepare_lineage(graph, focus))


@pytest.mark.parametrize("name", ["merged", "demo"])
def test_columns_on_screen_at_1280(store_graph, shown_view, name):
    view = shown_view((1280 - 160, 800 - 80), store_graph(name), None)  # the page's share of a 1280x800 window
    flush_events()
    layout = view._prepared.layout
    xs = []
    for lay in layout.layers:
        column = {round(view.view.mapViewToDevice(QPointF(*layout.positions[n])).x(), 3) for n in lay}
        assert len(column) == 1, column
        xs.append(column.pop())
    assert all(b > a for a, b in itertools.pairwise(xs)), xs
    plot_width = view.plot.viewport().width()
    assert 0 <= xs[0] and xs[-1] <= plot_width
