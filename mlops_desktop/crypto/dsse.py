"""DSSE envelopes over in-toto Statement v1, and our two predicate types.

The signature is checked over the stored bytes before the payload is parsed; envelopes
are stored verbatim and never re-serialised for verification (CRYPTO.md).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import ec

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.crypto.canonical import CanonicalError, canonical_json, strict_loads
from mlops_desktop.crypto.ecdsa import verify_bytes
from mlops_desktop.crypto.encoding import b64decode_strict as decode_strict

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
#: A signed promotion decision (approve / reject a model version for a stage or alias).
PROMOTION_PREDICATE = "https://mlops-desktop.dev/promotion-decision/v1"
#: A signed change of the trust list (add or revoke a signer).
TRUST_PREDICATE = "https://mlops-desktop.dev/trust-change/v1"
KNOWN_PREDICATES = (PROMOTION_PREDICATE, TRUST_PREDICATE)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class Signer(Protocol):
    """What signing an envelope needs of a key (``governance.keys.SigningKey`` is one)."""

    @property
    def key_id(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


class EnvelopeError(MlopsError):
    """An envelope or its statement is malformed or its signature does not verify."""

    exit_code = 1


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _envelope_error(message: str) -> EnvelopeError:
    return EnvelopeError(f"Envelope {message}.")


def b64decode_strict(text: object, what: str) -> bytes:
    """Standard base64 with padding (:func:`mlops_desktop.crypto.encoding.b64decode_strict`);
    a failure is an :class:`EnvelopeError` naming the envelope's ``what``."""
    return decode_strict(text, what, _envelope_error)


@dataclass(frozen=True, slots=True)
class EnvelopeSignature:
    keyid: str
    sig: bytes


@dataclass(frozen=True, slots=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[EnvelopeSignature, ...]


def sign_envelope(payload: bytes, keys: Sequence[Signer], payload_type: str = PAYLOAD_TYPE) -> bytes:
    """A DSSE envelope (RFC 8785 JSON bytes) with one signature per key."""
    message = pae(payload_type, payload)
    envelope = {
        "payloadType": payload_type,
        "payload": b64encode(payload),
        "signatures": [{"keyid": k.key_id, "sig": b64encode(k.sign(message))} for k in keys],
    }
    return canonical_json(envelope)


def parse_envelope(data: bytes) -> Envelope:
    """Parse envelope JSON strictly (no signature check)."""
    try:
        obj = strict_loads(data)
    except CanonicalError as exc:
        raise EnvelopeError(f"Envelope is not valid JSON: {exc.message}") from exc
    if not isinstance(obj, dict):
        raise EnvelopeError("Envelope is not a JSON object.")
    payload_type = obj.get("payloadType")
    if not isinstance(payload_type, str) or not payload_type:
        raise EnvelopeError("Envelope has no payloadType.")
    payload = b64decode_strict(obj.get("payload"), "payload")
    sigs = obj.get("signatures")
    if not isinstance(sigs, list) or not sigs:
        raise EnvelopeError("Envelope has no signatures.")
    parsed = []
    for item in sigs:
        if not isinstance(item, dict) or not isinstance(item.get("keyid"), str):
            raise EnvelopeError("Envelope signature has no keyid.")
        parsed.append(EnvelopeSignature(item["keyid"], b64decode_strict(item.get("sig"), "signature")))
    return Envelope(payload_type, payload, tuple(parsed))


@dataclass(frozen=True, slots=True)
class VerifiedEnvelope:
    envelope: Envelope
    key_ids: tuple[str, ...]  # distinct keys whose signature verified


def verify_envelope(
    data: bytes,
    public_keys: Mapping[str, ec.EllipticCurvePublicKey],
    payload_type: str = PAYLOAD_TYPE,
) -> VerifiedEnvelope:
    """Verify every signature over the stored bytes; raise :class:`EnvelopeError` on any failure.

    A signature by a key not in ``public_keys`` fails (we cannot vouch for it), a repeated
    key id fails (one key cannot count twice), and the payload type must be ``payload_type``.
    """
    env = parse_envelope(data)
    if env.payload_type != payload_type:
        raise EnvelopeError(f"Envelope payloadType is {env.payload_type!r}, expected {payload_type!r}.")
    message = pae(env.payload_type, env.payload)
    seen: list[str] = []
    for sig in env.signatures:
        if sig.keyid in seen:
            raise EnvelopeError(f"Envelope carries two signatures for key {sig.keyid[:16]}; one key counts once.")
        key = public_keys.get(sig.keyid)
        if key is None:
            raise EnvelopeError(f"Envelope is signed by unknown key {sig.keyid[:16]}.")
        if not verify_bytes(key, sig.sig, message):
            raise EnvelopeError(f"Signature of key {sig.keyid[:16]} does not verify (envelope altered or wrong key).")
        seen.append(sig.keyid)
    return VerifiedEnvelope(env, tuple(seen))


# ---------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class Statement:
    subject_name: str
    digest: str  # sha256, lowercase hex
    predicate_type: str
    predicate: dict[str, Any]


def make_statement(subject_name: str, digest: str, predicate_type: str, predicate: Mapping[str, Any]) -> bytes:
    if not _HEX64.match(digest):
        raise EnvelopeError("Subject digest must be a lowercase hex SHA-256.")
    return canonical_json({
        "_type": STATEMENT_TYPE,
        "subject": [{"name": subject_name, "digest": {"sha256": digest}}],
        "predicateType": predicate_type,
        "predicate": dict(predicate),
    })


def parse_statement(payload: bytes, predicate_types: Sequence[str] = KNOWN_PREDICATES) -> Statement:
    """Parse and check an in-toto Statement v1 with exactly one sha256 subject."""
    try:
        obj = strict_loads(payload)
    except CanonicalError as exc:
        raise EnvelopeError(f"Statement is not valid JSON: {exc.message}") from exc
    if not isinstance(obj, dict):
        raise EnvelopeError("Statement is not a JSON object.")
    if obj.get("_type") != STATEMENT_TYPE:
        raise EnvelopeError(f"Statement _type is {obj.get('_type')!r}, expected {STATEMENT_TYPE}.")
    subjects = obj.get("subject")
    if not isinstance(subjects, list) or not subjects:
        raise EnvelopeError("Statement has no subject.")
    if len(subjects) != 1 or not isinstance(subjects[0], dict):
        raise EnvelopeError("Statement must have exactly one subject.")
    subject = subjects[0]
    name = subject.get("name")
    if not isinstance(name, str) or not name:
        raise EnvelopeError("Statement subject has no name.")
    digest = subject.get("digest")
    if not isinstance(digest, dict) or not digest:
        raise EnvelopeError("Statement subject digest is empty.")
    sha = digest.get("sha256")
    if not isinstance(sha, str) or not _HEX64.match(sha):
        raise EnvelopeError("Statement subject has no valid sha256 digest.")
    ptype = obj.get("predicateType")
    if ptype not in predicate_types:
        raise EnvelopeError(f"Unknown predicate type {ptype!r}.")
    predicate = obj.get("predicate")
    if not isinstance(predicate, dict):
        raise EnvelopeError("Statement has no predicate object.")
    return Statement(name, sha, str(ptype), predicate)
