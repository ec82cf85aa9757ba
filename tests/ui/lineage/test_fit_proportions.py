"""The fit keeps the graph's proportions: the pixel scales of x and y (measured on the real view,
offscreen) stay within ASPECT_BOUND of each other, y up to LABEL_SCALE (the layout's own slots,
sized for the labels); y is stretched further only in steps, and only when the labels lack room,
never past LABEL_SCALE times the last of FIT_STRETCHES. A version's lineage reads as columns
instead of the staircase a fit to the plot's height drew (readmission-risk v3 on the Lineage page
at 1280x800: y was stretched 12.8 times as much as x, over the plot's whole height)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF

from mlops_desktop.core.lineage import version_node_id
from mlops_desktop.resources import demo_settings, demo_store_urls
from mlops_desktop.ui.lineage.view import (
    ASPECT_BOUND,
    FIT_STRETCHES,
    LABEL_SCALE,
    LineageView,
    fitted_scales,
)
from tests.ui.conftest import flush_events, render
from tests.ui.lineage.conftest import STORES, fitted_and_painted
from tests.ui.lineage.test_label_geometry import _deployed_versions

SIZES = [(1280, 800), (1920, 1080)]
#: The most a fit stretches y (pixels per layout unit) to make room for labels.
MOST_Y = LABEL_SCALE * FIT_STRETCHES[-1]


def pixel_scales(view: LineageView) -> tuple[float, float]:
    """Device pixels per layout unit along x and y, as the view maps them."""
    a = view.view.mapViewToDevice(QPointF(0.0, 0.0))
    b = view.view.mapViewToDevice(QPointF(100.0, 100.0))
    return abs(b.x() - a.x()) / 100.0, abs(b.y() - a.y()) / 100.0


def drawn_extent(view: LineageView) -> tuple[float, float]:
    """Width and height in pixels of the drawn nodes' centres."""
    points = [view.view.mapViewToDevice(QPointF(*view.positions[n])) for n in view.node_ids]
    xs, ys = [p.x() for p in points], [p.y() for p in points]
    return max(xs) - min(xs), max(ys) - min(ys)


def assert_in_proportion(view: LineageView) -> None:
    sx, sy = pixel_scales(view)
    assert sx <= max(ASPECT_BOUND * sy, LABEL_SCALE) * 1.001, (sx, sy)  # x not stretched past y
    if sy > max(ASPECT_BOUND * sx, LABEL_SCALE) * 1.001:  # stretched for the labels: bounded
        assert sy <= MOST_Y * 1.001, (sx, sy)


def test_fitted_scales():
    assert fitted_scales(0.3, 10.0) == (0.3, 1.0)  # a long chain: y at the layout's own size, not 33x x
    assert fitted_scales(2.0, 10.0) == (2.0, 3.0)  # a short one: y at most 1.5x x
    assert fitted_scales(1.3, 0.6) == (1.0, 0.6)  # a tall graph: x not stretched past zoom 1 and 1.5x y
    assert fitted_scales(0.5, 0.4) == (0.5, 0.4)  # a dense one fills the plot both ways
    assert fitted_scales(0.3, 10.0, 2.0) == (0.3, 2.0)  # stretched for labels, as asked
    assert fitted_scales(0.3, 1.5, 2.0) == (0.3, 1.5)  # ... never past the plot's height


@pytest.mark.parametrize("name", STORES)
def test_a_versions_lineage_keeps_its_proportions(qtbot, store_graph, shown_view, name):
    graph = store_graph(name)
    focuses = (_deployed_versions(graph) or sorted(graph.nodes_of_kind("dataset")))[:4]
    for focus in [*focuses, None]:  # each version's lineage, and the whole store
        for size in SIZES:
            view = shown_view(size, graph, focus)
            fitted_and_painted(view, qtbot)
            assert_in_proportion(view)
            view.close()


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_lineage_page_reads_as_columns(make_window, qtbot, ui, mode):
    """readmission-risk v3 on the merged demo as the Lineage page opens it: at 1280x800 y is at
    most three times as stretched as x (it was 12.8 times) and the graph takes under half the
    plot's height (it took all of it); at 1920x1080 the scales are within ASPECT_BOUND; every
    node labelled at both sizes."""
    window = make_window(source_settings=demo_settings())
    window.persist_layout = False
    window.resize(1280, 800)
    window.set_theme(mode)
    window.open_stores(demo_store_urls())
    ui.wait_idle(qtbot, window.load_slot)
    window.open_lineage(version_node_id("readmission-risk", "3"))
    ui.wait_idle(qtbot, window.lineage_page.slot)
    ui.wait_idle(qtbot, window.lineage_page.layout_slot)
    view = window.lineage_page.view
    for (w, h), most in zip(SIZES, (3.0, ASPECT_BOUND), strict=True):
        window.resize(w, h)
        flush_events()
        fitted_and_painted(view, qtbot)
        render(window, f"lineage_page_columns_{w}x{h}_{mode}")
        sx, sy = pixel_scales(view)
        assert sy / sx <= most * 1.001, (w, sx, sy)
        assert_in_proportion(view)
        _width, height = drawn_extent(view)
        assert height < 0.5 * view.plot.viewport().height(), (w, height)
        assert set(view.text_item.drawn) == set(range(len(view.node_ids))), \
            sorted(set(view.node_ids) - {view.node_ids[i] for i in view.text_item.drawn})
