"""Offline verification of exported evidence against this client's trust anchors (no database).

An audit-log export and a report's evidence bundle carry everything a verifier needs: the
log entries' exact bytes, the trust-list statements (pins, adds, revocations) with the entries
that recorded them, the public keys, and a checkpoint signed by the log's key. What they carry
is never what is trusted: the trust list is replayed from its signed statements, and a
verdict is "verified" only when the chain starts at a trust anchor the verifier holds and the
checkpoint's key was certified with role ``log`` through that chain (docs/BUNDLE.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from mlops_desktop.core.errors import MlopsError, UsageError
from mlops_desktop.core.timestamps import require_timestamp
from mlops_desktop.crypto import checkpoint as cpmod
from mlops_desktop.crypto.canonical import CanonicalError, strict_loads
from mlops_desktop.crypto.ecdsa import key_id
from mlops_desktop.crypto.encoding import b64decode_strict
from mlops_desktop.crypto.merkle import leaf_hash, root_from_leaf_hashes
from mlops_desktop.governance.actions import (
    ACTION_TRUST_ADD,
    ACTION_TRUST_INIT,
    ACTION_TRUST_REVOKE,
)
from mlops_desktop.governance.anchors import TrustAnchors, unanchored_message
from mlops_desktop.governance.keys import load_public_key_pem
from mlops_desktop.governance.trust import TrustList, replay_statements

logger = logging.getLogger(__name__)

AUDIT_EXPORT_FORMAT = "mlops-desktop-audit-log/v2"
AUDIT_EXPORT_FORMAT_V1 = "mlops-desktop-audit-log/v1"
VERDICT_VERIFIED = "verified"
TRUST_ACTIONS = {"pin": ACTION_TRUST_INIT, "add": ACTION_TRUST_ADD, "revoke": ACTION_TRUST_REVOKE}


class EvidenceInputError(UsageError):
    """A file that is not readable evidence at all (bad input, exit 2), as opposed to evidence
    that is readable and fails a check (exit 1)."""


@dataclass(slots=True)
class ExportedStatement:
    """A trust change carried by exported evidence (what replaying it reads)."""

    log_seq: int
    kind: str
    subject_key_id: str
    envelope: bytes | None


@dataclass(slots=True)
class Checks:
    """Every check run, in order, as lines; ``problems`` are the failed ones and ``unanchored``
    the chains that reach no anchor of this client."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unanchored: list[str] = field(default_factory=list)

    def ok_line(self, text: str) -> None:
        self.lines.append("OK   " + text)

    def fail(self, text: str) -> None:
        self.problems.append(text)
        self.lines.append("FAIL " + text)

    def note(self, text: str) -> None:
        """A fact the verdict does not rest on (what this check does not judge, and where to)."""
        self.lines.append("NOTE " + text)

    def not_anchored(self, text: str) -> None:
        if text not in self.unanchored:
            self.unanchored.append(text)
            self.lines.append("UNANCHORED " + text)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unanchored

    @property
    def verdict(self) -> str:
        if self.problems:
            return "failed"
        if self.unanchored:
            return self.unanchored[0]
        return VERDICT_VERIFIED


# ---------------------------------------------------------------------------- readers


def b64(text: object, what: str) -> bytes:
    """Standard, canonical base64 (what every exported byte string is written as); raises
    ValueError naming ``what`` (:func:`mlops_desktop.crypto.encoding.b64decode_strict`)."""
    return b64decode_strict(text, what, ValueError)


def parse_entry(raw: bytes) -> dict[str, Any] | None:
    """An audit-log entry's JSON object (strict: duplicate keys, NaN rejected); None if unreadable."""
    try:
        obj = strict_loads(raw)
    except CanonicalError:
        return None
    return obj if isinstance(obj, dict) else None


def entry_time(entry: Mapping[str, Any]) -> datetime | None:
    try:
        return require_timestamp(str(entry.get("time")))
    except (ValueError, MlopsError):
        return None


def load_keys(items: object, checks: Checks) -> dict[str, ec.EllipticCurvePublicKey]:
    """``{key id: PEM}`` -> keys whose id is the SHA-256 of their DER SubjectPublicKeyInfo; a key
    listed under another id is a failure (never trusted under the id it claims)."""
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    if not isinstance(items, dict):
        checks.fail("the evidence carries no public keys object")
        return keys
    for kid, pem in items.items():
        try:
            pub = load_public_key_pem(str(pem).encode("ascii"), f"public key {kid}")
        except (MlopsError, ValueError, UnicodeEncodeError):
            checks.fail(f"public key {kid} is not a P-256 PEM public key")
            continue
        if key_id(pub) != kid:
            checks.fail(f"public key listed as {kid} has key id {key_id(pub)}")
            continue
        keys[kid] = pub
    return keys


def read_statements(items: object, checks: Checks) -> list[ExportedStatement]:
    out: list[ExportedStatement] = []
    if not isinstance(items, list):
        checks.fail("the evidence carries no trust statements list")
        return out
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("log_index"), int):
            checks.fail("a trust statement has no log index")
            continue
        env = item.get("envelope_b64")
        try:
            raw = None if env is None else b64(env, f"trust statement at log entry {item['log_index']}")
        except (ValueError, TypeError) as exc:
            checks.fail(str(exc))
            continue
        out.append(ExportedStatement(int(item["log_index"]), str(item.get("kind", "")),
                                     str(item.get("subject_key_id", "")), raw))
    return sorted(out, key=lambda s: s.log_seq)


# ---------------------------------------------------------------------------- the trust chain


def replay_trust(
    statements: Sequence[ExportedStatement],
    entries: Mapping[int, bytes],
    public_keys: Mapping[str, ec.EllipticCurvePublicKey],
    identities: Mapping[str, str | None],
    anchors: TrustAnchors,
    checks: Checks,
) -> TrustList:
    """The trust list the statements make, judged by ``anchors``. Each statement must be recorded
    by its log entry (``entries``: exact bytes, already proved to be in the log): same action,
    same envelope SHA-256. A statement that does not verify is a failure, named by its entry."""
    trust = TrustList(anchors=anchors)
    trust.public_keys = dict(public_keys)
    trust.identities = dict(identities)
    times: dict[int, tuple[datetime, dict[str, Any]]] = {}
    kept: list[ExportedStatement] = []
    for st in statements:
        raw = entries.get(st.log_seq)
        entry = parse_entry(raw) if raw is not None else None
        if entry is None:
            checks.fail(f"trust change at log entry {st.log_seq}: its log entry is not in the evidence")
            continue
        when = entry_time(entry)
        details = entry.get("details") if isinstance(entry.get("details"), dict) else {}
        expected = TRUST_ACTIONS.get(st.kind)
        if expected is None or entry.get("action") != expected or entry.get("seq") != st.log_seq or when is None:
            checks.fail(f"trust change at log entry {st.log_seq}: that entry records {entry.get('action')!r}, "
                        f"not a trust {st.kind or 'change'}")
            continue
        recorded = details.get("envelope_sha256") if isinstance(details, dict) else None
        if st.envelope is not None and recorded != hashlib.sha256(st.envelope).hexdigest():
            checks.fail(f"trust change at log entry {st.log_seq}: its envelope is not the one the entry records")
            continue
        if st.envelope is None and recorded is not None:
            checks.fail(f"trust change at log entry {st.log_seq}: its envelope is missing")
            continue
        times[st.log_seq] = (when, entry)
        kept.append(st)
    replay_statements(trust, kept, times)
    for problem in trust.problems:
        checks.fail(f"trust list: {problem}")
    if kept and not trust.problems:
        checks.ok_line(f"{len(kept)} trust statement(s) verify, each recorded by its log entry")
    return trust


def judge_anchoring(trust: TrustList, checks: Checks) -> None:
    """Pins that are not anchors: with no anchor at all, the unanchored verdict per pin; with
    anchors that the pins differ from, a failure naming both."""
    anchors = trust.anchors
    if not trust.pins:
        checks.fail("the evidence carries no pinned administrator (no trust list to judge signers by)")
        return
    if any(anchors.contains(p.key_id) for p in trust.pins):
        held = [p for p in trust.pins if anchors.contains(p.key_id)]
        checks.ok_line("the trust list starts at trust anchor(s) "
                       + "; ".join(f"{p.identity or '(no identity)'} key {p.key_id}" for p in held))
        return
    for pin in trust.pins:
        if not anchors:
            checks.not_anchored(unanchored_message(pin.key_id, pin.identity))
        else:
            checks.fail(f"the trust list pins administrator key {pin.key_id} claiming {pin.identity or '(no identity)'}"
                        f", which is not a trust anchor of this client ({anchors.describe()})")


def judge_signer(trust: TrustList, kid: str, at: datetime, seq: int | None, what: str, checks: Checks,
                 roles: Sequence[str] = ()) -> bool:
    """Was ``kid`` trusted (with one of ``roles``, any role when empty), not revoked, and reached
    by a chain from an anchor at that moment? Names what fails."""
    status, detail = trust.status_at(kid, at, None, seq)
    who = trust.identity(kid) or "(no identity)"
    if status != "valid":
        checks.fail(f"{what}: signed by key {kid} claiming {who}: {detail or status}")
        return False
    grant = trust.signers[kid].grant_at(at, seq)
    if roles and not (grant and set(roles) & set(grant.roles)):
        checks.fail(f"{what}: signer {who} (key {kid}) lacks role {' or '.join(roles)}")
        return False
    if not trust.anchored(kid, at, seq):
        checks.not_anchored(unanchored_message(kid, who))
        return False
    return True


def judge_checkpoint(
    note: object,
    pem: object,
    trust: TrustList,
    checks: Checks,
    *,
    origin: str | None = None,
    what: str = "checkpoint",
) -> cpmod.Checkpoint | None:
    """Verify a checkpoint note with the log key given, and require that key to be certified with
    role ``log`` through the anchored trust chain. Returns the checkpoint when its signature
    verifies (certified or not: an uncertified key is a failure named here)."""
    if not isinstance(note, str) or not isinstance(pem, str):
        checks.fail(f"{what}: no signed checkpoint note and log public key")
        return None
    try:
        pub = load_public_key_pem(pem.encode("ascii"), "log public key")
        name = cpmod.parse_checkpoint(note).key_name
        cp = cpmod.verify_checkpoint(note, name, pub)
    except (MlopsError, ValueError, UnicodeEncodeError) as exc:
        checks.fail(f"{what}: the signature does not verify with the log key given ({exc})")
        return None
    kid = key_id(pub)
    if origin is not None and cp.origin != origin:
        checks.fail(f"{what}: it is a checkpoint of log {cp.origin}, not {origin}")
        return None
    if not trust.log_key_counts(kid, cp.size):
        checks.fail(f"{what} at size {cp.size}: signed by key {kid}, which no administrator certified with role "
                    "log through this client's trust anchors")
    else:
        checks.ok_line(f"{what} at size {cp.size} is signed by log key {kid}, certified with role log")
    return cp


# ---------------------------------------------------------------------------- audit-log exports


@dataclass(slots=True)
class ExportVerification:
    """``audit verify-export FILE``: the checks run and the verdict."""

    path: str
    size: int = 0
    root: str = ""
    origin: str = ""
    checks: Checks = field(default_factory=Checks)
    anchors: TrustAnchors = field(default_factory=TrustAnchors)

    @property
    def ok(self) -> bool:
        return self.checks.ok

    @property
    def verdict(self) -> str:
        return self.checks.verdict

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "ok": self.ok, "verdict": self.verdict, "origin": self.origin, "size": self.size,
                "root": self.root, "problems": list(self.checks.problems), "unanchored": list(self.checks.unanchored),
                "checks": list(self.checks.lines), "trust_anchors": list(self.anchors.key_ids)}


def read_export(path: Path) -> dict[str, Any]:
    """The export's JSON object; bad input (missing, not JSON, not an export) is one clear line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise EvidenceInputError(f"No such file: {path}.", "Give the file written by 'audit export --out FILE'.") from None
    except OSError as exc:
        raise EvidenceInputError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    try:
        doc = strict_loads(data)
    except CanonicalError as exc:
        raise EvidenceInputError(f"{path} is not valid JSON ({exc.message})",
                                 "Give the file written by 'audit export --out FILE'.") from exc
    if not isinstance(doc, dict) or doc.get("format") not in (AUDIT_EXPORT_FORMAT, AUDIT_EXPORT_FORMAT_V1):
        raise EvidenceInputError(f"{path} is not an mlops-desktop audit-log export (wrong or missing format).",
                                 "Give the file written by 'audit export --out FILE'.")
    return doc


def verify_audit_export(path: Path | str, anchors: TrustAnchors) -> ExportVerification:
    """Check an exported log offline: every entry's exact bytes, gapless ``seq`` and times, the root
    at the signed checkpoint, the checkpoint key certified with role ``log``, the trust list
    replayed from its statements and reaching one of ``anchors``. Never raises for tampering."""
    path = Path(path)
    doc = read_export(path)
    out = ExportVerification(str(path), anchors=anchors)
    checks = out.checks
    if doc.get("format") == AUDIT_EXPORT_FORMAT_V1:
        checks.fail("this is a version 1 export: it carries neither the entries' exact bytes nor the trust "
                    "statements, so it cannot be checked against a trust anchor; export the log again")
        return out
    raw_entries: list[bytes] = []
    try:
        for i, text in enumerate(doc.get("entries_b64") or []):
            raw_entries.append(b64(text, f"entry {i}"))
    except (ValueError, TypeError) as exc:
        checks.fail(str(exc))
        return out
    readable = doc.get("entries")
    if isinstance(readable, list) and len(readable) != len(raw_entries):
        checks.fail(f"the readable copy lists {len(readable)} entries but the export holds {len(raw_entries)}")
    parsed: list[dict[str, Any] | None] = []
    prev: datetime | None = None
    for i, raw in enumerate(raw_entries):
        entry = parse_entry(raw)
        parsed.append(entry)
        if entry is None:
            checks.fail(f"entry {i} is not a JSON object")
            continue
        if entry.get("seq") != i:
            checks.fail(f"entry {i} says it is entry {entry.get('seq')} (entries were dropped, swapped or inserted)")
        when = entry_time(entry)
        if when is None:
            checks.fail(f"entry {i} has no valid time")
        elif prev is not None and when < prev:
            checks.fail(f"entry {i} is dated before entry {i - 1} (times must not decrease along the log)")
        else:
            prev = when
        if isinstance(readable, list) and i < len(readable) and readable[i] != entry:
            checks.fail(f"entry {i}: the readable copy differs from the entry's exact bytes")
    cp_key_obj = doc.get("checkpoint_public_key")
    cp_key: dict[str, Any] = cp_key_obj if isinstance(cp_key_obj, dict) else {}
    keys = load_keys(doc.get("public_keys"), checks)
    identities = {k: v for k, v in (doc.get("identities") or {}).items()} if isinstance(doc.get("identities"), dict) \
        else {}
    statements = read_statements(doc.get("trust_statements"), checks)
    entries = dict(enumerate(raw_entries))
    # the export holds the whole log: every trust entry must have its statement, and back
    carried = {s.log_seq for s in statements}
    for i, entry in enumerate(parsed):
        if entry is not None and entry.get("action") in TRUST_ACTIONS.values() and i not in carried:
            checks.fail(f"entry {i} records a trust change ({entry.get('action')}) whose statement the export "
                        "does not carry (a revocation or grant was dropped)")
    trust = replay_trust(statements, entries, keys, identities, anchors, checks)
    judge_anchoring(trust, checks)
    cp = judge_checkpoint(doc.get("checkpoint"), cp_key.get("pem"), trust, checks, what="the export's checkpoint")
    if cp is not None:
        out.size, out.root, out.origin = cp.size, cp.root.hex(), cp.origin
        leaves = [leaf_hash(r) for r in raw_entries]
        if len(leaves) != cp.size:
            checks.fail(f"the checkpoint covers {cp.size} entries but the export holds {len(leaves)} "
                        "(entries were dropped or added)")
        elif root_from_leaf_hashes(leaves) != cp.root:
            checks.fail(f"the entries do not hash to the checkpoint's root at size {cp.size} "
                        "(an entry was edited, swapped or replaced)")
        else:
            checks.ok_line(f"{len(leaves)} entries hash to the signed root {cp.root.hex()}")
    if checks.ok:
        checks.ok_line("verdict: verified")
    logger.debug("audit export %s: %s", path, json.dumps(out.to_dict())[:200])
    return out
