"""Lineage and diff views: real Qt offscreen, fixture stores, PNG/SVG renders to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRectF

from mlops_desktop.core.diff import diff_versions
from mlops_desktop.core.lineage import (
    build_graph,
    dataset_node_id,
    ol_dataset_node_id,
    version_node_id,
)
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.catalog.diff_view import DiffView
from mlops_desktop.ui.lineage.view import LineageView, _RectGrid
from tests.ui.conftest import flush_events
from tests.ui.lineage.conftest import wait_labels_drawn

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def render(widget, name: str) -> Path:
    """Save what the widget shows to test-artifacts/<name>.png, for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 1000
    return path


def test_lineage_view_opens_on_version_and_highlights_upstream(qtbot, merged_graph, artifacts_dir):
    graph = merged_graph
    view = LineageView()
    qtbot.addWidget(view)
    view.resize(1400, 800)
    view.show()
    focus = version_node_id("readmission-risk", "3")
    with qtbot.waitSignal(view.sig_node_selected) as sig:
        view.show_graph(graph, focus)
    assert sig.args == [focus]
    assert view.selected == focus
    # one node per entity: each run of an Airflow job is drawn as its job
    assert view.visible_nodes() == graph.lineage_of(focus)
    assert set(view.node_ids) == {view.shown_node(n) for n in graph.lineage_of(focus)}
    assert not any(graph.kind(n) == "run" and graph.label(n).startswith("claims_etl") for n in view.node_ids)
    train = dataset_node_id("s3://lake/clinical/readmission-risk/train.parquet")
    claims = ol_dataset_node_id("postgres://claims-db:5432", "public.claims")
    assert {train, claims} <= view.highlighted_up
    assert "deployment:alias:readmission-risk@champion" in view.highlighted_down
    assert not view.highlighted_up & view.highlighted_down
    # left to right: every upstream dataset is left of the version
    assert all(view.positions[n][0] < view.positions[focus][0] for n in (train, claims))
    assert "PHI" in view.details.toPlainText() and "readmission-risk v3" in view.details.toPlainText()
    assert view.text_item.badge_count > 0
    flush_events()
    png = render(view, "lineage_view_readmission_v3")
    exported = view.export_png(artifacts_dir / "lineage_view_export.png")
    assert exported.stat().st_size > 5000
    svg = view.export_svg(artifacts_dir / "lineage_view_export.svg")
    assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()
    assert png.exists()


def test_click_search_hops_and_fit(qtbot, merged_graph):
    graph = merged_graph
    view = LineageView()
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    view.show_graph(graph, version_node_id("credit-limit", "3"))
    # click a node through the scatter item's own signal path
    target = dataset_node_id("s3://lake/lending/credit-limit/train.parquet")
    point = next(p for p in view.nodes.points() if p.data() == target)
    view.nodes.sigClicked.emit(view.nodes, [point], None)
    assert view.selected == target
    assert version_node_id("credit-limit", "3") in view.highlighted_down
    assert view._tip(0, 0, target).startswith("credit-limit-train (Dataset)")
    # search a node that is not shown: the view re-focuses on it
    found = view.find_node("public.claims")
    assert found == ol_dataset_node_id("postgres://claims-db:5432", "public.claims")
    assert view.selected == found and found in view.positions
    assert view.find_node("zzz-nothing") is None and "No node matches" in view.status.text()
    view.hops.setValue(1)
    assert set(view.node_ids) == graph.neighbourhood(found, 1)
    view.fit()
    view.search.setText("readmission-risk v2")
    view.search.returnPressed.emit()
    assert view.selected == version_node_id("readmission-risk", "2")


def test_whole_graph_without_focus(qtbot, mlmd_db, artifacts_dir):
    graph = build_graph(load_catalog([str(mlmd_db)]))
    view = LineageView()
    qtbot.addWidget(view)
    view.resize(1400, 700)
    view.show()
    view.show_graph(graph)
    assert view.visible_nodes() == set(graph.g.nodes)
    assert set(view.node_ids) == {view.shown_node(n) for n in graph.g.nodes}
    assert view.selected is None
    pushed = next(n for n in graph.nodes_of_kind("deployment"))
    view.select(pushed)
    labels = {graph.label(n) for n in view.highlighted_up}
    assert any(label.startswith("Trainer") for label in labels)
    render(view, "lineage_view_mlmd")


def test_diff_view(qtbot, mlflow3_db, artifacts_dir):
    catalog = load_catalog([str(mlflow3_db)])
    view = DiffView()
    qtbot.addWidget(view)
    view.resize(1000, 600)
    view.show()
    view.show_diff(diff_versions(catalog, "credit-limit", "2", "3"))
    assert view.table.rowCount() > 5
    assert "credit-limit" in view.title.text()
    total = view.table.rowCount()
    view.only_changes.setChecked(True)
    hidden = sum(view.table.isRowHidden(r) for r in range(total))
    assert 0 < hidden < total
    render(view, "diff_view_credit_limit")


def test_labels_and_badges_level_of_detail(qtbot, merged_graph, shown_view, artifacts_dir):
    """Labels only where they have room, never over each other; badges as tags or dots."""
    graph = merged_graph
    focus = version_node_id("readmission-risk", "3")
    view = shown_view((1400, 800), graph, focus)
    wait_labels_drawn(view, qtbot)
    item = view.text_item
    view.plot.viewport().repaint()
    assert item.labels_drawn > 0 and item.badges_drawn == item.badge_count > 0
    # zoomed far out: no label fits, every badge is still shown (as a dot)
    (x0, x1), (y0, y1) = view.view.viewRange()
    view.view.setRange(xRange=(x0 - 20 * (x1 - x0), x1 + 20 * (x1 - x0)),
                       yRange=(y0 - 20 * (y1 - y0), y1 + 20 * (y1 - y0)), padding=0)
    view.plot.viewport().repaint()
    assert item.labels_drawn == 0 and item.badges_drawn == item.badge_count
    render(view, "lineage_view_zoomed_out")
    # zoomed in to one node: its label is whole
    x, y = view.positions[focus]
    view.view.setRange(xRange=(x - 300, x + 300), yRange=(y - 200, y + 200), padding=0)
    view.plot.viewport().repaint()
    assert item.labels_drawn >= 1
    render(view, "lineage_view_zoomed_in")
    # labels are only drawn where nothing was drawn before (the painter's overlap bookkeeping)
    grid = _RectGrid()
    assert grid.add_if_free(QRectF(0, 0, 50, 10)) and not grid.add_if_free(QRectF(40, 5, 50, 10))
    assert grid.add_if_free(QRectF(100, 0, 50, 10))
