"""Lineage labels at the fitted zoom, checked by geometry on the fixture stores and the merged
demo: every label drawn stays clear of every edge (its stroked path), node symbol, arrow head
and other label, and inside the plot; the lineage of a version (as the Lineage page opens it)
has every node labelled, whole or cut after a whole word with the whole label in the label's
tooltip. Renders in both themes at 1280x800 to look at."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainterPath, QPainterPathStroker

from mlops_desktop.core.lineage import DEPLOYMENT, MODEL_VERSION, version_node_id
from mlops_desktop.resources import demo_settings, demo_store_urls
from mlops_desktop.ui.lineage.view import LineageView, label_choices, segment_hits_rect
from tests.ui.conftest import render
from tests.ui.lineage.conftest import STORES, fitted_and_painted
from tests.ui.lineage.test_lineage_workbench import _assert_whole_words


def _device(view: LineageView, x: float, y: float) -> QPointF:
    return view.view.mapViewToDevice(QPointF(x, y))


def _edge_paths(view: LineageView) -> list[QPainterPath]:
    xs, ys = view.edges.getData()
    stroker = QPainterPathStroker()
    stroker.setWidth(1.2)  # the edge pen
    paths = []
    for i in range(0, len(xs) - 1, 2):
        line = QPainterPath(_device(view, xs[i], ys[i]))
        line.lineTo(_device(view, xs[i + 1], ys[i + 1]))
        paths.append(stroker.createStroke(line))
    return paths


def _symbol_rects(view: LineageView, item) -> list[QRectF]:
    rects = []
    for point in item.points():
        c = _device(view, point.pos().x(), point.pos().y())
        half = point.size() / 2
        rects.append(QRectF(c.x() - half, c.y() - half, 2 * half, 2 * half))
    return rects


def assert_labels_clear(view: LineageView) -> dict[int, QRectF]:
    """Every label drawn: inside the plot, over no edge, node, arrow head or other label."""
    item = view.text_item
    labels = dict(item.drawn_rects)
    assert labels and set(labels) == set(item.drawn)
    plot = QRectF(view.plot.viewport().rect())
    edges = _edge_paths(view)
    nodes = _symbol_rects(view, view.nodes)
    arrows = _symbol_rects(view, view.arrows)
    for i, rect in labels.items():
        who = (view.node_ids[i], item.drawn[i])
        assert plot.contains(rect), who
        assert not any(path.intersects(rect) for path in edges), who
        assert not any(node.intersects(rect) for node in nodes), who
        assert not any(arrow.intersects(rect) for arrow in arrows), who
    for (a, ra), (b, rb) in itertools.combinations(labels.items(), 2):
        assert not ra.intersects(rb), (view.node_ids[a], view.node_ids[b])
    return labels


def _deployed_versions(graph) -> list[str]:
    return sorted(n for n in graph.nodes_of_kind(MODEL_VERSION)
                  if any(graph.kind(d) == DEPLOYMENT for d in graph.downstream(n)))


@pytest.mark.parametrize("name", STORES)
def test_a_versions_lineage_labels_every_node_clear_of_edges_and_nodes(qtbot, store_graph, shown_view, name):
    graph = store_graph(name)
    focuses = (_deployed_versions(graph) or sorted(graph.nodes_of_kind("dataset")))[:4]  # OpenLineage: datasets
    assert focuses, name
    for focus in focuses:
        view = shown_view((1280, 800), graph, focus)
        fitted_and_painted(view, qtbot)
        labels = assert_labels_clear(view)
        # every node labelled, whole or cut after a whole word; a cut label's tooltip is whole
        assert set(labels) == set(range(len(view.node_ids))), \
            (focus, sorted(set(view.node_ids) - {view.node_ids[i] for i in labels}))
        _assert_whole_words(view)
        for i, rect in labels.items():
            whole = view._prepared.labels[i]
            assert view.label_at(rect.center()) == view.node_ids[i]
            drawn = view.text_item.drawn[i]
            if "".join(drawn).replace(" ", "") != whole.replace(" ", ""):  # not whole (in any wrap): cut
                assert drawn[-1].endswith("…")
                assert view.label_tooltip(rect.center()).startswith(whole)
        view.close()


@pytest.mark.parametrize("name", STORES)
def test_whole_graph_labels_clear_and_outer_layers_labelled(qtbot, store_graph, shown_view, name):
    """The whole store at the fitted zoom: no label drawn over anything; the first layer (raw
    data) and the last (deployments) are labelled, beside their nodes if need be."""
    view = shown_view((1280, 800), store_graph(name), None)
    fitted_and_painted(view, qtbot)
    labels = assert_labels_clear(view)
    _assert_whole_words(view)
    index = {n: i for i, n in enumerate(view.node_ids)}
    layers = view._prepared.layout.layers
    for layer in (layers[0], layers[-1]):
        missing = [n for n in layer if index[n] not in labels]
        assert not missing, missing


def test_label_choices_and_segment_test():
    assert label_choices(["claims_etl.train_", "readmission_model"]) == [
        ["claims_etl.train_", "readmission_model"], ["claims_etl.train_readmission_model"],
        ["claims_etl.", "train_", "readmission_", "model"],  # whole in a narrower column
        ["claims_etl.train_…"], ["claims_etl.…"], ["claims_…"]]
    assert label_choices(["short"]) == [["short"]]
    rect = QRectF(0, 0, 10, 10)
    assert segment_hits_rect(-5, 5, 15, 5, rect)  # through
    assert segment_hits_rect(2, 2, 3, 3, rect)  # inside
    assert not segment_hits_rect(-5, -1, 15, -1, rect)  # above
    assert not segment_hits_rect(11, 0, 20, 10, rect)  # beside
    assert not segment_hits_rect(-10, 5, -1, 20, rect)  # diagonal, outside
    assert segment_hits_rect(-5, 15, 15, -5, rect)  # diagonal, across a corner region
    assert np.isfinite(rect.width())


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_lineage_page_labels_in_both_themes(make_window, qtbot, ui, mode):
    """The Lineage page as it opens on the merged demo (readmission-risk v3) at 1280x800: every
    node labelled, none over an edge or a node (the champion deployment's label included)."""
    window = make_window(source_settings=demo_settings())
    window.persist_layout = False
    window.resize(1280, 800)
    window.set_theme(mode)
    window.open_stores(demo_store_urls())
    ui.wait_idle(qtbot, window.load_slot)
    focus = version_node_id("readmission-risk", "3")
    window.open_lineage(focus)
    ui.wait_idle(qtbot, window.lineage_page.slot)
    ui.wait_idle(qtbot, window.lineage_page.layout_slot)
    view = window.lineage_page.view
    fitted_and_painted(view, qtbot)
    render(window, f"lineage_page_labels_{mode}")
    labels = assert_labels_clear(view)
    assert set(labels) == set(range(len(view.node_ids))), \
        sorted(set(view.node_ids) - {view.node_ids[i] for i in labels})
    champion = view.node_ids.index("deployment:alias:readmission-risk@champion")
    assert view.text_item.drawn[champion] == ["readmission-risk@champion"]
    jobs = [i for i, n in enumerate(view.node_ids) if view.graph.kind(n) == "job"]
    assert jobs and all(i in labels for i in jobs)
