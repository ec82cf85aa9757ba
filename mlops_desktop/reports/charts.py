"""Vector figures for the reports (reportlab.graphics): severity chart, metric chart, lineage."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from mlops_desktop.core.findings import SEVERITIES
from mlops_desktop.reports.fonts import SANS, SANS_BOLD

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


def lineage_nodes_for(graph: Any, focus: str, limit: int) -> tuple[list[FigureNode], list[tuple[str, str]]]:
    """The focus node's lineage (nearest ``limit`` nodes) from a LineageGraph."""
    if graph is None or focus not in graph:
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


def _layers(nodes: Sequence[FigureNode], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    g = nx.DiGraph()
    g.add_nodes_from(n.id for n in nodes)
    g.add_edges_from(edges)
    if nx.is_directed_acyclic_graph(g):
        layer: dict[str, int] = {}
        for node in nx.topological_sort(g):
            preds = list(g.predecessors(node))
            layer[node] = max((layer[p] + 1 for p in preds), default=0)
        return layer
    kinds = {n.id: n.kind for n in nodes}
    return {n: KIND_ORDER.get(kinds[n], 3) for n in g.nodes}


def lineage_figure(
    nodes: Sequence[FigureNode],
    edges: Sequence[tuple[str, str]],
    width: float = 480,
    max_height: float = 520,
    caption: str = "",
) -> Drawing:
    """A layered left-to-right drawing of lineage nodes (data flows left to right)."""
    if not nodes:
        d = Drawing(width, 30)
        d.add(String(0, 12, "No lineage recorded for this model.", fontName=SANS, fontSize=9))
        return d
    layer = _layers(nodes, edges)
    n_layers = max(layer.values()) + 1
    columns: dict[int, list[FigureNode]] = {}
    for n in sorted(nodes, key=lambda n: (KIND_ORDER.get(n.kind, 9), n.label, n.id)):
        columns.setdefault(layer[n.id], []).append(n)
    tallest = max(len(c) for c in columns.values())
    gap_y = 6.0
    box_h = max(9.0, min(22.0, (max_height - 30 - gap_y * tallest) / tallest))
    font = max(5.0, min(7.0, box_h * 0.34 if box_h >= 16 else box_h * 0.6))
    height = 30 + tallest * (box_h + gap_y)
    col_w = width / n_layers
    gap_x = min(16.0, col_w * 0.15)
    box_w = col_w - gap_x
    d = Drawing(width, height)
    pos: dict[str, tuple[float, float]] = {}
    for col, members in columns.items():
        x = col * col_w
        offset = (tallest - len(members)) * (box_h + gap_y) / 2
        for i, node in enumerate(members):
            y = height - 20 - offset - (i + 1) * (box_h + gap_y)
            pos[node.id] = (x, y)
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
            top = y + box_h / 2 + (len(lines) - 1) * lead / 2 - font / 3
            for k, line in enumerate(lines):
                d.add(String(x + 3, top - k * lead, line, fontName=bold, fontSize=font))
    for a, b in edges:
        if a not in pos or b not in pos:
            continue
        (xa, ya), (xb, yb) = pos[a], pos[b]
        x1, y1 = xa + box_w, ya + box_h / 2
        x2, y2 = xb, yb + box_h / 2
        if xb <= xa:  # same column or backwards (cycles): connect bottom to top
            x1, y1, x2, y2 = xa + box_w / 2, ya, xb + box_w / 2, yb + box_h
        d.add(Line(x1, y1, x2, y2, strokeColor=colors.HexColor("#777777"), strokeWidth=0.6))
        ang = math.atan2(y2 - y1, x2 - x1)
        ah = 4.0
        d.add(
            Polygon(
                [x2, y2, x2 - ah * math.cos(ang - 0.4), y2 - ah * math.sin(ang - 0.4),
                 x2 - ah * math.cos(ang + 0.4), y2 - ah * math.sin(ang + 0.4)],
                fillColor=colors.HexColor("#777777"), strokeColor=None,
            )
        )
    legend = "Data flows left to right. Red outline: PHI reaches the node; orange: PII. Bold: the model version."
    d.add(String(0, height - 9, fit_text(caption or legend, SANS, 7, width), fontName=SANS, fontSize=7,
                 fillColor=colors.HexColor("#444444")))
    return d
