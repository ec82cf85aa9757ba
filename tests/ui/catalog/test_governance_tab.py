"""The version pane's Governance tab on the MLflow 3 fixture: fraud-detector v3 holds Production
(approved twice) and champion (not approved)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from mlops_desktop.governance.approvals import approve
from mlops_desktop.governance.store import open_governance
from tests.ui.catalog.test_models_governance import catalog, gov_url, shown, team  # noqa: F401 - fixtures
from tests.ui.conftest import render


def test_governance_tab_lists_targets_rules_and_decisions(qtbot, catalog, gov_url, team):  # noqa: F811
    with open_governance(gov_url) as gov:
        for who in (team.alice, team.bob):
            approve(gov, catalog, "fraud-detector", "3", "Production", "validated on Q3", ["gdpr"], who)
    view = shown(qtbot, catalog, gov_url)
    try:
        assert view.select_model("fraud-detector") and view.select_version("3")
        tab = view.detail.governance_tab
        view.detail.tabs.setCurrentWidget(tab)
        tree = tab.tree
        tops = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
        assert [t.text(0) for t in tops] == ["✓ Production", "⚠ champion 0 of 2"]
        assert tops[1].text(1) == "policy unmet (0 of 2 approvals count)"
        rules = tops[0].child(0)
        assert rules.child(0).text(0).startswith("[ok] 2 distinct trusted approvers")
        assert tops[0].childCount() == 2  # rules and decisions: nothing else refused
        decisions = tops[0].child(tops[0].childCount() - 1)
        assert decisions.text(0) == "Decisions (2)"
        first = decisions.child(0)
        assert "by alice@example.org — role approver — regimes gdpr — reason: validated on Q3" in first.text(0)
        assert first.text(1).startswith("valid")
        champ_rules = tops[1].child(0)
        assert champ_rules.child(0).text(0).startswith("[FAIL] 2 distinct trusted approvers")
        assert "Not approved: champion" in tab.summary.text()
        seen = []
        tab.sig_decision_requested.connect(lambda v, t, d: seen.append((v.version, t, d)))
        qtbot.mouseClick(tab.approve_button, Qt.MouseButton.LeftButton)  # nothing chosen: the unapproved one
        tree.setCurrentItem(tops[0])
        qtbot.mouseClick(tab.reject_button, Qt.MouseButton.LeftButton)
        assert seen == [("3", "champion", "APPROVED"), ("3", "Production", "REJECTED")]
        render(view.detail, "version_governance_tab")
    finally:
        view.shutdown()
