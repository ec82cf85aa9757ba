"""One lineage graph per catalog, shared by every reader (findings, governance, monitoring,
impact, the Lineage page), built once even when they ask at the same time."""

from __future__ import annotations

import threading

from mlops_desktop.core import lineage
from mlops_desktop.core.findings.lineage_view import default_lineage
from mlops_desktop.governance.policy import lineage_graph
from mlops_desktop.sources import load_catalog


def test_shared_graph_is_built_once_per_catalog_and_equals_a_fresh_build(mlflow3_db, monkeypatch):
    catalog = load_catalog([str(mlflow3_db)])
    builds = []
    real = lineage.build_graph

    def counting_build(*args, **kwargs):
        builds.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(lineage, "build_graph", counting_build)
    got: list[lineage.LineageGraph] = []
    threads = [threading.Thread(target=lambda: got.append(lineage.shared_graph(catalog))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1 and all(g is got[0] for g in got)
    graph = got[0]
    # every reader gets that same graph
    assert lineage_graph(catalog) is graph and default_lineage(catalog).graph is graph
    fresh = real(catalog)
    assert dict(graph.g.nodes(data=True)) == dict(fresh.g.nodes(data=True))
    assert sorted(graph.g.edges(data=True)) == sorted(fresh.g.edges(data=True))
    # another catalog (a reload): a graph of its own, the old one let go
    other = load_catalog([str(mlflow3_db)])
    assert lineage.shared_graph(other) is not graph and len(builds) == 2
    assert lineage.shared_graph(other) is lineage.shared_graph(other) and len(builds) == 2


def test_building_the_graph_gives_way_at_checkpoints_and_builds_the_same_graph(mlflow3_db, monkeypatch):
    """The GUI builds the graph in its load worker: the build calls the checkpoint hook (where a
    worker pauses while the UI thread is busy) through every part, and the hook changes nothing."""
    from mlops_desktop.core.progress import checkpoint_hook

    catalog = load_catalog([str(mlflow3_db)])
    plain = lineage.build_graph(catalog)
    monkeypatch.setattr(lineage, "_STEP", 1)  # a checkpoint per item, so a small store shows them all
    calls: list[int] = []
    with checkpoint_hook(lambda: calls.append(1)):
        hooked = lineage.build_graph(catalog)
    assert len(calls) >= len(catalog.datasets) + len(catalog.runs) + 2
    assert sorted(hooked.g.nodes(data=True)) == sorted(plain.g.nodes(data=True))
    assert sorted(hooked.g.edges(data=True)) == sorted(plain.g.edges(data=True))
