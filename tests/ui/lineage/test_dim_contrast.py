"""Dimmed lineage nodes recede in both themes: with a node selected (and with an impact-style
highlight), the nodes outside its lineage are painted with less contrast against the plot than
every lit node, measured on the pixels of the rendered view (each node's centre), light and dark,
and without the white ring that stood out on the dark plot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage

from mlops_desktop.core.lineage import version_node_id
from mlops_desktop.ui.common import theme
from mlops_desktop.ui.common.theme import contrast_ratio
from mlops_desktop.ui.lineage.view import LineageView, dim_colour
from tests.ui.conftest import flush_events, render

GRAPHIC = 3.0  # WCAG 2.1 1.4.11: a lit node against its plot
DIMMED = 2.0  # a dimmed one stays under this


@pytest.fixture
def themed(qapp) -> Iterator[theme.ThemeManager]:
    manager = theme.theme_manager(qapp)
    yield manager
    manager.apply(theme.ThemeMode.LIGHT)


def _centres(view: LineageView, image: QImage) -> dict[str, QColor]:
    """The colour painted at each drawn node's centre (device pixels of the plot's viewport)."""
    ratio = image.devicePixelRatio()
    out = {}
    for n in view.node_ids:
        p = view.view.mapViewToDevice(QPointF(*view.positions[n]))
        out[n] = QColor(image.pixel(round(p.x() * ratio), round(p.y() * ratio)))
    return out


def _contrasts(view: LineageView, lit: set[str], name: str) -> tuple[list[float], list[float]]:
    flush_events()
    image = view.plot.viewport().grab().toImage()
    render(view, name)
    plot = QColor(theme.colors().plot_background)
    centres = _centres(view, image)
    lit_c = [contrast_ratio(c, plot) for n, c in centres.items() if n in lit]
    dim_c = [contrast_ratio(c, plot) for n, c in centres.items() if n not in lit]
    return lit_c, dim_c


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_dimmed_nodes_recede_in_both_themes(themed, mode, merged_graph, shown_view):
    themed.apply(mode)
    graph = merged_graph
    view = shown_view((1280, 800), graph, None)
    view.apply_theme()
    plot = QColor(theme.colors().plot_background)
    assert view.plot.backgroundBrush().color() == plot
    assert contrast_ratio(dim_colour(), plot) < DIMMED

    view.select(version_node_id("readmission-risk", "3"))
    lit = {view.selected, *view.highlighted_up, *view.highlighted_down}
    assert 1 < len(lit) < len(view.node_ids)  # some lit, some dimmed
    lit_c, dim_c = _contrasts(view, lit, f"lineage_dimmed_{mode}")
    assert min(lit_c) >= GRAPHIC, min(lit_c)
    assert max(dim_c) < DIMMED, max(dim_c)
    assert max(dim_c) < min(lit_c)
    # no bright outline around a dimmed node: its pen is its fill
    for i, n in enumerate(view.node_ids):
        if n not in lit:
            assert QColor(view.nodes.data["pen"][i].color()) == dim_colour(), n

    marked = view.highlight([n for n in view.node_ids if graph.kind(n) == "deployment"][:3])
    view.select(None)
    lit_c, dim_c = _contrasts(view, marked, f"lineage_highlight_dimmed_{mode}")
    assert marked and min(lit_c) >= GRAPHIC and max(dim_c) < min(lit_c)


def test_the_old_dim_colour_fails_the_measurement_on_dark(qapp, themed):
    """#cbd5e1 (the dimmed colour before) stands out more on the dark plot than any lit node."""
    themed.apply("dark")
    assert contrast_ratio("#cbd5e1", theme.colors().plot_background) > 10
