"""The lineage view as an officer reads it: layers left to right with no edge going back,
one node per entity, labels whole or cut only between words, a legend, readable details,
the upstream/downstream switch and highlight(), on every fixture store and the merged demo."""

from __future__ import annotations

import pytest

from mlops_desktop.core.lineage import build_graph, version_node_id
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.lineage.view import (
    KIND_NAMES,
    LineageView,
    label_tokens,
    readable,
    wrap_label,
)
from tests.ui.conftest import flush_events, render
from tests.ui.lineage.conftest import STORES, wait_labels_drawn


def _assert_flows_left_to_right(view: LineageView) -> None:
    """No zig-zag back: along every drawn edge the layer's x strictly increases, and so do the
    x of its bend points."""
    assert view._edge_list
    for s, t in view._edge_list:
        path = view._paths([(s, t)])[0]
        xs = [p[0] for p in path]
        assert all(a < b for a, b in zip(xs, xs[1:], strict=False)), (s, t, xs)


def _assert_whole_words(view: LineageView) -> None:
    """Every label drawn is its wrapped label, or its first line ending in "…" after a whole word."""
    item = view.text_item
    assert item.drawn
    for i, lines in item.drawn.items():
        label = view._prepared.labels[i]
        text = "".join(lines).replace("…", "")
        squashed = label.replace(" ", "")
        assert squashed.startswith(text.replace(" ", "")), (label, lines)
        if len(text.replace(" ", "")) < len(squashed):  # cut: only at the end of a word
            cut = len(text.replace(" ", ""))
            tokens = label_tokens(label)
            ends = {len("".join(tokens[:k]).replace(" ", "")) for k in range(1, len(tokens) + 1)}
            assert cut in ends, (label, lines)
            assert lines[-1].endswith("…")


@pytest.mark.parametrize("name", STORES)
def test_every_store_flows_left_to_right_with_whole_labels(qtbot, store_graph, shown_view, name, artifacts_dir):
    graph = store_graph(name)
    view = shown_view((1400, 800), graph)
    _assert_flows_left_to_right(view)
    deployments = [n for n in view.node_ids if graph.kind(n) == "deployment"]
    if deployments:  # deployments line up in the last layer
        last_x = max(p[0] for p in view.positions.values())
        assert all(view.positions[n][0] == last_x for n in deployments)
    # one node per entity: no two drawn nodes of a kind share a name and an id
    assert len(set(view.node_ids)) == len(view.node_ids)
    named = [(graph.kind(n), graph.label(n)) for n in view.node_ids if graph.kind(n) in ("job", "dataset")]
    assert len(named) == len(set(named))
    wait_labels_drawn(view, qtbot)
    _assert_whole_words(view)
    x, y = next(iter(view.positions.values()))
    view.view.setRange(xRange=(x - 300, x + 300), yRange=(y - 200, y + 200), padding=0)
    view.plot.viewport().repaint()
    _assert_whole_words(view)
    # the legend names every kind drawn
    kinds = {graph.kind(n) for n in view.node_ids}
    assert view.legend.isVisible()
    assert {KIND_NAMES[k] for k in kinds} <= set(view.legend.entries)
    assert "upstream of the selection" in view.legend.entries
    view.fit()
    flush_events()
    render(view, f"lineage_workbench_{name}")


def test_wrapping_never_cuts_a_word() -> None:
    assert wrap_label("claims_etl.train_readmission_model", 26) == ["claims_etl.train_", "readmission_model"]
    assert wrap_label("short") == ["short"]
    long = "a-very-long-dataset-name-with-many-parts-that-goes-on-and-on-and-on-and-on-further"
    lines = wrap_label(long, 20, 2)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert long.startswith("".join(lines).removesuffix("…"))
    # a single word longer than the width stays whole
    assert wrap_label("x" * 40, 10) == ["x" * 40]


def test_details_are_readable_text(qtbot, mlflow3_db):
    graph = build_graph(load_catalog([str(mlflow3_db)]))
    view = LineageView()
    qtbot.addWidget(view)
    view.show_graph(graph, version_node_id("readmission-risk", "3"))
    text = view.details.toPlainText()
    assert "Model version" in text and "Aliases" in text and "champion" in text
    assert "['" not in text and "{'" not in text and "model_name" not in text
    assert readable(["champion", "challenger"]) == "champion, challenger"
    assert readable({"a": [1, 2]}) == "a: 1, 2"
    assert readable(True) == "yes"


def test_direction_switch_filters_nodes(qtbot, merged_graph):
    graph = merged_graph
    view = LineageView()
    qtbot.addWidget(view)
    focus = version_node_id("readmission-risk", "3")
    view.show_graph(graph, focus)
    both = set(view.node_ids)
    view.set_direction("upstream")
    up = set(view.node_ids)
    assert focus in up and "deployment:alias:readmission-risk@champion" not in up
    assert {view.shown_node(n) for n in graph.upstream(focus)} | {focus} == up
    view.set_direction("downstream")
    down = set(view.node_ids)
    assert down == {focus, "deployment:alias:readmission-risk@champion"}
    assert "upstream" not in view.status.text() and "downstream of" in view.status.text()
    view.set_direction("both")
    assert set(view.node_ids) == both == up | down
    with pytest.raises(ValueError):
        view.set_direction("sideways")


def test_highlight_marks_shown_nodes_and_clears(qtbot, merged_graph):
    graph = merged_graph
    view = LineageView()
    qtbot.addWidget(view)
    focus = version_node_id("readmission-risk", "3")
    view.show_graph(graph, focus)
    run = next(n for n in graph.g.nodes if graph.kind(n) == "run" and graph.label(n) == "claims_etl.build_features")
    marked = view.highlight([run, focus, "dataset:not-in-the-graph"])
    assert marked == {view.shown_node(run), focus} and view.shown_node(run).startswith("job:")
    pens = {p.data(): p.pen().color().name() for p in view.nodes.points()}
    assert pens[view.shown_node(run)] == "#dc2626"
    assert view.highlight([]) == set() and not view.highlighted
