"""Vector figures for the reports (reportlab.graphics): severity chart, metric chart, lineage."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from mlops_desktop.core.findings import SEVERITIES
from mlops_desktop.core.layout import DUMMY_HEIGHT, Y_GAP, Layout, layered_layout
from mlops_desktop.reports.fonts import SANS, SANS_BOLD

if TYPE_CHECKING:
    from mlops_desktop.core.lineage import LineageGraph

logger = logging.getLogger(__name__)

SEVERITY_COLOURS = {
    "critical": colors.HexColor("#8b0000"),
    "high": colors.HexColor("#d9480f"),
    "medium": colors.HexColor("#e8a317"),
    "low": colors.HexColor("#4a7ab5"),
    "info": colors.HexColor("#8a8a8a"),
}
KIND_COLOURS = {
    "dataset": colors.HexColor("#e3f0fb"),
    "job": colors.HexColor("#f1e8fb"),
    "run": colors.HexColor("#eef7e6"),
    "model": colors.HexColor("#fdf3e1"),
    "model_version": colors.HexColor("#fde7d9"),
    "deployment": colors.HexColor("#f4f4f4"),
}
KIND_ORDER = {"dataset": 0, "job": 1, "run": 2, "model": 3, "model_version": 4, "deployment": 5}


def fit_text(text: str, font: str, size: float, width: float) -> str:
    """``text`` shortened with an ellipsis so it fits ``width`` points."""
    if stringWidth(text, font, size) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if stringWidth(text[:mid] + "…", font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + "…"


def wrap_label(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """``text`` broken into at most ``max_lines`` lines of ``width`` points (last one ellipsised)."""
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines - 1:
        if stringWidth(rest, font, size) <= width:
            break
        cut = len(fit_text(rest, font, size, width).removesuffix("…"))
        if cut <= 0:
            break
        # prefer breaking after a separator in the second half of the line
        for j in range(cut, max(1, cut // 2), -1):
            if rest[j - 1] in " -_/.:@[":
                cut = j
                break
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        lines.append(fit_text(rest, font, size, width))
    return lines or [""]


def severity_chart(counts: Mapping[str, int], width: float = 400, height: float = 170) -> Drawing:
    """Findings by severity, one coloured bar per severity."""
    d = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 40, 30
    chart.width, chart.height = width - 60, height - 62
    values = [counts.get(s, 0) for s in SEVERITIES]
    chart.data = [values]
    chart.categoryAxis.categoryNames = [s.capitalize() for s in SEVERITIES]
    chart.categoryAxis.labels.fontName = SANS
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.labels.fontName = SANS
    chart.valueAxis.labels.fontSize = 8
    top = max(values) if any(values) else 1
    step = max(1, math.ceil(top / 5))
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = step * max(1, math.ceil(top / step))
    chart.valueAxis.valueStep = step
    chart.barWidth = 10
    for i, sev in enumerate(SEVERITIES):
        chart.bars[(0, i)].fillColor = SEVERITY_COLOURS[sev]
        chart.bars[(0, i)].strokeColor = None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = SANS
    chart.barLabels.fontSize = 8
    chart.barLabels.nudge = 7
    d.add(chart)
    d.add(String(width / 2, height - 12, "Findings by severity", fontName=SANS_BOLD, fontSize=10, textAnchor="middle"))
    return d


def metric_chart(metrics: Sequence[tuple[str, float]], width: float = 440, title: str = "") -> Drawing:
    """Latest value per metric as horizontal bars (labels shortened to fit)."""
    rows = list(metrics)
    bar_h = 14
    height = 40 + bar_h * max(1, len(rows))
    d = Drawing(width, height)
    label_w = 150
    chart = HorizontalBarChart()
    chart.x, chart.y = label_w + 10, 15
    chart.width, chart.height = width - label_w - 60, height - 35
    values = [v for _, v in rows] or [0.0]
    chart.data = [list(reversed(values))]
    chart.categoryAxis.categoryNames = [fit_text(k, SANS, 7, label_w) for k, _ in reversed(rows)] or [""]
    chart.categoryAxis.labels.fontName = SANS
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = SANS
    chart.valueAxis.labels.fontSize = 7
    lo = min(0.0, min(values))
    hi = max(values)
    if hi <= lo:
        hi = lo + 1.0
    chart.valueAxis.valueMin = lo
    chart.valueAxis.valueMax = hi * 1.15 if hi > 0 else hi
    chart.bars[0].fillColor = colors.HexColor("#4a7ab5")
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%.4g"
    chart.barLabels.fontName = SANS
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    d.add(chart)
    if title:
        d.add(String(0, height - 10, fit_text(title, SANS_BOLD, 9, width), fontName=SANS_BOLD, fontSize=9))
    return d


@dataclass(frozen=True, slots=True)
class FigureNode:
    id: str
    kind: str
    label: str
    phi: bool = False
    pii: bool = False
    focus: bool = False


def lineage_nodes_for(graph: LineageGraph, focus: str, limit: int) -> tuple[list[FigureNode], list[tuple[str, str]]]:
    """The focus node's lineage (nearest ``limit`` nodes) from a LineageGraph."""
    if focus not in graph:
        return [], []
    up = graph.upstream(focus)
    down = graph.downstream(focus)
    chosen = [focus]
    # interleave so both sides are shown when the neighbourhood is large
    for i in range(max(len(up), len(down))):
        for side in (up, down):
            if i < len(side) and len(chosen) < limit:
                chosen.append(side[i])
    keep = set(chosen)
    nodes = []
    for n in chosen:
        data = graph.g.nodes[n]
        cls = graph.effective_classification(n) if data.get("kind") in ("dataset", "model_version") else None
        nodes.append(
            FigureNode(
                id=n,
                kind=str(data.get("kind", "")),
                label=str(data.get("label", n)),
                phi=bool(cls and cls.phi),
                pii=bool(cls and cls.pii),
                focus=n == focus,
            )
        )
    edges = [(a, b) for a, b in graph.g.edges(chosen) if a in keep and b in keep and a != b]
    return nodes, edges


def figure_layout(nodes: Sequence[FigureNode], edges: Sequence[tuple[str, str]]) -> Layout[str]:
    """The layered layout of the lineage figure: the GUI lineage view's
    (:func:`mlops_desktop.core.layout.layered_layout`), nodes first ordered by kind and label."""
    order = sorted(nodes, key=lambda n: (KIND_ORDER.get(n.kind, 9), n.label, n.id))
    return layered_layout([n.id for n in order], edges)


def lineage_figure(
    nodes: Sequence[FigureNode],
    edges: Sequence[tuple[str, str]],
    width: float = 480,
    max_height: float = 520,
    caption: str = "",
) -> Drawing:
    """A layered left-to-right drawing of lineage nodes (data flows left to right).

    Layers, the order inside each layer (crossings reduced) and the bends of long edges
    come from :func:`figure_layout`; the figure maps each layer to a column of ``width /
    layers`` points and the layout's vertical units to points so that it fits ``max_height``.
    """
    if not nodes:
        d = Drawing(width, 30)
        d.add(String(0, 12, "No lineage recorded for this model.", fontName=SANS, fontSize=9))
        return d
    by_id = {n.id: n for n in nodes}
    layout = figure_layout(nodes, edges)
    column = {x: i for i, x in enumerate(layout.layer_x)}
    # vertical extent in layout units, real nodes (Y_GAP slots) and bends (DUMMY_HEIGHT slots)
    ys = [y for _, y in layout.positions.values()]
    bend_ys = [y for points in layout.bends.values() for _, y in points]
    top = min([y - Y_GAP / 2 for y in ys] + [y - DUMMY_HEIGHT / 2 for y in bend_ys])
    bottom = max([y + Y_GAP / 2 for y in ys] + [y + DUMMY_HEIGHT / 2 for y in bend_ys])
    slots = (bottom - top) / Y_GAP  # the tallest layer, in node slots
    unit = min(28.0, (max_height - 30) / slots)  # points per node slot
    gap_y = 6.0 if unit >= 15.0 else unit * 0.4
    box_h = max(9.0, unit - gap_y) if unit >= 15.0 else unit - gap_y
    font = max(4.0, min(7.0, box_h * 0.34 if box_h >= 16 else box_h * 0.6))
    height = 30 + slots * unit
    scale = unit / Y_GAP
    col_w = width / len(layout.layers)
    gap_x = min(16.0, col_w * 0.15)
    box_w = col_w - gap_x

    def page_y(y: float) -> float:
        """A layout y (down the page) as a drawing y (up the page)."""
        return height - 20 - (y - top) * scale

    d = Drawing(width, height)
    pos: dict[str, tuple[float, float]] = {}  # lower-left corner of each box
    for col, members in enumerate(layout.layers):
        x = col * col_w
        for nid in members:
            node = by_id[nid]
            y = page_y(layout.positions[nid][1]) - box_h / 2
            pos[nid] = (x, y)
            stroke = colors.HexColor("#b00020") if node.phi else colors.HexColor("#d9480f") if node.pii else colors.HexColor("#555555")
            d.add(
                Rect(
                    x, y, box_w, box_h, rx=3, ry=3,
                    fillColor=KIND_COLOURS.get(node.kind, colors.white),
                    strokeColor=stroke,
                    strokeWidth=1.6 if node.focus else 0.8 if (node.phi or node.pii) else 0.5,
                )
            )
            bold = SANS_BOLD if node.focus else SANS
            lines = wrap_label(node.label, bold, font, box_w - 6, 2 if box_h >= 2.3 * font + 4 else 1)
            if node.phi or node.pii:
                d.add(String(x + box_w - 2, y + box_h + 1, "PHI" if node.phi else "PII", fontName=SANS_BOLD,
                             fontSize=5.5, textAnchor="end", fillColor=stroke))
            lead = font * 1.1
            text_top = y + box_h / 2 + (len(lines) - 1) * lead / 2 - font / 3
            for k, line in enumerate(lines):
                d.add(String(x + 3, text_top - k * lead, line, fontName=bold, fontSize=font))
    grey = colors.HexColor("#777777")
    for a, b in edges:
        if a not in pos or b not in pos or a == b:
            continue
        (xa, ya), (xb, yb) = pos[a], pos[b]
        if xb > xa:  # forward: right side to left side
            start, end = (xa + box_w, ya + box_h / 2), (xb, yb + box_h / 2)
        elif xb < xa:  # backward (a cycle): left side to right side
            start, end = (xa, ya + box_h / 2), (xb + box_w, yb + box_h / 2)
        else:  # same column: bottom to top
            start, end = (xa + box_w / 2, ya), (xb + box_w / 2, yb + box_h)
        bends = [(column[bx] * col_w + box_w / 2, page_y(by)) for bx, by in layout.bends.get((a, b), [])]
        points = [start, *bends, end]
        d.add(PolyLine([c for p in points for c in p], strokeColor=grey, strokeWidth=0.6))
        (x1, y1), (x2, y2) = points[-2], points[-1]
        ang = math.atan2(y2 - y1, x2 - x1)
        ah = 4.0
        d.add(
            Polygon(
                [x2, y2, x2 - ah * math.cos(ang - 0.4), y2 - ah * math.sin(ang - 0.4),
                 x2 - ah * math.cos(ang + 0.4), y2 - ah * math.sin(ang + 0.4)],
                fillColor=grey, strokeColor=None,
            )
        )
    legend = "Data flows left to right. Red outline: PHI reaches the node; orange: PII. Bold: the model version."
    d.add(String(0, height - 9, fit_text(caption or legend, SANS, 7, width), fontName=SANS, fontSize=7,
                 fillColor=colors.HexColor("#444444")))
    return d
