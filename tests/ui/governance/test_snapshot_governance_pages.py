"""An opened snapshot made after two approvals: the Approvals and Audit log pages show the
governance records it carries, read-only, verified against this client's trust anchors (an
auditor's machine without the live stores or governance store); Approve / Reject is disabled
and says why. Without the anchor nothing is called verified."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.core.governance_facts import STATUS_VALID
from mlops_desktop.crypto.ecdsa import generate_private_key, key_id
from mlops_desktop.governance import audit
from mlops_desktop.governance.approvals import approve
from mlops_desktop.governance.keys import SigningKey
from mlops_desktop.governance.snapshot import create_snapshot
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust
from mlops_desktop.sources.loader import load_catalog
from tests.ui.conftest import render, wait_idle

MODEL, VERSION, TARGET = "churn-predictor", "3", "Production"


def _key(identity: str) -> SigningKey:
    priv = generate_private_key()
    return SigningKey(priv, key_id(priv.public_key()), identity)


@pytest.fixture
def snapshot(tmp_path: Path, mlflow3_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, list[str], str, list[tuple[int, str]]]]:
    """A snapshot taken after two approvals; then the live stores are gone (offline auditor)."""
    admin, alice, erin = _key("admin@example.org"), _key("reviewer1@example.org"), _key("reviewer2@example.org")
    gov_path = tmp_path / "live-governance.db"
    with open_governance(str(gov_path)) as gov:
        init_trust(gov, [admin])
        for k in (alice, erin):
            add_signer(gov, admin, k.public_key, str(k.identity), ["approver"])
        catalog = load_catalog([str(mlflow3_db)])
        ids = [approve(gov, catalog, MODEL, VERSION, TARGET, "validated", ["gdpr"], k).id for k in (alice, erin)]
        out = tmp_path / "after-two-approvals.mlsnap"
        create_snapshot([str(mlflow3_db)], out, key=alice, governance=gov)
        entries = [(e.seq, e.action) for e in audit.read_entries(gov)]
    gov_path.unlink()
    mlflow3_db.unlink()
    # another machine: a fresh HOME (the admin pinned by trust init above is no anchor there)
    home = tmp_path / "auditor-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.delenv("MLOPS_DESKTOP_TRUST_ANCHORS", raising=False)
    yield out, ids, admin.key_id, entries


def _open(make_window, qtbot, snap: Path):
    window = make_window()
    window.persist_layout = False
    window.resize(1280, 800)
    window.open_stores([f"snapshot:{snap}"])
    wait_idle(qtbot, window.load_slot)
    assert not window.notifier.dialogs
    return window


def test_snapshot_approvals_and_audit_pages(make_window, qtbot, monkeypatch, snapshot):
    snap, ids, admin_kid, entries = snapshot
    monkeypatch.setenv("MLOPS_DESKTOP_TRUST_ANCHORS", admin_kid)  # received out of band
    window = _open(make_window, qtbot, snap)
    controller = window.governance
    assert controller.governance_url() == f"snapshot:{snap}"

    window.show_page("approvals")
    approvals = controller.approvals_view
    wait_idle(qtbot, approvals.slot)
    state = approvals.state
    assert state is not None and state.url == f"snapshot:{snap}"
    assert sorted(v.record.id for v in state.approvals) == sorted(ids)
    assert [approvals.status_of(i) for i in ids] == [STATUS_VALID, STATUS_VALID]
    assert {(v.record.model_name, v.record.version, v.record.target) for v in state.approvals} == \
        {(MODEL, VERSION, TARGET)}
    assert approvals.model.rowCount() == 2 and approvals.stack.currentIndex() == 1
    assert state.verdict == "verified"
    assert "read-only" in approvals.banner.text()
    # no decision can be signed on a snapshot's records: disabled, and the tooltip says why
    assert not approvals.approve_button.isEnabled()
    assert "snapshot is open" in approvals.approve_button.toolTip()
    assert not controller.approve_action.isEnabled()
    assert "snapshot" in controller.approve_action.toolTip()
    assert controller.show_approval_dialog() is None
    assert "snapshot is open" in window.statusBar().currentMessage()
    render(window, "snapshot_approvals_page")

    window.show_page("audit")
    audit_view = controller.audit_view
    wait_idle(qtbot, audit_view.slot)
    got = audit_view.state
    assert got is not None and got.url == f"snapshot:{snap}"
    assert [(e.seq, e.action) for e in got.entries] == entries
    assert audit_view.model.rowCount() == len(entries) > 0
    assert got.verification.ok, got.verification.problems
    assert got.verdict == "verified"
    assert not audit_view.export_button.isEnabled()  # read-only: an export would be recorded in the log
    assert "read-only" in audit_view.export_button.toolTip()
    assert "read-only" in audit_view.banner.text()
    render(window, "snapshot_audit_page")

    # the Models page and the Findings page judge with the same records
    wait_idle(qtbot, window.models_view.governance_slot)
    overview = window.models_view.overview
    assert overview is not None and overview.status is not None and overview.status.url == f"snapshot:{snap}"
    assert overview.status.target(MODEL, VERSION, TARGET).status == "approved"
    wait_idle(qtbot, window.findings_view.slot)
    assert window.findings_view.result.governance_url == f"snapshot:{snap}"
    assert not [f for f in window.findings_view.result.findings if f.id == "F1" and
                f.object == f"models:/{MODEL}/{VERSION}" and "'Production' has" in f.evidence]

    # the stores closed: back to this client's own governance store, Approve enabled again
    window.close_stores()
    assert controller.governance_url() == window.governance_url
    assert approvals.approve_button.isEnabled() and controller.approve_action.isEnabled()


def test_snapshot_records_refused_without_the_admin_anchor(make_window, qtbot, snapshot):
    """Another client that holds no anchor: the snapshot is unanchored (its carried trust list
    names its own admin, which proves nothing), so its records are not shown as verified: the
    pages say why and list nothing; Approve stays disabled."""
    snap, _ids, _admin_kid, _entries = snapshot
    window = _open(make_window, qtbot, snap)
    controller = window.governance
    assert controller.governance_url() == f"snapshot:{snap}"
    assert controller.governance_url(verified_only=True) == window.governance_url  # the Models page
    window.show_page("approvals")
    approvals = controller.approvals_view
    wait_idle(qtbot, approvals.slot)
    assert approvals.state is None and approvals.model.rowCount() == 0
    assert approvals.banner.kind == "error" and "not verified" in approvals.banner.text()
    assert "unanchored" in approvals.banner.text()
    assert not approvals.approve_button.isEnabled()
    window.show_page("audit")
    audit_view = controller.audit_view
    wait_idle(qtbot, audit_view.slot)
    assert audit_view.state is None and audit_view.model.rowCount() == 0
    assert audit_view.banner.kind == "error" and "not verified" in audit_view.banner.text()
    wait_idle(qtbot, window.findings_view.slot)
    assert not window.notifier.dialogs


def test_an_edited_snapshot_shows_no_verified_decision(make_window, qtbot, monkeypatch, snapshot, tmp_path):
    """A decision row edited inside a copy of the snapshot (Production -> Staging), with the
    admin anchor held: the copy is ALTERED, so its records are refused, never shown as valid,
    and the verdict of the genuine snapshot shown before does not stay on the page."""
    import shutil
    import sqlite3

    snap, _ids, admin_kid, _entries = snapshot
    edited = tmp_path / "edited.mlsnap"
    shutil.copyfile(snap, edited)
    con = sqlite3.connect(edited)
    con.execute("UPDATE approvals SET target = 'Staging'")
    con.commit()
    con.close()
    monkeypatch.setenv("MLOPS_DESKTOP_TRUST_ANCHORS", admin_kid)
    window = _open(make_window, qtbot, snap)
    window.show_page("approvals")
    approvals = window.governance.approvals_view
    wait_idle(qtbot, approvals.slot)
    assert approvals.verdict_bar.verdict == "verified" and approvals.model.rowCount() == 2
    window.open_stores([f"snapshot:{edited}"])
    wait_idle(qtbot, window.load_slot)
    wait_idle(qtbot, approvals.slot)
    assert window.altered_banner.isVisible()
    assert window.governance.governance_url() == f"snapshot:{edited}"
    assert approvals.state is None and approvals.model.rowCount() == 0
    assert approvals.banner.kind == "error" and "ALTERED" in approvals.banner.text()
    assert approvals.verdict_bar.verdict == "" and approvals.verdict_bar.isHidden()
    assert not approvals.approve_button.isEnabled()
    window.show_page("audit")
    audit_view = window.governance.audit_view
    wait_idle(qtbot, audit_view.slot)
    assert audit_view.model.rowCount() == 0 and audit_view.verdict_bar.verdict != "verified"
