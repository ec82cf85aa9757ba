"""The trust list: pinned administrators and signed add / revoke statements.

``trust init`` pins administrator keys, each pin a statement self-signed by the pinned key.
Administrators then add signers (key, identity, roles, validity window) and revoke them,
each change a DSSE envelope over an in-toto Statement with predicate type
:data:`~mlops_desktop.crypto.dsse.TRUST_PREDICATE`; pins and changes are audit-log entries
carrying their envelope's SHA-256. A signature counts only if its key was trusted, not
revoked and within its window at the decision's log position: revocation is judged by log
order, so an entry appended after a revocation never counts for the revoked key, whatever
time it claims. Public keys are kept forever so old records still verify.

What the store's trust list says is not enough for a verdict: a grant is *anchored* when its
chain starts at one of the verifier's trust anchors (:mod:`~mlops_desktop.governance.anchors`):
a pin of an anchor key, or a statement signed by an administrator whose own grant was
anchored at that log position; a key that is itself an anchor is anchored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.governance_facts import (
    STATUS_EXPIRED,
    STATUS_REVOKED,
    STATUS_UNTRUSTED,
    STATUS_VALID,
)
from mlops_desktop.core.timestamps import require_timestamp
from mlops_desktop.crypto.dsse import (
    TRUST_PREDICATE,
    EnvelopeError,
    make_statement,
    parse_envelope,
    parse_statement,
    sign_envelope,
    verify_envelope,
)
from mlops_desktop.crypto.ecdsa import key_id, public_pem
from mlops_desktop.governance import audit
from mlops_desktop.governance.anchors import TrustAnchors, load_anchors, record_pinned
from mlops_desktop.governance.db import Governance, now_iso
from mlops_desktop.governance.keys import (
    CertificateError,
    KeyFileError,
    SigningKey,
    load_public_key_pem,
    verify_certificate,
)
from mlops_desktop.governance.models import SqlLogEntry, SqlPublicKey, SqlTrustStatement

logger = logging.getLogger(__name__)

ROLES = ("approver", "reviewer", "admin", "log")
#: ``log``: a checkpoint key an administrator certified; its checkpoints count.


class TrustError(UsageError):
    """A trust-list change that is not allowed (not an admin, unknown key, bad role...)."""


@dataclass(frozen=True, slots=True)
class Grant:
    roles: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime | None
    granted_at: datetime
    granted_by: str | None  # admin key id; the pinned key itself for pins
    log_seq: int
    anchored: bool = False  # the chain that made this grant starts at one of this client's anchors


@dataclass(frozen=True, slots=True)
class Revocation:
    log_seq: int
    at: datetime
    by: str


def _before(at: datetime, seq: int | None, event_at: datetime, event_seq: int) -> bool:
    """Did an event happen before the moment judged? By log order when ``seq`` is known (a time
    the writer chose never overrides the log's order), else by time."""
    return event_seq < seq if seq is not None else event_at <= at


@dataclass(slots=True)
class Signer:
    key_id: str
    identity: str | None
    public_key: ec.EllipticCurvePublicKey
    certificate: x509.Certificate | None = None
    grants: list[Grant] = field(default_factory=list)
    revoked_at: datetime | None = None  # the current state (None once re-granted)
    revoked_seq: int | None = None
    pinned: bool = False
    revocations: list[Revocation] = field(default_factory=list)

    def current_roles(self, at: datetime, seq: int | None = None) -> tuple[str, ...]:
        grant = self.grant_at(at, seq)
        return grant.roles if grant else ()

    def grant_at(self, at: datetime, seq: int | None = None) -> Grant | None:
        """The newest grant in force at ``at`` (log position ``seq`` when known), ignoring revocation."""
        best = None
        for g in self.grants:
            if (_before(at, seq, g.granted_at, g.log_seq) and g.valid_from <= at
                    and (g.valid_until is None or at <= g.valid_until)):
                best = g
        return best

    def revocation_at(self, at: datetime, seq: int | None = None) -> Revocation | None:
        """The revocation in force at that moment: the newest one not followed by a new grant."""
        rev = None
        for r in self.revocations:
            if _before(at, seq, r.at, r.log_seq):
                rev = r
        if rev is None:
            return None
        later = [g for g in self.grants if _before(at, seq, g.granted_at, g.log_seq) and g.log_seq > rev.log_seq]
        return None if later else rev

    def to_dict(self, now: datetime) -> dict[str, Any]:
        latest = self.grants[-1] if self.grants else None
        return {
            "key_id": self.key_id,
            "identity": self.identity,
            "roles": list(latest.roles) if latest else [],
            "valid_from": latest.valid_from.isoformat() if latest else None,
            "valid_until": latest.valid_until.isoformat() if latest and latest.valid_until else None,
            "pinned": self.pinned,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "status": self.status_at(now, None)[0],
        }

    def status_at(self, at: datetime, role: str | None, seq: int | None = None) -> tuple[str, str]:
        """Trusted at that moment? ``seq`` is the log position of the act judged: nothing appended
        after a revocation counts for the revoked key, whatever time its entry claims."""
        who = self.identity or self.key_id[:16]
        rev = self.revocation_at(at, seq)
        if rev is not None:
            return STATUS_REVOKED, (f"signer {who} was revoked at {rev.at:%Y-%m-%d %H:%M}Z "
                                    f"(audit-log entry {rev.log_seq})")
        grant = self.grant_at(at, seq)
        if grant is None:
            if any(_before(at, seq, g.granted_at, g.log_seq) for g in self.grants):
                return STATUS_EXPIRED, f"signer {who} was outside its validity window at {at:%Y-%m-%d %H:%M}Z"
            return STATUS_UNTRUSTED, f"signer {who} was not yet on the trust list at {at:%Y-%m-%d %H:%M}Z"
        if role is not None and role not in grant.roles:
            return STATUS_UNTRUSTED, f"signer {who} lacks role {role} (has {', '.join(grant.roles)})"
        return STATUS_VALID, ""


@dataclass(frozen=True, slots=True)
class Pin:
    """A pinned administrator: ``signed`` False for a pin recorded before pins were signed."""

    key_id: str
    identity: str | None
    log_seq: int
    signed: bool


@dataclass(slots=True)
class TrustList:
    signers: dict[str, Signer] = field(default_factory=dict)
    public_keys: dict[str, ec.EllipticCurvePublicKey] = field(default_factory=dict)
    identities: dict[str, str | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    pinned: tuple[str, ...] = ()
    anchors: TrustAnchors = field(default_factory=TrustAnchors)
    pins: list[Pin] = field(default_factory=list)

    @property
    def initialised(self) -> bool:
        return bool(self.pinned)

    def status_at(self, kid: str, at: datetime, role: str | None = None, seq: int | None = None) -> tuple[str, str]:
        signer = self.signers.get(kid)
        if signer is None:
            return STATUS_UNTRUSTED, f"signer {kid[:16]} is not on the trust list"
        return signer.status_at(at, role, seq)

    def is_admin(self, kid: str, at: datetime, seq: int | None = None) -> bool:
        return self.status_at(kid, at, "admin", seq)[0] == STATUS_VALID

    def identity(self, kid: str) -> str | None:
        s = self.signers.get(kid)
        return s.identity if s else self.identities.get(kid)

    def anchored(self, kid: str, at: datetime, seq: int | None = None) -> bool:
        """Does a chain from one of this client's anchors reach ``kid``'s grant in force then?
        (anchor -> admin pin or trust statements -> signer; a key that is itself an anchor is
        anchored.)"""
        if self.anchors.contains(kid):
            return True
        signer = self.signers.get(kid)
        grant = signer.grant_at(at, seq) if signer else None
        return bool(grant and grant.anchored)

    def claimed_identity(self, kid: str) -> str | None:
        return self.identity(kid)

    def log_key_counts(self, kid: str, size: int) -> bool:
        """A checkpoint of ``size`` entries by ``kid`` counts only if an administrator (through a
        chain from this client's anchors) certified ``kid`` with role ``log``, and no revocation
        of it lies inside the entries the checkpoint covers."""
        signer = self.signers.get(kid)
        if signer is None:
            return False
        grants = [g for g in signer.grants if "log" in g.roles and (g.anchored or self.anchors.contains(kid))]
        if not grants:
            return False
        for r in signer.revocations:
            if r.log_seq < size and not any(r.log_seq < g.log_seq < size for g in grants):
                return False
        return True

    def certified_log_keys(self) -> list[str]:
        """Key ids certified with role ``log`` through an anchored chain (not revoked now)."""
        return sorted(k for k, s in self.signers.items()
                      if self.log_key_counts(k, 1 << 62) and s.revoked_at is None)


def _log_times(session: Session, seqs: Sequence[int]) -> dict[int, tuple[datetime, dict[str, Any]]]:
    if not seqs:
        return {}
    rows = session.execute(sa.select(SqlLogEntry.seq, SqlLogEntry.entry).where(SqlLogEntry.seq.in_(list(seqs)))).all()
    out: dict[int, tuple[datetime, dict[str, Any]]] = {}
    for seq, raw in rows:
        try:
            obj = json.loads(raw)
            out[seq] = (require_timestamp(obj["time"]), obj)
        except (ValueError, KeyError, TypeError):
            continue
    return out


def load_trust(gov: Governance, *, ca_roots: Sequence[x509.Certificate] = (),
               anchors: TrustAnchors | None = None) -> TrustList:
    """Replay the trust statements in log order, checking every signature.

    ``anchors``: this client's trust anchors (default: :func:`load_anchors`); each grant records
    whether its chain starts at one of them."""
    trust = TrustList(anchors=anchors if anchors is not None else load_anchors())
    with gov.read_session() as session:
        key_rows = list(session.scalars(sa.select(SqlPublicKey)))
        statements = list(session.scalars(sa.select(SqlTrustStatement).order_by(SqlTrustStatement.log_seq,
                                                                                  SqlTrustStatement.id)))
        times = _log_times(session, [s.log_seq for s in statements])
    certificates: dict[str, x509.Certificate] = {}
    for row in key_rows:
        try:
            pub = load_public_key_pem(row.public_pem.encode(), f"stored key {row.key_id[:16]}")
        except Exception:  # noqa: BLE001 - damaged rows are findings
            trust.problems.append(f"Stored public key {row.key_id[:16]} is unreadable.")
            continue
        if key_id(pub) != row.key_id:
            trust.problems.append(f"Stored public key {row.key_id[:16]} does not match its key id (edited by hand).")
            continue
        trust.public_keys[row.key_id] = pub
        trust.identities[row.key_id] = row.identity
        if row.certificate_pem:
            try:
                certificates[row.key_id] = x509.load_pem_x509_certificate(row.certificate_pem.encode())
            except ValueError:
                trust.problems.append(f"Stored certificate of key {row.key_id[:16]} is unreadable.")
    replay_statements(trust, statements, times, certificates, ca_roots)
    return trust


class StatementRow(Protocol):
    """What replaying a trust change reads of it (a stored row, or one carried by exported evidence)."""

    log_seq: int
    kind: str
    subject_key_id: str
    envelope: bytes | None


def replay_statements(trust: TrustList, statements: Sequence[StatementRow],
                      times: dict[int, tuple[datetime, dict[str, Any]]],
                      certificates: dict[str, x509.Certificate] | None = None,
                      ca_roots: Sequence[x509.Certificate] = ()) -> None:
    """Apply trust changes in log order to ``trust`` (its public keys and anchors already set);
    ``times`` maps a log index to (entry time, entry). Each change that does not verify is a problem.
    :func:`load_trust` replays the stored rows; offline verifiers replay exported ones."""
    certificates = certificates or {}
    pinned: list[str] = list(trust.pinned)
    for st in statements:
        found = times.get(st.log_seq)
        if found is None:
            trust.problems.append(f"Trust change at log entry {st.log_seq} has no audit-log entry.")
            continue
        at, entry = found
        expected_action = _KIND_ACTIONS.get(st.kind)
        if expected_action is not None and entry.get("action") != expected_action:
            trust.problems.append(f"Trust change at log entry {st.log_seq} ignored: that entry records "
                                  f"{entry.get('action')!r}, not a trust change (row added by hand).")
            continue
        try:
            if st.kind == "pin":
                _apply_pin(trust, st, at, pinned)
            else:
                _apply_signed(trust, st, at, certificates, ca_roots)
        except (EnvelopeError, TrustError, CertificateError, KeyFileError) as exc:
            trust.problems.append(f"Trust change at log entry {st.log_seq} ignored: {exc.message}")
    trust.pinned = tuple(pinned)


_KIND_ACTIONS = {"pin": audit.ACTION_TRUST_INIT, "add": audit.ACTION_TRUST_ADD, "revoke": audit.ACTION_TRUST_REVOKE}


def _apply_pin(trust: TrustList, st: StatementRow, at: datetime, pinned: list[str]) -> None:
    """A pin is self-signed by the pinned key (a pin recorded before pins were signed is kept,
    unsigned: it counts only if the key is one of this client's anchors, like any other pin)."""
    kid = st.subject_key_id
    identity = trust.identities.get(kid)
    if st.envelope is None:
        pin_key = trust.public_keys.get(kid)
        if pin_key is None:
            raise TrustError(f"pinned administrator {kid[:16]} has no public key")
        signed = False
    else:
        env = parse_envelope(st.envelope)
        if len(env.signatures) != 1 or env.signatures[0].keyid != kid:
            raise TrustError("a pin is signed by the pinned key alone")
        pin_key = trust.public_keys.get(kid)
        if pin_key is None:
            raise TrustError(f"pinned administrator {kid[:16]} has no public key")
        verified = verify_envelope(st.envelope, {kid: pin_key})
        statement = parse_statement(verified.envelope.payload, (TRUST_PREDICATE,))
        pred = statement.predicate
        subject = pred.get("signer") or {}
        if subject.get("keyId") != kid or statement.digest != kid or statement.subject_name != f"signer:{kid}":
            raise TrustError("its subject does not match the stored row")
        if pred.get("logIndex") != st.log_seq or pred.get("action") != "pin":
            raise TrustError("its log index or action does not match the stored row")
        if (pred.get("admin") or {}).get("keyId") != kid:
            raise TrustError("a pin is signed by the pinned key itself")
        identity = subject.get("identity") or identity
        signed = True
    signer = trust.signers.setdefault(kid, Signer(kid, identity, pin_key))
    signer.identity = signer.identity or identity
    signer.pinned = True
    signer.grants.append(Grant(("admin",), at, None, at, kid, st.log_seq, trust.anchors.contains(kid)))
    trust.pins.append(Pin(kid, signer.identity, st.log_seq, signed))
    pinned.append(kid)


def _apply_signed(trust: TrustList, st: StatementRow, at: datetime,
                  certificates: dict[str, x509.Certificate], ca_roots: Sequence[x509.Certificate]) -> None:
    if st.envelope is None:
        raise TrustError("it is not signed")
    env = parse_envelope(st.envelope)
    if len(env.signatures) != 1:
        raise TrustError("a trust change carries exactly one administrator signature")
    admin_kid = env.signatures[0].keyid
    verified = verify_envelope(st.envelope, {k: v for k, v in trust.public_keys.items() if k == admin_kid})
    statement = parse_statement(verified.envelope.payload, (TRUST_PREDICATE,))
    pred = statement.predicate
    if not trust.is_admin(admin_kid, at, st.log_seq):
        status, detail = trust.status_at(admin_kid, at, "admin", st.log_seq)
        who = trust.identity(admin_kid) or admin_kid[:16]
        raise TrustError(f"signed by {who}, who was not an administrator then ({detail or status})")
    admin_anchored = trust.anchored(admin_kid, at, st.log_seq)
    subject = pred.get("signer") or {}
    kid = subject.get("keyId")
    if kid != st.subject_key_id or statement.digest != kid or statement.subject_name != f"signer:{kid}":
        raise TrustError("its subject does not match the stored row")
    if pred.get("logIndex") != st.log_seq or pred.get("action") != st.kind:
        raise TrustError("its log index or action does not match the stored row")
    if (pred.get("admin") or {}).get("keyId") != admin_kid:
        raise TrustError("its admin does not match its signature")
    if st.kind == "add":
        pub = load_public_key_pem(str(subject.get("publicKey", "")).encode(), "signer key in trust statement")
        if key_id(pub) != kid:
            raise TrustError("the public key does not match its key id")
        roles = tuple(r for r in subject.get("roles", []) if r in ROLES)
        if not roles:
            raise TrustError("it grants no known role")
        valid_from = require_timestamp(subject["validFrom"]) if subject.get("validFrom") else at
        valid_until = require_timestamp(subject["validUntil"]) if subject.get("validUntil") else None
        cert = certificates.get(kid)
        if ca_roots and cert is not None:
            verify_certificate(cert, ca_roots, pub, at)
        signer = trust.signers.get(kid)
        if signer is None:
            signer = trust.signers[kid] = Signer(kid, subject.get("identity"), pub, cert)
        signer.identity = subject.get("identity") or signer.identity
        anchored = admin_anchored or trust.anchors.contains(kid)
        signer.grants.append(Grant(roles, valid_from, valid_until, at, admin_kid, st.log_seq, anchored))
        if signer.revoked_at is not None:  # re-adding after a revocation starts a fresh trust from here on
            signer.revoked_at = None
            signer.revoked_seq = None
    elif st.kind == "revoke":
        signer = trust.signers.get(kid)
        if signer is None:
            raise TrustError("it revokes a key that is not on the trust list")
        signer.revoked_at = at
        signer.revoked_seq = st.log_seq
        signer.revocations.append(Revocation(st.log_seq, at, admin_kid))
    else:
        raise TrustError(f"unknown kind {st.kind!r}")


# ---------------------------------------------------------------------------- changes


def _store_public_key(session: Session, pub: ec.EllipticCurvePublicKey, identity: str | None,
                      certificate: x509.Certificate | None = None) -> str:
    kid = key_id(pub)
    row = session.get(SqlPublicKey, kid)
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM).decode() if certificate else None
    if row is None:
        session.add(SqlPublicKey(key_id=kid, public_pem=public_pem(pub).decode(), identity=identity,
                                 certificate_pem=cert_pem, created_at=now_iso()))
    else:
        if identity and not row.identity:
            row.identity = identity
        if cert_pem:
            row.certificate_pem = cert_pem
    return kid


def _trust_predicate(gov: Governance, kind: str, kid: str, signer: dict[str, Any], admin_kid: str,
                     admin_identity: str | None, signed_at: str, seq: int, reason: str | None) -> dict[str, Any]:
    return {
        "action": kind,
        "signer": {"keyId": kid, **signer},
        "admin": {"keyId": admin_kid, "identity": admin_identity},
        "reason": reason,
        "signedAt": signed_at,
        "logIndex": seq,
        "store": gov.store_id,
    }


def init_trust(gov: Governance, admins: Sequence[SigningKey]) -> list[str]:
    """Pin administrator keys, each pin a statement self-signed by the pinned key and an audit-log
    entry carrying its envelope hash. Refused once the trust list exists. The pinned keys become
    trust anchors of this client (the one that pinned them)."""
    if not admins:
        raise TrustError("Give at least one administrator key.", "Use --admin KEYFILE (its .pub file next to it).")
    for admin in admins:
        if not isinstance(admin, SigningKey):
            raise TrustError("A pin is signed by the pinned administrator's own key.",
                             "Pass the administrator's key file (unlocked), not only its public key.")
    kids: list[str] = []
    pins: list[tuple[str, str | None, str | None]] = []
    with gov.write_session() as session:
        head = audit.lock_head(session, gov)
        if session.execute(sa.select(SqlTrustStatement.id).limit(1)).first() is not None:
            raise TrustError(f"The trust list of {gov.url} is already initialised.",
                             "An administrator adds keys with 'trust add --key ADMIN_KEYFILE ...'.")
        for admin in admins:
            kid = admin.key_id
            if kid in kids:
                continue
            identity = admin.identity
            _store_public_key(session, admin.public_key, identity)
            seq = head.size
            signed_at = audit.next_time(session, head)
            pem = public_pem(admin.public_key).decode()
            predicate = _trust_predicate(gov, "pin", kid, {"publicKey": pem, "identity": identity,
                                                           "roles": ["admin"]},
                                         kid, identity, signed_at, seq, None)
            envelope = sign_envelope(make_statement(f"signer:{kid}", kid, TRUST_PREDICATE, predicate), [admin])
            entry = audit.append(session, gov, audit.ACTION_TRUST_INIT, f"key:{kid}",
                                 {"key_id": kid, "identity": identity, "roles": ["admin"],
                                  "envelope_sha256": hashlib.sha256(envelope).hexdigest()},
                                 key_id=kid, head=head, time=signed_at)
            session.add(SqlTrustStatement(log_seq=entry.seq, kind="pin", subject_key_id=kid, envelope=envelope,
                                          created_at=entry.time))
            kids.append(kid)
            pins.append((kid, identity, pem))
    record_pinned(pins, gov.url)
    return kids


def _signed_change(
    gov: Governance,
    admin: SigningKey,
    kind: str,
    signer_pub: ec.EllipticCurvePublicKey,
    signer: dict[str, Any],
    action: str,
    *,
    ca_roots: Sequence[x509.Certificate] = (),
    certificate: x509.Certificate | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    trust = load_trust(gov, ca_roots=ca_roots)
    if not trust.initialised:
        raise TrustError(f"The trust list of {gov.url} is not initialised.", "Run 'trust init --admin PUBFILE' first.")
    now = datetime.now().astimezone()
    if not trust.is_admin(admin.key_id, now):
        status, detail = trust.status_at(admin.key_id, now, "admin")
        raise TrustError(f"Key {admin.key_id[:16]} may not change the trust list: {detail or status}.",
                         "Sign with an administrator's key.")
    kid = key_id(signer_pub)
    if kind == "revoke" and kid not in trust.signers:
        raise TrustError(f"Key {kid[:16]} is not on the trust list.", "See 'trust list'.")
    if certificate is not None:
        if not ca_roots:
            raise CertificateError("A signer certificate was given but no organisation CA is configured.",
                                   "Pass --ca FILE or set MLOPS_DESKTOP_ORG_CA.")
        verify_certificate(certificate, ca_roots, signer_pub, now)
    with gov.write_session() as session:
        head = audit.lock_head(session, gov)
        seq = head.size
        if kind == "add":
            _store_public_key(session, signer_pub, signer.get("identity"), certificate)
        _store_public_key(session, admin.public_key, admin.identity)
        signed_at = audit.next_time(session, head)
        predicate = _trust_predicate(gov, kind, kid, signer, admin.key_id,
                                     admin.identity or trust.identity(admin.key_id), signed_at, seq, reason)
        envelope = sign_envelope(make_statement(f"signer:{kid}", kid, TRUST_PREDICATE, predicate), [admin])
        entry = audit.append(session, gov, action, f"key:{kid}",
                             {"key_id": kid, "identity": signer.get("identity"), "roles": signer.get("roles"),
                              "admin_key_id": admin.key_id, "reason": reason,
                              "envelope_sha256": hashlib.sha256(envelope).hexdigest()},
                             key_id=admin.key_id, head=head, time=signed_at)
        session.add(SqlTrustStatement(log_seq=entry.seq, kind=kind, subject_key_id=kid, envelope=envelope,
                                      created_at=entry.time))
    return {"key_id": kid, "log_seq": seq, "envelope": envelope.decode()}


def add_signer(
    gov: Governance,
    admin: SigningKey,
    signer_pub: ec.EllipticCurvePublicKey,
    identity: str,
    roles: Sequence[str],
    *,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    certificate: x509.Certificate | None = None,
    ca_roots: Sequence[x509.Certificate] = (),
) -> dict[str, Any]:
    """An administrator adds (or re-grants) a signer; returns ``{key_id, log_seq, envelope}``."""
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise TrustError(f"Unknown role {', '.join(bad) or '(none)'}.", f"Use one of: {', '.join(ROLES)}.")
    if not identity:
        raise TrustError("A signer needs an identity (e-mail).", "Pass --identity EMAIL.")
    if valid_until is not None and valid_until <= (valid_from or datetime.now().astimezone()):
        raise TrustError("--valid-until lies before the start of the validity window.")
    signer = {
        "publicKey": public_pem(signer_pub).decode(),
        "identity": identity,
        "roles": sorted(set(roles)),
        "validFrom": valid_from.astimezone().isoformat() if valid_from else None,
        "validUntil": valid_until.astimezone().isoformat() if valid_until else None,
    }
    return _signed_change(gov, admin, "add", signer_pub, signer, audit.ACTION_TRUST_ADD,
                          ca_roots=ca_roots, certificate=certificate)


def revoke_signer(gov: Governance, admin: SigningKey, signer_key_id: str, reason: str | None = None) -> dict[str, Any]:
    """An administrator revokes a signer from now on (old decisions keep their validity)."""
    with gov.read_session() as session:
        row = session.get(SqlPublicKey, signer_key_id)
        if row is None:
            matches = list(session.scalars(sa.select(SqlPublicKey).where(SqlPublicKey.key_id.like(f"{signer_key_id}%"))))
            if len(matches) != 1:
                raise TrustError(f"Unknown key {signer_key_id}.", "Give the full key id shown by 'trust list'.")
            row = matches[0]
        pub = load_public_key_pem(row.public_pem.encode())
    return _signed_change(gov, admin, "revoke", pub, {"identity": row.identity}, audit.ACTION_TRUST_REVOKE,
                          reason=reason)


def list_signers(gov: Governance, *, ca_roots: Sequence[x509.Certificate] = ()) -> list[dict[str, Any]]:
    trust = load_trust(gov, ca_roots=ca_roots)
    now = datetime.now().astimezone()
    return [s.to_dict(now) for s in trust.signers.values()]
