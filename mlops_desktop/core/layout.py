"""Layered left-to-right layout for lineage graphs (Sugiyama style, Qt-free).

1. cycles are broken by reversing DFS back edges (for layering only);
2. layers by longest path from the sources, so data flows left to right;
3. an edge spanning several layers is split by dummy nodes, one per layer it crosses,
   so crossing reduction sees it and it bends around the nodes in between
   (:attr:`Layout.bends`);
4. crossings reduced by barycentre sweeps (down and up, a few rounds, the best order kept);
5. coordinates: x by layer, each gap wide enough for the labels on both sides of it
   (``label_width``); y by sweeps that move each node towards its neighbours in the next
   layer while keeping its layer's order and slots (``node_height``: a node with a badge
   needs more; dummies a thin slot and a stronger pull, so long edges run straight); centred.

Sizes are in layout units meant to be pixels at zoom 1 (the view draws labels in pixels).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

N = TypeVar("N", bound=Hashable)

#: The smallest distance between layers (and the default when no label widths are given).
X_GAP = 220.0
#: The height of a node's slot in its layer (node and label) when no heights are given.
Y_GAP = 70.0
#: Room kept between the labels of neighbouring layers.
LABEL_GAP = 28.0
#: The slot of a dummy node (a long edge passing through a layer).
DUMMY_HEIGHT = 24.0


@dataclass(slots=True)
class Layout(Generic[N]):
    positions: dict[N, tuple[float, float]] = field(default_factory=dict)
    #: Real nodes only, top to bottom in each layer, layers left to right.
    layers: list[list[N]] = field(default_factory=list)
    #: Crossings between edge segments of adjacent layers (long edges counted along their dummies).
    crossings: int = 0
    #: Bend points of each edge that spans more than one layer (its dummy nodes), source to target.
    bends: dict[tuple[N, N], list[tuple[float, float]]] = field(default_factory=dict)
    #: x of each layer.
    layer_x: list[float] = field(default_factory=list)


def _break_cycles(nodes: Sequence[N], succ: dict[N, list[N]]) -> set[tuple[N, N]]:
    """Back edges of an iterative DFS (reversing them makes the graph acyclic)."""
    state: dict[N, int] = {}
    back: set[tuple[N, N]] = set()
    for root in nodes:
        if root in state:
            continue
        state[root] = 1
        stack: list[tuple[N, int]] = [(root, 0)]
        while stack:
            node, i = stack[-1]
            children = succ[node]
            if i < len(children):
                stack[-1] = (node, i + 1)
                child = children[i]
                st = state.get(child, 0)
                if st == 0:
                    state[child] = 1
                    stack.append((child, 0))
                elif st == 1:
                    back.add((node, child))
            else:
                state[node] = 2
                stack.pop()
    return back


def count_crossings(layers: Sequence[Sequence[N]], edges: Iterable[tuple[N, N]]) -> int:
    """Crossings between edges joining adjacent layers (long edges are not counted)."""
    layer_of: dict[N, int] = {}
    pos: dict[N, int] = {}
    for li, layer in enumerate(layers):
        for i, n in enumerate(layer):
            layer_of[n] = li
            pos[n] = i
    by_gap: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for s, t in edges:
        if s not in layer_of or t not in layer_of:
            continue
        ls, lt = layer_of[s], layer_of[t]
        if lt == ls + 1:
            by_gap[ls].append((pos[s], pos[t]))
        elif ls == lt + 1:
            by_gap[lt].append((pos[t], pos[s]))
    total = 0
    for pairs in by_gap.values():
        pairs.sort()
        # count inversions of the target positions (merge sort)
        total += _inversions([t for _, t in pairs])
    return total


def _inversions(seq: list[int]) -> int:
    if len(seq) < 2:
        return 0
    mid = len(seq) // 2
    left, right = seq[:mid], seq[mid:]
    count = _inversions(left) + _inversions(right)
    i = j = 0
    merged: list[int] = []
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            merged.append(left[i])
            i += 1
        else:
            merged.append(right[j])
            count += len(left) - i
            j += 1
    merged += left[i:] + right[j:]
    seq[:] = merged
    return count


class _Dummy:
    """A point where a long edge crosses a layer (never equal to a real node)."""

    __slots__ = ("edge", "step")

    def __init__(self, edge: tuple[object, object], step: int) -> None:
        self.edge = edge
        self.step = step

    def __repr__(self) -> str:
        return f"_Dummy({self.edge!r}, {self.step})"


def _fit_in_order(desired: Sequence[float], weights: Sequence[float], gaps: Sequence[float]) -> list[float]:
    """The positions ``y`` closest to ``desired`` (weighted least squares) that keep the
    layer's order with ``y[i+1] - y[i] >= gaps[i]`` (pool-adjacent-violators on the offsets)."""
    offsets = [0.0]
    for g in gaps:
        offsets.append(offsets[-1] + g)
    # blocks of (weighted mean of desired - offset, total weight, count)
    blocks: list[list[float]] = []
    for d, w, off in zip(desired, weights, offsets, strict=True):
        blocks.append([d - off, w, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, c2 = blocks.pop()
            v1, w1, c1 = blocks[-1]
            blocks[-1] = [(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, c1 + c2]
    out: list[float] = []
    for v, _w, c in blocks:
        out.extend([v] * int(c))
    return [z + off for z, off in zip(out, offsets, strict=True)]


def _assign_y(
    layers: list[list[object]],
    segments: list[tuple[object, object]],
    level: dict[object, int],
    height: Callable[[object], float],
    rounds: int = 6,
) -> dict[object, float]:
    """y of every node (and dummy): stacked first, then sweeps that move each node towards the
    mean y of its neighbours in the layer just swept, keeping the order and the slots of its
    layer. Dummies pull harder, so long edges run straight instead of zig-zagging."""
    up: dict[object, list[object]] = defaultdict(list)
    down: dict[object, list[object]] = defaultdict(list)
    for a, b in segments:
        if level[a] < level[b]:
            down[a].append(b)
            up[b].append(a)
        elif level[b] < level[a]:
            down[b].append(a)
            up[a].append(b)
    y: dict[object, float] = {}
    for lay in layers:
        hs = [height(v) for v in lay]
        top = -sum(hs) / 2.0
        for v, h in zip(lay, hs, strict=True):
            y[v] = top + h / 2.0
            top += h
    gaps = [[(height(a) + height(b)) / 2.0 for a, b in itertools.pairwise(lay)] for lay in layers]
    weights = [[4.0 if isinstance(v, _Dummy) else 1.0 for v in lay] for lay in layers]

    def place(li: int, sides: tuple[dict[object, list[object]], ...]) -> None:
        lay = layers[li]
        if not lay:
            return
        desired = []
        for v in lay:
            adj = [y[m] for side in sides for m in side.get(v, ())]
            desired.append(sum(adj) / len(adj) if adj else y[v])
        for v, nv in zip(lay, _fit_in_order(desired, weights[li], gaps[li]), strict=True):
            y[v] = nv

    n = len(layers)
    for r in range(rounds):
        if r % 2 == 0:
            for li in range(1, n):
                place(li, (up,))
        else:
            for li in range(n - 2, -1, -1):
                place(li, (down,))
    for li in range(n):  # a last pass balancing both sides
        place(li, (up, down))
    if y:
        lo = min(y[v] - height(v) / 2 for v in y)
        hi = max(y[v] + height(v) / 2 for v in y)
        mid = (lo + hi) / 2.0
        for v in y:
            y[v] -= mid
    return y


def layered_layout(
    nodes: Iterable[N],
    edges: Iterable[tuple[N, N]],
    *,
    sweeps: int = 12,
    x_gap: float = X_GAP,
    y_gap: float = Y_GAP,
    label_width: Callable[[N], float] | None = None,
    node_height: Callable[[N], float] | None = None,
    dummies: bool = True,
    last: Callable[[N], bool] | None = None,
    pull_source: Callable[[N], bool] | None = None,
) -> Layout[N]:
    """Positions for ``nodes`` with ``edges`` flowing left to right.

    ``label_width(n)`` is the width of the label drawn centred under ``n``: neighbouring
    layers are at least ``x_gap`` apart and far enough for their widest labels not to
    meet. ``node_height(n)`` is the height ``n`` needs in its layer (default ``y_gap``).
    ``dummies=False`` skips splitting long edges (faster, more crossings).
    ``last(n)`` true for a node without successors puts it in the last layer (deployments
    line up on the right); ``pull_source(n)`` false keeps a source in the first layer (raw
    data on the left) instead of next to its first successor.
    """
    node_list = list(dict.fromkeys(nodes))
    known = set(node_list)
    edge_list = [(s, t) for s, t in dict.fromkeys(edges) if s in known and t in known and s != t]
    succ: dict[N, list[N]] = {n: [] for n in node_list}
    for s, t in edge_list:
        succ[s].append(t)
    back = _break_cycles(node_list, succ)
    dag_succ: dict[N, list[N]] = {n: [] for n in node_list}
    indeg: dict[N, int] = dict.fromkeys(node_list, 0)
    for s, t in edge_list:
        a, b = (t, s) if (s, t) in back else (s, t)
        if b in dag_succ[a]:
            continue
        dag_succ[a].append(b)
        indeg[b] += 1
    # longest-path layering in topological order (Kahn)
    layer: dict[N, int] = dict.fromkeys(node_list, 0)
    queue = [n for n in node_list if indeg[n] == 0]
    head = 0
    while head < len(queue):
        n = queue[head]
        head += 1
        for m in dag_succ[n]:
            if layer[n] + 1 > layer[m]:
                layer[m] = layer[n] + 1
            indeg[m] -= 1
            if indeg[m] == 0:
                queue.append(m)
    # pull sources (jobs, registered models) next to their first successor: shorter edges
    has_pred = {b for a in node_list for b in dag_succ[a]}
    for n in node_list:
        if n not in has_pred and dag_succ[n] and (pull_source is None or pull_source(n)):
            layer[n] = max(layer[n], min(layer[m] for m in dag_succ[n]) - 1)
    if last is not None:
        end = max(layer.values(), default=0)
        for n in node_list:
            if not dag_succ[n] and n in has_pred and last(n):
                layer[n] = end
    n_layers = max(layer.values(), default=-1) + 1
    layers: list[list[object]] = [[] for _ in range(n_layers)]
    for n in queue if len(queue) == len(node_list) else node_list:  # queue is a topological order
        layers[layer[n]].append(n)

    # segments between adjacent layers; long edges through one dummy per layer crossed
    level: dict[object, int] = {n: li for n, li in layer.items()}
    segments: list[tuple[object, object]] = []
    chains: dict[tuple[N, N], list[_Dummy]] = {}
    for s, t in edge_list:
        ls, lt = layer[s], layer[t]
        if abs(lt - ls) <= 1 or not dummies:
            segments.append((s, t))
            continue
        step = 1 if lt > ls else -1
        chain = [_Dummy((s, t), i) for i in range(1, abs(lt - ls))]
        chains[(s, t)] = chain
        prev: object = s
        for i, d in enumerate(chain):
            li = ls + step * (i + 1)
            level[d] = li
            layers[li].append(d)
            segments.append((prev, d))
            prev = d
        segments.append((prev, t))
    neighbours: dict[object, list[object]] = defaultdict(list)
    for u, w in segments:
        neighbours[u].append(w)
        neighbours[w].append(u)

    def norm_positions(ls: list[list[object]]) -> dict[object, float]:
        out: dict[object, float] = {}
        for lay in ls:
            size = max(len(lay) - 1, 1)
            for i, n in enumerate(lay):
                out[n] = i / size
        return out

    best = [list(lay) for lay in layers]
    best_cross = count_crossings(best, segments)
    current = [list(lay) for lay in layers]
    for sweep in range(sweeps):
        if best_cross == 0:
            break
        order = range(1, n_layers) if sweep % 2 == 0 else range(n_layers - 2, -1, -1)
        for li in order:
            pos = norm_positions(current)
            ref = li - 1 if sweep % 2 == 0 else li + 1
            lay = current[li]
            index = {n: i for i, n in enumerate(lay)}

            def bary(n: object, lay_index: dict[object, int] = index, ref_layer: int = ref,
                     p: dict[object, float] = pos) -> float:
                adj = [p[m] for m in neighbours[n] if level[m] == ref_layer]
                if not adj:
                    adj = [p[m] for m in neighbours[n]]
                if not adj:
                    return lay_index[n] / max(len(lay_index) - 1, 1)
                return sum(adj) / len(adj)

            current[li] = sorted(lay, key=lambda n: (bary(n), index[n]))
        cross = count_crossings(current, segments)
        if cross < best_cross:
            best_cross = cross
            best = [list(lay) for lay in current]

    # x: each gap wide enough for the widest labels on both sides
    widths = [max((label_width(n) for n in lay if not isinstance(n, _Dummy)), default=0.0)  # type: ignore[arg-type]
              if label_width is not None else 0.0 for lay in best]
    layer_x = [0.0] * n_layers
    for li in range(1, n_layers):
        layer_x[li] = layer_x[li - 1] + max(x_gap, (widths[li - 1] + widths[li]) / 2 + LABEL_GAP)
    # y: each node near its neighbours, in its layer's order and slots (no zig-zag), centred on 0

    def height(v: object) -> float:
        if isinstance(v, _Dummy):
            return DUMMY_HEIGHT
        return node_height(v) if node_height is not None else y_gap  # type: ignore[arg-type]  # v is a real node

    ys = _assign_y(best, segments, level, height)
    coords: dict[object, tuple[float, float]] = {v: (layer_x[level[v]], ys[v]) for lay in best for v in lay}
    positions: dict[N, tuple[float, float]] = {n: coords[n] for n in node_list}
    bends = {edge: [coords[d] for d in chain] for edge, chain in chains.items()}
    real_layers: list[list[N]] = [[n for n in lay if not isinstance(n, _Dummy)] for lay in best]  # type: ignore[misc]
    return Layout(positions=positions, layers=real_layers, crossings=best_cross, bends=bends, layer_x=layer_x)


__all__ = ["Layout", "count_crossings", "layered_layout"]
