"""The impact view: from a dataset (Datasets page context menu, lineage node context menu) the
versions and deployments downstream of it, exactly those ``mlops-desktop impact --format json``
lists, with classification and governance status (as ``verify`` judges each held target), and
highlighted on the lineage graph, which shows the dataset's downstream."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF

from mlops_desktop.cli.main import main
from mlops_desktop.core.lineage import dataset_node_id, deployment_node_id, version_node_id
from mlops_desktop.governance.approvals import approve
from mlops_desktop.governance.store import open_governance
from mlops_desktop.services.governance_status import load_status
from mlops_desktop.sources.loader import load_catalog
from tests.governance.helpers import Team, build_team
from tests.ui.conftest import render, wait_idle


@pytest.fixture
def gov_url(tmp_path: Path) -> str:
    return str(tmp_path / "gov.db")


@pytest.fixture
def team(gov_url: str, merged_stores: list[str]) -> Team:
    """Two approvals of readmission-risk v3 for champion (the rest of its targets unapproved)."""
    with open_governance(gov_url) as gov:
        team = build_team(gov)
        catalog = load_catalog(merged_stores)
        for who in (team.alice, team.bob):
            approve(gov, catalog, "readmission-risk", "3", "champion", "validated", ["gdpr", "hipaa"], who)
    return team


def _cli_impact(capsys, merged_stores: list[str], dataset: str) -> dict:
    capsys.readouterr()
    argv = ["impact", "--dataset", dataset, "--format", "json"]
    for s in merged_stores:
        argv += ["--store", s]
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _window(make_window, qtbot, merged_stores: list[str], gov_url: str):
    window = make_window(governance_url=gov_url)
    window.persist_layout = False
    window.resize(1280, 800)
    window.open_stores(merged_stores)
    wait_idle(qtbot, window.load_slot)
    return window


def _shown_impact(qtbot, window):
    page = window.lineage_page
    wait_idle(qtbot, page.slot)
    wait_idle(qtbot, page.layout_slot)
    assert window.current_page_key() == "lineage"
    assert page.impact.isVisible() and page.impact.report is not None
    return page


def test_impact_from_a_lineage_node_lists_the_cli_versions_and_highlights_them(
        make_window, qtbot, capsys, merged_stores, gov_url, team):
    expected = _cli_impact(capsys, merged_stores, "public.claims")
    window = _window(make_window, qtbot, merged_stores, gov_url)
    dataset = expected["dataset"]["id"]
    window.open_lineage(dataset)
    page = window.lineage_page
    wait_idle(qtbot, page.slot)
    view = page.view
    # a right-click finds the node under the pointer
    x, y = view.positions[dataset]
    pos = view.plot.mapFromScene(view.nodes.mapToScene(QPointF(x, y)))
    assert view.node_at(pos) == dataset
    assert view.node_at(pos + QPoint(300, 300)) != dataset
    # the node's context menu: a dataset offers its impact, a version does not
    menu = view.node_menu(dataset)
    impact_action = next(a for a in menu.actions() if a.objectName() == "impactAction")
    version_node = expected["versions"][0]["id"]
    assert not [a for a in view.node_menu(version_node).actions() if a.objectName() == "impactAction"]
    impact_action.trigger()
    page = _shown_impact(qtbot, window)
    report = page.impact.report
    rows = page.impact.rows()
    # exactly the versions and deployments downstream, as the CLI lists them
    assert [r.node_id for r in rows if r.kind == "Version"] == [v["id"] for v in expected["versions"]]
    assert [r.node_id for r in rows if r.kind == "Deployment"] == [d["id"] for d in expected["deployments"]]
    assert {(v.model, v.version) for v in report.versions} == {("readmission-risk", "2"), ("readmission-risk", "3")}
    # classification as the CLI computes it, and the path from the dataset
    cli_versions = {v["id"]: v for v in expected["versions"]}
    for r in rows:
        if r.kind == "Version":
            cls = cli_versions[r.node_id]["classification"]
            assert r.classification == ", ".join(b for b, on in (("PII", cls["pii"]), ("PHI", cls["phi"])) if on) \
                or r.classification == "none"
            assert list(r.item.path) == cli_versions[r.node_id]["path"]
    # governance: each held target as verify judges it (the same service the Models page uses)
    status = load_status(gov_url, window.catalog, window.gui_settings.verification_settings(
        window._artifact_roots()), versions=[("readmission-risk", "2"), ("readmission-risk", "3")])
    v3 = next(r for r in rows if r.node_id == version_node_id("readmission-risk", "3"))
    vg = status.of("readmission-risk", "3")
    assert vg is not None and v3.governance == "  ".join(t.label for t in vg.targets.values())
    assert [s.status for s in v3.statuses] == [t.status for t in vg.targets.values()]
    champion = vg.targets["champion"]
    deployment = next(r for r in rows if r.node_id == deployment_node_id("readmission-risk", "champion"))
    assert [s.status for s in deployment.statuses] == [champion.status]
    assert champion.reasons[0] in deployment.governance_tip
    # the graph: the dataset's downstream, the affected versions and deployments highlighted
    assert view.direction_key() == "downstream" and view.focus == dataset
    assert view.highlighted == {view.shown_node(n) for n in report.node_ids}
    assert set(report.node_ids) <= set(view.node_ids)
    assert not view.highlighted & {n for n in view.node_ids if view.graph.kind(n) == "dataset"}
    # a row click selects its node; closing clears the highlight
    page.impact.table.clicked.emit(page.impact.model.index(0, 1))
    assert view.selected == rows[0].node_id
    # a layout change keeps the marks
    view.hops.setValue(2)
    wait_idle(qtbot, page.layout_slot)
    assert view.highlighted == {view.shown_node(n) for n in report.node_ids} & set(view.node_ids)
    page.impact.close_button.click()
    assert not page.impact.isVisible() and view.highlighted == set()


@pytest.mark.qt_log_ignore("This plugin does not support")  # the menu's popup, offscreen
def test_impact_from_the_datasets_page_context_menu(make_window, qtbot, capsys, merged_stores, gov_url, team):
    window = _window(make_window, qtbot, merged_stores, gov_url)
    window.show_page("datasets")
    datasets = window.datasets_view
    catalog_ds = next(ds for ds in window.catalog.datasets.values() if ds.name == "readmission-risk-train")
    qtbot.waitUntil(lambda: datasets.select_dataset(catalog_ds.id), timeout=10000)
    node = dataset_node_id(catalog_ds)
    expected = _cli_impact(capsys, merged_stores, node)
    datasets._on_table_context_menu(datasets.table.visualRect(datasets.table.currentIndex()).center())
    action = next(a for a in datasets._menu.actions() if a.objectName() == "impactAction")
    assert action.isEnabled()
    datasets._menu.close()
    action.trigger()
    page = _shown_impact(qtbot, window)
    got = [r.node_id for r in page.impact.rows()]
    assert got == [v["id"] for v in expected["versions"]] + [d["id"] for d in expected["deployments"]]
    assert got and page.view.highlighted == {page.view.shown_node(n) for n in got}
    assert "readmission-risk-train" in page.impact.title.text()


def test_impact_of_an_unknown_dataset_says_so(make_window, qtbot, merged_stores, gov_url):
    window = _window(make_window, qtbot, merged_stores, gov_url)
    window.open_impact("dataset:no-such-dataset")
    wait_idle(qtbot, window.lineage_page.slot)
    assert "No impact shown" in window.lineage_page.view.status.text()
    assert not window.lineage_page.impact.isVisible()
    assert not window.notifier.dialogs


def test_impact_view_screenshots(make_window, qtbot, capsys, merged_stores, gov_url, team):
    window = _window(make_window, qtbot, merged_stores, gov_url)
    window.open_impact("public.claims")
    _shown_impact(qtbot, window)
    for mode in ("light", "dark"):
        window.set_theme(mode)
        qtbot.wait(30)
        render(window, f"impact_view_{mode}")
    window.set_theme("light")
