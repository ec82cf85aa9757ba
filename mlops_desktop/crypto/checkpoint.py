"""C2SP signed notes: tlog-checkpoint bodies, the log's ECDSA signature, witness cosignatures.

A checkpoint (c2sp.org/tlog-checkpoint) is a signed note (c2sp.org/signed-note)::

    <origin>
    <tree size>
    <base64 root hash>

    — <log key name> base64(4-byte key id || DER ECDSA P-256 signature)
    — <witness name> base64(4-byte key id || u64 timestamp || Ed25519 signature)

The log signs with the signed-note ECDSA type (0x02): the key id is the first four bytes of
SHA-256 of the DER SubjectPublicKeyInfo, the signature is over the note text.

Witnesses cosign with c2sp.org/tlog-cosignature v1 (type 0x04): key id =
SHA-256(name || 0x0A || 0x04 || 32-byte Ed25519 public key)[:4], and the Ed25519 signature is
over ``"cosignature/v1\\n" + "time <timestamp>\\n" + note text``, with the big-endian u64
timestamp (POSIX seconds) before the signature in the line.

Parsing follows the signed-note rules: the text ends at the last blank line, every signature
line is read, and a verifier ignores lines whose (name, key id) pair it does not know (another
witness, an algorithm it does not speak); a line of a known key that fails to verify rejects
the note.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from mlops_desktop.crypto.ecdsa import sign_bytes, spki_der, verify_bytes

_DASH = "\u2014"
#: signed-note signature types (c2sp.org/signed-note, "Signature types")
TYPE_ECDSA = 0x02
TYPE_COSIGNATURE_V1 = 0x04
#: Verifiers must accept at least 16 signatures; more than this is refused as abuse.
MAX_SIGNATURES = 100


class CheckpointError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: key name, 4-byte key id, and the rest of the decoded blob."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{_DASH} {self.name} {base64.b64encode(self.key_id + self.signature).decode()}"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    key_name: str = ""  # the first signature line's name (the log's, as this app writes notes)
    signature: bytes = b""  # the first signature line's blob: 4-byte key id || DER signature
    signatures: tuple[NoteSignature, ...] = ()  # every signature line, in note order

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A verified witness cosignature."""

    name: str
    timestamp: int


# ---------------------------------------------------------------------------- signed notes


def _valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def split_note(note: str) -> tuple[str, list[NoteSignature]]:
    """The note text (with its final newline) and every signature line; no signature is checked."""
    if any(ord(ch) < 0x20 and ch != "\n" for ch in note):
        raise CheckpointError("signed note contains control characters")
    if not note.endswith("\n"):
        raise CheckpointError("signed note does not end with a newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise CheckpointError("checkpoint note has no signature block")
    text, block = note[: cut + 1], note[cut + 2:]
    lines = block.split("\n")[:-1]  # the block ends with a newline
    if not lines:
        raise CheckpointError("checkpoint note is unsigned")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"checkpoint note has more than {MAX_SIGNATURES} signatures")
    sigs = []
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != _DASH or not _valid_key_name(parts[1]):
            raise CheckpointError("malformed checkpoint signature line")
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except binascii.Error as exc:
            raise CheckpointError("checkpoint signature is not base64") from exc
        if len(blob) < 5:
            raise CheckpointError("checkpoint signature is too short")
        sigs.append(NoteSignature(parts[1], blob[:4], blob[4:]))
    return text, sigs


def parse_checkpoint(note: str) -> Checkpoint:
    """Parse a checkpoint note (no signature check); raises :class:`CheckpointError`."""
    text, sigs = split_note(note)
    lines = text.split("\n")
    if len(lines) < 4:
        raise CheckpointError("checkpoint note body is too short")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not origin:
        raise CheckpointError("checkpoint origin line is empty")
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise CheckpointError("checkpoint tree size is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error as exc:
        raise CheckpointError("checkpoint root hash is not base64") from exc
    if len(root) != 32:
        raise CheckpointError("checkpoint root hash is not 32 bytes")
    first = sigs[0]
    cp = Checkpoint(origin, int(size_text), root, first.name, first.key_id + first.signature, tuple(sigs))
    if cp.body() != text:
        raise CheckpointError("checkpoint body has extension lines this client does not accept")
    return cp


# ---------------------------------------------------------------------------- the log's ECDSA signature


def note_key_id(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return hashlib.sha256(spki_der(public_key)).digest()[:4]


def sign_checkpoint(origin: str, size: int, root: bytes, key_name: str, key: ec.EllipticCurvePrivateKey) -> str:
    if "\n" in origin or not origin or not _valid_key_name(key_name):
        raise CheckpointError("bad origin or key name")
    body = Checkpoint(origin, size, root).body()
    sig = sign_bytes(key, body.encode("utf-8"))
    line = NoteSignature(key_name, note_key_id(key.public_key()), sig).line()
    return f"{body}\n{line}\n"


def verify_checkpoint(note: str, key_name: str, public_key: ec.EllipticCurvePublicKey) -> Checkpoint:
    """Parse and verify the log's signature; other signature lines (witnesses, unknown keys) are
    ignored. Raises :class:`CheckpointError` when no line of that key is present or it does not verify."""
    cp = parse_checkpoint(note)
    kid = note_key_id(public_key)
    mine = [s for s in cp.signatures if s.name == key_name and s.key_id == kid]
    if not mine:
        names = sorted({s.name for s in cp.signatures})
        if any(s.name == key_name for s in cp.signatures):
            raise CheckpointError("checkpoint signature key id does not match the key")
        raise CheckpointError(f"checkpoint is signed by {', '.join(names)}, not {key_name}")
    body = cp.body().encode("utf-8")
    for sig in mine:
        if not verify_bytes(public_key, sig.signature, body):
            raise CheckpointError("checkpoint signature does not verify")
    return cp


# ---------------------------------------------------------------------------- witness cosignatures


def ed25519_raw(public_key: ed25519.Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def witness_key_id(name: str, public_key: ed25519.Ed25519PublicKey) -> bytes:
    """SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4] (c2sp.org/tlog-cosignature)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([TYPE_COSIGNATURE_V1]) + ed25519_raw(public_key)).digest()[:4]


def witness_vkey(name: str, public_key: ed25519.Ed25519PublicKey) -> str:
    """The signed-note verifier key string ``<name>+<hex key id>+<base64(0x04 || key)>``."""
    if not _valid_key_name(name):
        raise CheckpointError(f"bad witness name {name!r} (no spaces or '+')")
    blob = base64.b64encode(bytes([TYPE_COSIGNATURE_V1]) + ed25519_raw(public_key)).decode()
    return f"{name}+{witness_key_id(name, public_key).hex()}+{blob}"


def parse_witness_vkey(vkey: str) -> tuple[str, ed25519.Ed25519PublicKey]:
    """(name, public key) of a verifier key string; raises CheckpointError when it is not one."""
    parts = vkey.strip().split("+", 2)  # the base64 key may itself contain '+'
    if len(parts) != 3 or not _valid_key_name(parts[0]):
        raise CheckpointError("a witness key is '<name>+<hex key id>+<base64 key>'")
    try:
        blob = base64.b64decode(parts[2], validate=True)
        kid = bytes.fromhex(parts[1])
    except (binascii.Error, ValueError) as exc:
        raise CheckpointError("the witness key is not hex and base64") from exc
    if len(blob) != 33 or blob[0] != TYPE_COSIGNATURE_V1:
        raise CheckpointError("the witness key is not a cosignature/v1 (type 0x04) Ed25519 key")
    public_key = ed25519.Ed25519PublicKey.from_public_bytes(blob[1:])
    if witness_key_id(parts[0], public_key) != kid:
        raise CheckpointError("the witness key's key id does not match its name and key")
    return parts[0], public_key


def cosigned_message(note_text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{note_text}".encode()


def add_cosignature(note: str, name: str, key: ed25519.Ed25519PrivateKey, timestamp: int) -> str:
    """``note`` with a cosignature/v1 line of witness ``name`` appended (an older line of the
    same witness key is replaced)."""
    if not _valid_key_name(name):
        raise CheckpointError(f"bad witness name {name!r} (no spaces or '+')")
    if not 0 <= timestamp < 2**63:
        raise CheckpointError("cosignature timestamp out of range")
    text, sigs = split_note(note)
    kid = witness_key_id(name, key.public_key())
    signature = key.sign(cosigned_message(text, timestamp))
    line = NoteSignature(name, kid, struct.pack(">Q", timestamp) + signature)
    kept = [s for s in sigs if not (s.name == name and s.key_id == kid)]
    return text + "\n" + "".join(s.line() + "\n" for s in [*kept, line])


def verify_cosignature(note: str, name: str, public_key: ed25519.Ed25519PublicKey) -> Cosignature | None:
    """The witness's verified cosignature, None when the note carries no line of that witness.
    Raises CheckpointError when its line is present but does not verify."""
    text, sigs = split_note(note)
    kid = witness_key_id(name, public_key)
    found: Cosignature | None = None
    for sig in sigs:
        if sig.name != name or sig.key_id != kid:
            continue
        if len(sig.signature) != 8 + 64:
            raise CheckpointError(f"the cosignature of {name} is not 8 + 64 bytes")
        (timestamp,) = struct.unpack(">Q", sig.signature[:8])
        if timestamp >= 2**63:
            raise CheckpointError(f"the cosignature of {name} has a timestamp out of range")
        try:
            public_key.verify(sig.signature[8:], cosigned_message(text, timestamp))
        except InvalidSignature as exc:
            raise CheckpointError(f"the cosignature of witness {name} does not verify") from exc
        found = Cosignature(name, timestamp)
    return found


def count_cosignatures(note: str, witnesses: Sequence[tuple[str, ed25519.Ed25519PublicKey]]) -> list[Cosignature]:
    """Verified cosignatures of the given witnesses (distinct keys); unknown lines are ignored."""
    seen: set[bytes] = set()
    out = []
    for name, key in witnesses:
        kid = witness_key_id(name, key) + ed25519_raw(key)
        if kid in seen:
            continue
        seen.add(kid)
        cosig = verify_cosignature(note, name, key)
        if cosig is not None:
            out.append(cosig)
    return out
