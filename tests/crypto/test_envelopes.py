"""DSSE envelopes and in-toto statements: the negative vectors of CRYPTO.md, and interop."""

from __future__ import annotations

import base64
import json

import pytest

from mlops_desktop.crypto.canonical import canonical_json
from mlops_desktop.crypto.dsse import (
    PAYLOAD_TYPE,
    PROMOTION_PREDICATE,
    STATEMENT_TYPE,
    TRUST_PREDICATE,
    EnvelopeError,
    make_statement,
    pae,
    parse_statement,
    sign_envelope,
    verify_envelope,
)
from mlops_desktop.crypto.ecdsa import public_pem, sign_bytes
from tests.governance.helpers import make_key

DIGEST = "ab" * 32
ALICE = make_key("alice@example.org")
BOB = make_key("bob@example.org")
KEYS = {ALICE.key_id: ALICE.public_key, BOB.key_id: BOB.public_key}


def statement(**over: object) -> bytes:
    obj: dict[str, object] = {"_type": STATEMENT_TYPE,
                              "subject": [{"name": "models:/m/1", "digest": {"sha256": DIGEST}}],
                              "predicateType": PROMOTION_PREDICATE, "predicate": {"decision": "APPROVED"}}
    obj.update(over)
    return canonical_json(obj)


def envelope() -> bytes:
    return sign_envelope(statement(), [ALICE])


def mutate(env: bytes, fn) -> bytes:  # type: ignore[no-untyped-def]
    obj = json.loads(env)
    fn(obj)
    return json.dumps(obj).encode()


def test_round_trip() -> None:
    v = verify_envelope(envelope(), KEYS)
    assert v.key_ids == (ALICE.key_id,)
    st = parse_statement(v.envelope.payload)
    assert st.digest == DIGEST and st.subject_name == "models:/m/1" and st.predicate_type == PROMOTION_PREDICATE
    assert TRUST_PREDICATE != PROMOTION_PREDICATE


def _flip_b64(text: str, index: int) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("name,fn,message", [
    ("payload bit flip", lambda o: o.update(payload=_flip_b64(o["payload"], 10)), "does not verify"),
    ("signature bit flip", lambda o: o["signatures"][0].update(sig=_flip_b64(o["signatures"][0]["sig"], 40)),
     "does not verify"),
    ("payloadType bit flip", lambda o: o.update(payloadType="application/vnd.in-toto+jsoo"), "payloadType"),
    ("empty signature list", lambda o: o.update(signatures=[]), "no signatures"),
    ("signature removed", lambda o: o.pop("signatures"), "no signatures"),
    ("duplicate signature", lambda o: o["signatures"].append(dict(o["signatures"][0])), "two signatures"),
    ("keyid of another key", lambda o: o["signatures"][0].update(keyid=BOB.key_id), "does not verify"),
    ("unknown keyid", lambda o: o["signatures"][0].update(keyid="00" * 32), "unknown key"),
    ("url-safe base64", lambda o: o.update(payload=o["payload"].replace("+", "-").replace("/", "_") + "-_"),
     "base64"),
    ("truncated base64", lambda o: o.update(payload=o["payload"][:-3]), "base64"),
    ("base64 with whitespace", lambda o: o.update(payload=o["payload"][:8] + "\n" + o["payload"][8:]), "base64"),
    ("signature not a string", lambda o: o["signatures"][0].update(sig=12), "base64"),
])
def test_envelope_negative_vectors(name: str, fn, message: str) -> None:  # type: ignore[no-untyped-def]
    bad = mutate(envelope(), fn)
    with pytest.raises(EnvelopeError, match=message):
        verify_envelope(bad, KEYS)


def test_wrong_key() -> None:
    with pytest.raises(EnvelopeError, match="unknown key"):
        verify_envelope(envelope(), {BOB.key_id: BOB.public_key})
    # the right key id but the other person's key material
    with pytest.raises(EnvelopeError, match="does not verify"):
        verify_envelope(envelope(), {ALICE.key_id: BOB.public_key})


def test_valid_signature_relabelled_with_another_payload_type() -> None:
    """A signature made over another payloadType must not verify when relabelled as in-toto."""
    payload = statement()
    other = "application/json"
    sig = sign_bytes(ALICE.private_key, pae(other, payload))
    relabelled = canonical_json({"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode(),
                                 "signatures": [{"keyid": ALICE.key_id, "sig": base64.b64encode(sig).decode()}]})
    with pytest.raises(EnvelopeError, match="does not verify"):
        verify_envelope(relabelled, KEYS)
    original = canonical_json({"payloadType": other, "payload": base64.b64encode(payload).decode(),
                               "signatures": [{"keyid": ALICE.key_id, "sig": base64.b64encode(sig).decode()}]})
    with pytest.raises(EnvelopeError, match="payloadType"):
        verify_envelope(original, KEYS)


@pytest.mark.parametrize("data", [b"", b"{", b"[]", b'{"payloadType": "x", "payloadType": "y"}', b"\xff\xfe",
                                  b'{"payloadType": 5, "payload": "", "signatures": []}'])
def test_malformed_json(data: bytes) -> None:
    with pytest.raises(EnvelopeError):
        verify_envelope(data, KEYS)


@pytest.mark.parametrize("over,message", [
    ({"_type": "https://in-toto.io/Statement/v0.1"}, "_type"),
    ({"subject": []}, "no subject"),
    ({"subject": [{"name": "models:/m/1", "digest": {}}]}, "digest is empty"),
    ({"subject": [{"name": "models:/m/1", "digest": {"sha512": "00"}}]}, "sha256"),
    ({"subject": [{"name": "models:/m/1", "digest": {"sha256": "AB" * 32}}]}, "sha256"),
    ({"predicateType": "https://example.com/unknown/v1"}, "Unknown predicate"),
    ({"predicate": "approved"}, "predicate"),
])
def test_statement_negative_vectors(over: dict[str, object], message: str) -> None:
    env = sign_envelope(statement(**over), [ALICE])
    verified = verify_envelope(env, KEYS)  # the signature is fine...
    with pytest.raises(EnvelopeError, match=message):  # ...the statement is not
        parse_statement(verified.envelope.payload)


def test_statement_rejects_bad_digest_at_creation() -> None:
    with pytest.raises(EnvelopeError):
        make_statement("models:/m/1", "xyz", PROMOTION_PREDICATE, {})


def test_interop_with_securesystemslib() -> None:
    """An envelope we make verifies with securesystemslib's DSSE given only the exported public key,
    and fails there after a one-byte change."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from securesystemslib.dsse import Envelope
    from securesystemslib.exceptions import VerificationError
    from securesystemslib.signer import SSlibKey

    pem = public_pem(ALICE.public_key)  # what 'keys export-public' prints
    key = SSlibKey.from_crypto(load_pem_public_key(pem), keyid=ALICE.key_id, scheme="ecdsa-sha2-nistp256")
    env_bytes = envelope()
    env = Envelope.from_dict(json.loads(env_bytes))
    accepted = env.verify([key], 1)
    assert list(accepted) == [ALICE.key_id]
    assert json.loads(env.payload)["_type"] == STATEMENT_TYPE
    # one byte changed inside the payload
    obj = json.loads(env_bytes)
    raw = bytearray(base64.b64decode(obj["payload"]))
    raw[raw.index(b"APPROVED")] = ord("X")
    obj["payload"] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(VerificationError):
        Envelope.from_dict(obj).verify([key], 1)
    # and ours agrees
    with pytest.raises(EnvelopeError):
        verify_envelope(json.dumps(obj).encode(), KEYS)
