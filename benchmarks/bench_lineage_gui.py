"""UI-thread cost of the lineage page on the 148k-node synthetic catalog of bench_lineage.

The graph and the layout run in a worker (``lineage_job``); this measures both halves:
the worker time, and the time the UI thread spends drawing the prepared layout
(``LineageView.show_prepared`` plus one paint).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_lineage_gui.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from benchmarks.bench_lineage import synthetic_catalog
    from mlops_desktop.core.lineage import build_graph
    from mlops_desktop.ui.lineage_view import LineageView, prepare_lineage

    catalog = synthetic_catalog(7)
    t = time.perf_counter()
    graph = build_graph(catalog)
    sys.stdout.write(f"build_graph (worker): {time.perf_counter() - t:.2f} s, {len(graph)} nodes\n")
    view = LineageView()
    view.resize(1400, 800)
    view.show()
    app.processEvents()
    focus = max(graph.nodes_of_kind("dataset"), key=lambda n: graph.g.out_degree(n))
    for hops in (0, 2, 3, 4):
        t = time.perf_counter()
        prepared = prepare_lineage(graph, focus, hops)
        worker = time.perf_counter() - t
        t = time.perf_counter()
        view.show_prepared(prepared)
        app.processEvents()
        ui = time.perf_counter() - t
        sys.stdout.write(f"hops={hops}: {len(view.node_ids)} nodes; worker {worker * 1000:.0f} ms; "
                         f"UI thread {ui * 1000:.0f} ms\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
