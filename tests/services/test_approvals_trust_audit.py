"""services.approvals, services.trust and services.audit against a real governance store."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pytest

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import CheckFailed, StoreError, UsageError
from mlops_desktop.governance import audit
from mlops_desktop.governance.approvals import approve
from mlops_desktop.governance.keys import CertificateError, create_key
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer as governance_add_signer
from mlops_desktop.services.approvals import (
    VerifyRequest,
    list_decisions,
    load_approvals,
    verify_decisions,
)
from mlops_desktop.services.audit import export_audit, load_audit, show_entries, verify_audit
from mlops_desktop.services.settings import VerificationSettings
from mlops_desktop.services.trust import (
    AddSignerRequest,
    add_signer,
    load_trust_state,
    pin_admins,
    public_key_summary,
    revoke_signer,
)
from tests.governance.helpers import PASSPHRASE, Team, make_key
from tests.governance.test_keys import issue
from tests.services.conftest import Cas


def _head(url: str) -> int:
    with open_governance(url) as gov:
        return audit.head(gov)[0]


@pytest.fixture
def decisions(gov_url: str, team: Team, catalog: Catalog, cas: Cas):
    """Alice's decision, and one by Frank, whose certificate comes from the rogue CA."""
    frank = make_key("frank@example.org")
    with open_governance(gov_url) as gov:
        governance_add_signer(gov, team.admin, frank.public_key, "frank@example.org", ["approver"],
                              certificate=issue(cas.rogue_key, cas.rogue, frank.public_key, "frank@example.org"),
                              ca_roots=[cas.rogue])
        by_alice = approve(gov, catalog, "churn-predictor", "3", "champion", "fine", ["gdpr"], team.alice)
        by_frank = approve(gov, catalog, "churn-predictor", "3", "champion", "fine", ["gdpr"], frank)
    return by_alice, by_frank, frank


# ---------------------------------------------------------------------------- approvals


def test_listing_returns_the_envelopes_in_log_order(gov_url: str, decisions) -> None:
    by_alice, by_frank, _ = decisions
    assert [(r.id, r.log_seq) for r in list_decisions(gov_url)] == [(by_alice.id, 6), (by_frank.id, 7)]
    assert list_decisions(gov_url, "no-such-model") == []
    assert list_decisions(gov_url, "churn-predictor", "3")[0].envelope == by_alice.envelope


def test_approvals_state_honours_the_organisation_ca(gov_url: str, catalog: Catalog, cas: Cas, decisions) -> None:
    by_alice, by_frank, frank = decisions
    plain = load_approvals(gov_url, catalog, VerificationSettings())
    assert [(v.record.id, v.status) for v in plain.approvals] == [(by_alice.id, "valid"), (by_frank.id, "valid")]
    assert plain.trust_problems == [] and not plain.ca_checked and plain.unchecked == set()
    org = load_approvals(gov_url, catalog, VerificationSettings(ca_file=str(cas.org_file)))
    assert [(v.record.id, v.status) for v in org.approvals] == [(by_alice.id, "valid"), (by_frank.id, "untrusted")]
    assert org.approvals[1].problems == [f"signer {frank.key_id[:16]} is not on the trust list"]
    assert org.ca_checked and len(org.trust_problems) == 1
    assert org.trust_problems[0].startswith("Trust change at log entry 5 ignored: The certificate of "
                                            "CN=frank@example.org is not issued by the organisation CA (")
    without_store = load_approvals(gov_url, None, VerificationSettings())
    assert without_store.unchecked == {by_alice.id, by_frank.id}


def test_verify_decisions_is_the_deployment_gate(gov_url: str, catalog: Catalog, cas: Cas, decisions) -> None:
    by_alice, by_frank, _ = decisions
    ok = verify_decisions(VerifyRequest(gov_url, catalog))
    assert ok.ok and ok.problems == [] and [a.status for a in ok.approvals] == ["valid", "valid"]
    size = _head(gov_url)
    gated = verify_decisions(VerifyRequest(gov_url, catalog, "churn-predictor", "3", "champion",
                                           VerificationSettings(ca_file=str(cas.org_file))))
    assert not gated.ok and [a.status for a in gated.approvals] == ["valid", "untrusted"]
    assert gated.policy is not None and not gated.policy.satisfied  # one trusted approver of two
    assert _head(gov_url) == size + 3  # store opened, model viewed, verification run
    with pytest.raises(UsageError, match="go together"):
        verify_decisions(VerifyRequest(gov_url, catalog, target="champion"))


# ---------------------------------------------------------------------------- trust


def test_pin_add_list_revoke(tmp_path: Path, gov_url: str) -> None:
    admin = create_key(tmp_path / "admin.key", "Admin", "admin@example.org", PASSPHRASE)
    alice = create_key(tmp_path / "alice.key", "Alice", "alice@example.org", PASSPHRASE)
    from mlops_desktop.governance.keys import load_private_key

    def unlock_file(path: Path) -> object:
        return load_private_key(path, PASSPHRASE)

    assert pin_admins(gov_url, [admin.public_path], unlock_file) == [admin.key_id]  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="already initialised"):
        pin_admins(gov_url, [admin.public_path], unlock_file)  # type: ignore[arg-type]
    unlock = lambda: load_private_key(admin.path, PASSPHRASE)  # noqa: E731
    change = add_signer(AddSignerRequest(gov_url, alice.public_path, "alice@example.org", ("approver", "reviewer")),
                        unlock)
    assert (change.key_id, change.log_seq) == (alice.key_id, 1)
    assert json.loads(change.envelope)["payloadType"] == "application/vnd.in-toto+json"
    state = load_trust_state(gov_url)
    assert state.initialised and state.problems == [] and state.read_only_reason is None
    rows = {r.key_id: r for r in state.signers}
    assert (rows[admin.key_id].roles, rows[admin.key_id].pinned, rows[admin.key_id].status) == (("admin",), True, "valid")
    a = rows[alice.key_id]
    assert (a.identity, a.roles, a.pinned, a.status, a.revoked_at, a.valid_until) == (
        "alice@example.org", ("approver", "reviewer"), False, "valid", None, None)
    assert a.to_dict()["roles"] == ["approver", "reviewer"] and a.to_dict()["valid_until"] is None
    revoked = revoke_signer(gov_url, alice.key_id[:20], "left", unlock)
    assert (revoked.key_id, revoked.log_seq) == (alice.key_id, 2)
    after = {r.key_id: r for r in load_trust_state(gov_url).signers}[alice.key_id]
    assert after.status == "revoked" and after.revoked_at is not None


def test_signer_certificate_is_checked_against_the_settings_ca(gov_url: str, team: Team, cas: Cas,
                                                               tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    grace = create_key(tmp_path / "grace.key", "Grace", "grace@example.org", PASSPHRASE)
    from mlops_desktop.governance.keys import load_public_key

    pub = load_public_key(Path(grace.public_path))
    wrong = tmp_path / "wrong.pem"
    wrong.write_bytes(issue(cas.rogue_key, cas.rogue, pub, "grace@example.org").public_bytes(serialization.Encoding.PEM))
    good = tmp_path / "good.pem"
    good.write_bytes(issue(cas.org_key, cas.org, pub, "grace@example.org").public_bytes(serialization.Encoding.PEM))
    size = _head(gov_url)
    org = VerificationSettings(ca_file=str(cas.org_file))
    with pytest.raises(CertificateError, match="not issued by the organisation CA"):
        add_signer(AddSignerRequest(gov_url, grace.public_path, "grace@example.org", ("approver",),
                                    certificate=str(wrong), settings=org), lambda: team.admin)
    with pytest.raises(CertificateError, match="no organisation CA is configured"):
        add_signer(AddSignerRequest(gov_url, grace.public_path, "grace@example.org", ("approver",),
                                    certificate=str(good)), lambda: team.admin)
    assert _head(gov_url) == size
    change = add_signer(AddSignerRequest(gov_url, grace.public_path, "grace@example.org", ("approver",),
                                         certificate=str(good), settings=org), lambda: team.admin)
    assert change.log_seq == size
    assert {r.key_id: r.status for r in load_trust_state(gov_url, org).signers}[grace.key_id] == "valid"


def test_refused_changes_ask_for_no_key(gov_url: str, team: Team, tmp_path: Path) -> None:
    unlocked: list[bool] = []

    def unlock():  # noqa: ANN202
        unlocked.append(True)
        return team.admin

    with pytest.raises(UsageError, match="Choose the signer's public key file"):
        add_signer(AddSignerRequest(gov_url, "", "x@example.org", ("approver",)), unlock)
    os.chmod(gov_url, 0o444)
    pub = tmp_path / "erin.pub"
    from mlops_desktop.crypto.ecdsa import public_pem

    pub.write_bytes(public_pem(team.erin.public_key))
    with pytest.raises(StoreError, match="read-only"):
        add_signer(AddSignerRequest(gov_url, str(pub), "erin@example.org", ("approver",)), unlock)
    with pytest.raises(StoreError, match="read-only"):
        revoke_signer(gov_url, team.alice.key_id, None, unlock)
    assert unlocked == []


def test_public_key_summary(tmp_path: Path) -> None:
    info = create_key(tmp_path / "k.key", "Kim", "kim@example.org", PASSPHRASE)
    s = public_key_summary(info.public_path)
    assert (s.key_id, s.identity, s.email, s.message) == (info.key_id, "Kim <kim@example.org>", "kim@example.org", "")
    assert public_key_summary("") == public_key_summary("")
    assert public_key_summary("").key_id is None
    missing = public_key_summary(str(tmp_path / "nope.pub"))
    assert missing.key_id is None and "nope.pub" in missing.message


# ---------------------------------------------------------------------------- audit


def test_audit_load_verify_show(gov_url: str, team: Team) -> None:
    state = load_audit(gov_url)
    assert state.verification.ok and state.verification.size == 5 and [e.seq for e in state.entries] == [0, 1, 2, 3, 4]
    assert [e.action for e in state.entries] == ["trust.init"] + ["trust.add"] * 4
    result = verify_audit(gov_url)
    assert result.ok and result.size == 5 and _head(gov_url) == 6  # the verification is recorded
    assert [e.seq for e in show_entries(gov_url, 2)] == [4, 5]
    assert show_entries(gov_url, 0) == []
    with pytest.raises(UsageError, match="--limit must be zero or more"):
        show_entries(gov_url, -1)


def test_audit_export(gov_url: str, team: Team, tmp_path: Path) -> None:
    out = tmp_path / "log.json"
    result = export_audit(gov_url, out)
    assert result.path == str(out) and result.size == 5
    assert result.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert audit.verify_export(out) == (5, result.root)
    with pytest.raises(UsageError) as no_folder:
        export_audit(gov_url, tmp_path / "no" / "log.json")
    assert no_folder.value.message == f"Folder {tmp_path / 'no'} does not exist."


def test_audit_export_refused_for_a_broken_log(gov_url: str, team: Team, tmp_path: Path) -> None:
    con = sqlite3.connect(gov_url)
    (raw,) = con.execute("SELECT entry FROM log_entries WHERE seq = 2").fetchone()
    con.execute("UPDATE log_entries SET entry = ? WHERE seq = 2", (bytes(raw).replace(b"trust.add", b"trust.axe"),))
    con.commit()
    con.close()
    with pytest.raises(CheckFailed, match="^Audit log inconsistent; not exporting: "):
        export_audit(gov_url, tmp_path / "log.json")
    assert not (tmp_path / "log.json").exists()
