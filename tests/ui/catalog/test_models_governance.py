"""Models page: the Governance column per deployed target (as verify judges it), the Findings
column, the failed-validation badge and the "needs attention" filter, on the MLflow 3 fixture
(fraud-detector v3 holds Production and champion and its validation tag says failed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from mlops_desktop.core.entities import Catalog
from mlops_desktop.governance.approvals import approve
from mlops_desktop.governance.store import open_governance
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.catalog.inventory_view import ModelsView
from tests.governance.helpers import Team, build_team
from tests.ui.conftest import render, wait_idle


@pytest.fixture
def catalog(mlflow3_db: Path) -> Catalog:
    return load_catalog([str(mlflow3_db)])


@pytest.fixture
def gov_url(tmp_path: Path) -> str:
    return str(tmp_path / "gov.db")


@pytest.fixture
def team(gov_url: str) -> Team:
    with open_governance(gov_url) as gov:
        return build_team(gov)


def shown(qtbot, catalog: Catalog, gov_url: str) -> ModelsView:
    view = ModelsView()
    qtbot.addWidget(view)
    view.governance_url_source = lambda: gov_url
    view.resize(1280, 800)
    view.show()
    view.set_catalog(catalog)
    wait_idle(qtbot, view.governance_slot)
    wait_idle(qtbot, view.monitoring_slot)
    return view


def cell(view: ModelsView, name: str, column: str, role=Qt.ItemDataRole.DisplayRole):
    m = view.model
    row = next(i for i, r in enumerate(m.rows) if r.name == name)
    return m.data(m.index(row, m.column_index(column)), role)


def test_governance_findings_and_attention(qtbot, catalog, gov_url, team, qtmodeltester):
    with open_governance(gov_url) as gov:
        for who in (team.alice, team.bob):
            approve(gov, catalog, "fraud-detector", "3", "Production", "validated", ["gdpr"], who)
    view = shown(qtbot, catalog, gov_url)
    try:
        text = cell(view, "fraud-detector", "Governance")
        assert text == "⚠ validation failed · v3: ✓ Production ⚠ champion 0 of 2"
        tip = cell(view, "fraud-detector", "Governance", Qt.ItemDataRole.ToolTipRole)
        assert "v3 champion: policy unmet (0 of 2 approvals count)" in tip and "Only 0 of 2" in tip
        assert "F19" in tip
        assert cell(view, "churn-predictor", "Governance") == "v3: ⚠ Production 0 of 2 ⚠ champion 0 of 2"
        findings = [f for f in view.overview.findings.findings if "fraud-detector" in f.models]
        worst = cell(view, "fraud-detector", "Findings")
        assert worst.startswith(f"{len(findings)} · ")
        assert worst.split(" · ")[1] in ("critical", "high")
        qtmodeltester.check(view.model)
        # needs attention: exactly the models the attention facts name, and fewer than all
        total = view.proxy.rowCount()
        view.attention_check.setChecked(True)
        kept = {view.proxy.index(r, 0).data() for r in range(view.proxy.rowCount())}
        expected = {n for n, a in view.model.attention.items() if a.needs_attention}
        assert kept == expected and "fraud-detector" in kept and len(kept) < total
        assert "empty-model" not in kept
        view.attention_check.setChecked(False)
        assert view.proxy.rowCount() == total
        view.select_model("fraud-detector")
        from mlops_desktop.ui.common import theme

        manager = theme.theme_manager()
        for mode in ("light", "dark"):
            manager.apply(mode)
            qtbot.wait(20)
            render(view, f"models_governance_columns_{mode}")
        manager.apply("light")
    finally:
        view.shutdown()


def test_unanchored_client_shows_no_tick(qtbot, catalog, gov_url, team, tmp_path, monkeypatch):
    with open_governance(gov_url) as gov:
        for who in (team.alice, team.bob):
            approve(gov, catalog, "fraud-detector", "3", "Production", "validated", ["gdpr"], who)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "auditor" / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "auditor" / "data"))
    view = shown(qtbot, catalog, gov_url)
    try:
        text = cell(view, "fraud-detector", "Governance")
        assert "✓" not in text and "⚠ Production 0 of 2" in text
        assert "unanchored" in cell(view, "fraud-detector", "Governance", Qt.ItemDataRole.ToolTipRole)
    finally:
        view.shutdown()
