"""Vector figures for the reports (reportlab.graphics): severity chart, metric chart, lineage."""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, Shape, String
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


def value_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round tick values covering ``lo``..``hi`` (steps of 1, 2, 2.5 or 5 times a power of ten)."""
    span = hi - lo
    if not (math.isfinite(span) and span > 0):
        return [lo]
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * 0.999)
    first = math.ceil(lo / step - 1e-9)
    return [round(k * step, 12) for k in range(first, math.floor(hi / step + 1e-9) + 1)]


def _tick_text(value: float) -> str:
    return f"{value:.10g}"


def metric_chart(metrics: Sequence[tuple[str, float]], width: float = 440, title: str = "") -> Drawing:
    """Latest value per metric as horizontal bars, first metric on top (labels shortened to fit).

    Drawn from plain shapes (bars, labels, one value axis) rather than a chart widget: a report
    draws one per model, and the widget's layout machinery cost more than the rest of the figure."""
    rows = list(metrics)
    bar_h = 14
    height = 40 + bar_h * max(1, len(rows))
    d = Drawing(width, height)
    label_w = 150
    x0, y0 = label_w + 10, 15
    plot_w, plot_h = width - label_w - 60, height - 35
    finite = [v for _, v in rows if math.isfinite(v)] or [0.0]
    lo = min(0.0, min(finite))
    hi = max(finite)
    if hi <= lo:
        hi = lo + 1.0
    top = hi * 1.15 if hi > 0 else hi
    ticks = value_ticks(lo, top)

    def x_of(value: float) -> float:
        return x0 + (value - lo) / (top - lo) * plot_w

    axis = colors.black
    bar_colour = colors.HexColor("#4a7ab5")
    slot = plot_h / max(1, len(rows))
    zero = x_of(0.0)
    for i, (key, value) in enumerate(rows):
        cy = y0 + plot_h - (i + 0.5) * slot
        d.add(String(x0 - 5, cy - 2.5, fit_text(key, SANS, 7, label_w), fontName=SANS, fontSize=7,
                     textAnchor="end"))
        if not math.isfinite(value):
            d.add(String(zero + 3, cy - 2.5, str(value), fontName=SANS, fontSize=7))
            continue
        end = x_of(max(lo, min(top, value)))
        thick = slot * 2 / 3
        d.add(Rect(min(zero, end), cy - thick / 2, abs(end - zero), thick, fillColor=bar_colour, strokeColor=None))
        label = f"{value:.4g}"
        if value >= 0:
            d.add(String(end + 3, cy - 2.5, label, fontName=SANS, fontSize=7))
        else:
            d.add(String(end - 3, cy - 2.5, label, fontName=SANS, fontSize=7, textAnchor="end"))
    d.add(Line(x0, y0, x0 + plot_w, y0, strokeColor=axis, strokeWidth=0.5))
    d.add(Line(zero, y0, zero, y0 + plot_h, strokeColor=axis, strokeWidth=0.5))
    for t in ticks:
        x = x_of(t)
        d.add(Line(x, y0, x, y0 - 4, strokeColor=axis, strokeWidth=0.5))
        d.add(String(x, y0 - 11, _tick_text(t), fontName=SANS, fontSize=7, textAnchor="middle"))
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


#: kind -> (shape, colour): the GUI lineage view's KIND_STYLE (ui/lineage/view.py), so the figure
#: and the window speak the same visual language (a test keeps them equal).
KIND_STYLE = {
    "dataset": ("o", "#2563eb"),
    "job": ("p", "#8b5cf6"),
    "run": ("s", "#64748b"),
    "model": ("d", "#0d9488"),
    "model_version": ("h", "#16a34a"),
    "deployment": ("star", "#ea580c"),
}
KIND_NAMES = {"dataset": "dataset", "job": "job", "run": "run", "model": "model", "model_version": "model version",
              "deployment": "deployment (alias, stage, pushed)"}
PHI_COLOUR = colors.HexColor("#b00020")
PII_COLOUR = colors.HexColor("#d9480f")
#: Where a label may break (the character stays at the end of the line): never inside a word, and
#: never after an opening bracket ("model [Production]" breaks before the bracket).
BREAK_AFTER = " -_/.:@,;"


def lineage_nodes_for(graph: LineageGraph, focus: str, limit: int
                      ) -> tuple[list[FigureNode], list[tuple[str, str]], set[tuple[str, str]]]:
    """The focus node's lineage (nearest ``limit`` nodes) from a LineageGraph, with the links that
    are inferred rather than recorded: those joining nodes of different stores (a dataset matched by
    location, an OpenLineage job writing an MLflow model) or a run the store does not hold.

    One node per entity: runs of the same job with the same inputs and outputs (several executions
    of one pipeline step) are drawn once, labelled with their count."""
    if focus not in graph:
        return [], [], set()
    up = graph.upstream(focus)
    down = graph.downstream(focus)
    chosen = [focus]
    # interleave so both sides are shown when the neighbourhood is large
    for i in range(max(len(up), len(down))):
        for side in (up, down):
            if i < len(side) and len(chosen) < limit:
                chosen.append(side[i])
    keep = set(chosen)
    g = graph.g
    edges = [(a, b) for a, b in g.edges(chosen) if a in keep and b in keep and a != b]
    # collapse repeated runs (same label, same neighbours) into their first
    preds: dict[str, frozenset[str]] = {n: frozenset(a for a, b in edges if b == n) for n in chosen}
    succs: dict[str, frozenset[str]] = {n: frozenset(b for a, b in edges if a == n) for n in chosen}
    first: dict[tuple[str, frozenset[str], frozenset[str]], str] = {}
    alias: dict[str, str] = {}
    count: dict[str, int] = {}
    for n in chosen:
        data = g.nodes[n]
        if data.get("kind") == "run" and n != focus:
            sig = (str(data.get("label", n)), preds[n], succs[n])
            if sig in first:
                alias[n] = first[sig]
                count[first[sig]] += 1
                continue
            first[sig] = n
        count[n] = 1
    nodes = []
    for n in chosen:
        if n in alias:
            continue
        data = g.nodes[n]
        cls = graph.effective_classification(n) if data.get("kind") in ("dataset", "model_version") else None
        label = str(data.get("label", n)) + (f" ({count[n]} runs)" if count[n] > 1 else "")
        nodes.append(FigureNode(id=n, kind=str(data.get("kind", "")), label=label, phi=bool(cls and cls.phi),
                                pii=bool(cls and cls.pii), focus=n == focus))
    merged = list(dict.fromkeys((alias.get(a, a), alias.get(b, b)) for a, b in edges))
    inferred: set[tuple[str, str]] = set()
    for a, b in merged:
        da, db = g.nodes[a], g.nodes[b]
        sa, sb = str(da.get("store") or ""), str(db.get("store") or "")
        if (sa and sb and sa != sb) or da.get("missing") or db.get("missing"):
            inferred.add((a, b))
    return nodes, merged, inferred


def figure_layout(nodes: Sequence[FigureNode], edges: Sequence[tuple[str, str]],
                  node_height: Callable[[str], float] | None = None, y_gap: float = Y_GAP) -> Layout[str]:
    """The layered layout of the lineage figure: the GUI lineage view's
    (:func:`mlops_desktop.core.layout.layered_layout`), nodes first ordered by kind and label."""
    order = sorted(nodes, key=lambda n: (KIND_ORDER.get(n.kind, 9), n.label, n.id))
    return layered_layout([n.id for n in order], edges, node_height=node_height, y_gap=y_gap)


#: where a CamelCase word may break: before an upper-case letter following a lower-case letter or
#: digit, before the last capital of an acronym followed by lower case, between letters and digits
_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])")


def wrap_words(text: str, font: str, size: float, width: float, humps: bool = False) -> list[str] | None:
    """``text`` in lines of at most ``width`` points, broken only after a space or separator (and,
    with ``humps``, between the humps of a CamelCase word: "CsvExample|Gen"); None when a single
    word (or hump) is wider than ``width``."""
    tokens: list[str] = []
    cur = ""
    for ch in text:
        cur += ch
        if ch in BREAK_AFTER:
            tokens.append(cur)
            cur = ""
    if cur:
        tokens.append(cur)
    if humps:
        tokens = [piece for tok in tokens for piece in _HUMP.split(tok) if piece]
    lines: list[str] = []
    line = ""
    for tok in tokens:
        if stringWidth((line + tok).rstrip(), font, size) <= width:
            line += tok
            continue
        if stringWidth(tok.rstrip(), font, size) > width:
            return None
        lines.append(line.rstrip())
        line = tok.lstrip()
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return [ln for ln in lines if ln] or [""]


def fit_label(text: str, font: str, size: float, width: float) -> tuple[list[str], float]:
    """Whole ``text`` wrapped into ``width``: at ``size`` if every word fits, else at a smaller size
    (down to 5 pt); then also broken between the humps of CamelCase words ("CsvExample|Gen"), down
    to 4 pt and, when a hump is still wider than the box, smaller still. Never cut inside a word or
    a hump (a box narrower than one letter at 1 pt aside), never ellipsised: the whole label is
    always printed."""
    s = size
    while s >= 5.0:
        lines = wrap_words(text, font, s, width)
        if lines is not None:
            return lines, s
        s -= 0.5
    s = min(size, 5.0)
    while s >= 1.0:
        lines = wrap_words(text, font, s, width) if s >= 4.0 else None
        lines = lines or wrap_words(text, font, s, width, humps=True)
        if lines is not None:
            return lines, s
        s -= 0.5
    s = 1.0
    out: list[str] = []
    for piece in wrap_words(text, font, s, 1e9) or [text]:
        rest = piece
        while rest:
            cut = len(fit_text(rest, font, s, width).removesuffix("…")) if stringWidth(rest, font, s) > width else len(rest)
            cut = max(1, cut)
            out.append(rest[:cut])
            rest = rest[cut:]
    return out, s


def _symbol(kind: str, cx: float, cy: float, r: float, colour: colors.Color) -> Shape:
    shape = KIND_STYLE.get(kind, ("o", "#6b7280"))[0]
    white = colors.white
    if shape == "s":
        return Rect(cx - r * 0.85, cy - r * 0.85, r * 1.7, r * 1.7, fillColor=colour, strokeColor=white,
                    strokeWidth=0.4)
    if shape == "o":
        return Circle(cx, cy, r, fillColor=colour, strokeColor=white, strokeWidth=0.4)
    if shape == "d":
        pts = [cx, cy + r, cx + r, cy, cx, cy - r, cx - r, cy]
    elif shape == "p":
        pts = [c for k in range(5) for c in (cx + r * math.cos(math.pi / 2 + 2 * math.pi * k / 5),
                                             cy + r * math.sin(math.pi / 2 + 2 * math.pi * k / 5))]
    elif shape == "h":
        pts = [c for k in range(6) for c in (cx + r * math.cos(2 * math.pi * k / 6), cy + r * math.sin(2 * math.pi * k / 6))]
    else:  # star
        pts = [c for k in range(10) for c in (
            cx + (r if k % 2 == 0 else r * 0.45) * math.cos(math.pi / 2 + math.pi * k / 5),
            cy + (r if k % 2 == 0 else r * 0.45) * math.sin(math.pi / 2 + math.pi * k / 5))]
    return Polygon(pts, fillColor=colour, strokeColor=white, strokeWidth=0.4)


def _light(hexcolour: str) -> colors.Color:
    c = colors.HexColor(hexcolour)
    return colors.Color(c.red * 0.14 + 0.86, c.green * 0.14 + 0.86, c.blue * 0.14 + 0.86)


def _legend(d: Drawing, y: float, width: float) -> None:
    """Shapes and colours of the kinds, outlines and link styles, in rows from ``y`` down."""
    grey = colors.HexColor("#444444")
    items: list[tuple[str, object]] = [(KIND_NAMES[k], k) for k in KIND_STYLE]
    items += [("PHI reaches it (red outline)", "phi"), ("PII reaches it (orange outline)", "pii"),
              ("this version (bold)", "focus"), ("recorded link", "edge"), ("inferred link (dashed)", "inferred")]
    x = 0.0
    for text, what in items:
        w = 14 + stringWidth(text, SANS, 6.5) + 10
        if x + w > width:
            x, y = 0.0, y - 10
        if what in KIND_STYLE:
            d.add(_symbol(str(what), x + 4, y + 2.5, 3.2, colors.HexColor(KIND_STYLE[str(what)][1])))
        elif what in ("phi", "pii", "focus"):
            colour = PHI_COLOUR if what == "phi" else PII_COLOUR if what == "pii" else colors.HexColor("#555555")
            d.add(Rect(x, y - 1, 9, 7, rx=1.5, ry=1.5, fillColor=colors.white, strokeColor=colour,
                       strokeWidth=1.6 if what == "focus" else 1.0))
        else:
            d.add(Line(x, y + 2.5, x + 10, y + 2.5, strokeColor=colors.HexColor("#777777"), strokeWidth=0.7,
                       strokeDashArray=[2, 1.5] if what == "inferred" else None))
        d.add(String(x + 13, y, text, fontName=SANS, fontSize=6.5, fillColor=grey))
        x += w


@functools.lru_cache(maxsize=8)
def _legend_shapes(width: float) -> tuple[float, tuple[Shape, ...]]:
    """(height, shapes) of the legend of a figure ``width`` wide, placed as :func:`lineage_figure`
    draws it (first row at ``height - 10``): the same for every figure of that width, so built once
    (drawings may share shapes: drawing one does not change it)."""
    probe = Drawing(width, 100)
    _legend(probe, 0, width)
    ys = [s.y for s in probe.contents if isinstance(s, String)]
    height = 12 + (max(ys) - min(ys) if ys else 0)
    placed = Drawing(width, 100)
    _legend(placed, height - 10, width)
    return height, tuple(placed.contents)


def _legend_height(width: float) -> float:
    return _legend_shapes(width)[0]


def lineage_figure(
    nodes: Sequence[FigureNode],
    edges: Sequence[tuple[str, str]],
    width: float = 480,
    max_height: float = 600,
    caption: str = "",
    inferred: Collection[tuple[str, str]] = (),
) -> Drawing:
    """A layered left-to-right drawing of lineage nodes (data flows left to right), with a legend.

    Layers, the order inside each layer (crossings reduced) and the bends of long edges come
    from :func:`figure_layout` (the GUI's layout code), fed with each node's real height: every
    label is printed whole, wrapped at spaces and separators, never cut inside a word. Each
    node carries its kind's shape and colour (as in the GUI); inferred links are dashed.
    """
    if not nodes:
        d = Drawing(width, 30)
        d.add(String(0, 12, "No lineage recorded for this model.", fontName=SANS, fontSize=9))
        return d
    by_id = {n.id: n for n in nodes}
    probe = figure_layout(nodes, edges)
    n_layers = max(1, len(probe.layers))
    col_w = width / n_layers
    gap_x = min(16.0, col_w * 0.15)
    box_w = col_w - gap_x
    legend_h = _legend_height(width)
    font = 6.5
    while True:
        lead = font * 1.18
        fitted = {n.id: fit_label(n.label, SANS_BOLD if n.focus else SANS, font, box_w - 11) for n in nodes}
        common = min(size for _, size in fitted.values())  # one label size for the whole figure
        if common < font:
            fitted = {n.id: fit_label(n.label, SANS_BOLD if n.focus else SANS, common, box_w - 11) for n in nodes}
        box_h = {nid: max(font * 2.2, len(lines) * size * 1.18 + 5) for nid, (lines, size) in fitted.items()}
        gap_y = max(4.0, font * 0.9)
        slots = {nid: h + gap_y for nid, h in box_h.items()}
        layout = figure_layout(nodes, edges, node_height=slots.__getitem__, y_gap=font * 2.2 + gap_y)
        bend_ys = [y for points in layout.bends.values() for _, y in points]
        top = min([layout.positions[n][1] - (box_h[n] + gap_y) / 2 for n in layout.positions]
                  + [y - DUMMY_HEIGHT / 2 for y in bend_ys])
        bottom = max([layout.positions[n][1] + (box_h[n] + gap_y) / 2 for n in layout.positions]
                     + [y + DUMMY_HEIGHT / 2 for y in bend_ys])
        body = bottom - top
        if body + legend_h + 16 <= max_height or font <= 4.0:
            break
        font -= 0.5
    height = body + legend_h + 16
    column = {x: i for i, x in enumerate(layout.layer_x)}

    def page_y(y: float) -> float:
        return height - 14 - (y - top)

    d = Drawing(width, height)
    pos: dict[str, tuple[float, float]] = {}
    grey = colors.HexColor("#777777")
    texts: list[Shape] = []
    for col, members in enumerate(layout.layers):
        x = col * col_w
        for nid in members:
            node = by_id[nid]
            h = box_h[nid]
            y = page_y(layout.positions[nid][1]) - h / 2
            pos[nid] = (x, y)
            hexcol = KIND_STYLE.get(node.kind, ("o", "#6b7280"))[1]
            stroke = PHI_COLOUR if node.phi else PII_COLOUR if node.pii else colors.HexColor("#555555")
            d.add(Rect(x, y, box_w, h, rx=2.5, ry=2.5, fillColor=_light(hexcol), strokeColor=stroke,
                       strokeWidth=1.6 if node.focus else 1.0 if (node.phi or node.pii) else 0.5))
            lines, size = fitted[nid]
            bold = SANS_BOLD if node.focus else SANS
            lead = size * 1.18
            text_top = y + h / 2 + (len(lines) - 1) * lead / 2 - size / 3
            for k, line in enumerate(lines):
                texts.append(String(x + 9, text_top - k * lead, line, fontName=bold, fontSize=size))
            texts.append(_symbol(node.kind, x + 4.5, y + h / 2, 2.8, colors.HexColor(hexcol)))
            if node.phi or node.pii:
                texts.append(String(x + box_w - 2, y + h + 1, "PHI" if node.phi else "PII", fontName=SANS_BOLD,
                                    fontSize=5.5, textAnchor="end", fillColor=stroke))
    inferred_set = set(inferred)
    for a, b in edges:
        if a not in pos or b not in pos or a == b:
            continue
        (xa, ya), (xb, yb) = pos[a], pos[b]
        ha, hb = box_h[a], box_h[b]
        if xb > xa:
            start, end = (xa + box_w, ya + ha / 2), (xb, yb + hb / 2)
        elif xb < xa:
            start, end = (xa, ya + ha / 2), (xb + box_w, yb + hb / 2)
        else:
            start, end = (xa + box_w / 2, ya), (xb + box_w / 2, yb + hb)
        bends = [(column[bx] * col_w + box_w / 2, page_y(by)) for bx, by in layout.bends.get((a, b), [])]
        points = [start, *bends, end]
        dashed = (a, b) in inferred_set
        d.add(PolyLine([c for p in points for c in p], strokeColor=grey, strokeWidth=0.7 if dashed else 0.6,
                       strokeDashArray=[2, 1.5] if dashed else None))
        (x1, y1), (x2, y2) = points[-2], points[-1]
        ang = math.atan2(y2 - y1, x2 - x1)
        ah = 4.0
        d.add(Polygon([x2, y2, x2 - ah * math.cos(ang - 0.4), y2 - ah * math.sin(ang - 0.4),
                       x2 - ah * math.cos(ang + 0.4), y2 - ah * math.sin(ang + 0.4)],
                      fillColor=grey, strokeColor=None))
    for t in texts:
        d.add(t)
    d.add(String(0, height - 8, fit_text(caption or "Data flows left to right.", SANS, 7, width), fontName=SANS,
                 fontSize=7, fillColor=colors.HexColor("#444444")))
    d.contents.extend(_legend_shapes(width)[1])
    return d
