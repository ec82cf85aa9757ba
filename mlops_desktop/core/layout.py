"""Layered left-to-right layout for lineage graphs (Sugiyama style, Qt-free).

1. cycles are broken by reversing DFS back edges (for layering only);
2. layers by longest path from the sources, so data flows left to right;
3. crossings reduced by barycentre sweeps (down and up, a few rounds, the best order kept);
4. coordinates: x by layer, y by position in the layer, centred.

Long edges are not split into dummy nodes; the barycentre uses every neighbour's
normalised position, which handles them well enough for lineage graphs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

N = TypeVar("N", bound=Hashable)

X_GAP = 220.0
Y_GAP = 70.0


@dataclass(slots=True)
class Layout(Generic[N]):
    positions: dict[N, tuple[float, float]] = field(default_factory=dict)
    layers: list[list[N]] = field(default_factory=list)
    crossings: int = 0


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


def layered_layout(
    nodes: Iterable[N],
    edges: Iterable[tuple[N, N]],
    *,
    sweeps: int = 12,
    x_gap: float = X_GAP,
    y_gap: float = Y_GAP,
) -> Layout[N]:
    """Positions for ``nodes`` with ``edges`` flowing left to right."""
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
    layers: list[list[N]] = [[] for _ in range(n_layers)]
    for n in queue if len(queue) == len(node_list) else node_list:  # queue is a topological order
        layers[layer[n]].append(n)
    neighbours: dict[N, list[N]] = defaultdict(list)
    for s, t in edge_list:
        neighbours[s].append(t)
        neighbours[t].append(s)

    def norm_positions(ls: list[list[N]]) -> dict[N, float]:
        out: dict[N, float] = {}
        for lay in ls:
            size = max(len(lay) - 1, 1)
            for i, n in enumerate(lay):
                out[n] = i / size
        return out

    best = [list(lay) for lay in layers]
    best_cross = count_crossings(best, edge_list)
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

            def bary(n: N, lay_index: dict[N, int] = index, ref_layer: int = ref, p: dict[N, float] = pos) -> float:
                adj = [p[m] for m in neighbours[n] if layer[m] == ref_layer]
                if not adj:
                    adj = [p[m] for m in neighbours[n]]
                if not adj:
                    return lay_index[n] / max(len(lay_index) - 1, 1)
                return sum(adj) / len(adj)

            current[li] = sorted(lay, key=lambda n: (bary(n), index[n]))
        cross = count_crossings(current, edge_list)
        if cross < best_cross:
            best_cross = cross
            best = [list(lay) for lay in current]
    positions: dict[N, tuple[float, float]] = {}
    for li, lay in enumerate(best):
        offset = (len(lay) - 1) / 2.0
        for i, n in enumerate(lay):
            positions[n] = (li * x_gap, (i - offset) * y_gap)
    return Layout(positions=positions, layers=best, crossings=best_cross)


__all__ = ["Layout", "count_crossings", "layered_layout"]
