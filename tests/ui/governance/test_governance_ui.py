"""Governance GUI: approve / reject dialog, Approvals and Audit log pages, trust management.

Real governance SQLite stores in tmp, real keys (governance create_key), real worker
threads, the MLflow 3.17 fixture store. Tampering is done with sqlite3 / file copies, as an
attacker would, and must show in the GUI without a crash.
"""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from mlops_desktop.crypto.ecdsa import key_id
from mlops_desktop.governance import audit
from mlops_desktop.governance.approvals import approve, list_approvals
from mlops_desktop.governance.keys import create_key, load_private_key, load_public_key
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.common import theme
from mlops_desktop.ui.governance.approval_dialog import ApprovalDialog
from mlops_desktop.ui.governance.approvals_view import EMPTY_TEXT, ApprovalsModel, ApprovalsView
from mlops_desktop.ui.governance.audit_view import AuditLogModel, AuditView
from mlops_desktop.ui.governance.trust_view import SignersModel, TrustDialog, TrustView

PASSPHRASE = "correct horse battery staple 42"
TIMEOUT = 20_000


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """Admin, Alice, Bob and an outsider (made once: key files do not depend on the store)."""
    folder = tmp_path_factory.mktemp("keys")
    out = {}
    for name in ("admin", "alice", "bob", "mallory"):
        path = folder / f"{name}.key"
        create_key(path, name.capitalize(), f"{name}@example.org", PASSPHRASE)
        out[name] = path
    return SimpleNamespace(**out)


@pytest.fixture
def gov_url(tmp_path: Path, keys: SimpleNamespace) -> str:
    """A governance store with the admin pinned and Alice and Bob trusted approvers."""
    path = tmp_path / "governance.db"
    with open_governance(str(path)) as gov:
        init_trust(gov, [load_private_key(keys.admin, PASSPHRASE)])
        admin = load_private_key(keys.admin, PASSPHRASE)
        for who in ("alice", "bob"):
            add_signer(gov, admin, load_public_key(Path(f"{getattr(keys, who)}.pub")), f"{who}@example.org",
                       ["approver"])
    return str(path)


@pytest.fixture
def catalog(mlflow3_db: Path):
    return load_catalog([str(mlflow3_db)])


@pytest.fixture
def widgets(qtbot):
    """Construct widgets that are shut down (workers joined) at teardown."""
    made = []

    def factory(cls, *args, **kwargs):
        widget = cls(*args, **kwargs)
        qtbot.addWidget(widget)
        made.append(widget)
        return widget

    yield factory
    for widget in made:
        widget.shutdown()


@pytest.fixture
def themed(qapp):
    """Render in both themes; the light theme is restored afterwards."""
    manager = theme.theme_manager(qapp)
    yield manager
    manager.apply("light")


def render_both(ui, themed, widget, name: str) -> None:
    for mode in ("light", "dark"):
        themed.apply(mode)
        QApplication.processEvents()
        ui.render(widget, f"governance_{name}_{mode}")
    themed.apply("light")


def wait(qtbot, widget) -> None:
    qtbot.waitUntil(lambda: not widget.is_running(), timeout=TIMEOUT)
    qtbot.wait(10)


def counts(url: str) -> tuple[int, int]:
    with open_governance(url) as gov:
        return len(list_approvals(gov)), audit.head(gov)[0]


def open_dialog(widgets, qtbot, catalog, gov_url, name="sepsis-alert", version="3", **kwargs) -> ApprovalDialog:
    mv = catalog.find_version(name, version)
    dialog = widgets(ApprovalDialog, mv, catalog, governance_url=gov_url, **kwargs)
    dialog.show()
    wait(qtbot, dialog)
    assert dialog.context is not None, dialog.banner.text()
    return dialog


def sign_with(qtbot, dialog, key: Path, passphrase: str = PASSPHRASE, reason: str = "Validated on Q3 data") -> None:
    dialog.key_field.set_path(str(key))
    dialog.reason_edit.setPlainText(reason)
    dialog.passphrase_edit.setText(passphrase)
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    wait(qtbot, dialog)


def approvals_view(widgets, qtbot, gov_url, catalog=None) -> ApprovalsView:
    view = widgets(ApprovalsView, governance_url=gov_url)
    view.set_catalog(catalog)
    view.resize(1200, 720)
    view.show()
    wait(qtbot, view)
    assert view.state is not None, view.banner.text()
    return view


def audit_view(widgets, qtbot, gov_url) -> AuditView:
    view = widgets(AuditView, governance_url=gov_url)
    view.resize(1100, 640)
    view.show()
    wait(qtbot, view)
    assert view.state is not None, view.banner.text()
    return view


# ---------------------------------------------------------------------------- approve dialog


def test_approve_through_the_dialog_is_stored_and_shown_valid(widgets, qtbot, ui, themed, catalog, gov_url, keys):
    dialog = open_dialog(widgets, qtbot, catalog, gov_url)
    dialog.resize(1000, 760)
    # defaults from the version: an alias-based registry -> champion; PHI and PII tick hipaa and gdpr
    assert dialog.target() == "champion"
    assert dialog.regimes() == ["gdpr", "hipaa"]
    assert "PHI" in dialog.header.text() and "PII" in dialog.header.text()
    dialog.key_field.set_path(str(keys.alice))
    dialog.reason_edit.setPlainText("Validated on Q3 data")
    # what will be signed: the statement with the subject digest shown above it
    statement = json.loads(dialog.statement_view.toPlainText())
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["subject"][0]["name"] == "models:/sepsis-alert/3"
    assert statement["subject"][0]["digest"]["sha256"] == dialog.context.digest.digest
    pred = statement["predicate"]
    assert pred["decision"] == "APPROVED" and pred["target"] == "champion"
    assert pred["regimes"] == ["gdpr", "hipaa"] and pred["reason"] == "Validated on Q3 data"
    assert pred["approver"]["identity"] == "alice@example.org"
    assert "trusted" in dialog.signer_label.text()
    # the policy checklist, as it would stand with this approval: 1 of 2 approvers -> not met
    states = dialog.checklist.states()
    assert states and not all(ok for ok, _ in states)
    assert any(ok and "hipaa" in text for ok, text in states)
    assert any(not ok and "2 distinct trusted approvers" in text for ok, text in states)
    assert "not satisfied" in dialog.policy_summary.text()
    dialog.reject_radio.setChecked(True)
    assert json.loads(dialog.statement_view.toPlainText())["predicate"]["decision"] == "REJECTED"
    assert dialog.sign_button.text() == "Sign rejection"
    dialog.approve_radio.setChecked(True)
    dialog.passphrase_edit.setText("x" * 4)
    render_both(ui, themed, dialog, "approval_dialog")
    dialog.passphrase_edit.clear()

    with qtbot.waitSignal(dialog.sig_decided, timeout=TIMEOUT) as decided:
        sign_with(qtbot, dialog, keys.alice)
    record = decided.args[0]
    assert dialog.passphrase_edit.text() == ""
    assert "signed and recorded" in dialog.banner.text()
    assert dialog.close_button.text() == "Close" and not dialog.sign_button.isEnabled()
    render_both(ui, themed, dialog, "approval_dialog_signed")
    with open_governance(gov_url) as gov:
        stored = list_approvals(gov)
    assert [r.id for r in stored] == [record.id]
    signed = json.loads(base64.b64decode(json.loads(stored[0].envelope)["payload"]))
    assert signed["subject"] == statement["subject"]  # what was shown is what was signed
    only_at_signing = ("signedAt", "logIndex")
    assert {k: v for k, v in signed["predicate"].items() if k not in only_at_signing} == {
        k: v for k, v in statement["predicate"].items() if k not in only_at_signing
    }
    assert signed["predicate"]["regimes"] == ["gdpr", "hipaa"]

    view = approvals_view(widgets, qtbot, gov_url, catalog)
    assert view.status_of(record.id) == "valid"
    assert view.selected_record().id == record.id
    assert "Valid" in view.explanation.toPlainText()
    assert record.id in view.explanation.toPlainText()
    assert '"payloadType": "application/vnd.in-toto+json"' in view.envelope_view.toPlainText()
    assert "The decision verifies" in view.banner.text()
    row = view.model.row_of(record.id)
    assert view.model.index(row, 8).data() == "Valid"
    assert view.model.index(row, 4).data() == "alice@example.org"
    render_both(ui, themed, view, "approvals_view")


def test_wrong_passphrase_is_shown_in_the_dialog_and_nothing_is_written(widgets, qtbot, catalog, gov_url, keys):
    before = counts(gov_url)
    dialog = open_dialog(widgets, qtbot, catalog, gov_url)
    sign_with(qtbot, dialog, keys.alice, passphrase="wrong wrong wrong wrong")
    assert "Wrong passphrase" in dialog.banner.text()
    assert "Nothing was written" in dialog.banner.text()
    assert dialog.record is None and dialog.sign_button.isEnabled()
    assert counts(gov_url) == before
    # then the right passphrase works in the same dialog
    sign_with(qtbot, dialog, keys.alice)
    assert dialog.record is not None
    assert counts(gov_url)[0] == before[0] + 1


def test_bad_inputs_are_explained_in_the_dialog(widgets, qtbot, catalog, gov_url, keys, tmp_path):
    before = counts(gov_url)
    dialog = open_dialog(widgets, qtbot, catalog, gov_url)
    dialog.key_field.set_path("")
    assert not dialog.sign()
    assert "reason" in dialog.banner.text().lower()
    dialog.reason_edit.setPlainText("ok")
    assert not dialog.sign()
    assert "key file" in dialog.banner.text()
    dialog.key_field.set_path(str(keys.alice))
    assert not dialog.sign()  # no passphrase typed, none in the environment
    assert "passphrase" in dialog.banner.text()
    # an unreadable key file
    junk = tmp_path / "junk.key"
    junk.write_text("not a key")
    sign_with(qtbot, dialog, junk)
    assert "not a readable" in dialog.banner.text()
    # a key that is not on the trust list: the store would refuse it, so Sign is not offered
    dialog.key_field.set_path(str(keys.mallory))
    assert "not on the trust list" in dialog.signer_label.text()
    assert not dialog.sign_button.isEnabled()
    assert "not on the trust list" in dialog.sign_button.toolTip()
    assert "cannot sign decisions" in dialog.sign_button.toolTip()
    assert "trust add" in dialog.sign_button.toolTip()  # what to do: have it granted, or another key
    assert dialog.banner.kind == "warning" and "cannot sign decisions" in dialog.banner.text()  # said at once
    dialog.passphrase_edit.setText(PASSPHRASE)
    assert not dialog.sign()  # Enter in the passphrase field is refused the same way
    assert "cannot sign decisions" in dialog.banner.text()
    # a trusted key again: Sign is offered, without the refusal
    dialog.key_field.set_path(str(keys.alice))
    assert dialog.sign_button.isEnabled() and dialog.sign_button.toolTip() == ""
    assert dialog.banner.kind == "info" and "type your passphrase" in dialog.banner.text()
    assert counts(gov_url) == before


def test_a_revoked_key_is_refused_with_another_key_as_the_remedy(widgets, qtbot, catalog, gov_url, keys):
    from mlops_desktop.governance.trust import revoke_signer

    with open_governance(gov_url) as gov:
        alice = load_private_key(keys.alice, PASSPHRASE)
        revoke_signer(gov, load_private_key(keys.admin, PASSPHRASE), key_id(alice.public_key), "left")
    before = counts(gov_url)
    dialog = open_dialog(widgets, qtbot, catalog, gov_url)
    dialog.reason_edit.setPlainText("ok")
    dialog.key_field.set_path(str(keys.alice))
    assert "revoked" in dialog.signer_label.text()
    assert not dialog.sign_button.isEnabled()
    tip = dialog.sign_button.toolTip()
    assert "revoked" in tip and "Choose another key file" in tip and "trust add" not in tip
    dialog.passphrase_edit.setText(PASSPHRASE)
    assert not dialog.sign()
    assert counts(gov_url) == before  # nothing recorded


def test_dialog_fits_a_1280x800_screen_with_room(widgets, qtbot, catalog, gov_url, keys):
    dialog = open_dialog(widgets, qtbot, catalog, gov_url)
    dialog.key_field.set_path(str(keys.alice))
    QApplication.processEvents()
    # room for a title bar and a panel on a 1280x800 screen (it was 760 px tall: y 20-780)
    assert dialog.height() <= 680 and dialog.width() <= 1100, dialog.size()
    assert dialog.minimumSizeHint().height() <= dialog.height()
    # the statement and the checklist still get a readable share of it
    assert dialog.statement_view.height() >= 150 and dialog.checklist.height() >= 150


def test_passphrase_from_the_environment(widgets, qtbot, catalog, gov_url, keys, monkeypatch):
    monkeypatch.setenv("MLOPS_DESKTOP_PASSPHRASE", PASSPHRASE)
    dialog = open_dialog(widgets, qtbot, catalog, gov_url, name="demand-forecast", version="2")
    assert dialog.regimes() == []  # no PII/PHI in this version's lineage
    sign_with(qtbot, dialog, keys.bob, passphrase="")
    assert dialog.record is not None and dialog.record.model_name == "demand-forecast"


def test_read_only_governance_store_is_refused_in_the_dialog(widgets, qtbot, catalog, gov_url, keys):
    before = counts(gov_url)
    Path(gov_url).chmod(0o444)
    try:
        dialog = open_dialog(widgets, qtbot, catalog, gov_url)
        assert "read-only" in dialog.banner.text()
        assert not dialog.sign_button.isEnabled()
        dialog.passphrase_edit.setText(PASSPHRASE)
        dialog.reason_edit.setPlainText("x")
        dialog.key_field.set_path(str(keys.alice))
        assert not dialog.sign()
        assert "read-only" in dialog.banner.text()
    finally:
        Path(gov_url).chmod(0o644)
    assert counts(gov_url) == before


def test_second_approval_satisfies_the_policy_preview(widgets, qtbot, catalog, gov_url, keys):
    with open_governance(gov_url) as gov:
        approve(gov, catalog, "fraud-detector", "3", "champion", "first", ["gdpr"], load_private_key(keys.alice, PASSPHRASE))
    dialog = open_dialog(widgets, qtbot, catalog, gov_url, name="fraud-detector", version="3")
    assert dialog.target() == "Production"  # the first held target not approved
    dialog.target_combo.setCurrentText("champion")
    dialog.key_field.set_path(str(keys.bob))
    assert "✓ satisfied" in dialog.policy_summary.text()
    assert all(ok for ok, _ in dialog.checklist.states())
    dialog.key_field.set_path(str(keys.alice))  # the same key again counts once
    assert "not satisfied" in dialog.policy_summary.text()


# ---------------------------------------------------------------------------- approvals view


def test_approvals_view_empty_state(widgets, qtbot, ui, themed, gov_url):
    view = approvals_view(widgets, qtbot, gov_url)
    assert view.stack.currentWidget() is view.empty_label
    assert view.empty_label.text() == EMPTY_TEXT
    assert "Ctrl+Shift+A" in EMPTY_TEXT
    render_both(ui, themed, view, "approvals_view_empty")


def test_tampered_approval_row_shows_invalid(widgets, qtbot, ui, themed, catalog, gov_url, keys):
    with open_governance(gov_url) as gov:
        alice, bob = load_private_key(keys.alice, PASSPHRASE), load_private_key(keys.bob, PASSPHRASE)
        good = approve(gov, catalog, "churn-predictor", "3", "champion", "fine", ["gdpr"], alice)
        bad = approve(gov, catalog, "credit-limit", "3", "champion", "fine", ["gdpr"], bob)
    con = sqlite3.connect(gov_url)
    con.execute("UPDATE approvals SET target = 'Production' WHERE id = ?", (bad.id,))  # hand edit
    con.commit()
    con.close()
    view = approvals_view(widgets, qtbot, gov_url, catalog)
    assert view.status_of(good.id) == "valid"
    assert view.status_of(bad.id) == "invalid"
    view.select_record(bad.id)
    assert "does not match the stored row" in view.explanation.toPlainText()
    assert "APPROVED for champion" in view.explanation.toPlainText()  # what was signed, next to the row
    row = view.model.row_of(bad.id)
    assert view.model.index(row, 2).data() == "Production"  # the row's claim, shown as invalid
    assert view.model.index(row, 4).data() == "bob@example.org"
    assert "1 of 2 decisions verify" in view.banner.text()
    # filters: status and text
    view.status_combo.setCurrentIndex(view.status_combo.findData("invalid"))
    assert view.proxy.rowCount() == 1 and view.count_label.text() == "1 of 2 decisions"
    view.status_combo.setCurrentIndex(0)
    view.filter_edit.setText("churn")
    assert view.proxy.rowCount() == 1
    view.filter_edit.setText("no such thing")
    assert view.stack.currentWidget() is view.empty_label and "filter" in view.empty_label.text()
    view.filter_edit.clear()
    view.select_record(bad.id)
    render_both(ui, themed, view, "approvals_view_tampered")

    # an envelope replaced by garbage is invalid too, and shown, not a crash
    con = sqlite3.connect(gov_url)
    con.execute("UPDATE approvals SET envelope = ? WHERE id = ?", (b"{not json", good.id))
    con.commit()
    con.close()
    view.refresh()
    wait(qtbot, view)
    assert view.status_of(good.id) == "invalid"
    view.select_record(good.id)
    assert "not valid JSON" in view.envelope_view.toPlainText()


def test_revoked_signer_and_changed_evidence(widgets, qtbot, catalog, gov_url, keys, mlflow3_db):
    from mlops_desktop.governance.trust import revoke_signer

    with open_governance(gov_url) as gov:
        rec = approve(gov, catalog, "churn-predictor", "3", "champion", "fine", ["gdpr"],
                      load_private_key(keys.alice, PASSPHRASE))
        revoke_signer(gov, load_private_key(keys.admin, PASSPHRASE), rec.key_id, "left")
    view = approvals_view(widgets, qtbot, gov_url, catalog)
    assert view.status_of(rec.id) == "valid"  # revocation is not retroactive
    # the version changed in the store since the decision -> evidence changed
    con = sqlite3.connect(mlflow3_db)
    con.execute("UPDATE model_versions SET source = 'file:///elsewhere' WHERE name = 'churn-predictor' AND version = 3")
    con.commit()
    con.close()
    view.set_catalog(load_catalog([str(mlflow3_db)]))
    wait(qtbot, view)
    assert view.status_of(rec.id) == "evidence_changed"
    # a model not in the open stores is checked without its evidence, and says so
    view.set_catalog(None)
    wait(qtbot, view)
    assert view.status_of(rec.id) == "valid"
    assert "not rechecked" in view.explanation.toPlainText()


# ---------------------------------------------------------------------------- audit log view


def _make_history(gov_url: str, catalog, keys, n: int = 3) -> None:
    with open_governance(gov_url) as gov:
        alice = load_private_key(keys.alice, PASSPHRASE)
        for i in range(n):
            approve(gov, catalog, "churn-predictor", "3", "champion", f"round {i}", ["gdpr"], alice)
        audit.log_action(gov, audit.ACTION_MODEL_VIEWED, "models:/churn-predictor/3")


def test_audit_view_ok_filters_and_export(widgets, qtbot, ui, themed, catalog, gov_url, keys, tmp_path):
    _make_history(gov_url, catalog, keys)
    view = audit_view(widgets, qtbot, gov_url)
    size = counts(gov_url)[1]
    assert "Audit log consistent" in view.banner.text() and f"{size} entries" in view.banner.text()
    assert view.banner.kind == "ok"
    assert view.model.rowCount() == size
    actions = [view.action_combo.itemData(i) for i in range(view.action_combo.count())]
    assert "approval.approve" in actions and "trust.add" in actions
    view.action_combo.setCurrentIndex(view.action_combo.findData("approval.approve"))
    assert view.proxy.rowCount() == 3
    view.filter_edit.setText("round 1")  # free text searches the visible columns only
    assert view.proxy.rowCount() == 0 and "match" in view.empty_label.text()
    view.filter_edit.setText("churn")
    assert view.proxy.rowCount() == 3
    view.action_combo.setCurrentIndex(0)
    view.filter_edit.clear()
    view.table.selectRow(0)
    assert '"action"' in view.entry_view.toPlainText()
    render_both(ui, themed, view, "audit_view")

    out = tmp_path / "log.json"
    with qtbot.waitSignal(view.sig_exported, timeout=TIMEOUT):
        view.export_to(str(out))
    wait(qtbot, view)
    assert audit.verify_export(out)[0] == size
    assert "Exported" in view.status_label.text()
    assert view.model.rowCount() == size + 1  # the export itself is recorded
    view.export_to(str(tmp_path / "missing" / "x.json"))
    wait(qtbot, view)
    assert "does not exist" in view.status_label.text()


def test_deleted_newest_log_entries_show_in_the_banner(widgets, qtbot, ui, themed, catalog, gov_url, keys, tmp_path):
    _make_history(gov_url, catalog, keys)
    view = audit_view(widgets, qtbot, gov_url)  # this client verifies (and remembers) the head
    assert view.state.verification.ok
    size = view.state.verification.size
    con = sqlite3.connect(gov_url)  # an attacker removes the two newest entries and fixes the head
    con.execute("DELETE FROM log_entries WHERE seq >= ?", (size - 2,))
    con.execute("UPDATE log_head SET size = ?", (size - 2,))
    con.commit()
    con.close()
    view.refresh()
    wait(qtbot, view)
    text = view.banner.text()
    assert view.banner.kind == "error" and "BROKEN" in text
    assert f"last verified the log at {size} entries, but it now has {size - 2}" in text
    assert view.model.rowCount() == size - 2
    render_both(ui, themed, view, "audit_view_broken")
    # the export is refused with the reason
    view.export_to(str(tmp_path / "x.json"))
    wait(qtbot, view)
    assert "inconsistent" in view.status_label.text() and not (tmp_path / "x.json").exists()


def test_restored_older_copy_of_the_governance_file(widgets, qtbot, catalog, gov_url, keys, tmp_path):
    backup = tmp_path / "backup.db"
    shutil.copyfile(gov_url, backup)
    _make_history(gov_url, catalog, keys, n=2)
    view = audit_view(widgets, qtbot, gov_url)
    assert view.state.verification.ok
    shutil.copyfile(backup, gov_url)  # restore the older copy over the file
    view.refresh()
    wait(qtbot, view)
    assert "BROKEN" in view.banner.text()
    assert "older copy of the database was restored" in view.banner.text()
    # the approvals written after the backup are simply gone; the page shows what is there
    approvals = approvals_view(widgets, qtbot, gov_url, catalog)
    assert approvals.model.rowCount() == 0


def test_audit_view_unreadable_store_is_a_message(widgets, qtbot, tmp_path):
    bad = tmp_path / "not-a-db.db"
    bad.write_text("hello")
    view = widgets(AuditView, governance_url=str(bad))
    view.show()
    wait(qtbot, view)
    assert "Cannot read the audit log" in view.banner.text() and "not a governance database" in view.banner.text()


# ---------------------------------------------------------------------------- trust


def test_trust_add_and_revoke_through_the_view(widgets, qtbot, ui, themed, gov_url, keys):
    dialog = widgets(TrustDialog, governance_url=gov_url)
    dialog.resize(900, 460)
    dialog.show()
    view = dialog.view
    wait(qtbot, view)
    assert {s.identity for s in view.model.rows} == {"Admin <admin@example.org>", "alice@example.org", "bob@example.org"}
    assert not view.pin_button.isVisible()
    render_both(ui, themed, dialog, "trust_dialog")

    add = view.show_add_dialog()
    add.public_key_field.set_path(f"{keys.mallory}.pub")
    assert add.identity_edit.text() == "mallory@example.org"  # from the .pub file
    assert len(add.fingerprint_label.text()) == 64
    add.role_checks["reviewer"].setChecked(True)
    add.no_end_check.setChecked(False)
    add.admin_key_field.set_path(str(keys.alice))  # not an administrator
    add.passphrase_edit.setText(PASSPHRASE)
    render_both(ui, themed, add, "add_signer_dialog")
    assert add.submit()
    wait(qtbot, add)
    assert "may not change the trust list" in add.banner.text() and "Nothing was written" in add.banner.text()
    add.admin_key_field.set_path(str(keys.admin))
    add.passphrase_edit.setText(PASSPHRASE)
    with qtbot.waitSignal(view.sig_changed, timeout=TIMEOUT):
        assert add.submit()
    wait(qtbot, add)
    wait(qtbot, view)
    mallory = view.signer("mallory@example.org")
    assert mallory is not None and mallory.roles == ("approver", "reviewer") and mallory.valid_until is not None
    add.close()

    assert view.select_signer(mallory.key_id)
    revoke = view.show_revoke_dialog()
    revoke.reason_edit.setText("left the company")
    revoke.admin_key_field.set_path(str(keys.admin))
    revoke.passphrase_edit.setText(PASSPHRASE)
    render_both(ui, themed, revoke, "revoke_signer_dialog")
    with qtbot.waitSignal(view.sig_changed, timeout=TIMEOUT):
        assert revoke.submit()
    wait(qtbot, revoke)
    wait(qtbot, view)
    assert view.signer("mallory@example.org").status == "revoked"
    assert view.signer("mallory@example.org").revoked_at is not None
    revoke.close()
    with open_governance(gov_url) as gov:
        actions = [e.action for e in audit.read_entries(gov)]
    assert actions.count("trust.add") == 3 and actions.count("trust.revoke") == 1


def test_trust_pin_first_admin_and_empty_state(widgets, qtbot, ui, themed, tmp_path, keys):
    url = str(tmp_path / "fresh.db")
    view = widgets(TrustView, governance_url=url)
    view.resize(820, 380)
    view.show()
    wait(qtbot, view)
    assert view.stack.currentWidget() is view.empty_label
    assert view.pin_button.isVisible() and not view.add_button.isEnabled()
    render_both(ui, themed, view, "trust_view_empty")
    pin = view.show_pin_dialog()
    pin.public_key_field.set_path(f"{keys.admin}.pub")
    pin.passphrase_edit.setText(PASSPHRASE)  # the pin is signed by the administrator's own key
    render_both(ui, themed, pin, "pin_admin_dialog")
    assert pin.submit()
    wait(qtbot, pin)
    wait(qtbot, view)
    assert [s.identity for s in view.model.rows] == ["Admin <admin@example.org>"]
    assert view.add_button.isEnabled() and not view.pin_button.isVisible()
    pin.close()


# ---------------------------------------------------------------------------- main window


def test_main_window_pages_menu_and_shortcut(loaded_window, widgets, qtbot, ui, themed, gov_url, keys):
    window = loaded_window
    window.governance_url = gov_url
    gov = window.governance
    assert window.page("approvals") is gov.approvals_view and window.page("audit") is gov.audit_view
    titles = [window.navigator.item(i).text() for i in range(window.navigator.count())]
    assert "Approvals" in titles and "Audit log" in titles
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus.index("&Governance") == menus.index("&Help") - 1
    assert gov.approve_action.shortcut() == QKeySequence("Ctrl+Shift+A")
    assert gov.approve_action in window.actions() and gov.approve_action in gov.menu.actions()
    assert gov.approve_action in window.models_view.detail.actions()
    assert window.models_view.detail.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu

    window.models_view.select_model("sepsis-alert")
    window.models_view.select_version("3")
    qtbot.keyClick(window, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = gov.last_dialog
    assert isinstance(dialog, ApprovalDialog) and dialog.version.uri == "models:/sepsis-alert/3"
    wait(qtbot, dialog)
    sign_with(qtbot, dialog, keys.alice)
    assert dialog.record is not None
    view = gov.approvals_view
    window.show_page("approvals")
    wait(qtbot, view)
    assert view.status_of(dialog.record.id) == "valid"
    assert view.selected_record().id == dialog.record.id
    assert "recorded at audit-log entry" in window.statusBar().currentMessage()
    render_both(ui, themed, window, "main_window_approvals")
    # from the Approvals page, the shortcut decides on the selected record's version, with the last key
    assert window.gui_settings.data["last_key_path"] == str(keys.alice)
    gov.approve_action.trigger()
    assert gov.last_dialog is not dialog and gov.last_dialog.version.uri == "models:/sepsis-alert/3"
    assert gov.last_dialog.key_field.path() == str(keys.alice)
    gov.last_dialog.close()

    window.show_page("audit")
    wait(qtbot, gov.audit_view)
    assert "Audit log consistent" in gov.audit_view.banner.text()
    render_both(ui, themed, window, "main_window_audit")
    trust = gov.show_trust_dialog()
    wait(qtbot, trust.view)
    assert trust.view.model.rowCount() == 3
    trust.close()
    dialog.close()
    # another governance store chosen in the settings: the page reads it when shown again
    window.governance_url = str(Path(gov_url).with_name("other.db"))
    window.show_page("models")
    window.show_page("approvals")
    wait(qtbot, view)
    assert view.model.rowCount() == 0 and "other.db" in view.banner.text()


def _tab_chain(qtbot, dialog, first, count: int) -> list:
    """The widgets focus visits pressing Tab ``count`` times from ``first`` (real key presses)."""
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=TIMEOUT)
    first.setFocus(Qt.FocusReason.TabFocusReason)
    seen = [QApplication.focusWidget()]
    for _ in range(count):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    return seen


def test_approval_dialog_tab_order_follows_the_form(widgets, qtbot, catalog, gov_url, keys):
    dialog = open_dialog(widgets, qtbot, catalog, gov_url)
    dialog.key_field.set_path(str(keys.alice))
    dialog.reason_edit.setPlainText("ok")
    assert dialog.sign_button.isEnabled()
    seen = _tab_chain(qtbot, dialog, dialog.approve_radio, 11)
    combo = dialog.target_combo
    seen = [combo if w is combo.lineEdit() else w for w in seen]
    assert seen == [dialog.approve_radio, combo, *dialog.regime_checks.values(), dialog.reason_edit,
                    dialog.key_field.edit, dialog.key_field.browse_button, dialog.passphrase_edit,
                    dialog.sign_button, dialog.close_button, dialog.statement_view]
    # the reason box lets Tab move on instead of typing a tab character
    assert dialog.reason_edit.toPlainText() == "ok"
    # arrows choose the decision; Tab leaves the group and Shift+Tab comes back to the chosen one
    dialog.approve_radio.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(dialog.approve_radio, Qt.Key.Key_Right)
    assert dialog.decision() == "REJECTED" and QApplication.focusWidget() is dialog.reject_radio
    assert dialog.sign_button.text() == "Sign rejection"
    qtbot.keyClick(dialog.reject_radio, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() in (combo, combo.lineEdit())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is dialog.reject_radio
    qtbot.keyClick(dialog.reject_radio, Qt.Key.Key_Left)
    assert dialog.decision() == "APPROVED"
    # Shift+Tab walks back through the form
    dialog.passphrase_edit.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(dialog.passphrase_edit, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is dialog.key_field.browse_button


def test_trust_change_dialog_tab_order(widgets, qtbot, gov_url):
    view = widgets(TrustView, governance_url=gov_url)
    view.show()
    wait(qtbot, view)
    add = view.show_add_dialog()
    add.public_key_field.set_path("x.pub")
    add.identity_edit.setText("carol@example.org")
    add.no_end_check.setChecked(False)
    seen = _tab_chain(qtbot, add, add.public_key_field.edit, 16)
    # (Tab walks the date's year, month and day sections before it leaves the date field)
    assert [w for i, w in enumerate(seen) if i == 0 or w is not seen[i - 1]] == [add.public_key_field.edit, add.public_key_field.browse_button, add.identity_edit,
                    *add.role_checks.values(), add.until_edit, add.no_end_check, add.certificate_field.edit,
                    add.certificate_field.browse_button, add.admin_key_field.edit,
                    add.admin_key_field.browse_button, add.passphrase_edit, add.ok_button, add.close_button]
    add.close()


def test_approve_action_without_a_selection_explains(make_window, qtbot):
    window = make_window()
    assert window.governance.show_approval_dialog() is None
    assert "Select a model version" in window.statusBar().currentMessage()


# ---------------------------------------------------------------------------- models


def test_models_pass_the_model_tester(qtmodeltester, widgets, qtbot, catalog, gov_url, keys):
    _make_history(gov_url, catalog, keys, n=2)
    approvals = approvals_view(widgets, qtbot, gov_url, catalog)
    qtmodeltester.check(approvals.model)
    qtmodeltester.check(approvals.proxy)
    log = audit_view(widgets, qtbot, gov_url)
    qtmodeltester.check(log.model)
    trust = widgets(TrustView, governance_url=gov_url)
    trust.show()
    wait(qtbot, trust)
    qtmodeltester.check(trust.model)
    assert isinstance(approvals.model, ApprovalsModel) and isinstance(log.model, AuditLogModel)
    assert isinstance(trust.model, SignersModel)


# ---------------------------------------------------------------------------- governance store switched in Settings


def _settings_dialog(window):
    window.settings_action.trigger()
    return window.settings_dialog


def test_governance_store_switched_in_settings_moves_the_pages_and_the_access_log(
        make_window, qtbot, ui, themed, catalog, gov_url, keys, mlflow3_db, tmp_path):
    from PySide6.QtWidgets import QDialogButtonBox

    with open_governance(gov_url) as gov:
        first = approve(gov, catalog, "churn-predictor", "3", "champion", "fine", ["gdpr"],
                        load_private_key(keys.alice, PASSPHRASE))
    other = str(tmp_path / "other-governance.db")
    with open_governance(other):
        pass
    window = make_window(governance_url=gov_url)
    window.open_stores([str(mlflow3_db)])
    ui.wait_idle(qtbot, window.load_slot)
    gov = window.governance
    qtbot.waitUntil(lambda: gov.access_log.idle, timeout=TIMEOUT)
    window.show_page("approvals")
    wait(qtbot, gov.approvals_view)
    assert gov.approvals_view.status_of(first.id) == "valid"
    window.show_page("audit")
    wait(qtbot, gov.audit_view)
    first_log_size = counts(gov_url)[1]
    assert gov.audit_view.model.rowCount() == first_log_size

    # the Audit log page is shown while the store is switched in Settings
    dialog = _settings_dialog(window)
    dialog.governance_edit.setText(other)
    with qtbot.waitSignal(window.sig_governance_changed, timeout=TIMEOUT) as changed:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert changed.args == [other]
    wait(qtbot, gov.audit_view)  # re-verified at once: it is shown
    assert gov.audit_view.state.url == other and "other-governance.db" not in gov_url
    assert gov.audit_view.model.rowCount() == counts(other)[1]
    assert "Audit log consistent" in gov.audit_view.banner.text()
    assert "other-governance.db" in window.statusBar().currentMessage()
    # the hidden Approvals page forgot the old store's decisions and reads the new one when shown
    assert gov.approvals_view.model.rowCount() == 0 and gov.approvals_view.state is None
    window.show_page("approvals")
    wait(qtbot, gov.approvals_view)
    assert gov.approvals_view.state.url == other and gov.approvals_view.model.rowCount() == 0
    assert "other-governance.db" in gov.approvals_view.banner.text()

    # the access log writes to the new store: viewing a version is recorded there, not in the old one
    other_before = counts(other)[1]
    window.show_page("models")
    window.models_view.select_model("sepsis-alert")
    window.models_view.select_version("3")
    qtbot.waitUntil(lambda: counts(other)[1] == other_before + 1, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: gov.access_log.idle, timeout=TIMEOUT)
    assert counts(gov_url)[1] == first_log_size
    with open_governance(other) as g:
        assert audit.read_entries(g)[-1].object == "models:/sepsis-alert/3"
    # an approval made now goes to the new store
    approval = gov.show_approval_dialog()
    wait(qtbot, approval)
    assert approval.governance_url == other

    # and back: the shown page follows at once
    approval.close()
    window.show_page("approvals")
    dialog = _settings_dialog(window)
    dialog.governance_edit.setText(gov_url)
    with qtbot.waitSignal(window.sig_governance_changed, timeout=TIMEOUT):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    wait(qtbot, gov.approvals_view)
    assert gov.approvals_view.state.url == gov_url and gov.approvals_view.status_of(first.id) == "valid"


# ---------------------------------------------------------------------------- the promotion policy file


ONE_APPROVER = """\
id = "one-approver"

[defaults]
approvers = 1

[targets.champion]
approvers = 1
roles = ["approver"]
"""


def _settings_with_policy(path: Path | str) -> object:
    from mlops_desktop.ui.common.settings import GuiSettings

    settings = GuiSettings()
    settings.update(policy_file=str(path))
    return settings


def test_policy_file_requiring_one_approver_is_used_for_the_checklist_and_the_signature(
        widgets, qtbot, catalog, gov_url, keys, tmp_path):
    import hashlib

    policy_file = tmp_path / "one-approver.toml"
    policy_file.write_text(ONE_APPROVER, encoding="utf-8")
    settings = _settings_with_policy(policy_file)
    dialog = open_dialog(widgets, qtbot, catalog, gov_url, gui_settings=settings)
    assert dialog.policy.policy_id == "one-approver"
    assert dialog.policy_source.text() == f"Policy in force: one-approver from {policy_file}."
    assert dialog.policy_box.title() == "Policy one-approver for champion"
    dialog.key_field.set_path("")
    assert "not satisfied" in dialog.policy_summary.text()  # nobody has approved yet
    dialog.key_field.set_path(str(keys.alice))
    assert "✓ satisfied" in dialog.policy_summary.text()  # with Alice's approval: 1 of 1
    assert any(ok and "1 distinct trusted approver with role approver" in text for ok, text in dialog.checklist.states())
    statement = json.loads(dialog.statement_view.toPlainText())
    digest = hashlib.sha256(policy_file.read_bytes()).hexdigest()
    assert statement["predicate"]["policy"] == {"id": "one-approver", "digest": digest}
    sign_with(qtbot, dialog, keys.alice)
    assert dialog.record is not None
    with open_governance(gov_url) as gov:
        signed = json.loads(base64.b64decode(json.loads(list_approvals(gov)[0].envelope)["payload"]))
    assert signed["predicate"]["policy"] == {"id": "one-approver", "digest": digest}  # what was shown

    # after that one approval, the checklist is satisfied as it stands (no key chosen)
    again = open_dialog(widgets, qtbot, catalog, gov_url, gui_settings=settings)
    again.key_field.set_path("")
    assert "as it stands" in again.policy_summary.text() and "✓ satisfied" in again.policy_summary.text()
    assert all(ok for ok, _ in again.checklist.states())
    # the built-in policy still wants a second approver for the same version
    builtin = open_dialog(widgets, qtbot, catalog, gov_url, policy_file="")
    builtin.key_field.set_path("")
    assert "not satisfied" in builtin.policy_summary.text()
    assert builtin.policy_source.text() == "Policy in force: the built-in policy mlops-desktop-default/v1."
    # the Approvals page names the policy it verified with
    view = widgets(ApprovalsView, governance_url=gov_url, gui_settings=settings)
    view.set_catalog(catalog)
    view.show()
    wait(qtbot, view)
    assert f"Policy in force: one-approver from {policy_file}" in view.banner.text()
    assert view.banner.kind == "ok"


@pytest.mark.parametrize("problem", ["malformed", "missing", "unknown-setting"])
def test_bad_policy_file_is_explained_and_nothing_is_signed(widgets, qtbot, ui, themed, catalog, gov_url, keys,
                                                           tmp_path, problem):
    policy_file = tmp_path / "policy.toml"
    expected = {"malformed": "is not valid TOML", "missing": "Cannot read policy file",
                "unknown-setting": "Unknown policy setting approverz"}[problem]
    if problem == "malformed":
        policy_file.write_text('id = "broken\n[targets.champion\napprovers = 1\n', encoding="utf-8")
    elif problem == "unknown-setting":
        policy_file.write_text("[targets.champion]\napproverz = 1\n", encoding="utf-8")
    before_bytes = policy_file.read_bytes() if policy_file.exists() else None
    settings = _settings_with_policy(policy_file)
    before = counts(gov_url)
    dialog = open_dialog(widgets, qtbot, catalog, gov_url, gui_settings=settings)
    assert dialog.policy is None
    text = dialog.banner.text()
    assert "Nothing can be signed" in text and expected in text and str(policy_file) in text
    assert "built-in policy" in text  # says the built-in one is not used in its place
    assert dialog.policy_box.title() == "No policy in force"
    assert dialog.policy_source.text() == f"No policy in force: the policy file {policy_file} cannot be used."
    assert "no promotion policy is in force" in dialog.checklist.item(0).text()
    assert not dialog.sign_button.isEnabled()
    assert "Nothing can be signed" in dialog.statement_view.toPlainText()
    # changing the form does not bring a statement or a checklist back
    dialog.key_field.set_path(str(keys.alice))
    dialog.target_combo.setCurrentText("Production")
    assert "Nothing can be signed" in dialog.statement_view.toPlainText() and not dialog.sign_button.isEnabled()
    dialog.reason_edit.setPlainText("fine")
    dialog.passphrase_edit.setText(PASSPHRASE)
    assert not dialog.sign()
    assert expected in dialog.banner.text()
    if problem == "malformed":
        dialog.resize(1000, 760)
        render_both(ui, themed, dialog, "approval_dialog_bad_policy")
    assert counts(gov_url) == before  # nothing written
    assert (policy_file.read_bytes() if policy_file.exists() else None) == before_bytes

    view = widgets(ApprovalsView, governance_url=gov_url, gui_settings=settings)
    view.show()
    wait(qtbot, view)
    assert view.banner.kind == "error"
    assert "No policy in force" in view.banner.text() and expected in view.banner.text()
    assert "expiry is not checked" in view.banner.text()
    if problem == "malformed":
        view.resize(1100, 500)
        render_both(ui, themed, view, "approvals_view_bad_policy")


def test_policy_file_setting_in_the_settings_dialog(make_window, qtbot, ui, themed, gov_url, mlflow3_db, tmp_path):
    from PySide6.QtWidgets import QDialogButtonBox

    from mlops_desktop.ui.common.settings import GuiSettings

    good = tmp_path / "one-approver.toml"
    good.write_text(ONE_APPROVER, encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text("[targets\n", encoding="utf-8")
    window = make_window(governance_url=gov_url)
    window.open_stores([str(mlflow3_db)])
    ui.wait_idle(qtbot, window.load_slot)
    window.show_page("approvals")
    view = window.governance.approvals_view
    wait(qtbot, view)
    assert "the built-in policy mlops-desktop-default/v1" in view.banner.text()

    dialog = _settings_dialog(window)
    assert dialog.policy_edit.text() == "" and dialog.policy_edit.accessibleName()
    dialog.policy_edit.setText(str(bad))
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.click()
    assert dialog.isVisible() and "is not valid TOML" in dialog.error_label.text()
    assert GuiSettings().prefs.policy_file == ""  # nothing written
    dialog.resize(680, 520)
    render_both(ui, themed, dialog, "settings_bad_policy")
    dialog.policy_edit.setText(str(good))
    ok.click()
    assert not dialog.isVisible()
    assert GuiSettings().prefs.policy_file == str(good)
    # the shown Approvals page verifies again under the new policy
    qtbot.waitUntil(lambda: "one-approver" in view.banner.text(), timeout=TIMEOUT)
    wait(qtbot, view)
    assert f"Policy in force: one-approver from {good}" in view.banner.text()
    # a file that breaks later is reported on the page; an unchanged setting does not block Settings
    good.write_text("not = [valid", encoding="utf-8")
    view.refresh()
    wait(qtbot, view)
    assert "No policy in force" in view.banner.text()
    dialog = _settings_dialog(window)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.click()
    assert not dialog.isVisible()


def test_settings_without_policy_file_read_as_the_built_in_policy(tmp_path):
    from mlops_desktop.services.settings import resolve_policy
    from mlops_desktop.ui.common.settings import SCHEMA_VERSION, GuiSettings, verification_settings

    path = tmp_path / "gui.ini"  # written by a release before policy_file existed (same version)
    path.write_text(f'[meta]\nversion={SCHEMA_VERSION}\n[prefs]\ntheme="\\"dark\\""\n', encoding="utf-8")
    settings = GuiSettings(path)
    assert settings.migrated_from is None and settings.prefs.theme == "dark"
    assert settings.prefs.policy_file == "" and settings.verification_settings().policy_file == ""
    assert resolve_policy("").describe() == "Policy in force: the built-in policy mlops-desktop-default/v1."
    with pytest.raises(ValueError):
        settings.update(policy_file=3)
    settings.update(policy_file="/etc/policy.toml")
    assert GuiSettings(path).prefs.policy_file == "/etc/policy.toml"
    assert verification_settings(None).policy_file == ""


# ---------------------------------------------------------------------------- the organisation CA


def test_approvals_page_honours_the_organisation_ca_as_verify_ca_does(make_window, qtbot, ui, themed, catalog,
                                                                       gov_url, keys, mlflow3_db, tmp_path, capsys):
    """A signer whose trust statement carries a certificate from another CA counts until the
    organisation CA is set in Settings; then the page shows the decision untrusted, exactly as
    ``verify --ca`` judges the same records."""
    from cryptography.hazmat.primitives import serialization
    from PySide6.QtWidgets import QDialogButtonBox

    from mlops_desktop.cli.main import main
    from mlops_desktop.ui.common.settings import GuiSettings
    from tests.governance.test_keys import issue, make_ca

    _org_key, org_ca = make_ca("Example Org CA")
    rogue_key, rogue_ca = make_ca("Rogue CA")
    ca_file = tmp_path / "org-ca.pem"
    ca_file.write_bytes(org_ca.public_bytes(serialization.Encoding.PEM))
    not_a_ca = tmp_path / "not-a-ca.pem"
    not_a_ca.write_text("no certificates here\n", encoding="utf-8")
    mallory_pub = load_public_key(Path(f"{keys.mallory}.pub"))
    with open_governance(gov_url) as gov:
        # the administrator accepted Mallory's certificate from the rogue CA (it chains to the roots given then)
        add_signer(gov, load_private_key(keys.admin, PASSPHRASE), mallory_pub, "mallory@example.org", ["approver"],
                   certificate=issue(rogue_key, rogue_ca, mallory_pub, "mallory@example.org"), ca_roots=[rogue_ca])
        by_alice = approve(gov, catalog, "churn-predictor", "3", "champion", "fine", ["gdpr"],
                           load_private_key(keys.alice, PASSPHRASE))
        by_mallory = approve(gov, catalog, "churn-predictor", "3", "champion", "fine too", ["gdpr"],
                             load_private_key(keys.mallory, PASSPHRASE))

    GuiSettings().update(governance_url=gov_url)  # the store in Settings, so accepting Settings keeps it
    window = make_window()
    window.open_stores([str(mlflow3_db)])
    ui.wait_idle(qtbot, window.load_slot)
    window.show_page("approvals")
    view = window.governance.approvals_view
    wait(qtbot, view)
    assert view.state.url == gov_url
    assert (view.status_of(by_alice.id), view.status_of(by_mallory.id)) == ("valid", "valid")
    assert "All 2 decisions verify" in view.banner.text()

    dialog = _settings_dialog(window)
    assert dialog.ca_edit.text() == "" and dialog.ca_edit.accessibleName()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.ca_edit.setText(str(not_a_ca))
    ok.click()
    assert dialog.isVisible() and f"{not_a_ca} holds no readable PEM certificates" in dialog.error_label.text()
    assert GuiSettings().prefs.ca_file == ""  # nothing written
    dialog.ca_edit.setText(str(ca_file))
    ok.click()
    assert not dialog.isVisible() and GuiSettings().prefs.ca_file == str(ca_file)
    # the shown page verifies again with the CA: Mallory's grant no longer counts
    qtbot.waitUntil(lambda: view.status_of(by_mallory.id) == "untrusted", timeout=TIMEOUT)
    wait(qtbot, view)
    assert view.status_of(by_alice.id) == "valid"
    banner = view.banner.text()
    assert "1 of 2 decisions verify" in banner and "1 untrusted" in banner
    assert "not issued by the organisation CA" in banner
    assert "checked against the organisation CA set in Settings" in banner
    assert view.select_record(by_mallory.id)
    assert "signer mallory@example.org is not on the trust list" not in view.explanation.toPlainText()
    assert f"signer {by_mallory.key_id[:16]} is not on the trust list" in view.explanation.toPlainText()
    view.resize(1200, 720)
    render_both(ui, themed, view, "approvals_view_org_ca")
    gui = {v.record.id: (v.status, v.detail) for v in view.state.approvals}

    # the same records, the same verdict on the command line
    capsys.readouterr()
    code = main(["verify", "--governance", gov_url, "--store", str(mlflow3_db), "--ca", str(ca_file),
                 "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["ok"] is False
    assert {a["id"]: (a["status"], "; ".join(a["problems"])) for a in report["approvals"]} == gui
    assert gui[by_mallory.id] == ("untrusted", f"signer {by_mallory.key_id[:16]} is not on the trust list")
    assert report["trust_problems"] == view.state.trust_problems
    # and without the CA both count, on both faces
    code = main(["verify", "--governance", gov_url, "--store", str(mlflow3_db), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and {a["id"]: a["status"] for a in report["approvals"]} == {by_alice.id: "valid",
                                                                                  by_mallory.id: "valid"}
