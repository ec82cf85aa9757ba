"""Layered left-to-right layout for lineage graphs (Sugiyama style, Qt-free).

1. cycles are broken by reversing DFS back edges (for layering only);
2. layers by longest path from the sources, so data flows left to right;
3. an edge spanning several layers is split by dummy nodes, one per layer it crosses,
   so crossing reduction sees it and it bends around the nodes in between
   (:attr:`Layout.bends`);
4. crossings reduced by barycentre sweeps (down and up, a few rounds, the best order kept);
5. coordinates: x by layer, each gap wide enough for the labels on both sides of it
   (``label_width``); y by position in the layer, each node given the height it needs
   (``node_height``: a node with a badge needs more), dummies a thin slot; centred.

Sizes are in layout units meant to be pixels at zoom 1 (the view draws labels in pixels).
"""

from __future__ import annotations

import math
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


def _straighten(
    layers: list[list[object]],
    coords: dict[object, tuple[float, float]],
    chains: dict[tuple[N, N], list[_Dummy]],
    y_gap: float,
    node_height: Callable[[N], float] | None,
) -> None:
    """Move each long edge's bends towards the straight line between its ends, as far as
    the nodes above and below them in their layers allow (fewer zig-zags)."""
    if not chains:
        return

    def half(n: object) -> float:
        if isinstance(n, _Dummy):
            return DUMMY_HEIGHT / 2
        return (y_gap if node_height is None else node_height(n)) / 2  # type: ignore[arg-type]  # n is a real node

    where = {n: (li, i) for li, lay in enumerate(layers) for i, n in enumerate(lay)}
    for (s, t), chain in chains.items():
        (x0, y0), (x1, y1) = coords[s], coords[t]
        for d in chain:
            li, i = where[d]
            lay = layers[li]
            x = coords[d][0]
            want = y0 + (y1 - y0) * (x - x0) / (x1 - x0) if x1 != x0 else coords[d][1]
            low = coords[lay[i - 1]][1] + half(lay[i - 1]) + DUMMY_HEIGHT / 2 if i > 0 else -math.inf
            high = coords[lay[i + 1]][1] - half(lay[i + 1]) - DUMMY_HEIGHT / 2 if i + 1 < len(lay) else math.inf
            if low <= high:
                coords[d] = (x, min(max(want, low), high))


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
) -> Layout[N]:
    """Positions for ``nodes`` with ``edges`` flowing left to right.

    ``label_width(n)`` is the width of the label drawn centred under ``n``: neighbouring
    layers are at least ``x_gap`` apart and far enough for their widest labels not to
    meet. ``node_height(n)`` is the height ``n`` needs in its layer (default ``y_gap``).
    ``dummies=False`` skips splitting long edges (faster, more crossings).
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
        if n not in has_pred and dag_succ[n]:
            layer[n] = max(layer[n], min(layer[m] for m in dag_succ[n]) - 1)
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
    # y: stacked slots, centred on 0
    coords: dict[object, tuple[float, float]] = {}
    for li, lay in enumerate(best):
        heights = [DUMMY_HEIGHT if isinstance(v, _Dummy) else (node_height(v) if node_height else y_gap)  # type: ignore[arg-type]
                   for v in lay]
        y = -sum(heights) / 2.0
        for v, h in zip(lay, heights, strict=True):
            coords[v] = (layer_x[li], y + h / 2.0)
            y += h
    _straighten(best, coords, chains, y_gap, node_height)
    positions: dict[N, tuple[float, float]] = {n: coords[n] for n in node_list}
    bends = {edge: [coords[d] for d in chain] for edge, chain in chains.items()}
    real_layers: list[list[N]] = [[n for n in lay if not isinstance(n, _Dummy)] for lay in best]  # type: ignore[misc]
    return Layout(positions=positions, layers=real_layers, crossings=best_cross, bends=bends, layer_x=layer_x)


__all__ = ["Layout", "count_crossings", "layered_layout"]
