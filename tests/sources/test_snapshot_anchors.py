"""Snapshots judged by the verifier's anchors; digests over exactly what the app reads.

- A forged snapshot (an attacker's key named as a real officer, with its own pinned trust list)
  is "unanchored" on a fresh client, "NOT the expected signer" with the real officer's key as
  anchor, and the genuine snapshot verifies with that anchor.
- A one-byte edit inside a table b-tree page, an edit of the schema text and 200 random byte
  flips: none opens as verified with different content.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from mlops_desktop.cli.main import main
from mlops_desktop.crypto.ecdsa import generate_private_key, key_id
from mlops_desktop.governance.anchors import unanchored_message
from mlops_desktop.governance.keys import SigningKey, load_public_key
from mlops_desktop.governance.snapshot import create_snapshot
from mlops_desktop.governance.snapshot_view import snapshot_settings
from mlops_desktop.sources.snapshot import VERIFIED, SnapshotSource, UnverifiedSnapshotError
from mlops_desktop.sources.snapshot_format import read_catalog

PASSPHRASE = "correct staple horse battery 42"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _client(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Switch to another client (own config and data dirs: own key index, anchors, memory)."""
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.delenv("MLOPS_DESKTOP_TRUST_ANCHORS", raising=False)


def _team_snapshot(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, where: Path,
                   store: Path) -> tuple[Path, Path]:
    """On its own client: an admin pins itself, adds 'ada <ada@example.org>', ada signs a snapshot."""
    where.mkdir()
    _client(monkeypatch, where / "home")
    gov = where / "gov.db"
    admin, ada = where / "admin.key", where / "ada.key"
    assert _cli(capsys, "keys", "create", "--out", str(admin), "--name", "admin", "--email", "admin@example.org")[0] == 0
    assert _cli(capsys, "keys", "create", "--out", str(ada), "--name", "ada", "--email", "ada@example.org")[0] == 0
    code, _, err = _cli(capsys, "trust", "init", "--governance", str(gov), "--admin", f"{admin}.pub")
    assert code == 0, err
    code, _, err = _cli(capsys, "trust", "add", "--governance", str(gov), "--key", str(admin), "--signer",
                        f"{ada}.pub", "--identity", "ada <ada@example.org>", "--role", "approver")
    assert code == 0, err
    out = where / "s.mlsnap"
    code, _, err = _cli(capsys, "snapshot", "create", "--store", str(store), "--governance", str(gov),
                        "--out", str(out), "--key", str(ada))
    assert code == 0, err
    return out, Path(f"{ada}.pub")


def test_forged_snapshot_is_unanchored_and_the_genuine_one_verifies(
        tmp_path: Path, mlflow3_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MLOPS_DESKTOP_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("MLOPS_DESKTOP_GOVERNANCE_URL", raising=False)
    forged, fake_pub = _team_snapshot(capsys, monkeypatch, tmp_path / "attacker", mlflow3_db)
    genuine, real_pub = _team_snapshot(capsys, monkeypatch, tmp_path / "real", mlflow3_db)
    fake_kid, real_kid = key_id(load_public_key(fake_pub)), key_id(load_public_key(real_pub))
    _client(monkeypatch, tmp_path / "auditor")  # a fresh client

    code, out, err = _cli(capsys, "snapshot", "verify", str(forged))
    assert code == 1
    assert err == f"mlops-desktop: check failed: {forged}: {unanchored_message(fake_kid, 'ada <ada@example.org>')}\n"
    code, out, err = _cli(capsys, "snapshot", "verify", str(forged), "--format", "json")
    assert code == 1
    assert '"state": "unanchored"' in out
    # every other command refuses it
    code, _, err = _cli(capsys, "inventory", "--store", str(forged), "--format", "json")
    assert code == 2 and err.startswith(f"mlops-desktop: error: Refusing snapshot {forged}: unanchored: ")

    code, _, err = _cli(capsys, "snapshot", "verify", str(forged), "--trust-anchor", str(real_pub))
    assert code == 1
    assert err == (f"mlops-desktop: check failed: {forged}: NOT the expected signer: signed by key {fake_kid} claiming "
                   f"ada <ada@example.org>, but this client's trust anchor for ada <ada@example.org> is key "
                   f"{real_kid} (--trust-anchor); the snapshot was not made by them\n")
    code, out, err = _cli(capsys, "snapshot", "verify", str(genuine), "--trust-anchor", str(real_pub))
    assert code == 0, err
    assert out.startswith("verified snapshot by ada <ada@example.org>, taken ")
    # the same with the environment variable a CI runner sets
    monkeypatch.setenv("MLOPS_DESKTOP_TRUST_ANCHORS", real_kid)
    assert _cli(capsys, "snapshot", "verify", str(genuine))[0] == 0
    assert _cli(capsys, "snapshot", "verify", str(forged))[0] == 1


# ---------------------------------------------------------------------------- tampering


@pytest.fixture
def signed_snapshot(tmp_path: Path, mlflow3_db: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, SigningKey]:
    k = generate_private_key()
    key = SigningKey(k, key_id(k.public_key()), "ada <ada@example.org>")
    out = tmp_path / "s.mlsnap"
    create_snapshot([str(mlflow3_db)], out, key=key)
    monkeypatch.setenv("MLOPS_DESKTOP_TRUST_ANCHORS", key.key_id)
    return out, key


def _open(path: Path) -> SnapshotSource:
    return SnapshotSource.open(path, snapshot_settings(allow_unverified=True))


def _page_of(path: Path, table: str, needle: bytes) -> tuple[int, int]:
    """(file offset of ``needle`` inside ``table``'s b-tree leaf pages, page number)."""
    con = sqlite3.connect(path)
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    con.close()
    data = path.read_bytes()
    pages = [root]
    seen = []
    while pages:  # walk the table b-tree (interior pages 0x05, leaves 0x0d)
        no = pages.pop()
        base = (no - 1) * page_size
        hdr = base + (100 if no == 1 else 0)
        kind = data[hdr]
        if kind == 0x05:
            cells = int.from_bytes(data[hdr + 3:hdr + 5], "big")
            pages.append(int.from_bytes(data[hdr + 8:hdr + 12], "big"))
            for i in range(cells):
                ptr = int.from_bytes(data[hdr + 12 + 2 * i:hdr + 14 + 2 * i], "big")
                pages.append(int.from_bytes(data[base + ptr:base + ptr + 4], "big"))
        elif kind == 0x0D:
            seen.append(no)
    for no in seen:
        base = (no - 1) * page_size
        at = data.find(needle, base, base + page_size)
        if at >= 0:
            return at, no
    raise AssertionError(f"{needle!r} not in a leaf page of {table}")


def test_one_byte_edit_in_a_table_page_of_an_indexed_key_column(signed_snapshot: tuple[Path, SigningKey]) -> None:
    path, _ = signed_snapshot
    con = sqlite3.connect(path)
    name = con.execute('SELECT name FROM mlsnap_models ORDER BY _pos LIMIT 1').fetchone()[0]
    con.close()
    source = _open(path)
    assert source.status.state == VERIFIED
    source.close()
    at, _page = _page_of(path, "mlsnap_models", name.encode())
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01  # one byte of the model name, inside the table page only
    path.write_bytes(bytes(data))
    source = _open(path)
    try:
        assert source.status.state == "altered", source.status
        assert "table mlsnap_models was changed (its SHA-256 differs from the manifest)" in source.status.problems
    finally:
        source.close()
    with pytest.raises(UnverifiedSnapshotError, match="Refusing snapshot .*ALTERED"):
        SnapshotSource.open(path, snapshot_settings())


def test_schema_text_edit_is_detected(signed_snapshot: tuple[Path, SigningKey]) -> None:
    path, _ = signed_snapshot
    con = sqlite3.connect(path)
    sql = con.execute("SELECT sql FROM sqlite_master WHERE name = 'mlsnap_models'").fetchone()[0]
    assert '"name" TEXT' in sql
    con.execute("PRAGMA writable_schema = ON")
    # same columns and rows, but names now compare case-insensitively: the app's reads change meaning
    con.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'mlsnap_models'",
                (sql.replace('"name" TEXT', '"name" TEXT COLLATE NOCASE', 1),))
    con.commit()
    con.close()
    source = _open(path)
    try:
        assert source.status.state == "altered"
        assert "table mlsnap_models was changed (its SHA-256 differs from the manifest)" in source.status.problems
    finally:
        source.close()


def test_200_random_byte_flips_never_verify_with_different_content(
        signed_snapshot: tuple[Path, SigningKey], tmp_path: Path) -> None:
    path, _ = signed_snapshot
    original = _open(path)
    try:
        assert original.status.state == VERIFIED
        baseline = read_catalog(original.connection())
    finally:
        original.close()
    pristine = path.read_bytes()
    rng = random.Random(20261201)
    outcomes = {"refused": 0, "not verified": 0, "verified, same content": 0}
    target = tmp_path / "mut.mlsnap"
    for _ in range(200):
        data = bytearray(pristine)
        for _flip in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(data))
        try:
            source = _open(target)
        except Exception:  # noqa: BLE001 - any refusal to open is a pass; only a verified open is judged
            outcomes["refused"] += 1
            continue
        try:
            if source.status.state != VERIFIED:
                outcomes["not verified"] += 1
                continue
            assert read_catalog(source.connection()) == baseline, "a mutated snapshot verified with other content"
            outcomes["verified, same content"] += 1
        finally:
            source.close()
    assert sum(outcomes.values()) == 200
    assert outcomes["refused"] + outcomes["not verified"] > 0
    shutil.copyfile(path, target)
    assert _open(target).status.state == VERIFIED
