"""C2SP tlog-checkpoint notes signed with the C2SP signed-note ECDSA type (0x02).

    <origin>
    <tree size>
    <base64 root hash>

    — <key name> base64(4-byte key id || DER ECDSA signature)

The 4-byte key id is the first four bytes of SHA-256 of the DER SubjectPublicKeyInfo.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from mlops_desktop.crypto.ecdsa import sign_bytes, spki_der, verify_bytes

_DASH = "\u2014"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    key_name: str = ""
    signature: bytes = b""  # DER, without the 4-byte key id

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


class CheckpointError(ValueError):
    pass


def note_key_id(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return hashlib.sha256(spki_der(public_key)).digest()[:4]


def sign_checkpoint(origin: str, size: int, root: bytes, key_name: str, key: ec.EllipticCurvePrivateKey) -> str:
    if "\n" in origin or not origin or " " in key_name or not key_name:
        raise CheckpointError("bad origin or key name")
    body = Checkpoint(origin, size, root).body()
    sig = sign_bytes(key, body.encode("utf-8"))
    blob = base64.b64encode(note_key_id(key.public_key()) + sig).decode()
    return f"{body}\n{_DASH} {key_name} {blob}\n"


def parse_checkpoint(note: str) -> Checkpoint:
    """Parse a signed note (no signature check); raises :class:`CheckpointError`."""
    body, sep, sigs = note.partition("\n\n")
    if not sep:
        raise CheckpointError("checkpoint note has no signature block")
    lines = body.split("\n")
    if len(lines) < 3:
        raise CheckpointError("checkpoint note body is too short")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise CheckpointError("checkpoint tree size is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error as exc:
        raise CheckpointError("checkpoint root hash is not base64") from exc
    if len(root) != 32:
        raise CheckpointError("checkpoint root hash is not 32 bytes")
    sig_lines = [s for s in sigs.split("\n") if s]
    if not sig_lines:
        raise CheckpointError("checkpoint note is unsigned")
    parts = sig_lines[0].split(" ")
    if len(parts) != 3 or parts[0] != _DASH:
        raise CheckpointError("malformed checkpoint signature line")
    try:
        blob = base64.b64decode(parts[2], validate=True)
    except binascii.Error as exc:
        raise CheckpointError("checkpoint signature is not base64") from exc
    if len(blob) < 5:
        raise CheckpointError("checkpoint signature is too short")
    cp = Checkpoint(origin, int(size_text), root, parts[1], blob)
    if cp.body() != body + "\n":
        raise CheckpointError("checkpoint body has extension lines this client does not accept")
    return cp


def verify_checkpoint(note: str, key_name: str, public_key: ec.EllipticCurvePublicKey) -> Checkpoint:
    """Parse and verify; raises :class:`CheckpointError` when the signature does not verify."""
    cp = parse_checkpoint(note)
    if cp.key_name != key_name:
        raise CheckpointError(f"checkpoint is signed by {cp.key_name}, not {key_name}")
    if cp.signature[:4] != note_key_id(public_key):
        raise CheckpointError("checkpoint signature key id does not match the key")
    if not verify_bytes(public_key, cp.signature[4:], cp.body().encode("utf-8")):
        raise CheckpointError("checkpoint signature does not verify")
    return cp
