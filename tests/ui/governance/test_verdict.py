"""The Approvals and Audit log pages say the verdict in verify's words, show the full
fingerprint of an unanchored key, and "Trust this key" adds it to the anchors after a
confirmation that explains comparing the fingerprint."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_desktop.governance.anchors import load_anchors, unanchored_message
from mlops_desktop.governance.approvals import approve
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.governance.approvals_view import ApprovalsView
from mlops_desktop.ui.governance.audit_view import AuditView
from mlops_desktop.ui.governance.verdict import trust_key_explanation, unanchored_key
from tests.governance.helpers import make_key

TIMEOUT = 60_000


@pytest.fixture
def widgets(qtbot):
    made = []

    def factory(cls, *args, **kwargs):
        widget = cls(*args, **kwargs)
        qtbot.addWidget(widget)
        made.append(widget)
        return widget

    yield factory
    for widget in made:
        widget.shutdown()


def wait(qtbot, widget) -> None:
    qtbot.waitUntil(lambda: not widget.is_running(), timeout=TIMEOUT)
    qtbot.wait(10)


@pytest.fixture
def store(tmp_path: Path, mlflow3_db: Path, monkeypatch: pytest.MonkeyPatch):
    """A store made on the administrator's computer, then opened on a fresh one."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "admin" / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "admin" / "data"))
    admin, alice = make_key("Admin <admin@example.org>"), make_key("alice@example.org")
    url = str(tmp_path / "gov.db")
    with open_governance(url) as gov:
        init_trust(gov, [admin])
        add_signer(gov, admin, alice.public_key, "alice@example.org", ["approver"])
        approve(gov, load_catalog([str(mlflow3_db)]), "fraud-detector", "3", "Production", "ok", [], alice)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "auditor" / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "auditor" / "data"))
    return url, admin, alice


def test_audit_page_unanchored_then_trusted(widgets, qtbot, store) -> None:
    url, admin, _alice = store
    view = widgets(AuditView, governance_url=url)
    view.show()
    wait(qtbot, view)
    expected = unanchored_message(admin.key_id, "Admin <admin@example.org>")
    assert view.state is not None and view.state.verdict == expected
    bar = view.verdict_bar
    assert bar.isVisible() and bar.trust_button.isVisible()
    assert admin.key_id in bar.label.text()  # the full fingerprint, not a prefix
    assert bar.label.accessibleName() == f"Verdict: {expected}"
    asked: list[tuple[str, str]] = []
    bar.confirm = lambda _parent, kid, who: asked.append((kid, who)) is None and False  # the user cancels
    bar.trust_button.click()
    assert asked == [(admin.key_id, "Admin <admin@example.org>")]
    assert load_anchors().key_ids == ()
    bar.confirm = lambda _parent, kid, who: True  # the fingerprints match
    bar.trust_button.click()
    assert load_anchors().key_ids == (admin.key_id,)
    wait(qtbot, view)
    assert view.state.verdict == "verified"
    assert not bar.trust_button.isVisible()
    assert bar.label.text().startswith("<b>Verdict: verified</b>")


def test_approvals_page_says_the_same_words(widgets, qtbot, store, mlflow3_db: Path) -> None:
    url, admin, alice = store
    view = widgets(ApprovalsView, governance_url=url)
    view.show()
    wait(qtbot, view)
    state = view.state
    assert state is not None
    assert [a.status for a in state.approvals] == ["unanchored"]
    assert state.approvals[0].detail == unanchored_message(alice.key_id, "alice@example.org")
    assert state.verdict == unanchored_message(admin.key_id, "Admin <admin@example.org>")
    assert view.verdict_bar.trust_button.isVisible()
    assert admin.key_id in view.verdict_bar.label.text()
    view.verdict_bar.confirm = lambda _parent, _kid, _who: True
    view.verdict_bar.trust_button.click()
    wait(qtbot, view)
    assert [a.status for a in view.state.approvals] == ["valid"]
    assert view.state.verdict == "verified"


def test_confirmation_explains_comparing_the_fingerprint() -> None:
    kid = "ab" * 32
    text = trust_key_explanation(kid, "ada <ada@example.org>")
    assert kid in text and "Compare it, all 64 characters" in text and "anyone can write that" in text
    assert unanchored_key(unanchored_message(kid, "ada <ada@example.org>")) == (kid, "ada <ada@example.org>")
    assert unanchored_key("verified") is None
