"""The lineage view: a layered left-to-right graph drawn with pyqtgraph.

Open it on a model version or a dataset with :meth:`LineageView.show_graph`. Nodes have
one shape and colour per kind and PII/PHI badges; hover shows details, a click selects
a node, shows its details and highlights its upstream (blue) and downstream (green).
The toolbar focuses on N hops around the focus, searches a node, fits the view and
exports PNG or SVG. Layout is computed Qt-free by :mod:`mlops_desktop.core.layout`.
"""

from __future__ import annotations

import html
import itertools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import networkx as nx
import numpy as np
import pyqtgraph as pg
from pyqtgraph import exporters
from pyqtgraph.graphicsItems.ScatterPlotItem import Symbols
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen, QPixmap, QTransform
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTextBrowser,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.layout import Layout, layered_layout
from mlops_desktop.core.lineage import DATASET, DEPLOYMENT, E_JOB, RUN, LineageGraph, shared_graph
from mlops_desktop.core.progress import CancelledFn, ProgressFn, check_cancelled
from mlops_desktop.ui.common.theme import colors

logger = logging.getLogger(__name__)

#: kind -> (pyqtgraph symbol, colour); every colour has a contrast of 3:1 or more on the light and the
#: dark window (the legend) and plot (the graph), so one set serves both themes
KIND_STYLE = {
    "dataset": ("o", "#2563eb"),
    "job": ("p", "#8b5cf6"),
    "run": ("s", "#64748b"),
    "model": ("d", "#0d9488"),
    "model_version": ("h", "#16a34a"),
    "deployment": ("star", "#ea580c"),
}
#: kind -> the name shown in the legend and the details
KIND_NAMES = {
    "dataset": "Dataset",
    "job": "Job (its runs)",
    "run": "Run",
    "model": "Model",
    "model_version": "Model version",
    "deployment": "Deployment",
}
UPSTREAM_COLOUR = "#2f74e8"  # 3.6:1 or more on the light and the dark window and plot
DOWNSTREAM_COLOUR = "#15803d"
HIGHLIGHT_COLOUR = "#dc2626"
#: A node outside the selection's lineage (or the highlight) is drawn in the theme's plot
#: foreground mixed into its plot background at this share: under 2:1 on the plot in both
#: themes, well under the 3:1 or more of the lit nodes, so it recedes on the light and the dark plot.
DIM_SHARE = 0.25
EDGE_COLOUR = "#808ea2"  # 3.3:1 on the light plot, 5.3:1 on the dark one
MAX_NODES = 2000
NODE_SIZE = 18
#: Labels are wrapped (only after a space or a separator) into lines of about this many
#: characters, at most MAX_LABEL_LINES lines; a longer label ends with "…" after a whole word
#: (the whole label is in the tooltip and the details).
MAX_LABEL_CHARS = 26
MAX_LABEL_LINES = 3
BREAK_AFTER = " -_/.:@,;"
#: Narrower wraps a label may be drawn in (characters per line, at most NARROW_MAX_LINES lines)
#: when its wider forms find no free place: at a fitted zoom the layers of a long lineage are
#: closer on screen than in the layout, and a whole label in a narrow column beats a cut one.
NARROW_WRAPS = (16, 11)
NARROW_MAX_LINES = 4
#: Which nodes a focused lineage shows.
DIRECTIONS = ("both", "upstream", "downstream")
#: Layout units (pixels at zoom 1): a label character, a node's slot in its layer, a label
#: line, and the extra slot of a node with a PII/PHI badge (drawn above it; the label below).
CHAR_WIDTH = 7.0
NODE_SLOT = 52.0
LINE_SLOT = 16.0
BADGE_SLOT = 22.0
MIN_LAYER_GAP = 120.0
#: Level of detail: a label is drawn when its node has this many pixels of room above and
#: below (and at least LABEL_MIN_PX beside); a badge as text with BADGE_TEXT_SLOT pixels,
#: else as a dot. At most MAX_LABELS_DRAWN labels per frame.
LABEL_MIN_SLOT = 34.0
LABEL_MIN_PX = 28.0
BADGE_TEXT_SLOT = 48.0
MAX_LABELS_DRAWN = 500
#: Below this many pixels per layout unit no label is drawn (the graph is a picture of its shape).
LABEL_MIN_SCALE = 0.2
#: A fit keeps the pixel scales of x and y within this factor of each other (a small lineage
#: is not stretched into a staircase to fill the plot's height), except that y may go up to
#: LABEL_SCALE (the layout's slots are sized in pixels for the labels at zoom 1).
ASPECT_BOUND = 1.5
LABEL_SCALE = 1.0
#: A fit of at most FIT_SEARCH_NODES nodes whose labels lack room at those scales stretches y
#: by these factors in turn (never past the plot's height) until every node is labelled, and
#: keeps the least stretch that labels the most.
FIT_SEARCH_NODES = 80
FIT_STRETCHES = (1.25, 1.5, 2.0, 2.5, 3.0, 4.0)
#: Pixels kept free between a label and an edge, a node or another label.
LABEL_GAP = 2.0
#: The most places one paint tries for labels (a dense view labels the first nodes; about 10 µs each).
MAX_PLACES_TRIED = 4000


def label_tokens(label: str) -> list[str]:
    """``label`` cut after each space or separator (joined again they give ``label``)."""
    tokens: list[str] = []
    cur = ""
    for ch in label:
        cur += ch
        if ch in BREAK_AFTER:
            tokens.append(cur)
            cur = ""
    if cur:
        tokens.append(cur)
    return tokens


def wrap_label(label: str, width: int = MAX_LABEL_CHARS, max_lines: int = MAX_LABEL_LINES) -> list[str]:
    """``label`` in lines of about ``width`` characters, broken only between words; past
    ``max_lines`` the last line ends with "…" after a whole word. A single word longer than
    ``width`` stays whole on its line."""
    lines: list[str] = []
    line = ""
    for tok in label_tokens(label):
        if line and len((line + tok).rstrip()) > width:
            lines.append(line)
            line = tok
        else:
            line += tok
    if line or not lines:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip() + "…"
    return [ln.rstrip() if ln.rstrip() else ln for ln in lines]


def visible_nodes_of(graph: LineageGraph, focus: str | None, hops: int, direction: str = "both") -> set[str]:
    """The nodes shown around ``focus`` (``hops`` edges, 0 = its whole lineage; ``direction``
    'upstream' or 'downstream' keeps only that side), at most MAX_NODES."""
    depth = hops if hops > 0 else None
    if focus is None:
        nodes = set(graph.g.nodes)
    elif direction == "upstream":
        nodes = {focus, *graph.upstream(focus, depth)}
    elif direction == "downstream":
        nodes = {focus, *graph.downstream(focus, depth)}
    elif hops > 0:
        nodes = graph.neighbourhood(focus, hops)
    else:
        nodes = graph.lineage_of(focus)
    if len(nodes) > MAX_NODES and focus is not None:
        near = 3
        nodes = graph.neighbourhood(focus, near)
        while len(nodes) > MAX_NODES and near > 1:
            near -= 1
            nodes = graph.neighbourhood(focus, near)
    if len(nodes) > MAX_NODES:
        nodes = set(sorted(nodes)[:MAX_NODES])
    return nodes


def fold_runs(graph: LineageGraph, nodes: set[str]) -> dict[str, str]:
    """run -> its job, for every shown run that is an instance of one shown job and carries the
    job's name (OpenLineage runs): the job's node stands for its runs, one node per entity
    instead of one per run all named alike. Runs named apart (an MLMD execution "Trainer #4")
    stay nodes of their own.
    A job whose runs would make a cycle once folded (a run reading an earlier run's output)
    keeps its runs apart, so the graph still flows left to right."""
    rep: dict[str, str] = {}
    for n in nodes:
        if graph.kind(n) != RUN:
            continue
        jobs = [p for p in graph.g.pred[n] if p in nodes and graph.edge_kind(p, n) == E_JOB]
        if len(jobs) == 1 and graph.label(jobs[0]) == graph.label(n):
            rep[n] = jobs[0]
    while rep:
        folded = nx.DiGraph()
        folded.add_nodes_from({rep.get(n, n) for n in nodes})
        folded.add_edges_from((rep.get(s, s), rep.get(t, t)) for s, t in graph.g.edges(nodes)
                              if t in nodes and rep.get(s, s) != rep.get(t, t))
        cyclic = {j for comp in nx.strongly_connected_components(folded) if len(comp) > 1 for j in comp}
        keep = {r: j for r, j in rep.items() if j not in cyclic}
        if len(keep) == len(rep):
            break
        rep = keep
    return rep


@dataclass(slots=True)
class PreparedLineage:
    """What the view draws, computed off the UI thread by :func:`prepare_lineage`."""

    graph: LineageGraph
    focus: str | None
    hops: int
    edges: list[tuple[str, str]]
    layout: Layout[str]
    #: PII/PHI badges of the visible nodes that have any (effective classification).
    badges: dict[str, list[str]] = field(default_factory=dict)
    #: The focus's visible upstream and downstream (its highlight when drawn).
    up: set[str] = field(default_factory=set)
    down: set[str] = field(default_factory=set)
    #: Node order of the arrays below (layer by layer, top to bottom).
    node_ids: list[str] = field(default_factory=list)
    #: Each node's whole label.
    labels: list[str] = field(default_factory=list)
    #: Each node's label wrapped into lines (:func:`wrap_label`).
    lines: list[list[str]] = field(default_factory=list)
    #: Each node's room in layout units: beside (to the nearer neighbouring layer) and
    #: above/below (to the nearer node of its layer). The view turns them into pixels.
    room: np.ndarray = field(default_factory=lambda: np.zeros(0))
    slot: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: 'both', 'upstream' or 'downstream' of the focus.
    direction: str = "both"
    #: Folded run -> the job node that stands for it (:func:`fold_runs`).
    rep: dict[str, str] = field(default_factory=dict)
    #: The focus asked for (a run folded into its job: ``focus`` is the job).
    requested: str | None = None

    def shown(self, node_id: str) -> str:
        """The node drawn for ``node_id`` (its job for a folded run)."""
        return self.rep.get(node_id, node_id)

    def members(self, node_id: str) -> list[str]:
        """The graph nodes a drawn node stands for (a job and its folded runs)."""
        return [node_id, *sorted(r for r, j in self.rep.items() if j == node_id)]


def fitted_scales(fill_x: float, fill_y: float, y: float | None = None) -> tuple[float, float]:
    """The scales (pixels per layout unit) a fit gives x and y, from those that would fill the
    plot's width and height: each at most its filling one, and neither more than ASPECT_BOUND
    times the other unless the layout's own size (LABEL_SCALE, where its slots hold the wrapped
    labels) asks for it. ``y``: the y scale asked for instead (at most the filling one)."""
    sy = min(fill_y, max(ASPECT_BOUND * fill_x, LABEL_SCALE)) if y is None else min(fill_y, y)
    sx = min(fill_x, max(ASPECT_BOUND * sy, LABEL_SCALE))
    return sx, sy


def short_label(label: str) -> str:
    """The first line of the wrapped label ("…" after a whole word when there is more)."""
    lines = wrap_label(label, MAX_LABEL_CHARS, 1)
    return lines[0]


def label_choices(lines: list[str]) -> list[list[str]]:
    """What a node's label may be drawn as, longest first: its wrapped lines, then its first
    line, then ever shorter runs of its first words, each cut one ending in "…" after a whole
    word (the whole label is in the node's tooltip)."""
    choices = [list(lines)]
    full = "".join(lines).replace("…", "")
    if len(lines) > 1 and not lines[-1].endswith("…"):
        choices.append([full])  # whole on one line, where a wide place is free
    if lines and not lines[-1].endswith("…"):
        for width in NARROW_WRAPS:  # whole in a narrower column, where the layers are close on screen
            narrow = wrap_label(full, width, NARROW_MAX_LINES)
            if not narrow[-1].endswith("…") and narrow not in choices:
                choices.append(narrow)
    tokens = label_tokens(lines[0].removesuffix("…")) if lines else []
    for k in range(len(tokens), 0, -1):
        head = "".join(tokens[:k]).rstrip()
        if not head or head == full:
            continue
        text = [head + "…"]
        if text not in choices:
            choices.append(text)
    return choices


def segment_hits_rect(x0: float, y0: float, x1: float, y1: float, rect: QRectF) -> bool:
    """Whether the segment (x0, y0)-(x1, y1) meets ``rect`` (Liang-Barsky clipping)."""
    left, top, right, bottom = rect.left(), rect.top(), rect.right(), rect.bottom()
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 - left), (dx, right - x0), (-dy, y0 - top), (dy, bottom - y0)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            if t > t1:
                return False
            t0 = max(t0, t)
        else:
            if t < t0:
                return False
            t1 = min(t1, t)
    return t0 <= t1


def prepare_lineage(graph: LineageGraph, focus: str | None, hops: int = 0, direction: str = "both",
                    fold: bool = True) -> PreparedLineage:
    """Pick the visible nodes, fold runs into their jobs, classify and lay them out (no Qt:
    runs in a worker thread).

    Layers run left to right from raw data (datasets nothing produced stay in the first
    layer) to deployments (all in the last layer); the layout gives every layer room for its
    wrapped labels and every badged node room for its badge (sizes in pixels at zoom 1), and
    splits long edges so they run straight past the nodes in between.
    """
    focus = focus if focus in graph else None
    raw_nodes = visible_nodes_of(graph, focus, hops, direction if direction in DIRECTIONS else "both")
    if fold and focus is not None and direction == "downstream":
        # the downstream leaves out the jobs of its runs: bring them in to fold the runs into
        raw_nodes |= {p for n in list(raw_nodes) if graph.kind(n) == RUN for p in graph.g.pred[n]
                      if graph.edge_kind(p, n) == E_JOB and graph.label(p) == graph.label(n)}
    rep = fold_runs(graph, raw_nodes) if fold else {}
    nodes = {rep.get(n, n) for n in raw_nodes}
    edges = list(dict.fromkeys((rep.get(s, s), rep.get(t, t)) for s, t in graph.g.edges(raw_nodes)
                               if t in raw_nodes and rep.get(s, s) != rep.get(t, t)))
    badges: dict[str, list[str]] = {}
    for n in raw_nodes:
        found = graph.effective_classification(n).badges
        if found:
            into = badges.setdefault(rep.get(n, n), [])
            into.extend(b for b in found if b not in into)
    lines = {n: wrap_label(graph.label(n)) for n in nodes}
    layout = layered_layout(
        sorted(nodes), edges, x_gap=MIN_LAYER_GAP,
        label_width=lambda n: max(len(ln) for ln in lines[n]) * CHAR_WIDTH,
        node_height=lambda n: NODE_SLOT + LINE_SLOT * (len(lines[n]) - 1) + (BADGE_SLOT if n in badges else 0.0),
        last=lambda n: graph.kind(n) == DEPLOYMENT,
        pull_source=lambda n: graph.kind(n) != DATASET,
    )
    focus_shown = rep.get(focus, focus) if focus is not None else None
    prepared = PreparedLineage(graph, focus_shown, hops, edges, layout, badges, direction=direction, rep=rep,
                               requested=focus)
    prepared.node_ids = [n for lay in layout.layers for n in lay]
    prepared.labels = [graph.label(n) for n in prepared.node_ids]
    prepared.lines = [lines[n] for n in prepared.node_ids]
    prepared.room, prepared.slot = _rooms(layout)
    if focus_shown is not None:
        prepared.up, prepared.down = flow_of(prepared, focus_shown, nodes)
    return prepared


def flow_of(prepared: PreparedLineage, node_id: str, shown: set[str]) -> tuple[set[str], set[str]]:
    """The shown upstream and downstream of a drawn node (of its job and runs, when folded)."""
    graph = prepared.graph
    up: set[str] = set()
    down: set[str] = set()
    for m in prepared.members(node_id):
        up.update(prepared.shown(n) for n in graph.upstream(m))
        down.update(prepared.shown(n) for n in graph.downstream(m))
    up &= shown
    down &= shown
    up.discard(node_id)
    down.discard(node_id)
    return up, down


def _rooms(layout: Layout[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per node (layer by layer): distance to the nearer neighbouring layer, and to the nearer
    node of its own layer (long edges' bends ignored)."""
    xs = layout.layer_x
    room: list[float] = []
    slot: list[float] = []
    for li, lay in enumerate(layout.layers):
        gaps = [xs[li] - xs[li - 1]] if li > 0 else []
        gaps += [xs[li + 1] - xs[li]] if li + 1 < len(xs) else []
        beside = min(gaps, default=2 * MIN_LAYER_GAP)
        ys = np.array([layout.positions[n][1] for n in lay])
        diffs = np.diff(ys)
        above = np.concatenate(([np.inf], diffs))
        below = np.concatenate((diffs, [np.inf]))
        near = np.minimum(above, below)
        near[np.isinf(near)] = 2 * NODE_SLOT
        room.extend([beside] * len(lay))
        slot.extend(near.tolist())
    return np.asarray(room, dtype=float), np.asarray(slot, dtype=float)


@cache
def _pen(colour: str | None, width: float = 1.0) -> QPen:
    """Shared pens and brushes: pyqtgraph's symbol atlas caches by object, so reusing them
    renders each node style once instead of once per node."""
    return pg.mkPen(colour, width=width)


@cache
def _brush(colour: str) -> QBrush:
    return pg.mkBrush(colour)


class _RectGrid:
    """Rectangles already painted, bucketed by a coarse pixel grid (cheap overlap tests)."""

    CELL = 96.0

    def __init__(self) -> None:
        self._cells: dict[tuple[int, int], list[QRectF]] = {}

    def _keys(self, rect: QRectF) -> list[tuple[int, int]]:
        c = self.CELL
        xs = range(int(rect.left() // c), int(rect.right() // c) + 1)
        ys = range(int(rect.top() // c), int(rect.bottom() // c) + 1)
        return [(x, y) for x in xs for y in ys]

    def add(self, rect: QRectF) -> None:
        for key in self._keys(rect):
            self._cells.setdefault(key, []).append(rect)

    def add_if_free(self, rect: QRectF) -> bool:
        if not self.is_free(rect):
            return False
        self.add(rect)
        return True

    def is_free(self, rect: QRectF) -> bool:
        padded = rect.adjusted(-3, -1, 3, 1)
        return not any(padded.intersects(other) for key in self._keys(padded) for other in self._cells.get(key, ()))

    def blocking(self, rect: QRectF) -> list[QRectF]:
        """The rectangles that keep ``rect`` from being free (each once)."""
        padded = rect.adjusted(-3, -1, 3, 1)
        found: dict[int, QRectF] = {}
        for key in self._keys(padded):
            for other in self._cells.get(key, ()):
                if padded.intersects(other):
                    found[id(other)] = other
        return list(found.values())

    def remove(self, rect: QRectF) -> None:
        """Take out ``rect`` (the very object added)."""
        for key in self._keys(rect):
            cell = self._cells.get(key)
            if cell is not None:
                cell[:] = [other for other in cell if other is not rect]


class _SegmentGrid:
    """Edge segments in pixels, bucketed by the cells their bounding boxes cover."""

    CELL = 64.0

    def __init__(self, segments: np.ndarray, screen: QRectF) -> None:
        """``segments`` (x0, y0, x1, y1) in pixels; only those over ``screen`` are kept (labels
        are placed on screen), bucketed over the screen's cells."""
        if len(segments):
            lo_x = np.minimum(segments[:, 0], segments[:, 2])
            hi_x = np.maximum(segments[:, 0], segments[:, 2])
            lo_y = np.minimum(segments[:, 1], segments[:, 3])
            hi_y = np.maximum(segments[:, 1], segments[:, 3])
            keep = (hi_x >= screen.left()) & (lo_x <= screen.right()) & (hi_y >= screen.top()) & (lo_y <= screen.bottom())
            segments = segments[keep]
        self._segments = segments.tolist()
        #: each segment's bounding box (left, top, right, bottom): most rectangles are rejected on it
        self._boxes = np.column_stack((np.minimum(segments[:, 0], segments[:, 2]),
                                       np.minimum(segments[:, 1], segments[:, 3]),
                                       np.maximum(segments[:, 0], segments[:, 2]),
                                       np.maximum(segments[:, 1], segments[:, 3]))).tolist() if len(segments) else []
        self._cells: dict[tuple[int, int], list[int]] = {}
        c = self.CELL
        if not len(segments):
            return
        sl, st = int(screen.left() // c), int(screen.top() // c)
        sr, sb = int(screen.right() // c), int(screen.bottom() // c)
        lo_x = np.clip(np.floor(np.minimum(segments[:, 0], segments[:, 2]) / c), sl, sr).astype(int)
        hi_x = np.clip(np.floor(np.maximum(segments[:, 0], segments[:, 2]) / c), sl, sr).astype(int)
        lo_y = np.clip(np.floor(np.minimum(segments[:, 1], segments[:, 3]) / c), st, sb).astype(int)
        hi_y = np.clip(np.floor(np.maximum(segments[:, 1], segments[:, 3]) / c), st, sb).astype(int)
        for i, (ax, bx, ay, by) in enumerate(zip(lo_x.tolist(), hi_x.tolist(), lo_y.tolist(), hi_y.tolist(),
                                                 strict=True)):
            for x in range(ax, bx + 1):
                for y in range(ay, by + 1):
                    self._cells.setdefault((x, y), []).append(i)

    def hits(self, rect: QRectF) -> bool:
        c = self.CELL
        left, top, right, bottom = rect.left(), rect.top(), rect.right(), rect.bottom()
        seen: set[int] = set()
        boxes, cells = self._boxes, self._cells
        for x in range(int(left // c), int(right // c) + 1):
            for y in range(int(top // c), int(bottom // c) + 1):
                for i in cells.get((x, y), ()):
                    if i in seen:
                        continue
                    seen.add(i)
                    b = boxes[i]
                    if b[0] > right or b[2] < left or b[1] > bottom or b[3] < top:
                        continue
                    x0, y0, x1, y1 = self._segments[i]
                    if segment_hits_rect(x0, y0, x1, y1, rect):
                        return True
        return False


class NodeTextItem(pg.GraphicsObject):
    """Every label and PII/PHI badge of the graph, painted by one item with level of detail.

    One ``TextItem`` per label or badge costs a QGraphicsItem each (slow to create, and
    each re-positions itself on every pan). This item paints only what is on screen, in
    pixels: each label at a place around its node that meets no edge (:meth:`set_edges`),
    node symbol, badge or other label, whole or cut after a whole word (:func:`label_choices`),
    a badge as a coloured "PII"/"PHI" tag above its node, or as a dot when zoomed out. The
    places are computed again only when the view moves or the graph changes.
    """

    def __init__(self) -> None:
        super().__init__()
        self._pos = np.zeros((0, 2))
        self._lines: list[list[str]] = []
        self._room = np.zeros(0)
        self._slot = np.zeros(0)
        self._badges: dict[int, tuple[str, bool]] = {}  # node index -> (text, has PHI)
        self._bounds = QRectF()
        self._font = QFont()
        self._badge_font = QFont()
        self._badge_font.setBold(True)
        self._badge_font.setPointSizeF(max(self._font.pointSizeF() * 0.8, 6.0))
        self._metrics = QFontMetricsF(self._font)
        self._badge_metrics = QFontMetricsF(self._badge_font)
        self._widths: dict[tuple[int, int], float] = {}
        self._choice_cache: dict[int, list[list[str]]] = {}
        #: The labels' places for the view state in ``_placed_key`` (``_epoch`` counts data changes).
        self._placed: dict[int, tuple[list[str], QRectF]] = {}
        self._placed_key: tuple[object, ...] | None = None
        self._placed_at = (0.0, 0.0)
        self._epoch = 0
        self.placements = 0  # how often the labels were placed (the rest of the paints reuse them)
        self._fg = QColor("#374151")
        self._badge_fg = QColor("#ffffff")
        self._pii = QColor("#b45309")
        self._phi = QColor("#b91c1c")
        self._halo = QColor(255, 255, 255, 200)
        #: What the last paint drew (for tests and benchmarks).
        self.labels_drawn = 0
        self.badges_drawn = 0
        #: node index -> the lines the last paint drew for it, and where (viewport pixels)
        self.drawn: dict[int, list[str]] = {}
        self.drawn_rects: dict[int, QRectF] = {}
        #: node index -> how many places clear of edges, nodes and badges the last placing found
        #: for its label (0: none at this zoom; its name is in its tooltip, and zooming in shows it)
        self.free_places: dict[int, int] = {}
        #: The badge drawn above each node, in device pixels (last paint).
        self.badge_rects: dict[int, QRectF] = {}
        #: Edge segments (x0, y0, x1, y1) in layout units: no label is drawn over them.
        self._segments = np.zeros((0, 4))
        #: Index of the node drawn larger (the selection), placed first.
        self.first: int | None = None

    @property
    def badge_count(self) -> int:
        return len(self._badges)

    def set_nodes(self, pos: np.ndarray, lines: list[list[str]], room: np.ndarray, slot: np.ndarray,
                  badges: dict[int, list[str]]) -> None:
        """``lines``: each node's wrapped label (:func:`wrap_label`)."""
        self.prepareGeometryChange()
        self._pos = np.asarray(pos, dtype=float).reshape(-1, 2)
        self._lines = [list(ln) for ln in lines]
        self._room = np.asarray(room, dtype=float)
        self._slot = np.asarray(slot, dtype=float)
        self._badges = {i: (" ".join(b), "PHI" in b) for i, b in badges.items()}
        self._widths.clear()
        self._choice_cache.clear()
        self._epoch += 1
        if len(self._pos):
            lo, hi = self._pos.min(axis=0), self._pos.max(axis=0)
            self._bounds = QRectF(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
        else:
            self._bounds = QRectF()
        self.update()

    def set_edges(self, segments: np.ndarray) -> None:
        """The drawn edges, as segments (x0, y0, x1, y1) in layout units."""
        self._segments = np.asarray(segments, dtype=float).reshape(-1, 4)
        self._epoch += 1
        self.update()

    def set_colours(self, foreground: str, badge_text: str, pii: str, phi: str, background: str = "#ffffff") -> None:
        self._fg, self._badge_fg, self._pii, self._phi = QColor(foreground), QColor(badge_text), QColor(pii), QColor(phi)
        self._halo = QColor(background)
        self._halo.setAlpha(200)  # labels stay readable over the edges behind them
        self.update()

    # -- QGraphicsItem ------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        if not len(self._pos):
            return QRectF()
        pw, ph = self.pixelSize()  # the labels' pixel margins, in data units at the current zoom
        mx = (MAX_LABEL_CHARS * CHAR_WIDTH / 2 + 10) * (pw or 0.0)
        my = (NODE_SIZE / 2 + (MAX_LABEL_LINES + 1) * self._metrics.height() + 6) * (ph or 0.0)
        return self._bounds.adjusted(-mx, -my, mx, my)

    def viewTransformChanged(self) -> None:  # noqa: N802 - pyqtgraph hook: zoom changes the margins
        self.prepareGeometryChange()

    def paint(self, p: QPainter, *_args: object) -> None:
        self.labels_drawn = self.badges_drawn = 0
        self.drawn = {}
        self.drawn_rects = {}
        self.badge_rects = {}
        if not len(self._pos):
            return
        tr = p.transform()
        sx, sy = tr.m11(), tr.m22()
        px = self._pos[:, 0] * sx + tr.dx()
        py = self._pos[:, 1] * sy + tr.dy()
        device = p.device()
        width, height = (device.width(), device.height()) if device is not None else (1e9, 1e9)
        margin = MAX_LABEL_CHARS * CHAR_WIDTH
        shown = np.flatnonzero((px > -margin) & (px < width + margin) & (py > -60) & (py < height + 60))
        if not len(shown):
            return
        p.save()
        p.resetTransform()
        try:
            placed = _RectGrid()
            self._paint_badges(p, shown, px, py, self._slot * abs(sy), placed)
            if len(shown) <= MAX_LABELS_DRAWN and min(abs(sx), abs(sy)) >= LABEL_MIN_SCALE:
                # placing is the costly part: done again when the zoom, the size, the nodes in view
                # or the graph change; a pan moves the labels placed with their nodes
                key = (sx, sy, width, height, self.first, self._epoch, shown.tobytes())
                if self._placed_key != key:
                    self.placements += 1
                    self._placed = self._placements(shown, px, py, tr, width, height, placed)
                    self._placed_key, self._placed_at = key, (tr.dx(), tr.dy())
                    labelled = self._placed
                else:
                    ddx, ddy = tr.dx() - self._placed_at[0], tr.dy() - self._placed_at[1]
                    labelled = {i: (text, rect.translated(ddx, ddy)) for i, (text, rect) in self._placed.items()}
                self._draw_labels(p, labelled)
        finally:
            p.restore()

    def _placements(self, shown: np.ndarray, px: np.ndarray, py: np.ndarray, tr: QTransform, width: float,
                    height: float, placed: _RectGrid) -> dict[int, tuple[list[str], QRectF]]:
        """The labels of the nodes ``shown`` at pixels ``px``, ``py`` (``placed`` holds the badges)."""
        sx, sy = tr.m11(), tr.m22()
        seg = self._segments
        pixel = np.column_stack((seg[:, 0] * sx + tr.dx(), seg[:, 1] * sy + tr.dy(),
                                 seg[:, 2] * sx + tr.dx(), seg[:, 3] * sy + tr.dy()))
        order = shown.tolist()
        if self.first in order:
            order.remove(self.first)
            order.insert(0, self.first)
        half = (NODE_SIZE + 6) / 2 + LABEL_GAP  # the largest symbol drawn (selected, marked)
        for i in order:
            placed.add(QRectF(px[i] - half, py[i] - half, 2 * half, 2 * half))
        screen = QRectF(0, 0, width, height)
        return self._place_labels(order, px, py, placed, _SegmentGrid(pixel, screen), screen,
                                  min(abs(sx), abs(sy)) >= 1.0)

    def unlabelled_at(self, tr: QTransform, width: float, height: float) -> int:
        """How many nodes on screen a paint with item-to-device transform ``tr`` on a ``width`` x
        ``height`` device would leave without a label (nothing painted, nothing kept)."""
        if not len(self._pos):
            return 0
        sx, sy = tr.m11(), tr.m22()
        px = self._pos[:, 0] * sx + tr.dx()
        py = self._pos[:, 1] * sy + tr.dy()
        shown = np.flatnonzero((px > 0) & (px < width) & (py > 0) & (py < height))
        if len(shown) > MAX_LABELS_DRAWN or min(abs(sx), abs(sy)) < LABEL_MIN_SCALE:
            return len(shown)
        kept = self.badge_rects, self.badges_drawn
        self.badge_rects = {}
        try:
            placed = _RectGrid()
            self._paint_badges(None, shown, px, py, self._slot * abs(sy), placed)
            return len(shown) - len(self._placements(shown, px, py, tr, width, height, placed))
        finally:
            self.badge_rects, self.badges_drawn = kept

    def _place_labels(self, which: list[int], px: np.ndarray, py: np.ndarray, placed: _RectGrid,
                      edges: _SegmentGrid, screen: QRectF,
                      over_edges: bool = False) -> dict[int, tuple[list[str], QRectF]]:
        """Each label where it meets no edge, node, badge or other label and stays on screen:
        below its node, else above, right or left of it, else at a corner; whole (its wrapped
        lines, or one line) where such a place is free, else cut after a whole word and ending
        in "…" (the node's tooltip has it whole), else not at all: never cut inside a word.

        The places clear of edges, nodes and badges are found first; the labels with the fewest
        of them are placed first (the first node given, the selection, before all), the whole
        forms of every label before any cut one. With ``over_edges`` (zoomed in to the layout's
        own size or closer) a label with no clear place then goes over the edges, on its halo,
        never over a node or another label. Placing stops after MAX_PLACES_TRIED places."""
        height = self._metrics.height()
        off = (NODE_SIZE + 6) / 2 + LABEL_GAP + 4  # clear of its node's (largest) symbol and padding
        lean = off - LABEL_GAP  # below or above, leaning right or left of the node
        options: dict[int, list[tuple[int, list[str], QRectF]]] = {}
        badge_tops = {i: rect.top() for i, rect in self.badge_rects.items()}

        def places(i: int, x: float, y: float, w: float, h: float) -> tuple[QRectF, ...]:
            around = (QRectF(x - w / 2, y + off, w, h), QRectF(x - lean, y + off, w, h),
                      QRectF(x + lean - w, y + off, w, h), QRectF(x - w / 2, y - off - h, w, h),
                      QRectF(x + off, y - h / 2, w, h), QRectF(x - off - w, y - h / 2, w, h),
                      QRectF(x - lean, y - off - h, w, h), QRectF(x + lean - w, y - off - h, w, h),
                      QRectF(x - off - w, y + lean, w, h), QRectF(x + off, y + lean, w, h),
                      QRectF(x - off - w, y - lean - h, w, h), QRectF(x + off, y - lean - h, w, h))
            top = badge_tops.get(i)
            if top is None:
                return around
            # above the node's PII/PHI tag (the tag takes the place right above the node)
            bottom = top - LABEL_GAP - 1
            return (*around, QRectF(x - w / 2, bottom - h, w, h), QRectF(x - lean, bottom - h, w, h),
                    QRectF(x + lean - w, bottom - h, w, h))

        tried = 0

        def clear(rect: QRectF) -> bool:
            nonlocal tried
            tried += 1
            return screen.contains(rect) and placed.is_free(rect) and not edges.hits(
                rect.adjusted(-LABEL_GAP, -LABEL_GAP, LABEL_GAP, LABEL_GAP))

        for i in which:
            if tried > MAX_PLACES_TRIED:  # a dense view: the rest stay unlabelled until zoomed in
                options[i] = []
                continue
            x, y = px[i], py[i]
            found: list[tuple[int, list[str], QRectF]] = []
            choices = self._choices(i)
            # the shortest form's rectangle at a place lies inside every longer form's there: a
            # place it does not fit is tried for no other form
            last = len(choices) - 1
            free = [j for j, rect in enumerate(places(i, x, y, self._width(i, last, choices[last]),
                                                      height * len(choices[last]))) if clear(rect)]
            for k, text in enumerate(choices):
                if not free:
                    break
                rects = places(i, x, y, self._width(i, k, text), height * len(text))
                for j in free:
                    if k == last or clear(rects[j]):
                        found.append((k, text, rects[j]))
            options[i] = found
        self.free_places = {i: len(found) for i, found in options.items()}
        whole = {i: sum(1 for _k, text, _r in found if not text[-1].endswith("…")) for i, found in options.items()}
        first = which[:1] if which and which[0] == self.first else []
        order = first + sorted((i for i in which if i not in first), key=lambda i: (whole[i], len(options[i])))
        labelled: dict[int, tuple[list[str], QRectF]] = {}
        for cut in (False, True):
            for i in order:
                if i in labelled:
                    continue
                for _k, text, rect in options[i]:
                    if text[-1].endswith("…") != cut:
                        continue
                    if placed.is_free(rect):
                        placed.add(rect)
                        labelled[i] = (text, rect)
                        break
        self._repair(order, options, labelled, placed)
        if over_edges:  # zoomed in to the layout's own size or closer: dense edges leave no clear place
            for i in order:
                if i in labelled or tried > MAX_PLACES_TRIED:
                    continue
                tried += 12
                choices = self._choices(i)
                for k in (0, len(choices) - 1):
                    text = choices[k]
                    spot = next((r for r in places(i, px[i], py[i], self._width(i, k, text), height * len(text))
                                 if screen.contains(r) and placed.is_free(r)), None)
                    if spot is not None:
                        placed.add(spot)
                        labelled[i] = (text, spot)
                        break
        return labelled

    @staticmethod
    def _repair(order: list[int], options: dict[int, list[tuple[int, list[str], QRectF]]],
                labelled: dict[int, tuple[list[str], QRectF]], placed: _RectGrid) -> None:
        """Label a node left without one where a single other label blocks one of its places and
        that label can move to another of its own free places (neighbouring layers close on
        screen: the greedy order gave the place to the first that asked)."""
        owner = {id(rect): j for j, (_text, rect) in labelled.items()}
        for i in order:
            if i in labelled:
                continue
            for _k, text, rect in options[i]:
                blockers = placed.blocking(rect)
                if len(blockers) != 1 or id(blockers[0]) not in owner:  # a node, a badge, or more labels
                    continue
                j = owner[id(blockers[0])]
                old = labelled[j][1]
                placed.remove(old)
                placed.add(rect)
                moved = next(((t, r) for _k2, t, r in options[j] if r is not old and placed.is_free(r)), None)
                if moved is None:
                    placed.remove(rect)
                    placed.add(old)
                    continue
                placed.add(moved[1])
                del owner[id(old)]
                labelled[j] = moved
                labelled[i] = (text, rect)
                owner[id(moved[1])] = j
                owner[id(rect)] = i
                break

    def _draw_labels(self, p: QPainter, labelled: dict[int, tuple[list[str], QRectF]]) -> None:
        p.setFont(self._font)
        p.setPen(self._fg)
        ascent, height = self._metrics.ascent(), self._metrics.height()
        for i, (text, rect) in labelled.items():
            p.fillRect(rect.adjusted(-2, 0, 2, 0), self._halo)
            for j, line in enumerate(text):
                lw = self._metrics.horizontalAdvance(line)
                p.drawText(QPointF(rect.center().x() - lw / 2, rect.top() + j * height + ascent), line)
            self.drawn[i] = list(text)
            self.drawn_rects[i] = rect
            self.labels_drawn += 1

    def _choices(self, i: int) -> list[list[str]]:
        found = self._choice_cache.get(i)
        if found is None:
            found = self._choice_cache[i] = label_choices(self._lines[i])
        return found

    def _width(self, i: int, k: int, text: list[str]) -> float:
        found = self._widths.get((i, k))
        if found is None:
            found = max((self._metrics.horizontalAdvance(line) for line in text), default=0.0)
            self._widths[(i, k)] = found
        return found

    def _paint_badges(self, p: QPainter | None, shown: np.ndarray, px: np.ndarray, py: np.ndarray, slot: np.ndarray,
                      placed: _RectGrid) -> None:
        """Each shown node's badge (``p`` None: only where, for :meth:`unlabelled_at`)."""
        if p is not None:
            p.setFont(self._badge_font)
        fm = self._badge_metrics
        h = fm.height() + 2
        for i in shown.tolist():
            badge = self._badges.get(i)
            if badge is None:
                continue
            text, phi = badge
            colour = self._phi if phi else self._pii
            if p is not None:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(colour)
            if slot[i] >= BADGE_TEXT_SLOT:
                w = fm.horizontalAdvance(text) + 8
                rect = QRectF(px[i] - w / 2, py[i] - NODE_SIZE / 2 - 3 - h, w, h)
                placed.add(rect)
                self.badge_rects[i] = rect
                if p is not None:
                    p.drawRoundedRect(rect, 3, 3)
                    p.setPen(self._badge_fg)
                    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
            elif p is not None:  # zoomed out: a dot at the node's upper right
                p.drawEllipse(QPointF(px[i] + NODE_SIZE / 2, py[i] - NODE_SIZE / 2), 4.0, 4.0)
            self.badges_drawn += 1


def lineage_job(
    catalog: object,
    graph: LineageGraph | None,
    focus: str | None,
    hops: int = 0,
    direction: str = "both",
    fold: bool = True,
    *,
    progress: ProgressFn,
    is_cancelled: CancelledFn,
) -> PreparedLineage:
    """Worker function: build the catalog's graph (unless given), then lay out around ``focus``."""
    if graph is None:
        graph = shared_graph(catalog, progress, is_cancelled)  # type: ignore[arg-type]
    check_cancelled(is_cancelled)
    progress(0, 1, "Laying out the lineage")
    return prepare_lineage(graph, focus, hops, direction, fold)


class LineageView(QWidget):
    """Standalone lineage widget (embedded by the main window).

    With ``layout_slot`` (a :class:`~mlops_desktop.ui.common.workers.TaskSlot`) the layout after a
    change of hops runs in that worker; without one it runs in place (small graphs, tests).
    """

    sig_node_selected = Signal(str)
    sig_impact_requested = Signal(str)  # a dataset node's id: show what it reaches (node context menu)

    def __init__(self, parent: QWidget | None = None, *, layout_slot: object | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LineageView")
        self.setAccessibleName("Lineage graph")
        self.layout_slot = layout_slot
        self.graph: LineageGraph | None = None
        self.focus: str | None = None
        self.selected: str | None = None
        self.node_ids: list[str] = []
        self.positions: dict[str, tuple[float, float]] = {}
        self.highlighted_up: set[str] = set()
        self.highlighted_down: set[str] = set()
        #: Nodes marked by :meth:`highlight` (an impact query, say), drawn in HIGHLIGHT_COLOUR;
        #: the marks asked for are kept across layouts (hops, direction) until cleared.
        self.highlighted: set[str] = set()
        self._marks: list[str] = []
        self._prepared: PreparedLineage | None = None
        self._edge_list: list[tuple[str, str]] = []

        self.search = QLineEdit(placeholderText="Search a node (name, id)…")
        self.search.returnPressed.connect(self._on_search_return)
        self.hops = QSpinBox(minimum=0, maximum=50, value=0)
        self.hops.setSpecialValueText("all")
        self.hops.setToolTip("Show N hops around the focus (all = its whole upstream and downstream)")
        self.hops.valueChanged.connect(self._on_hops_changed)
        self.direction = QComboBox()
        self.direction.setObjectName("lineageDirection")
        self.direction.setAccessibleName("Lineage direction")
        for key, text in (("both", "Upstream and downstream"), ("upstream", "Upstream only"),
                          ("downstream", "Downstream only")):
            self.direction.addItem(text, key)
        self.direction.setToolTip("Show what the focus derives from (upstream), what derives from it "
                                  "(downstream), or both")
        self.direction.currentIndexChanged.connect(lambda _i: self._on_hops_changed(self.hops.value()))
        self.fold = QCheckBox("Runs under their job")
        self.fold.setObjectName("lineageFoldRuns")
        self.fold.setChecked(True)
        self.fold.setToolTip("Draw a job's runs that carry its name as one node, the job's "
                             "(its details list the runs)")
        self.fold.toggled.connect(lambda _on: self._on_hops_changed(self.hops.value()))
        self.fit_button = QPushButton("Fit")
        self.fit_button.clicked.connect(self.fit)
        self.png_button = QPushButton("Export PNG…")
        self.png_button.clicked.connect(lambda: self._on_export_clicked("png"))
        self.svg_button = QPushButton("Export SVG…")
        self.svg_button.clicked.connect(lambda: self._on_export_clicked("svg"))
        self.status = QLabel("No lineage loaded.")
        bar = QHBoxLayout()
        bar.addWidget(self.search, 2)
        bar.addWidget(QLabel("Hops:"))
        bar.addWidget(self.hops)
        bar.addWidget(self.direction)
        bar.addWidget(self.fold)
        for b in (self.fit_button, self.png_button, self.svg_button):
            bar.addWidget(b)

        self.plot = pg.PlotWidget()
        self.plot.setBackground(colors().plot_background)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setAspectLocked(False)
        self.plot.setMenuEnabled(False)
        self.view: pg.ViewBox = self.plot.getViewBox()
        self.edges = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(EDGE_COLOUR, width=1.2))
        self.up_edges = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(UPSTREAM_COLOUR, width=2.5))
        self.down_edges = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(DOWNSTREAM_COLOUR, width=2.5))
        self.arrows = pg.ScatterPlotItem(pxMode=True)
        self.nodes = pg.ScatterPlotItem(pxMode=True, hoverable=True, tip=self._tip,
                                        hoverPen=self.hover_pen())
        self.text_item = NodeTextItem()  # labels and badges
        for item in (self.edges, self.up_edges, self.down_edges, self.arrows, self.nodes, self.text_item):
            self.plot.addItem(item)
        self.nodes.sigClicked.connect(self._on_nodes_clicked)
        #: True while the range is the one :meth:`fit` chose: a resize of the plot (a panel shown
        #: under it, the window resized) fits again; a pan or zoom by the user keeps its range.
        self._fitted = False
        self.view.sigRangeChangedManually.connect(self._on_range_changed_manually)
        self.view.sigResized.connect(self._on_view_resized)
        self.plot.viewport().installEventFilter(self)  # a label's tooltip: its node's, the label whole
        self.plot.viewport().setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.plot.viewport().customContextMenuRequested.connect(self._on_plot_context_menu)

        self.details = QTextBrowser()
        self.details.setOpenLinks(False)
        self.details.setMinimumWidth(240)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.plot)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        self.split = split
        self._split_sized = False
        self.legend = LineageLegend()
        #: The graph and details above, a panel added by :meth:`add_panel` (the impact table) below.
        self.panels = QSplitter(Qt.Orientation.Vertical)
        self.panels.addWidget(split)
        self.panels.setStretchFactor(0, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.legend)
        layout.addWidget(self.panels, 1)
        layout.addWidget(self.status)

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        """Give the graph three quarters of the width the first time the view is shown."""
        super().showEvent(event)  # type: ignore[arg-type]
        if not self._split_sized and self.split.width() > 400:
            self._split_sized = True
            total = sum(self.split.sizes())
            self.split.setSizes([total * 3 // 4, total - total * 3 // 4])
            if self.positions:
                self.fit()

    # --- public API ------------------------------------------------------------------------
    def add_panel(self, widget: QWidget, stretch: int = 2) -> None:
        """Put ``widget`` under the graph (in a splitter; hide it to give the graph the room)."""
        self.panels.addWidget(widget)
        self.panels.setStretchFactor(self.panels.count() - 1, stretch)

    def show_graph(self, graph: LineageGraph, focus_node_id: str | None = None, hops: int | None = None,
                   direction: str | None = None) -> None:
        """Show the lineage around ``focus_node_id`` (its upstream and downstream, or
        ``hops`` edges around it, or one ``direction``), or the whole graph when there is no focus."""
        self.graph = graph
        self.focus = focus_node_id if focus_node_id in graph else None
        if hops is not None:
            self._set_hops(hops)
        if direction is not None:
            self._set_direction(direction)
        self._rebuild()
        if self.focus:
            self.select(self.focus)

    @staticmethod
    def selection_pen() -> QPen:
        """The ring of the selected node: the theme's text colour, which stands out from its plot."""
        return _pen(colors().text, 3)

    @staticmethod
    def hover_pen() -> QPen:
        """The outline of the node under the pointer (as the selection ring, thinner)."""
        return _pen(colors().text, 2)

    def apply_theme(self, _is_dark: bool = False) -> None:
        """Redraw with the current theme's colours (same nodes, same layout, same selection)."""
        self.plot.setBackground(colors().plot_background)
        self.nodes.opts["hoverPen"] = self.hover_pen()
        self.legend.refresh()
        if self.graph is None or self._prepared is None:
            return
        selected, status = self.selected, self.status.text()
        self._rebuild(self._prepared)
        self._reselect(selected)
        self.status.setText(status)  # same nodes, same words

    def show_prepared(self, prepared: PreparedLineage) -> None:
        """Show a layout computed in a worker by :func:`prepare_lineage` (nothing heavy here)."""
        self.graph = prepared.graph
        self.focus = prepared.requested
        self._set_hops(prepared.hops)
        self._set_direction(prepared.direction)
        self._rebuild(prepared)
        if self.focus:
            self.select(self.focus)

    def _set_hops(self, hops: int) -> None:
        self.hops.blockSignals(True)
        self.hops.setValue(hops)
        self.hops.blockSignals(False)

    def _set_direction(self, direction: str) -> None:
        index = self.direction.findData(direction)
        self.direction.blockSignals(True)
        self.direction.setCurrentIndex(max(index, 0))
        self.direction.blockSignals(False)

    def direction_key(self) -> str:
        """'both', 'upstream' or 'downstream': what the direction switch shows of the focus."""
        return str(self.direction.currentData() or "both")

    def set_direction(self, direction: str) -> None:
        """Show only the focus's upstream, only its downstream, or both (laid out again)."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}")
        self.direction.setCurrentIndex(self.direction.findData(direction))

    def visible_nodes(self) -> set[str]:
        """The graph nodes the view shows (a folded job's runs included)."""
        graph = self.graph
        if graph is None:
            return set()
        return visible_nodes_of(graph, self.focus, self.hops.value(), self.direction_key())

    def shown_node(self, node_id: str) -> str:
        """The drawn node that stands for ``node_id`` (its job, for a run folded into it)."""
        return self._prepared.shown(node_id) if self._prepared is not None else node_id

    def select(self, node_id: str | None) -> None:
        """Select a node: details, and highlight its upstream and downstream."""
        graph = self.graph
        node_id = self.shown_node(node_id) if node_id is not None else None
        prepared = self._prepared
        if graph is None or prepared is None or node_id is None or node_id not in self.positions:
            self.selected = None
            self.highlighted_up = set()
            self.highlighted_down = set()
            self._restyle()
            return
        self.selected = node_id
        if node_id == prepared.focus and prepared.graph is graph and (prepared.up or prepared.down):
            self.highlighted_up, self.highlighted_down = set(prepared.up), set(prepared.down)
        else:
            self.highlighted_up, self.highlighted_down = flow_of(prepared, node_id, set(self.node_ids))
        self._restyle()
        self.details.setHtml(self._details_html(node_id))
        self.sig_node_selected.emit(node_id)

    def highlight(self, node_ids: Iterable[str]) -> set[str]:
        """Mark ``node_ids`` (say, what an impact query found) in HIGHLIGHT_COLOUR and dim the
        rest; an empty iterable clears the marks. Returns the drawn nodes marked (a folded
        run marks its job; nodes not shown are left out)."""
        self._marks = list(node_ids)
        shown = set(self.node_ids)
        self.highlighted = {self.shown_node(n) for n in self._marks} & shown
        self._restyle()
        if self.highlighted:
            self.status.setText(f"{len(self.highlighted)} node(s) highlighted.")
        return set(self.highlighted)

    def find_node(self, text: str) -> str | None:
        """Select (and centre on) the first node whose label or id contains ``text``."""
        graph = self.graph
        needle = text.strip().lower()
        if graph is None or not needle:
            return None
        pool = list(self.node_ids) + [n for n in graph.g.nodes if n not in self.positions]
        for n in pool:
            if needle in n.lower() or needle in graph.label(n).lower():
                if self.shown_node(n) not in self.positions:
                    self.focus = n
                    self._rebuild()
                self.select(n)
                x, y = self.positions[self.shown_node(n)]
                self._fitted = False
                self.view.setRange(xRange=(x - 400, x + 400), yRange=(y - 250, y + 250), padding=0)
                return n
        self.status.setText(f"No node matches {text!r}.")
        return None

    def fit(self) -> None:
        """Show every node with room for the labels drawn beside the outer ones, in proportion:
        the scales of x and y (pixels per layout unit) stay within ASPECT_BOUND of each other
        unless the layout's own size (zoom 1, where its slots hold the labels) needs more, so a
        small lineage reads as columns instead of a staircase stretched to the plot's height."""
        if not self.positions:
            self.view.autoRange(padding=0.08)
            return
        bends = self._prepared.layout.bends if self._prepared is not None else {}
        points = [*self.positions.values(), *(b for path in bends.values() for b in path)]
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        width = max(max(xs) - min(xs), 1.0)
        height = max(max(ys) - min(ys), 1.0)
        # margins in pixels: the first layer's labels fit left of their nodes and the last layer's
        # right of theirs (each as wide as its widest line, at most 260 px), badges above the top
        # row and a label's lines below the bottom one
        px_w = max(self.view.width(), 400.0)
        px_h = max(self.view.height(), 300.0)
        top, bottom = 40.0, 24.0 + MAX_LABEL_LINES * QFontMetricsF(QFont()).height()
        outer = (self._layers()[:1], self._layers()[-1:])
        left, right = (self._side_margin(lay) for lay in outer)
        fill_y = max(px_h - top - bottom, 100.0) / height
        fill_x = max(px_w - left - right, 100.0) / width

        def apply(sx: float, sy: float) -> None:  # the graph centred in what is left over
            spare_x = max(px_w - left - right - width * sx, 0.0) / 2
            spare_y = max(px_h - top - bottom - height * sy, 0.0) / 2
            x0 = min(xs) - (left + spare_x) / sx
            y0 = min(ys) - (top + spare_y) / sy
            self.view.setRange(xRange=(x0, x0 + px_w / sx), yRange=(y0, y0 + px_h / sy), padding=0)

        sx, sy = fitted_scales(fill_x, fill_y)
        apply(sx, sy)
        if len(self.node_ids) <= FIT_SEARCH_NODES and self.isVisible():
            # labels lacking room in proportion: y stretched step by step (up to filling the plot)
            # until every node is labelled, the stretch with the fewest left unlabelled kept
            best = (self._unlabelled(), sy)
            for y in sorted({min(sy * stretch, fill_y) for stretch in FIT_STRETCHES}):
                if best[0] == 0 or y <= sy:
                    continue
                apply(*fitted_scales(fill_x, fill_y, y))
                missing = self._unlabelled()
                if missing < best[0]:
                    best = (missing, y)
            apply(*fitted_scales(fill_x, fill_y, best[1]))
        self._fitted = True

    def _unlabelled(self) -> int:
        """Nodes the current range would leave without a label (placed, not painted)."""
        viewport = self.plot.viewport()
        self.view.updateMatrix()
        tr = self.text_item.deviceTransform(self.plot.viewportTransform())
        return self.text_item.unlabelled_at(tr, viewport.width(), viewport.height())

    def scale(self) -> tuple[float, float]:
        """Pixels per layout unit along x and y at the current range."""
        (x0, x1), (y0, y1) = self.view.viewRange()
        return self.view.width() / max(x1 - x0, 1e-9), self.view.height() / max(y1 - y0, 1e-9)

    def _on_range_changed_manually(self, *_args: object) -> None:
        self._fitted = False

    def _on_view_resized(self, *_args: object) -> None:
        if self._fitted:
            self.fit()

    def _layers(self) -> list[list[str]]:
        return self._prepared.layout.layers if self._prepared is not None else []

    def _side_margin(self, layers: list[list[str]]) -> float:
        """Pixels beside an outer layer for its labels drawn beside the nodes (60 to 260): a
        dense layer has no room under its nodes, and edges leave it slanting up and down."""
        if self.graph is None or not layers:
            return 60.0
        metrics = QFontMetricsF(QFont())
        widest = max((metrics.horizontalAdvance(line) for n in layers[0] for line in wrap_label(self.graph.label(n))),
                     default=0.0)
        return float(min(max(widest + NODE_SIZE + 12.0, 60.0), 260.0))


    def export_png(self, path: str | Path, width: int = 1600) -> Path:
        exporter = exporters.ImageExporter(self.plot.plotItem)
        exporter.parameters()["width"] = width
        exporter.export(str(path))
        return Path(path)

    def export_svg(self, path: str | Path) -> Path:
        """Vector SVG of the plot as shown (QSvgGenerator; pyqtgraph's SVG exporter cannot
        write pair-connected curves)."""
        size = self.plot.size()
        gen = QSvgGenerator()
        gen.setFileName(str(path))
        gen.setSize(size)
        gen.setViewBox(QRect(0, 0, size.width(), size.height()))
        gen.setTitle("Lineage")
        gen.setDescription(self.status.text())
        painter = QPainter(gen)
        try:
            self.plot.render(painter)
        finally:
            painter.end()
        if not Path(path).exists():
            raise OSError(f"could not write {path}")
        return Path(path)

    # --- drawing ---------------------------------------------------------------------------
    def _rebuild(self, prepared: PreparedLineage | None = None) -> None:
        graph = self.graph
        if graph is None:
            self.text_item.set_nodes(np.zeros((0, 2)), [], np.zeros(0), np.zeros(0), {})
            return
        if prepared is None:
            prepared = prepare_lineage(graph, self.focus, self.hops.value(), self.direction_key(),
                                       self.fold.isChecked())
        self._prepared = prepared
        edges, layout = prepared.edges, prepared.layout
        self.positions = layout.positions
        self.node_ids = list(prepared.node_ids)
        self._edge_list = edges
        self._draw_edges(self.edges, edges)
        if edges:
            xs, ys = self._segments(edges)
            self.text_item.set_edges(np.column_stack((xs[0::2], ys[0::2], xs[1::2], ys[1::2])))
        else:
            self.text_item.set_edges(np.zeros((0, 4)))
        index = {n: i for i, n in enumerate(self.node_ids)}
        pos = np.array([self.positions[n] for n in self.node_ids], dtype=float).reshape(-1, 2)
        badges = {index[n]: b for n, b in prepared.badges.items() if n in index}
        self.text_item.set_nodes(pos, prepared.lines, prepared.room, prepared.slot, badges)
        c = colors()
        self.text_item.set_colours(c.plot_foreground, c.badge_text, c.pii, c.phi, c.plot_background)
        self.selected = None
        self.highlighted_up, self.highlighted_down = set(), set()
        self.highlighted = {prepared.shown(n) for n in self._marks} & set(self.node_ids)
        self.legend.set_kinds({graph.kind(n) for n in self.node_ids}, bool(prepared.badges))
        self._draw_arrows()
        self._restyle()
        side = {"upstream": " upstream of", "downstream": " downstream of"}.get(prepared.direction, " around")
        focus = f"{side} {graph.label(self.focus)}" if self.focus else ""
        self.status.setText(f"{len(self.node_ids)} nodes, {len(edges)} edges{focus}; "
                            f"{layout.crossings} crossings. Click a node for details; wheel zooms, drag pans; "
                            f"zoom in for the labels.")
        self.fit()

    def _paths(self, edges: list[tuple[str, str]]) -> list[list[tuple[float, float]]]:
        """Each edge's points: source, its bends around the layers it crosses, target."""
        bends = self._prepared.layout.bends if self._prepared is not None else {}
        return [[self.positions[s], *bends.get((s, t), ()), self.positions[t]] for s, t in edges]

    def _segments(self, edges: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        pairs = [pt for path in self._paths(edges) for a, b in itertools.pairwise(path) for pt in (a, b)]
        xy = np.array(pairs, dtype=float).reshape(-1, 2)
        return xy[:, 0], xy[:, 1]

    def _draw_edges(self, item: pg.PlotCurveItem, edges: list[tuple[str, str]]) -> None:
        if edges:
            xs, ys = self._segments(edges)
            item.setData(xs, ys)
        else:
            item.setData([], [])

    def _restyle(self) -> None:
        graph = self.graph
        if graph is None:
            return
        selected = self.selected
        active = selected is not None
        up, down = self.highlighted_up, self.highlighted_down
        marked = self.highlighted
        active = active or bool(marked)
        lit = up | down | marked | ({selected} if selected else set())
        white, sel_pen = _pen("#ffffff", 1), self.selection_pen()
        mark_pen = _pen(HIGHLIGHT_COLOUR, 4)
        up_pen, down_pen = _pen(UPSTREAM_COLOUR, 3), _pen(DOWNSTREAM_COLOUR, 3)
        dim_name = dim_colour().name()
        dim, dim_pen = _brush(dim_name), _pen(dim_name, 1)
        n_nodes = len(self.node_ids)
        pos = np.empty((n_nodes, 2))
        symbols, brushes, pens, sizes = [], [], [], []
        for i, n in enumerate(self.node_ids):
            symbol, colour = KIND_STYLE.get(graph.kind(n), ("o", "#6b7280"))
            if n == selected:
                pens.append(sel_pen)
            elif n in marked:
                pens.append(mark_pen)
            elif n in up:
                pens.append(up_pen)
            elif n in down:
                pens.append(down_pen)
            elif active and n not in lit:
                pens.append(dim_pen)  # no bright ring around a dimmed node on the dark plot
            else:
                pens.append(white)
            brushes.append(_brush(colour) if not active or n in lit else dim)
            symbols.append(symbol)
            sizes.append(NODE_SIZE + (6 if n == selected or n in marked else 0))
            pos[i] = self.positions[n]
        self.nodes.setData(pos=pos, symbol=symbols, brush=brushes, pen=pens, size=sizes, data=list(self.node_ids))
        self.text_item.first = self.node_ids.index(selected) if selected in self.positions else None
        self.text_item.update()
        up_set = up | ({selected} if selected else set())
        down_set = down | ({selected} if selected else set())
        self._draw_edges(self.up_edges, [(s, t) for s, t in self._edge_list if s in up_set and t in up_set
                                         and (t == selected or t in up)])
        self._draw_edges(self.down_edges, [(s, t) for s, t in self._edge_list if s in down_set and t in down_set
                                           and (s == selected or s in down)])

    def _draw_arrows(self) -> None:
        """Arrow heads near each edge's target (positions only change on a rebuild)."""
        edges = self._edge_list
        if not edges:
            self.arrows.setData([])
            return
        last = np.array([(*path[-2], *path[-1]) for path in self._paths(edges)], dtype=float).reshape(-1, 4)
        x0, y0, x1, y1 = last[:, 0], last[:, 1], last[:, 2], last[:, 3]
        length = np.maximum(np.hypot(x1 - x0, y1 - y0), 1e-9)
        f = np.maximum(0.0, 1 - 16 / length)
        pos = np.column_stack((x0 + (x1 - x0) * f, y0 + (y1 - y0) * f))
        symbols = ["t2" if b >= a else "t3" for a, b in zip(x0, x1, strict=True)]
        self.arrows.setData(pos=pos, symbol=symbols, size=7, brush=_brush(EDGE_COLOUR), pen=_pen(None))

    # --- text ----------------------------------------------------------------------------
    def _tip(self, x: float, y: float, data: object) -> str:
        graph = self.graph
        if graph is None or not isinstance(data, str) or data not in graph:
            return ""
        node = graph.node(data)
        badges = (self._prepared.badges.get(data) if self._prepared is not None else None) \
            or graph.effective_classification(data).badges
        lines = [f"{node['label']} ({kind_name(node['kind'])})", data]
        runs = self._prepared.members(data)[1:] if self._prepared is not None else []
        if runs:
            lines.append(f"{len(runs)} run(s) of this job")
        if badges:
            lines.append("Classification: " + ", ".join(badges))
        for k, v in list(node["tags"].items())[:6]:
            lines.append(f"{k} = {readable(v)}")
        return "\n".join(lines)

    def _details_html(self, node_id: str) -> str:
        graph = self.graph
        assert graph is not None
        node = graph.node(node_id)
        members = self._prepared.members(node_id) if self._prepared is not None else [node_id]
        badges: list[str] = []
        for m in members:
            badges += [b for b in graph.effective_classification(m).badges if b not in badges]
        e = html.escape
        parts = [f"<h3>{e(node['label'])}</h3>",
                 f"<p><b>{e(kind_name(node['kind']))}</b><br><code>{e(node_id)}</code></p>"]
        origin = graph.classification_origin(node_id)
        parts.append(f"<p><b>Effective classification:</b> {e(', '.join(badges) or 'none')}</p>")
        for key in ("phi", "pii"):
            if origin[key] and origin[key] != [node_id]:
                src = ", ".join(graph.label(n) for n in origin[key][:4])
                parts.append(f"<p>{key.upper()} from: {e(src)}</p>")
        if node["tags"]:
            rows = "".join(f"<tr><td>{e(k)}</td><td>{e(readable(v))}</td></tr>" for k, v in node["tags"].items())
            parts.append(f"<p><b>Tags</b></p><table>{rows}</table>")
        skip = {"kind", "label", "tags", "columns"}
        attrs = [(k, v) for k, v in node.items() if k not in skip and v not in (None, "", [], {})]
        if attrs:
            rows = "".join(f"<tr><td>{e(field_name(k))}</td><td>{e(readable(v)[:200])}</td></tr>" for k, v in attrs)
            parts.append(f"<p><b>Details</b></p><table>{rows}</table>")
        runs = members[1:]
        if runs:
            items = "".join(f"<li>{e(graph.label(r))} <code>{e(r.removeprefix('run:'))}</code></li>" for r in runs[:50])
            more = f"<p>… and {len(runs) - 50} more</p>" if len(runs) > 50 else ""
            parts.append(f"<p><b>Runs of this job ({len(runs)})</b></p><ul>{items}</ul>{more}")
        columns = node.get("columns") or []
        if columns:
            items_c = []
            for col in columns:
                flags = []
                if col.get("masked"):
                    flags.append("masked")
                flags += [f"{k}={readable(v)}" for k, v in (col.get("tags") or {}).items()]
                extra = f" <i>[{e(', '.join(flags))}]</i>" if flags else ""
                items_c.append(f"<li>{e(col['name'])} {e(str(col.get('type', '')))}{extra}</li>")
            parts.append(f"<p><b>Columns</b></p><ul>{''.join(items_c)}</ul>")
        parts.append(f"<p>{len(self.highlighted_up)} upstream, {len(self.highlighted_down)} downstream shown.</p>")
        return "".join(parts)

    # --- handlers ----------------------------------------------------------------------------
    def _on_nodes_clicked(self, _item: object, points: object) -> None:
        pts = list(points) if points is not None else []  # type: ignore[call-overload]
        if pts:
            self.select(str(pts[0].data()))

    def node_at(self, pos: QPoint) -> str | None:
        """The drawn node under ``pos`` (viewport pixels), if any."""
        if not self.node_ids:
            return None
        scene = self.plot.mapToScene(pos)
        point = self.nodes.mapFromScene(scene)
        hits = self.nodes.pointsAt(point)
        return str(hits[0].data()) if len(hits) else None

    def label_at(self, pos: QPoint | QPointF) -> str | None:
        """The node whose label the last paint drew under ``pos`` (viewport pixels), if any."""
        point = QPointF(pos)
        for i, rect in self.text_item.drawn_rects.items():
            if rect.contains(point) and i < len(self.node_ids):
                return self.node_ids[i]
        return None

    def label_tooltip(self, pos: QPoint | QPointF) -> str:
        """What hovering a label shows: its node's tooltip (the whole label, kind, id), also
        for a label drawn cut with "…"; "" off the labels."""
        node_id = self.label_at(pos)
        return self._tip(0.0, 0.0, node_id) if node_id is not None else ""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ToolTip and watched is self.plot.viewport():
            tip = self.label_tooltip(event.pos())  # type: ignore[attr-defined]
            if tip:
                QToolTip.showText(event.globalPos(), tip, self.plot.viewport())  # type: ignore[attr-defined]
                return True
        return super().eventFilter(watched, event)

    def node_menu(self, node_id: str) -> QMenu:
        """The context menu of a node: details, focus, and for a dataset its impact."""
        graph = self.graph
        menu = QMenu(self)
        menu.setObjectName("lineageNodeMenu")
        menu.addAction("Show details", lambda: self.select(node_id))
        menu.addAction("Focus the lineage here", lambda: self.refocus(node_id))
        if graph is not None and node_id in graph and graph.kind(node_id) == DATASET:
            menu.addSeparator()
            impact = menu.addAction("Impact: versions and deployments it reaches…",
                                    lambda: self.sig_impact_requested.emit(node_id))
            impact.setObjectName("impactAction")
        return menu

    def refocus(self, node_id: str) -> None:
        """Centre the lineage on ``node_id`` (laid out again, in the worker when there is one)."""
        if self.graph is None or node_id not in self.graph:
            return
        self.focus = node_id
        self._on_hops_changed(self.hops.value())

    def _on_plot_context_menu(self, pos: QPoint) -> None:
        node_id = self.node_at(pos)
        if node_id is None:
            return
        menu = self.node_menu(node_id)
        self._menu = menu
        menu.popup(self.plot.viewport().mapToGlobal(pos))

    def _on_search_return(self) -> None:
        self.find_node(self.search.text())

    def _on_hops_changed(self, value: int) -> None:
        selected = self.selected
        slot = self.layout_slot
        if slot is not None and self.graph is not None:
            self.status.setText("Laying out…")
            slot.start(lineage_job, None, self.graph, self.focus, value, self.direction_key(),  # type: ignore[attr-defined]
                       self.fold.isChecked(), label="Lineage layout",
                       on_done=lambda prepared, sel=selected: self._on_layout_done(prepared, sel))
            return
        self._rebuild()
        self._reselect(selected)

    def _on_layout_done(self, prepared: PreparedLineage, selected: str | None) -> None:
        if prepared.graph is not self.graph or prepared.requested != self.focus:
            return
        self._rebuild(prepared)
        self._reselect(selected)

    def _reselect(self, selected: str | None) -> None:
        if selected in self.positions:
            self.select(selected)
        elif self.focus:
            self.select(self.focus)

    def _on_export_clicked(self, fmt: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, f"Export lineage as {fmt.upper()}", f"lineage.{fmt}",
                                              f"{fmt.upper()} (*.{fmt})")
        if not path:
            return
        try:
            (self.export_png if fmt == "png" else self.export_svg)(path)
        except OSError as exc:
            self.status.setText(f"Could not write {path}: {exc.strerror or exc}")
            return
        self.status.setText(f"Saved {path}")


def kind_name(kind: str) -> str:
    """The name of a node kind for people ("model_version" -> "Model version")."""
    return KIND_NAMES.get(kind, kind.replace("_", " ").capitalize())


def field_name(key: str) -> str:
    """A node attribute's name for people ("model_name" -> "Model name", "run_id" -> "Run ID")."""
    words = key.replace("_", " ").split()
    out = [w.upper() if w in {"id", "uri", "url"} else w for w in words]
    text = " ".join(out)
    return text[:1].upper() + text[1:]


def readable(value: object) -> str:
    """A value as text for people: lists joined by commas, mappings as "key: value", yes/no
    for booleans (never a Python repr such as ['champion'])."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {readable(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        return ", ".join(readable(v) for v in items)
    return "" if value is None else str(value)


class FlowLayout(QLayout):
    """Items left to right, wrapped onto the next line when the width runs out (Qt's flow
    layout example): the legend never makes the page wider than the window."""

    def __init__(self, parent: QWidget | None = None, h_spacing: int = 14, v_spacing: int = 2) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._h, self._v = h_spacing, v_spacing

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt override
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt override
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt override
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt override
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _arrange(self, rect: QRect, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line = area.x(), area.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and line > 0:
                x, y, line = area.x(), y + line + self._v, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._h
            line = max(line, hint.height())
        return y + line - rect.y() + m.bottom()


class LineageLegend(QWidget):
    """One entry per node kind drawn (its shape and colour), the selection's upstream and
    downstream colours, a highlight and the PII/PHI badges (wrapped onto more lines when the
    page is narrow)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lineageLegend")
        self.setAccessibleName("Lineage legend")
        self._row = FlowLayout(self)
        self._row.setContentsMargins(2, 0, 2, 0)
        self._kinds: set[str] = set(KIND_STYLE)
        self._badges = True
        #: The text of each entry, in order (for tests and screen readers).
        self.entries: list[str] = []
        self.refresh()

    def set_kinds(self, kinds: set[str], badges: bool) -> None:
        self._kinds, self._badges = set(kinds), badges
        self.refresh()

    def refresh(self) -> None:
        while self._row.count():
            item = self._row.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()
        self.entries = []
        for kind, (symbol, colour) in KIND_STYLE.items():
            if kind in self._kinds:
                self._add(_symbol_pixmap(symbol, colour), kind_name(kind))
        for colour, text in ((UPSTREAM_COLOUR, "upstream of the selection"),
                             (DOWNSTREAM_COLOUR, "downstream of it"), (HIGHLIGHT_COLOUR, "highlighted")):
            self._add(_line_pixmap(colour), text)
        if self._badges:
            c = colors()
            for text, colour in (("PII", c.pii), ("PHI", c.phi)):
                self._add(None, "", badge=(text, colour))
            self.entries[-2:] = ["PII badge: personal data upstream", "PHI badge: health data upstream"]
        self.setToolTip("Legend: " + "; ".join(self.entries))

    def _add(self, pixmap: QPixmap | None, text: str, badge: tuple[str, str] | None = None) -> None:
        entry = QWidget()
        row = QHBoxLayout(entry)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        if pixmap is not None:
            icon = QLabel()
            icon.setPixmap(pixmap)
            row.addWidget(icon)
        if badge is not None:
            tag = QLabel(badge[0])
            tag.setStyleSheet(f"background:{badge[1]}; color:{colors().badge_text}; font-weight:bold;"
                              "border-radius:3px; padding:0 4px;")
            row.addWidget(tag)
            text = {"PII": "personal data", "PHI": "health data"}[badge[0]]
        row.addWidget(QLabel(text))
        self._row.addWidget(entry)
        self.entries.append(text)


def _symbol_pixmap(symbol: str, colour: str, size: int = 14) -> QPixmap:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(size / 2, size / 2)
        painter.scale(size - 2, size - 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawPath(Symbols[symbol])
    finally:
        painter.end()
    return pix


def _line_pixmap(colour: str, width: int = 18, height: int = 14) -> QPixmap:
    pix = QPixmap(width, height)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    try:
        painter.setPen(QPen(QColor(colour), 3))
        painter.drawLine(1, height // 2, width - 1, height // 2)
    finally:
        painter.end()
    return pix


def dim_colour() -> QColor:
    """The colour of a dimmed node in the current theme (see DIM_SHARE)."""
    c = colors()
    fg, bg = QColor(c.plot_foreground), QColor(c.plot_background)
    def mix(a: int, b: int) -> int:
        return round(a * DIM_SHARE + b * (1 - DIM_SHARE))

    return QColor(mix(fg.red(), bg.red()), mix(fg.green(), bg.green()), mix(fg.blue(), bg.blue()))


def kind_colour(kind: str) -> QColor:
    return QColor(KIND_STYLE.get(kind, ("o", "#6b7280"))[1])


__all__ = ["KIND_STYLE", "LineageLegend", "LineageView", "NodeTextItem", "dim_colour", "kind_colour", "readable", "wrap_label"]
