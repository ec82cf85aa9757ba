"""The one strict base64 reader (crypto.encoding) and the three places that read with it:
envelopes (EnvelopeError), evidence bundles (BundleError) and audit exports / offline evidence
(ValueError). Every non-canonical spelling of a value is refused."""

from __future__ import annotations

import base64
import json

import pytest

from mlops_desktop.crypto import dsse
from mlops_desktop.crypto.encoding import Base64Error, b64decode_strict
from mlops_desktop.governance import offline
from mlops_desktop.reports import bundle

GOOD = base64.b64encode(b"\xfb\xff\x00 hello").decode()  # has '+' / '/' in the standard alphabet

BAD = [
    ("url-safe alphabet", GOOD.replace("+", "-").replace("/", "_"), "is not valid standard base64"),
    ("missing padding", "QQ", "is not valid standard base64"),
    ("extra padding", "QQ===", "is not valid standard base64"),
    ("whitespace", GOOD[:4] + "\n" + GOOD[4:], "is not valid standard base64"),
    ("non-canonical trailing bits", "QR==", "is not canonical base64"),  # decodes to b"A" like "QQ=="
    ("non-ASCII", "QQ=\u00e9", "is not valid standard base64"),
    ("truncated", GOOD[:-1], "is not valid standard base64"),
]


def test_standard_canonical_base64_reads() -> None:
    assert b64decode_strict(GOOD, "x") == b"\xfb\xff\x00 hello"
    assert b64decode_strict("", "x") == b""
    assert b64decode_strict("QQ==", "x") == b"A"


@pytest.mark.parametrize(("case", "text", "message"), BAD, ids=[c[0] for c in BAD])
def test_every_other_spelling_is_refused(case: str, text: str, message: str) -> None:
    with pytest.raises(Base64Error, match=f"^the value {message}"):
        b64decode_strict(text, "the value")


@pytest.mark.parametrize("value", [None, 12, b"QQ==", ["QQ=="]])
def test_not_a_string(value: object) -> None:
    with pytest.raises(Base64Error, match="^the value is not a base64 string$"):
        b64decode_strict(value, "the value")


@pytest.mark.parametrize(("case", "text", "message"), BAD, ids=[c[0] for c in BAD])
def test_each_reader_keeps_its_error_type_and_words(case: str, text: str, message: str) -> None:
    with pytest.raises(dsse.EnvelopeError, match=f"^Envelope payload {message}"):
        dsse.b64decode_strict(text, "payload")
    with pytest.raises(ValueError, match=f"^entry 3 {message}"):
        offline.b64(text, "entry 3")
    doc = {"format": bundle.BUNDLE_FORMAT, "envelopes": [{"id": "e1", "envelope_b64": text, "sha256": "0"}]}
    with pytest.raises(bundle.BundleError, match=f"^Evidence bundle: envelope e1 {message}"):
        bundle.verify_bundle(json.dumps(doc).encode())


def test_an_envelope_with_url_safe_payload_is_refused() -> None:
    env = json.dumps({"payloadType": "application/vnd.in-toto+json",
                      "payload": GOOD.replace("+", "-").replace("/", "_"),
                      "signatures": [{"keyid": "k", "sig": "QQ=="}]}).encode()
    with pytest.raises(dsse.EnvelopeError, match="Envelope payload is not valid standard base64"):
        dsse.parse_envelope(env)
