"""Trust list: pins, signed adds and revocations, validity windows, non-admins, TOFU of the pins."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from mlops_desktop.core.governance_facts import (
    STATUS_EXPIRED,
    STATUS_REVOKED,
    STATUS_UNTRUSTED,
    STATUS_VALID,
)
from mlops_desktop.crypto.dsse import TRUST_PREDICATE, make_statement, sign_envelope
from mlops_desktop.crypto.ecdsa import public_pem
from mlops_desktop.governance import audit
from mlops_desktop.governance.db import Governance, now_iso
from mlops_desktop.governance.models import SqlPublicKey, SqlTrustStatement
from mlops_desktop.governance.trust import (
    TrustError,
    add_signer,
    init_trust,
    list_signers,
    load_trust,
    revoke_signer,
)
from tests.governance.helpers import Team, make_key


def now() -> datetime:
    return datetime.now().astimezone()


def test_team_is_trusted_with_roles(gov: Governance, team: Team) -> None:
    trust = load_trust(gov)
    assert not trust.problems
    assert trust.pinned == (team.admin.key_id,)
    assert trust.status_at(team.alice.key_id, now(), "approver")[0] == STATUS_VALID
    status, detail = trust.status_at(team.carol.key_id, now(), "approver")
    assert status == STATUS_UNTRUSTED and "lacks role approver" in detail
    assert trust.is_admin(team.admin.key_id, now()) and not trust.is_admin(team.alice.key_id, now())
    rows = {r["identity"]: r for r in list_signers(gov)}
    assert rows["alice@example.org"]["roles"] == ["approver"] and rows["alice@example.org"]["status"] == "valid"


def test_unknown_signer(gov: Governance, team: Team) -> None:
    status, detail = load_trust(gov).status_at(team.erin.key_id, now())
    assert status == STATUS_UNTRUSTED and "not on the trust list" in detail


def test_revoked_signer_counts_before_but_not_after(gov: Governance, team: Team) -> None:
    before = now()
    revoke_signer(gov, team.admin, team.alice.key_id, "left the company")
    trust = load_trust(gov)
    assert trust.status_at(team.alice.key_id, before)[0] == STATUS_VALID
    status, detail = trust.status_at(team.alice.key_id, now() + timedelta(seconds=1))
    assert status == STATUS_REVOKED and "revoked" in detail
    with pytest.raises(TrustError, match="Unknown key"):
        revoke_signer(gov, team.admin, team.erin.key_id)


def test_validity_window(gov: Governance, team: Team) -> None:
    frank = make_key("frank@example.org")
    start = now() + timedelta(days=1)
    add_signer(gov, team.admin, frank.public_key, "frank@example.org", ["approver"],
               valid_from=start, valid_until=start + timedelta(days=30))
    trust = load_trust(gov)
    assert trust.status_at(frank.key_id, now())[0] == STATUS_EXPIRED
    assert trust.status_at(frank.key_id, start + timedelta(days=2))[0] == STATUS_VALID
    status, detail = trust.status_at(frank.key_id, start + timedelta(days=31))
    assert status == STATUS_EXPIRED and "validity window" in detail
    with pytest.raises(TrustError, match="before the start"):
        add_signer(gov, team.admin, frank.public_key, "frank@example.org", ["approver"],
                   valid_until=now() - timedelta(days=1))


def test_non_admin_cannot_add_a_signer(gov: Governance, team: Team) -> None:
    size_before = audit.head(gov)[0]
    with pytest.raises(TrustError, match="may not change the trust list"):
        add_signer(gov, team.alice, team.erin.public_key, "erin@example.org", ["approver"])
    assert audit.head(gov)[0] == size_before  # nothing written


def test_hand_inserted_statement_by_non_admin_is_ignored(gov: Governance, team: Team) -> None:
    """Bob (an approver, not an admin) signs a trust statement and writes it into the database."""
    erin = team.erin
    with gov.write_session() as session:
        head = audit.lock_head(session, gov)
        seq = head.size
        pred = {"action": "add", "signer": {"keyId": erin.key_id, "publicKey": public_pem(erin.public_key).decode(),
                                            "identity": "erin@example.org", "roles": ["approver", "admin"],
                                            "validFrom": None, "validUntil": None},
                "admin": {"keyId": team.bob.key_id, "identity": "bob@example.org"}, "reason": None,
                "signedAt": now_iso(), "logIndex": seq, "store": gov.store_id}
        env = sign_envelope(make_statement(f"signer:{erin.key_id}", erin.key_id, TRUST_PREDICATE, pred), [team.bob])
        entry = audit.append(session, gov, audit.ACTION_TRUST_ADD, f"key:{erin.key_id}", {}, head=head)
        session.add(SqlPublicKey(key_id=erin.key_id, public_pem=public_pem(erin.public_key).decode(),
                                 identity="erin@example.org", created_at=entry.time))
        session.add(SqlTrustStatement(log_seq=entry.seq, kind="add", subject_key_id=erin.key_id, envelope=env,
                                      created_at=entry.time))
    trust = load_trust(gov)
    assert trust.status_at(erin.key_id, now())[0] == STATUS_UNTRUSTED
    assert any("not an administrator" in p for p in trust.problems)


def test_edited_trust_statement_is_ignored(gov: Governance, team: Team) -> None:
    with gov.write_session() as session:
        row = session.execute(sa.select(SqlTrustStatement).where(
            SqlTrustStatement.subject_key_id == team.carol.key_id)).scalar_one()
        obj = json.loads(row.envelope or b"{}")
        obj["signatures"][0]["sig"] = obj["signatures"][0]["sig"][:-4] + "AAA="
        row.envelope = json.dumps(obj).encode()
    trust = load_trust(gov)
    assert trust.status_at(team.carol.key_id, now())[0] == STATUS_UNTRUSTED
    assert any("does not verify" in p for p in trust.problems)


def test_init_twice_is_refused(gov: Governance, team: Team) -> None:
    with pytest.raises(TrustError, match="already initialised"):
        init_trust(gov, [team.erin])


def test_add_before_init_is_refused(gov: Governance) -> None:
    admin = make_key("admin@example.org")
    with pytest.raises(TrustError, match="not initialised"):
        add_signer(gov, admin, make_key("x").public_key, "x@example.org", ["approver"])


def test_unknown_role_is_refused(gov: Governance, team: Team) -> None:
    with pytest.raises(TrustError, match="Unknown role"):
        add_signer(gov, team.admin, team.erin.public_key, "erin@example.org", ["superuser"])


def test_pins_changed_behind_the_clients_back(gov: Governance, team: Team) -> None:
    """A pin row inserted by hand (with its log entry) is not a trust anchor of this client: a loud
    finding naming the rogue key and the anchor this client expected, never a silent switch."""
    from mlops_desktop.governance.verify import anchor_findings

    assert anchor_findings(load_trust(gov)) == ([], [])
    rogue = make_key("rogue@example.org")
    with gov.write_session() as session:
        entry = audit.append(session, gov, audit.ACTION_TRUST_INIT, f"key:{rogue.key_id}", {})
        session.add(SqlPublicKey(key_id=rogue.key_id, public_pem=public_pem(rogue.public_key).decode(),
                                 identity="rogue", created_at=entry.time))
        session.add(SqlTrustStatement(log_seq=entry.seq, kind="pin", subject_key_id=rogue.key_id, envelope=None,
                                      created_at=entry.time))
    problems, unanchored = anchor_findings(load_trust(gov))
    assert unanchored == []
    assert problems == [
        f"The trust list pins administrator key {rogue.key_id} claiming rogue (audit-log entry {entry.seq}), "
        "which is not a trust anchor of this client: its pins differ from the anchors. "
        f"Expected: admin@example.org key {team.admin.key_id}."]


def test_pins_are_self_signed_statements(gov: Governance, team: Team) -> None:
    from mlops_desktop.crypto.dsse import parse_envelope, parse_statement

    with gov.read_session() as session:
        row = session.execute(sa.select(SqlTrustStatement).where(SqlTrustStatement.kind == "pin")).scalar_one()
    assert row.envelope is not None
    env = parse_envelope(row.envelope)
    assert [s.keyid for s in env.signatures] == [team.admin.key_id]
    pred = parse_statement(env.payload, (TRUST_PREDICATE,)).predicate
    assert (pred["action"], pred["logIndex"], pred["admin"]["keyId"], pred["signer"]["roles"]) == (
        "pin", row.log_seq, team.admin.key_id, ["admin"])
    entry = audit.entry_at(gov, row.log_seq)
    assert entry is not None and entry.action == audit.ACTION_TRUST_INIT
    import hashlib

    assert entry.details["envelope_sha256"] == hashlib.sha256(row.envelope).hexdigest()
    trust = load_trust(gov)
    assert [(p.key_id, p.signed) for p in trust.pins] == [(team.admin.key_id, True)]


def test_forged_pin_signature_is_ignored(gov: Governance, team: Team) -> None:
    with gov.write_session() as session:
        row = session.execute(sa.select(SqlTrustStatement).where(SqlTrustStatement.kind == "pin")).scalar_one()
        obj = json.loads(row.envelope or b"{}")
        obj["signatures"][0]["sig"] = obj["signatures"][0]["sig"][:-4] + "AAA="
        row.envelope = json.dumps(obj).encode()
        pin_seq = row.log_seq
    trust = load_trust(gov)
    assert trust.pinned == ()
    assert any(p.startswith(f"Trust change at log entry {pin_seq} ignored") for p in trust.problems)


def test_pin_needs_the_private_key(gov: Governance) -> None:
    admin = make_key("admin@example.org")
    with pytest.raises(TrustError, match="signed by the pinned administrator's own key"):
        init_trust(gov, [(admin.public_key, "admin@example.org")])  # type: ignore[list-item]


def test_signer_certificate_must_chain_to_the_organisation_ca(gov: Governance, team: Team) -> None:
    from mlops_desktop.governance.keys import CertificateError
    from tests.governance.test_keys import issue, make_ca

    ca_key, ca_cert = make_ca()
    rogue_key, rogue_ca = make_ca("Rogue CA")
    frank = make_key("frank@example.org")
    size = audit.head(gov)[0]
    wrong = issue(rogue_key, rogue_ca, frank.public_key, "frank@example.org")
    with pytest.raises(CertificateError, match="not issued by the organisation CA"):
        add_signer(gov, team.admin, frank.public_key, "frank@example.org", ["approver"], certificate=wrong,
                   ca_roots=[ca_cert])
    expired = issue(ca_key, ca_cert, frank.public_key, "frank@example.org", days_valid=(-30, -2))
    with pytest.raises(CertificateError, match="not valid at"):
        add_signer(gov, team.admin, frank.public_key, "frank@example.org", ["approver"], certificate=expired,
                   ca_roots=[ca_cert])
    with pytest.raises(CertificateError, match="no organisation CA"):
        add_signer(gov, team.admin, frank.public_key, "frank@example.org", ["approver"], certificate=wrong)
    assert audit.head(gov)[0] == size
    good = issue(ca_key, ca_cert, frank.public_key, "frank@example.org")
    add_signer(gov, team.admin, frank.public_key, "frank@example.org", ["approver"], certificate=good,
               ca_roots=[ca_cert])
    assert load_trust(gov, ca_roots=[ca_cert]).status_at(frank.key_id, now())[0] == STATUS_VALID
    # checked again when verifying against another organisation's CA: the grant is ignored
    trust = load_trust(gov, ca_roots=[rogue_ca])
    assert trust.status_at(frank.key_id, now())[0] == STATUS_UNTRUSTED
    assert any("not issued by the organisation CA" in p for p in trust.problems)
