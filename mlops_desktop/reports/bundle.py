"""The evidence bundle: what a reader needs to check a report without our database (docs/BUNDLE.md).

A JSON document (embedded in the PDF, and written next to it as the sidecar) holding:

- ``envelopes``: the DSSE approval envelopes the report cites, verbatim (base64 of the
  stored bytes, so nothing is re-serialised), with their audit-log index;
- ``trust_statements``: every trust-list statement (pins, adds, revocations) recorded before the
  checkpoint, verbatim, so a verifier replays the trust list and judges each signer's authority
  at the decision's log position from its own trust anchors;
- ``public_keys``: PEM public keys by key id (SHA-256 of the DER SubjectPublicKeyInfo);
- ``policies``: the promotion policies the decisions name, their text by SHA-256;
- ``checkpoint``: the signed log checkpoint the report was made at and the log key (to be
  certified with role ``log`` by an anchored administrator);
- ``log_entries``: the canonical audit-log entries of every envelope and trust statement (base64)
  with their RFC 9162 inclusion proofs at the checkpoint;
- ``signature``: a DSSE envelope by the officer who exported the report over the SHA-256 of the
  RFC 8785 canonical JSON of everything else but ``report_record`` (null when no officer key was
  unlocked: the bundle is then unsigned and never verified);
- ``report_record`` (sidecar only): the audit-log entry recording the finished PDF's SHA-256 and
  the embedded bundle's, with its inclusion proof at a checkpoint signed after it and the
  consistency proof from the report's checkpoint (a file cannot carry the proof of its own hash).

:func:`verify_bundle` checks the bundle's own consistency (signatures over the keys it carries,
inclusion proofs against its root). That a bundle is *genuine* is judged by
:mod:`mlops_desktop.reports.report_verify`, against the verifier's trust anchors.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric import ec

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.crypto.canonical import CanonicalError, canonical_json, strict_loads
from mlops_desktop.crypto.dsse import (
    EnvelopeError,
    make_statement,
    parse_envelope,
    sign_envelope,
    verify_envelope,
)
from mlops_desktop.crypto.ecdsa import key_id
from mlops_desktop.crypto.encoding import b64decode_strict
from mlops_desktop.crypto.merkle import leaf_hash, verify_inclusion
from mlops_desktop.governance.keys import load_public_key_pem
from mlops_desktop.reports.model import GovernanceEvidence, ReportData

if TYPE_CHECKING:
    from mlops_desktop.governance.keys import SigningKey

logger = logging.getLogger(__name__)

BUNDLE_FORMAT = "https://mlops-desktop.dev/evidence-bundle/v2"
BUNDLE_FORMAT_V1 = "https://mlops-desktop.dev/evidence-bundle/v1"
#: The predicate of the officer's signature over a bundle (docs/BUNDLE.md).
BUNDLE_PREDICATE = "https://mlops-desktop.dev/evidence-bundle-signature/v1"
#: Members outside the officer's signature: the signature itself, and the sidecar's report record.
UNSIGNED_MEMBERS = ("signature", "report_record")


class BundleError(MlopsError):
    """An evidence bundle cannot be read."""


# ------------------------------------------------------------------------------------ primitives
# One implementation of DSSE, RFC 9162 and key ids: the governance layer's (no database needed).


def _bundle_error(message: str) -> BundleError:
    return BundleError(f"Evidence bundle: {message}.")


def _b64(text: object, what: str) -> bytes:
    return b64decode_strict(text, what, _bundle_error)


def _load_key(pem: str) -> ec.EllipticCurvePublicKey | None:
    try:
        return load_public_key_pem(pem.encode("ascii"))
    except (MlopsError, ValueError, UnicodeEncodeError, TypeError):
        return None


def signed_body(doc: dict[str, Any]) -> dict[str, Any]:
    """The members the officer's signature covers (all but :data:`UNSIGNED_MEMBERS`)."""
    return {k: v for k, v in doc.items() if k not in UNSIGNED_MEMBERS}


def evidence_digest(doc: dict[str, Any]) -> str:
    """SHA-256 (hex) of the RFC 8785 canonical JSON of :func:`signed_body`."""
    return hashlib.sha256(canonical_json(signed_body(doc))).hexdigest()


def sign_bundle(doc: dict[str, Any], officer: SigningKey, signed_at: str) -> dict[str, Any]:
    """``doc`` with the officer's DSSE signature (in-toto Statement over :func:`evidence_digest`)."""
    body = signed_body(doc)
    digest = evidence_digest(body)
    predicate = {
        "reportId": body.get("report_id"),
        "reportFile": body.get("report_file"),
        "edition": body.get("edition"),
        "signer": {"keyId": officer.key_id, "identity": officer.identity},
        "signedAt": signed_at,
        "checkpointSize": (body.get("checkpoint") or {}).get("size"),
    }
    statement = make_statement(f"evidence-bundle:{body.get('report_id')}", digest, BUNDLE_PREDICATE, predicate)
    envelope = sign_envelope(statement, [officer])
    return {**body, "signature": {"envelope_b64": base64.b64encode(envelope).decode("ascii")}}


# ------------------------------------------------------------------------------------ building


def build_bundle(data: ReportData, edition_file: str = "") -> dict[str, Any]:
    """The bundle for a report, unsigned (deterministic for the same inputs)."""
    gov = data.governance or GovernanceEvidence()
    trust = gov.trust_evidence or {}
    cited = data.cited_envelopes()
    envelopes = []
    index_of = {a.envelope_id: a.log_index for a in data.facts.approvals}
    keys_needed: set[str] = set()
    policies_needed: set[str] = set()
    for env_id in cited:
        raw = gov.envelopes.get(env_id)
        if raw is None:
            continue
        envelopes.append(
            {
                "id": env_id,
                "log_index": index_of.get(env_id),
                "envelope_b64": base64.b64encode(raw).decode("ascii"),
                "sha256": hashlib.sha256(raw).hexdigest(),
            }
        )
        try:
            doc = json.loads(raw)
            for sig in doc.get("signatures", []):
                keys_needed.add(str(sig.get("keyid", "")))
            statement = json.loads(base64.b64decode(doc.get("payload", "")))
            policies_needed.add(str(((statement.get("predicate") or {}).get("policy") or {}).get("digest", "")))
        except (ValueError, AttributeError, TypeError):
            logger.warning("envelope %s is not JSON; included verbatim", env_id)
    size = gov.checkpoint_size
    statements = [st for st in trust.get("trust_statements", []) if size is not None and st["log_index"] < size]
    wanted = {i for i in (index_of.get(e) for e in cited) if i is not None} | {st["log_index"] for st in statements}
    indices = sorted(wanted & set(gov.entries))
    entries = [
        {
            "index": i,
            "entry_b64": base64.b64encode(gov.entries[i]).decode("ascii"),
            "inclusion_proof": list(gov.proofs.get(i, [])),
        }
        for i in indices
    ]
    all_keys = {**dict(trust.get("public_keys", {})), **gov.public_keys}
    policies = trust.get("policies", {})
    # inputs used with --allow-unverified (the cover's banner), signed with the rest: report verify fails on them
    unverified = {"unverified_inputs": list(data.settings.unverified_inputs)} if data.settings.unverified_inputs else {}
    return {
        "format": BUNDLE_FORMAT,
        **unverified,
        "report_id": data.report_id,
        "edition": data.edition,
        "report_file": edition_file,
        "generated_at": data.generated_at.isoformat(),
        "scope": [m.name for m in data.models],
        "stores": [
            {"kind": s.kind, "url": s.url, "schema": s.schema, "identity": s.identity,
             "content_sha256": data.store_hashes.get(s.url, "").removeprefix("sha256:") or None}
            for s in data.catalog.stores
        ],
        "findings": [f.as_json() for f in data.findings],
        "checkpoint": {
            "origin": gov.log_origin,
            "size": gov.checkpoint_size,
            "root_hash": gov.checkpoint_root,
            "note": gov.checkpoint,
            "log_public_key": gov.log_public_key,
            "log_key_id": trust.get("log_key_id"),
        },
        "public_keys": {k: all_keys[k] for k in sorted(all_keys)},
        "signers": {k: v for k, v in sorted({**dict(trust.get("identities", {})), **gov.signers}.items())},
        "policies": {d: policies[d] for d in sorted(policies) if d in policies_needed},
        "envelopes": envelopes,
        "trust_statements": statements,
        "log_entries": entries,
        "signature": None,
    }


def bundle_bytes(bundle: dict[str, Any]) -> bytes:
    return (json.dumps(bundle, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


# ------------------------------------------------------------------------------------ verification


@dataclass(slots=True)
class BundleVerification:
    ok: bool = True
    envelopes_verified: int = 0
    proofs_verified: int = 0
    checkpoint_verified: bool | None = None  # None: no checkpoint signature checker available
    problems: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.ok = False
        self.problems.append(message)
        self.lines.append("FAIL " + message)


def load_bundle(raw: bytes) -> dict[str, Any]:
    try:
        doc = strict_loads(raw)
    except CanonicalError as exc:
        raise BundleError(f"The evidence bundle is not valid JSON ({exc.message})") from exc
    if not isinstance(doc, dict) or doc.get("format") not in (BUNDLE_FORMAT, BUNDLE_FORMAT_V1):
        raise BundleError("This file is not an mlops-desktop evidence bundle (wrong or missing format).")
    return doc


def verify_bundle(
    bundle: dict[str, Any] | bytes,
    *,
    checkpoint_verifier: Callable[[str, str], bool] | None = None,
) -> BundleVerification:
    """Check envelopes, key ids and inclusion proofs using only the bundle's content.

    ``checkpoint_verifier(note_text, log_public_key_pem)`` checks the checkpoint's own
    signature (the note format belongs to the governance layer); without it only the
    proofs against the stated root are checked.
    """
    doc = load_bundle(bundle) if isinstance(bundle, bytes) else bundle
    out = BundleVerification()
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    for kid, pem in (doc.get("public_keys") or {}).items():
        key = _load_key(str(pem))
        if key is None:
            out.fail(f"public key {kid[:16]}… is not a P-256 PEM public key")
            continue
        if key_id(key) != kid:
            out.fail(f"public key listed as {kid[:16]}… has id {key_id(key)[:16]}…")
            continue
        keys[kid] = key
    for item in doc.get("envelopes") or []:
        env_id = item.get("id", "?")
        raw = _b64(item.get("envelope_b64"), f"envelope {env_id}")
        if hashlib.sha256(raw).hexdigest() != item.get("sha256"):
            out.fail(f"envelope {env_id}: bytes do not match their recorded SHA-256")
            continue
        try:
            verified = verify_envelope(raw, keys, parse_envelope(raw).payload_type)
        except EnvelopeError as exc:
            out.fail(f"envelope {env_id}: {exc.message}")
            continue
        out.envelopes_verified += 1
        out.lines.append(f"OK   envelope {env_id}: {len(verified.key_ids)} signature(s) verify")
    cp = doc.get("checkpoint") or {}
    size, root_hex = cp.get("size"), cp.get("root_hash")
    entries = doc.get("log_entries") or []
    if entries and (not isinstance(size, int) or not isinstance(root_hex, str)):
        out.fail("log entries are cited but the bundle has no checkpoint size and root")
        entries = []
    for item in entries:
        idx = item.get("index")
        raw = _b64(item.get("entry_b64"), f"log entry {idx}")
        try:
            proof = [bytes.fromhex(h) for h in item.get("inclusion_proof") or []]
            root = bytes.fromhex(str(root_hex))
        except ValueError:
            out.fail(f"log entry {idx}: proof or root is not hex")
            continue
        if isinstance(idx, int) and isinstance(size, int) and verify_inclusion(leaf_hash(raw), idx, size, proof, root):
            out.proofs_verified += 1
            out.lines.append(f"OK   log entry {idx} is included in the tree of size {size}")
        else:
            out.fail(f"log entry {idx}: inclusion proof does not lead to the checkpoint root")
    # every cited envelope must be the one recorded in its log entry
    entry_text = {item.get("index"): _b64(item.get("entry_b64"), "log entry") for item in entries}
    for item in doc.get("envelopes") or []:
        idx = item.get("log_index")
        if idx is None or idx not in entry_text:
            continue
        if item.get("sha256", "") not in entry_text[idx].decode("utf-8", "replace") and item.get("id", "") not in entry_text[idx].decode("utf-8", "replace"):
            out.fail(f"envelope {item.get('id')}: its log entry {idx} does not name it")
    if cp.get("note") and cp.get("log_public_key") and checkpoint_verifier is not None:
        out.checkpoint_verified = bool(checkpoint_verifier(str(cp["note"]), str(cp["log_public_key"])))
        if not out.checkpoint_verified:
            out.fail("the checkpoint signature does not verify with the log's public key")
        else:
            out.lines.append("OK   checkpoint signature verifies")
    return out
