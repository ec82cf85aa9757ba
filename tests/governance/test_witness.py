"""Witness cosignatures (c2sp.org/tlog-cosignature v1), signed-note parsing, `audit witness`, policy quorum.

The verifier at the top is written from the C2SP signed-note, tlog-checkpoint and
tlog-cosignature texts alone, with no project import: the project's notes must verify with it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from mlops_desktop.cli.main import main
from mlops_desktop.core.errors import CheckFailed, UsageError
from mlops_desktop.crypto import checkpoint as cpmod
from mlops_desktop.governance import audit, keys
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.models import SqlCheckpoint, SqlCheckpointKey, SqlLogEntry
from mlops_desktop.governance.policy import load_policy
from mlops_desktop.governance.witness import witness_checkpoint, witness_problems
from tests.governance.helpers import PASSPHRASE

# ---------------------------------------------------------------------------- independent verifier


def independent_verify(note: str, log_name: str, log_key: ec.EllipticCurvePublicKey,
                       witnesses: list[tuple[str, ed25519.Ed25519PublicKey]]) -> tuple[str, int, bytes, list[str]]:
    """(origin, size, root, names of witnesses whose cosignature verified); raises AssertionError."""
    assert note.endswith("\n") and all(ord(c) >= 0x20 or c == "\n" for c in note)
    cut = note.rindex("\n\n")
    text, sig_lines = note[: cut + 1], note[cut + 2:].splitlines()
    origin, size, root_b64 = text.splitlines()[:3]
    spki = log_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    log_id = hashlib.sha256(spki).digest()[:4]
    known: dict[tuple[str, bytes], tuple[str, object]] = {(log_name, log_id): ("ecdsa", log_key)}
    for name, wkey in witnesses:
        raw = wkey.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        known[(name, hashlib.sha256(name.encode() + b"\n\x04" + raw).digest()[:4])] = ("cosig", wkey)
    log_ok, cosigned = False, list[str]()
    for line in sig_lines:
        dash, name, b64 = line.split(" ")
        assert dash == "\u2014"
        blob = base64.b64decode(b64, validate=True)
        entry = known.get((name, blob[:4]))
        if entry is None:
            continue  # unknown key: ignored (signed-note)
        kind, key = entry
        if kind == "ecdsa":
            assert isinstance(key, ec.EllipticCurvePublicKey)
            key.verify(blob[4:], text.encode(), ec.ECDSA(hashes.SHA256()))
            log_ok = True
        else:
            assert isinstance(key, ed25519.Ed25519PublicKey)
            (ts,) = struct.unpack(">Q", blob[4:12])
            key.verify(blob[12:], f"cosignature/v1\ntime {ts}\n".encode() + text.encode())
            cosigned.append(name)
    assert log_ok, "no verified signature of the log key"
    return origin, int(size), base64.b64decode(root_b64), cosigned


# ---------------------------------------------------------------------------- fixtures


def _log_key(gov: Governance) -> tuple[str, ec.EllipticCurvePublicKey]:
    with gov.read_session() as s:
        row = s.scalars(sa.select(SqlCheckpointKey)).one()
        key = serialization.load_pem_public_key(row.public_pem.encode())
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return row.name, key


def _grow(gov: Governance, n: int) -> str:
    for i in range(n):
        audit.log_action(gov, audit.ACTION_MODEL_VIEWED, f"models:/m/{i}", {})
    return audit.write_checkpoint(gov)


@pytest.fixture
def witness(tmp_path: Path) -> keys.WitnessKey:
    keys.create_witness_key(tmp_path / "w1.key", "witness.example.org/w1", PASSPHRASE)
    return keys.load_witness_key(tmp_path / "w1.key", PASSPHRASE)


def _newest(gov: Governance) -> str:
    note = audit.latest_checkpoint(gov)
    assert note is not None
    return note


# ---------------------------------------------------------------------------- format


def test_cosignature_line_matches_the_c2sp_format() -> None:
    log = ec.generate_private_key(ec.SECP256R1())
    note = cpmod.sign_checkpoint("example.com/log", 5, b"\x07" * 32, "example.com/log", log)
    w = ed25519.Ed25519PrivateKey.generate()
    cosigned = cpmod.add_cosignature(note, "witness.example/w", w, 1679315147)
    text = "example.com/log\n5\n" + base64.b64encode(b"\x07" * 32).decode() + "\n"
    assert cosigned.startswith(text + "\n\u2014 example.com/log ")
    last = cosigned.splitlines()[-1]
    dash, name, b64 = last.split(" ")
    blob = base64.b64decode(b64)
    raw = w.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert (dash, name, len(blob)) == ("\u2014", "witness.example/w", 4 + 8 + 64)
    assert blob[:4] == hashlib.sha256(b"witness.example/w\n\x04" + raw).digest()[:4]
    assert blob[4:12] == struct.pack(">Q", 1679315147)
    w.public_key().verify(blob[12:], b"cosignature/v1\ntime 1679315147\n" + text.encode())
    assert cpmod.verify_cosignature(cosigned, "witness.example/w", w.public_key()) == cpmod.Cosignature(
        "witness.example/w", 1679315147)
    vkey = cpmod.witness_vkey("witness.example/w", w.public_key())
    assert vkey.split("+")[1] == blob[:4].hex()
    assert cpmod.parse_witness_vkey(vkey)[0] == "witness.example/w"


def test_extra_unknown_signature_lines_are_ignored() -> None:
    log = ec.generate_private_key(ec.SECP256R1())
    note = cpmod.sign_checkpoint("example.com/log", 3, b"\x01" * 32, "example.com/log", log)
    unknown = "\u2014 other.example/ed25519 " + base64.b64encode(b"\xde\xad\xbe\xef" + b"\x00" * 64).decode()
    same_name = "\u2014 example.com/log " + base64.b64encode(b"\x00\x00\x00\x00" + b"\x01" * 70).decode()
    for extra in (unknown, same_name):  # same name but another key id: not this key, ignored too
        longer = note + extra + "\n"
        cp = cpmod.verify_checkpoint(longer, "example.com/log", log.public_key())
        assert (cp.size, len(cp.signatures)) == (3, 2)
        independent_verify(longer, "example.com/log", log.public_key(), [])
    # an unknown line *before* the log's line is ignored as well
    text, _ = cpmod.split_note(note)
    first = text + "\n" + unknown + "\n" + note[len(text) + 1:]
    assert cpmod.verify_checkpoint(first, "example.com/log", log.public_key()).size == 3


def test_a_known_key_whose_line_fails_rejects_the_note() -> None:
    log = ec.generate_private_key(ec.SECP256R1())
    w = ed25519.Ed25519PrivateKey.generate()
    note = cpmod.add_cosignature(cpmod.sign_checkpoint("o", 3, b"\x01" * 32, "log", log), "w.example/1", w, 100)
    line = note.splitlines()[-1]
    blob = bytearray(base64.b64decode(line.split(" ")[2]))
    blob[-1] ^= 1
    bad = note.replace(line.split(" ")[2], base64.b64encode(bytes(blob)).decode())
    with pytest.raises(cpmod.CheckpointError, match="cosignature of witness w.example/1 does not verify"):
        cpmod.verify_cosignature(bad, "w.example/1", w.public_key())
    with pytest.raises(InvalidSignature):
        independent_verify(bad, "log", log.public_key(), [("w.example/1", w.public_key())])
    # the timestamp is signed: changing it breaks the cosignature
    blob = bytearray(base64.b64decode(line.split(" ")[2]))
    blob[11] ^= 1
    moved = note.replace(line.split(" ")[2], base64.b64encode(bytes(blob)).decode())
    with pytest.raises(cpmod.CheckpointError):
        cpmod.verify_cosignature(moved, "w.example/1", w.public_key())


@pytest.mark.parametrize("note", [
    "o\n1\n" + base64.b64encode(b"\x01" * 32).decode() + "\n",  # no signature block
    "o\n1\n" + base64.b64encode(b"\x01" * 32).decode() + "\n\n\u2014 a+b AAAAAAA=\n",  # '+' in the key name
    "o\n1\n" + base64.b64encode(b"\x01" * 32).decode() + "\n\n\u2014 a AAAA\n",  # shorter than 5 bytes
    "o\n1\n" + base64.b64encode(b"\x01" * 32).decode() + "\n\n\u2014 a AAAAAAA=",  # no final newline
    "o\n1\x07\n" + base64.b64encode(b"\x01" * 32).decode() + "\n\n\u2014 a AAAAAAA=\n",  # control character
])
def test_malformed_notes(note: str) -> None:
    with pytest.raises(cpmod.CheckpointError):
        cpmod.parse_checkpoint(note)


# ---------------------------------------------------------------------------- audit witness


def test_witness_cosigns_and_the_independent_verifier_accepts(gov: Governance, witness: keys.WitnessKey) -> None:
    _grow(gov, 4)
    first = witness_checkpoint(gov, witness, now=1_700_000_000)
    assert (first.size, first.previous_size, first.previous_from) == (4, None, "none")
    name, log_pub = _log_key(gov)
    origin, size, root, cosigned = independent_verify(_newest(gov), name, log_pub,
                                                      [(witness.name, witness.public_key)])
    assert (origin, size, root.hex(), cosigned) == (gov.origin, 4, first.root, ["witness.example.org/w1"])
    assert audit.verify_log(gov).ok  # the stored note with its cosignature still verifies as the log's
    _grow(gov, 3)
    second = witness_checkpoint(gov, witness, now=1_700_000_100)
    assert (second.size, second.previous_size, second.previous_from) == (7, 4, "witness memory")
    assert independent_verify(_newest(gov), name, log_pub, [(witness.name, witness.public_key)])[3] == [witness.name]


def test_witness_refuses_a_rewritten_log(gov: Governance, witness: keys.WitnessKey) -> None:
    _grow(gov, 5)
    witness_checkpoint(gov, witness, now=1_700_000_000)
    # the log's writer rewrites entry 2 and re-signs a fresh history (same key, new checkpoints)
    with gov.write_session() as s:
        s.execute(sa.delete(SqlCheckpoint))
        row = s.get(SqlLogEntry, 2)
        assert row is not None
        forged = json.loads(row.entry)
        forged["object"] = "models:/forged/1"
        row.entry = json.dumps(forged, sort_keys=True, separators=(",", ":")).encode()
        row.leaf_hash = hashlib.sha256(b"\x00" + row.entry).hexdigest()
    from mlops_desktop.crypto.merkle import Frontier
    from mlops_desktop.governance.models import SqlLogHead

    with gov.write_session() as s:
        leaves = [bytes.fromhex(h) for h in s.scalars(sa.select(SqlLogEntry.leaf_hash).order_by(SqlLogEntry.seq))]
        fr = Frontier()
        for lf in leaves:
            fr.append(lf)
        head = s.get(SqlLogHead, 1)
        assert head is not None
        head.root_hash, head.frontier = fr.root().hex(), json.dumps([h.hex() for h in fr.nodes])
    _grow(gov, 1)
    before = _newest(gov)
    with pytest.raises(CheckFailed, match="is not consistent with the tree this witness cosigned at size 5"):
        witness_checkpoint(gov, witness, now=1_700_000_100)
    assert _newest(gov) == before  # nothing cosigned


def test_witness_refuses_a_rolled_back_log(gov: Governance, witness: keys.WitnessKey) -> None:
    _grow(gov, 3)
    _grow(gov, 3)
    witness_checkpoint(gov, witness, now=1_700_000_000)
    with gov.write_session() as s:  # the newest entries and their checkpoint are dropped
        s.execute(sa.delete(SqlCheckpoint).where(SqlCheckpoint.size == 6))
        s.execute(sa.delete(SqlLogEntry).where(SqlLogEntry.seq >= 3))
    with pytest.raises(CheckFailed, match="cosigned .* at size 6; the newest checkpoint has 3 entries"):
        witness_checkpoint(gov, witness, now=1_700_000_100)


def test_policy_requires_witness_cosignatures(tmp_path: Path, gov: Governance, witness: keys.WitnessKey) -> None:
    keys.create_witness_key(tmp_path / "w2.key", "witness.example.org/w2", PASSPHRASE)
    w2 = keys.load_witness_key(tmp_path / "w2.key", PASSPHRASE)
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(f'id = "p"\n[witnesses]\nrequired = 2\nkeys = ["{witness.vkey}", "{w2.vkey}"]\n')
    policy = load_policy(policy_file)
    assert (policy.required_witnesses, policy.witness_keys) == (2, (witness.vkey, w2.vkey))
    _grow(gov, 2)
    problems = witness_problems(_newest(gov), policy.witness_keys, policy.required_witnesses)
    assert problems == ["The newest checkpoint (size 2) carries 0 of the 2 witness cosignature(s) the policy "
                        "requires (from: none). Each witness runs 'mlops-desktop audit witness --key KEYFILE'."]
    witness_checkpoint(gov, witness, now=1_700_000_000)
    assert "carries 1 of the 2" in witness_problems(_newest(gov), policy.witness_keys, 2)[0]
    witness_checkpoint(gov, w2, now=1_700_000_001)
    assert witness_problems(_newest(gov), policy.witness_keys, 2) == []
    # the same witness twice does not make two
    assert "carries 1 of the 2" in witness_problems(_newest(gov), (witness.vkey, witness.vkey), 2)[0]


def test_bad_witness_policy(tmp_path: Path) -> None:
    p = tmp_path / "p.toml"
    p.write_text('[witnesses]\nrequired = 1\nkeys = ["not a key"]\n')
    with pytest.raises(UsageError, match="Bad witness key 'not a key'"):
        load_policy(p)
    p.write_text('[witnesses]\nrequired = 2\nkeys = []\n')
    with pytest.raises(UsageError, match="requires 2 cosignatures but names 0 witness keys"):
        load_policy(p)


def test_witness_key_files(tmp_path: Path, witness: keys.WitnessKey) -> None:
    pub = (tmp_path / "w1.key.pub").read_text()
    assert f"# vkey: {witness.vkey}\n" in pub and "# witness: witness.example.org/w1\n" in pub
    with pytest.raises(keys.KeyFileError, match="is a witness key"):
        keys.load_private_key(tmp_path / "w1.key", PASSPHRASE)
    keys.create_key(tmp_path / "s.key", "S", "s@example.org", PASSPHRASE)
    with pytest.raises(keys.KeyFileError, match="is a signing key, not a witness key"):
        keys.load_witness_key(tmp_path / "s.key", PASSPHRASE)


def test_cli_witness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(keys.PASSPHRASE_ENV, PASSPHRASE)
    gov_path = tmp_path / "gov.db"
    monkeypatch.setenv("MLOPS_DESKTOP_GOVERNANCE_URL", str(gov_path))
    assert main(["keys", "create", "--out", str(tmp_path / "w.key"), "--witness", "ci.example.org/w",
                 "--format", "json"]) == 0
    vkey = json.loads(capsys.readouterr().out)["vkey"]
    assert vkey.startswith("ci.example.org/w+")
    from mlops_desktop.governance.store import open_governance

    g = open_governance(str(gov_path))
    try:
        _grow(g, 3)
    finally:
        g.close()
    assert main(["audit", "witness", "--key", str(tmp_path / "w.key"), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["size"], out["witness"], out["previous_size"]) == (3, "ci.example.org/w", None)
    assert main(["audit", "witness", "--key", str(tmp_path / "w.key")]) == 0
    assert capsys.readouterr().out.startswith(f"Cosigned {out['origin']} at size 3 as ci.example.org/w "
                                              "(consistent with size 3 (witness memory))")
    assert main(["audit", "witness", "--key", str(tmp_path / "missing.key")]) == 2
