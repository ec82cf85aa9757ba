"""The version page's Governance tab with a snapshot open: the decisions shown are the
snapshot's read-only records, so Approve / Reject are disabled with the same reason the
Approvals page gives (the governance controller's ``read_only_reason``); a live store opened
afterwards enables them again."""

from __future__ import annotations

import shutil

from PySide6.QtCore import Qt

from tests.conftest import FIXTURES
from tests.ui.conftest import render, wait_idle
from tests.ui.governance.test_snapshot_governance_pages import (  # noqa: F401 - snapshot: a fixture
    MODEL,
    TARGET,
    VERSION,
    _open,
    snapshot,
)


def _tab(window, qtbot):
    view = window.models_view
    wait_idle(qtbot, view.governance_slot)
    assert view.select_model(MODEL) and view.select_version(VERSION)
    tab = view.detail.governance_tab
    view.detail.tabs.setCurrentWidget(tab)
    return tab


def test_governance_tab_is_read_only_on_a_snapshot(make_window, qtbot, monkeypatch, tmp_path, snapshot):  # noqa: F811
    snap, _ids, admin_kid, _entries = snapshot
    monkeypatch.setenv("MLOPS_DESKTOP_TRUST_ANCHORS", admin_kid)
    window = _open(make_window, qtbot, snap)
    controller = window.governance
    reason = controller.read_only_reason()
    assert reason is not None and "snapshot is open" in reason
    tab = _tab(window, qtbot)
    # the snapshot's records are shown: its two approvals count for Production
    tops = [tab.tree.topLevelItem(i) for i in range(tab.tree.topLevelItemCount())]
    assert any(t.text(0) == f"✓ {TARGET}" for t in tops), [t.text(0) for t in tops]
    for button in (tab.approve_button, tab.reject_button):
        assert not button.isEnabled()
        assert button.toolTip() == reason
    # the same words as the Approvals page's button
    assert controller.approvals_view.approve_button.toolTip() == reason
    # no request leaves the tab, even when asked directly
    seen: list[object] = []
    tab.sig_decision_requested.connect(lambda *args: seen.append(args))
    qtbot.mouseClick(tab.approve_button, Qt.MouseButton.LeftButton)
    tab._request("APPROVED")
    assert seen == [] and not [d for d in controller.dialogs if d.isVisible()]
    # another version selected: still read-only
    assert window.models_view.select_version("2")
    assert not tab.approve_button.isEnabled() and tab.approve_button.toolTip() == reason
    render(window, "version_governance_tab_snapshot")

    # the live store (no snapshot): decisions can be signed again from the tab
    live = tmp_path / "live-mlflow3.db"
    shutil.copyfile(FIXTURES / "mlflow-3.17-sqlite.db", live)
    window.open_stores([str(live)])
    wait_idle(qtbot, window.load_slot)
    assert controller.read_only_reason() is None
    tab = _tab(window, qtbot)
    assert tab.read_only is None
    assert tab.approve_button.isEnabled() and tab.reject_button.isEnabled()
    assert "snapshot" not in tab.approve_button.toolTip()
    tab.sig_decision_requested.connect(lambda *args: seen.append(args))
    qtbot.mouseClick(tab.approve_button, Qt.MouseButton.LeftButton)
    assert seen and seen[-1][2] == "APPROVED"
