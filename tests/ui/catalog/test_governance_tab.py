"""The version pane's Governance tab on the MLflow 3 fixture: fraud-detector v3 holds Production
(approved twice) and champion (not approved)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QToolTip

from mlops_desktop.governance.approvals import approve
from mlops_desktop.governance.store import open_governance
from mlops_desktop.ui.catalog.elided_tips import cell_tooltip, is_elided
from tests.ui.catalog.test_models_governance import catalog, gov_url, shown, team  # noqa: F401 - fixtures
from tests.ui.conftest import OFFSCREEN_NOISE, flush_events, render

LONG_REASON = "validated on Q3, see https://jira.example.org/browse/MODELRISK-20261003-fraud-detector-v3-validation"


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


def _tooltip_event(tree, item, column: int) -> str:
    """What the tree's viewport shows as tooltip when the pointer rests on ``item``'s cell."""
    rect = tree.visualRect(tree.indexFromItem(item, column))
    event = QHelpEvent(QEvent.Type.ToolTip, rect.center(), tree.viewport().mapToGlobal(rect.center()))
    QCoreApplication.sendEvent(tree.viewport(), event)
    text = QToolTip.text() if QToolTip.isVisible() else ""
    QToolTip.hideText()
    return text


@pytest.mark.qt_log_ignore(OFFSCREEN_NOISE, "This plugin does not support raise")  # offscreen: showing a tooltip
def test_cut_signer_role_and_reason_cells_give_their_whole_text(qtbot, catalog, gov_url, team):  # noqa: F811
    with open_governance(gov_url) as gov:
        approve(gov, catalog, "fraud-detector", "3", "Production", LONG_REASON, ["gdpr", "hipaa"], team.alice)
    view = shown(qtbot, catalog, gov_url)
    try:
        assert view.select_model("fraud-detector") and view.select_version("3")
        tab = view.detail.governance_tab
        tab.setParent(None)  # the tab alone, at a narrow width
        qtbot.addWidget(tab)
        tab.resize(420, 500)
        tab.show()
        flush_events()
        tree = tab.tree
        production = tree.topLevelItem(0)
        decision = production.child(production.childCount() - 1).child(0)
        whole = decision.text(0)
        assert "by alice@example.org — role approver — regimes gdpr, hipaa — reason: " + LONG_REASON in whole
        tree.scrollToItem(decision)
        flush_events()
        index = tree.indexFromItem(decision, 0)
        # the link in the reason is one word wider than the column: cut however the row wraps,
        # and the cut shows ("…", not clipped without a sign)
        assert tree.fontMetrics().horizontalAdvance("jira.example.org/browse/MODELRISK-20261003-") > \
            tree.visualRect(index).width()
        assert is_elided(tree, index)
        assert tree.textElideMode() == Qt.TextElideMode.ElideRight
        assert index.data(Qt.ItemDataRole.ToolTipRole) == whole
        assert cell_tooltip(tree, index) == whole
        assert _tooltip_event(tree, decision, 0) == whole
        # the verdict of the same decision, and a rule's explanation, likewise
        verdict = decision.text(1)
        assert verdict.startswith("valid") and _tooltip_event(tree, decision, 1) == verdict
        rule = production.child(0).child(0)
        tree.scrollToItem(rule)
        flush_events()
        assert _tooltip_event(tree, rule, 1) == rule.text(1)
        render(tab, "version_governance_tab_narrow")
    finally:
        view.shutdown()
