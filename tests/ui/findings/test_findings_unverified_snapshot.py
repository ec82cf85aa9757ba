"""The Findings page on a snapshot whose governance records are refused (not verified against
this client's trust anchors): the banner says what to do in the window (Settings > Trust
anchors, then Check again), never the command line's --allow-unverified; doing what it says
computes the findings. An ALTERED copy gets no such advice: no anchor can make it verified."""

from __future__ import annotations

import shutil
import sqlite3

from mlops_desktop.governance.anchors import add_anchor
from tests.ui.conftest import render, wait_idle
from tests.ui.governance.test_snapshot_governance_pages import _open, snapshot  # noqa: F401 - snapshot: a fixture


def _banner_words(view) -> str:
    return view.banner.accessibleDescription()


def test_unanchored_snapshot_advice_in_the_windows_terms(make_window, qtbot, snapshot):  # noqa: F811
    snap, _ids, admin_kid, _entries = snapshot
    window = _open(make_window, qtbot, snap)  # no anchor held: the snapshot is unanchored
    findings = window.findings_view
    window.show_page("findings")
    wait_idle(qtbot, findings.slot)
    assert findings.result is None and findings.model.rowCount() == 0
    words = _banner_words(findings)
    assert findings.banner.kind == "error" and findings.banner.isVisible()
    assert words.startswith("Findings not computed: the governance records of this snapshot are not used")
    assert "unanchored" in words  # what the verification found, with the fingerprint to compare
    assert "Settings > Trust anchors" in words and "press Check again" in words
    assert findings.refresh_button.text() == "Check again"
    assert "--allow-unverified" not in words and "mlops-desktop" not in words and "trust anchor add" not in words
    assert admin_kid in words or "signed by key" in words
    # the Approvals page words it the same way, with its own button
    window.show_page("approvals")
    approvals = window.governance.approvals_view
    wait_idle(qtbot, approvals.slot)
    approval_words = approvals.banner.accessibleDescription()
    assert "Settings > Trust anchors" in approval_words and "press Verify again" in approval_words
    assert "--allow-unverified" not in approval_words
    window.show_page("findings")
    render(window, "findings_unverified_snapshot")

    # doing what the banner says: the admin's key as a trust anchor (Settings > Trust anchors
    # writes the same anchors file), then Check again: the snapshot's records are used
    add_anchor(admin_kid, "received from the auditor's administrator")
    findings.refresh_button.click()
    wait_idle(qtbot, findings.slot)
    assert findings.result is not None and findings.result.governance_url == f"snapshot:{snap}"
    assert not (findings.banner.isVisible() and findings.banner.kind == "error")
    assert not window.notifier.dialogs


def test_altered_snapshot_gets_no_trust_advice(make_window, qtbot, monkeypatch, snapshot, tmp_path):  # noqa: F811
    snap, _ids, admin_kid, _entries = snapshot
    edited = tmp_path / "edited.mlsnap"
    shutil.copyfile(snap, edited)
    con = sqlite3.connect(edited)
    con.execute("UPDATE approvals SET target = 'Staging'")
    con.commit()
    con.close()
    monkeypatch.setenv("MLOPS_DESKTOP_TRUST_ANCHORS", admin_kid)  # the anchor is held: still refused
    window = _open(make_window, qtbot, edited)
    findings = window.findings_view
    window.show_page("findings")
    wait_idle(qtbot, findings.slot)
    assert findings.result is None
    words = _banner_words(findings)
    assert findings.banner.kind == "error" and "ALTERED" in words
    assert "no trust anchor can make it verified" in words and "Do not rely on it" in words
    assert "Settings > Trust anchors" not in words and "--allow-unverified" not in words
