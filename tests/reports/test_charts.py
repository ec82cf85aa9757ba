"""Report figures: the lineage figure is laid out by the GUI's layout code (core.layout)."""

from __future__ import annotations

import pytest
from reportlab.graphics.shapes import Drawing, PolyLine, Rect, String

from mlops_desktop.core.layout import layered_layout
from mlops_desktop.reports import charts
from mlops_desktop.reports.charts import FigureNode
from mlops_desktop.reports.fonts import register_fonts

NODES = [
    FigureNode("dataset:a", "dataset", "train-a", phi=True),
    FigureNode("dataset:b", "dataset", "train-b", pii=True),
    FigureNode("run:r", "run", "run r"),
    FigureNode("version:m/1", "model_version", "m v1", focus=True),
    FigureNode("deployment:m@champion", "deployment", "champion"),
]
EDGES = [
    ("dataset:a", "run:r"),
    ("dataset:b", "run:r"),
    ("run:r", "version:m/1"),
    ("dataset:a", "version:m/1"),  # spans two layers: bends around the run
    ("version:m/1", "deployment:m@champion"),
]
LABELS = {n.label: n.id for n in NODES}


@pytest.fixture(autouse=True)
def _fonts() -> None:
    register_fonts()  # the figures measure text in the embedded fonts


def boxes(d: Drawing) -> dict[str, Rect]:
    """Each node's box, found by the label drawn after it (badges skipped)."""
    out: dict[str, Rect] = {}
    current: Rect | None = None
    for shape in d.contents:
        if isinstance(shape, Rect):
            current = shape
        elif isinstance(shape, String) and current is not None and shape.text in LABELS:
            out[LABELS[shape.text]] = current
            current = None
    return out


def test_columns_and_order_are_the_core_layout() -> None:
    d = charts.lineage_figure(NODES, EDGES, width=480)
    layout = layered_layout([n.id for n in NODES], EDGES)
    assert layout.layers == [["dataset:a", "dataset:b"], ["run:r"], ["version:m/1"], ["deployment:m@champion"]]
    found = boxes(d)
    assert set(found) == {n.id for n in NODES}
    col_w = 480 / 4
    assert {nid: round(r.x / col_w) for nid, r in found.items()} == {
        "dataset:a": 0, "dataset:b": 0, "run:r": 1, "version:m/1": 2, "deployment:m@champion": 3,
    }
    # top to bottom in a column as the layout orders the layer
    assert found["dataset:a"].y > found["dataset:b"].y
    assert charts.figure_layout(NODES, EDGES).layers == layout.layers


def test_long_edges_follow_the_layout_bends() -> None:
    d = charts.lineage_figure(NODES, EDGES, width=480)
    lines = [s for s in d.contents if isinstance(s, PolyLine)]
    assert len(lines) == len(EDGES)
    layout = charts.figure_layout(NODES, EDGES)
    assert list(layout.bends) == [("dataset:a", "version:m/1")]
    # one bend (the dummy in the run's layer) between the two ends: three points, six numbers
    assert sorted(len(s.points) for s in lines) == [4, 4, 4, 4, 6]
    bent = next(s for s in lines if len(s.points) == 6)
    # columns 120 points wide, boxes 104: from the dataset's right side, through the middle of
    # the run's column, to the version's left side
    assert bent.points[0::2] == [104.0, 172.0, 240.0]


def test_cycles_are_drawn() -> None:
    nodes = [FigureNode("a", "dataset", "a"), FigureNode("b", "run", "b"), FigureNode("c", "model_version", "c")]
    d = charts.lineage_figure(nodes, [("a", "b"), ("b", "c"), ("c", "a")], width=300)
    assert sorted(s.text for s in d.contents if isinstance(s, String) and s.text in {"a", "b", "c"}) == ["a", "b", "c"]
    assert len([s for s in d.contents if isinstance(s, PolyLine)]) == 3


def test_a_large_neighbourhood_fits_the_height() -> None:
    nodes = [FigureNode("version:m/1", "model_version", "m v1", focus=True)]
    nodes += [FigureNode(f"dataset:{i}", "dataset", f"ds {i}") for i in range(35)]
    edges = [(f"dataset:{i}", "version:m/1") for i in range(35)]
    d = charts.lineage_figure(nodes, edges, width=480, max_height=520)
    assert d.height <= 520
    assert len([s for s in d.contents if isinstance(s, Rect)]) == 36


def test_no_nodes_says_so() -> None:
    d = charts.lineage_figure([], [])
    assert [s.text for s in d.contents if isinstance(s, String)] == ["No lineage recorded for this model."]
