"""Layered layout: room for labels and badges, dummy nodes for long edges (Qt-free)."""

from __future__ import annotations

from mlops_desktop.core.layout import DUMMY_HEIGHT, LABEL_GAP, layered_layout


def test_layer_gaps_fit_the_widest_labels_on_both_sides() -> None:
    edges = [("a", "b"), ("b", "c")]
    widths = {"a": 40.0, "b": 400.0, "c": 60.0}
    lay = layered_layout(["a", "b", "c"], edges, x_gap=100.0, label_width=widths.__getitem__)
    xa, xb, xc = (lay.positions[n][0] for n in "abc")
    assert xb - xa >= (40 + 400) / 2 + LABEL_GAP
    assert xc - xb >= (400 + 60) / 2 + LABEL_GAP
    assert lay.layer_x == [xa, xb, xc]
    short = layered_layout(["a", "b"], [("a", "b")], x_gap=100.0, label_width=lambda n: 10.0)
    assert short.positions["b"][0] - short.positions["a"][0] == 100.0  # never closer than x_gap


def test_nodes_with_badges_get_taller_slots() -> None:
    nodes = ["s", "a", "b", "c"]
    edges = [("s", "a"), ("s", "b"), ("s", "c")]
    heights = {"s": 50.0, "a": 50.0, "b": 90.0, "c": 50.0}
    lay = layered_layout(nodes, edges, node_height=heights.__getitem__)
    layer = lay.layers[1]
    ys = [lay.positions[n][1] for n in layer]
    for upper, lower, y0, y1 in zip(layer, layer[1:], ys, ys[1:], strict=False):
        assert y1 - y0 >= (heights[upper] + heights[lower]) / 2 - 1e-9
    assert abs(sum(ys) / len(ys)) < max(heights.values())  # centred on 0


def test_long_edges_bend_through_the_layers_they_cross() -> None:
    # a -> b -> c -> d and a long edge a -> d crossing the layers of b and c
    nodes = ["a", "b", "c", "d", "x", "y"]
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d"), ("x", "b"), ("y", "c")]
    lay = layered_layout(nodes, edges)
    assert set(lay.bends) == {("a", "d")}
    bends = lay.bends[("a", "d")]
    assert [x for x, _ in bends] == [lay.positions["b"][0], lay.positions["c"][0]]
    for (_x, y), n in zip(bends, ("b", "c"), strict=True):  # never on top of the node of that layer
        assert abs(y - lay.positions[n][1]) >= DUMMY_HEIGHT / 2
    assert all(n in {"a", "b", "c", "d", "x", "y"} for layer in lay.layers for n in layer)  # no dummies leak
    plain = layered_layout(nodes, edges, dummies=False)
    assert plain.bends == {} and set(plain.positions) == set(nodes)
