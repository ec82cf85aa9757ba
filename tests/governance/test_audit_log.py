"""Audit log: appends, checkpoints, client memory and every tampering case of CRYPTO.md."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from mlops_desktop.core.errors import CheckFailed
from mlops_desktop.crypto.checkpoint import parse_checkpoint, sign_checkpoint, verify_checkpoint
from mlops_desktop.crypto.ecdsa import generate_private_key
from mlops_desktop.crypto.merkle import leaf_hash, root_from_leaf_hashes, verify_inclusion
from mlops_desktop.governance import audit
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.models import SqlCheckpoint, SqlLogEntry, SqlLogHead
from mlops_desktop.governance.store import open_governance


def fill(gov: Governance, n: int, start: int = 0) -> None:
    with gov.write_session() as session:
        head = audit.lock_head(session, gov)
        for i in range(start, start + n):
            audit.append(session, gov, audit.ACTION_MODEL_VIEWED, f"models:/m/{i}", {"i": i}, head=head)


@pytest.fixture
def logged(gov: Governance) -> Governance:
    gov.checkpoint_every = 4
    fill(gov, 10)
    first = audit.verify_log(gov)
    assert first.ok, first.problems
    return gov


def problems(gov: Governance) -> str:
    result = audit.verify_log(gov)
    assert not result.ok
    return " ".join(result.problems)


def test_clean_log_verifies_and_entries_are_canonical(logged: Governance) -> None:
    result = audit.verify_log(logged)
    assert result.ok and result.size == 10 and result.checkpoint_size == 8
    entries = audit.read_entries(logged)
    assert [e.seq for e in entries] == list(range(10))
    assert entries[3].actor["os_user"] and entries[3].details == {"i": 3}
    with logged.read_session() as s:
        raws = s.execute(sa.select(SqlLogEntry.entry).order_by(SqlLogEntry.seq)).scalars().all()
        head = s.get(SqlLogHead, 1)
        assert head is not None
        assert head.root_hash == root_from_leaf_hashes([leaf_hash(r) for r in raws]).hex() == result.root_hash
    from mlops_desktop.crypto.canonical import canonical_json

    assert all(canonical_json(json.loads(r)) == r for r in raws)
    assert [e.seq for e in audit.read_entries(logged, limit=3)] == [7, 8, 9]


def test_log_action_and_access_report(gov: Governance) -> None:
    seq = audit.log_action(gov, audit.ACTION_STORE_OPENED, "mlflow.db", {"kind": "mlflow"})
    audit.log_action(gov, audit.ACTION_APPROVE, "models:/m/1", {})
    audit.log_action(gov, audit.ACTION_MODEL_VIEWED, "models:/m/1", {})
    assert seq == 0
    assert [e.action for e in audit.access_report(gov)] == [audit.ACTION_STORE_OPENED, audit.ACTION_MODEL_VIEWED]


def test_edit_middle_entry(logged: Governance) -> None:
    with logged.write_session() as s:
        row = s.get(SqlLogEntry, 5)
        assert row is not None
        row.entry = row.entry.replace(b'"i":5', b'"i":6')
    assert "entry 5 was altered" in problems(logged)


def test_edit_middle_entry_and_its_hash(logged: Governance) -> None:
    """The forger also rewrites the stored leaf hash and the head: checkpoints still catch it."""
    with logged.write_session() as s:
        row = s.get(SqlLogEntry, 2)
        assert row is not None
        row.entry = row.entry.replace(b'"i":2', b'"i":7')
        row.leaf_hash = leaf_hash(row.entry).hex()
    text = problems(logged)
    assert "does not match its checkpoint at size 4" in text
    assert "no longer matches the tree head this client verified" in text


def test_swap_two_entries(logged: Governance) -> None:
    with logged.write_session() as s:
        a, b = s.get(SqlLogEntry, 3), s.get(SqlLogEntry, 4)
        assert a is not None and b is not None
        (a.entry, a.leaf_hash), (b.entry, b.leaf_hash) = (b.entry, b.leaf_hash), (a.entry, a.leaf_hash)
    assert "entries were swapped" in problems(logged)


def test_insert_an_entry(logged: Governance) -> None:
    with logged.write_session() as s:
        for seq in range(9, 3, -1):  # shift entries 4.. up by one to make room
            row = s.get(SqlLogEntry, seq)
            assert row is not None
            row.seq = seq + 1
        s.flush()
        fake = b'{"action":"model.view","actor":{},"details":{},"object":"x","seq":4,"time":"2026-01-01T00:00:00Z"}'
        s.add(SqlLogEntry(seq=4, entry=fake, leaf_hash=leaf_hash(fake).hex(), time="t", action="model.view",
                          object="x"))
    text = problems(logged)
    assert "11 are stored" in text or "inserted" in text


def test_delete_the_tail(logged: Governance) -> None:
    with logged.write_session() as s:
        s.execute(sa.delete(SqlLogEntry).where(SqlLogEntry.seq >= 7))
    text = problems(logged)
    assert "larger than the log (7 entries)" in text
    assert "last verified the log at 10 entries, but it now has 7" in text


def test_delete_the_tail_and_fix_the_head(logged: Governance) -> None:
    """Even a careful forger who rewrites the head and drops the checkpoints is caught by client memory."""
    with logged.write_session() as s:
        s.execute(sa.delete(SqlLogEntry).where(SqlLogEntry.seq >= 6))
        s.execute(sa.delete(SqlCheckpoint))
        raws = s.execute(sa.select(SqlLogEntry.entry).order_by(SqlLogEntry.seq)).scalars().all()
        from mlops_desktop.crypto.merkle import Frontier

        f = Frontier.from_leaves([leaf_hash(r) for r in raws])
        head = s.get(SqlLogHead, 1)
        assert head is not None
        head.size, head.frontier, head.root_hash = f.size, json.dumps([n.hex() for n in f.nodes]), f.root().hex()
    assert "older copy of the database was restored" in problems(logged)


def test_restore_an_old_copy(logged: Governance, tmp_path: Path) -> None:
    assert logged.path is not None
    backup = tmp_path / "backup.db"
    shutil.copyfile(logged.path, backup)
    fill(logged, 5, start=10)
    assert audit.verify_log(logged).ok  # this client now knows 15 entries
    logged.close()
    shutil.copyfile(backup, logged.path)
    restored = open_governance(str(logged.path))
    assert "last verified the log at 15 entries, but it now has 10" in problems(restored)
    restored.close()


def test_a_different_client_does_not_share_memory(logged: Governance, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with logged.write_session() as s:
        s.execute(sa.delete(SqlLogEntry).where(SqlLogEntry.seq >= 9))
    home = tmp_path / "other-home"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    text = problems(logged)  # the checkpoint at 8 still holds; the stale head row gives it away
    assert "last verified" not in text


def test_missing_seq(logged: Governance) -> None:
    with logged.write_session() as s:
        s.execute(sa.delete(SqlLogEntry).where(SqlLogEntry.seq == 5))
    assert "entries 5..5 are missing" in problems(logged)


def test_duplicate_seq(logged: Governance) -> None:
    """A copy of entry 3 written over entry 6 (the primary key forbids a literal duplicate)."""
    with logged.write_session() as s:
        three, six = s.get(SqlLogEntry, 3), s.get(SqlLogEntry, 6)
        assert three is not None and six is not None
        six.entry, six.leaf_hash = three.entry, three.leaf_hash
    assert "says it is entry 3" in problems(logged)


def test_two_checkpoints_of_one_size_with_different_roots(logged: Governance) -> None:
    name, key = audit.client_checkpoint_key()
    other_root = b"\x11" * 32
    with logged.write_session() as s:
        good = s.execute(sa.select(SqlCheckpoint).where(SqlCheckpoint.size == 8)).scalar_one()
        note = sign_checkpoint(logged.origin, 8, other_root, name, key)
        s.add(SqlCheckpoint(size=8, root_hash=other_root.hex(), frontier=good.frontier, note=note,
                            key_id=good.key_id, created_at=good.created_at))
    text = problems(logged)
    assert "Two checkpoints of size 8 have different roots" in text


def test_checkpoint_larger_than_the_log(logged: Governance) -> None:
    name, key = audit.client_checkpoint_key()
    with logged.write_session() as s:
        good = s.execute(sa.select(SqlCheckpoint).where(SqlCheckpoint.size == 8)).scalar_one()
        note = sign_checkpoint(logged.origin, 50, b"\x22" * 32, name, key)
        s.add(SqlCheckpoint(size=50, root_hash=("22" * 32), frontier="[]", note=note, key_id=good.key_id,
                            created_at=good.created_at))
    assert "Checkpoint at size 50 is larger than the log (10 entries)" in problems(logged)


def test_bad_checkpoint_signature(logged: Governance) -> None:
    with logged.write_session() as s:
        cp = s.execute(sa.select(SqlCheckpoint).where(SqlCheckpoint.size == 4)).scalar_one()
        body, _, sig = cp.note.partition("\n\n")
        blob = sig.split(" ")[2].strip()
        flipped = ("A" if blob[10] != "A" else "B").join([blob[:10], blob[11:]])
        cp.note = f"{body}\n\n{sig.rsplit(' ', 1)[0]} {flipped}\n"
    assert "Checkpoint at size 4 has a bad signature" in problems(logged)


def test_checkpoint_by_unknown_key(logged: Governance) -> None:
    other = generate_private_key()
    with logged.write_session() as s:
        cp = s.execute(sa.select(SqlCheckpoint).where(SqlCheckpoint.size == 4)).scalar_one()
        cp.note = sign_checkpoint(logged.origin, 4, bytes.fromhex(cp.root_hash), "evil.example/log", other)
        cp.key_id = "ee" * 32
    assert "signed by an unknown key" in problems(logged)


def test_checkpoint_format_round_trip() -> None:
    key = generate_private_key()
    note = sign_checkpoint("example.com/log", 7, b"\x01" * 32, "example.com/key", key)
    body = note.split("\n\n")[0]
    assert body.split("\n") == ["example.com/log", "7", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="]
    assert note.split("\n\n")[1].startswith("\u2014 example.com/key ")
    cp = verify_checkpoint(note, "example.com/key", key.public_key())
    assert cp.size == 7 and parse_checkpoint(note).root == b"\x01" * 32
    from mlops_desktop.crypto.checkpoint import CheckpointError

    with pytest.raises(CheckpointError):
        verify_checkpoint(note.replace("\n7\n", "\n8\n"), "example.com/key", key.public_key())
    with pytest.raises(CheckpointError):
        verify_checkpoint(note, "example.com/key", generate_private_key().public_key())


def test_export_and_offline_verification(logged: Governance, tmp_path: Path) -> None:
    out = tmp_path / "log.json"
    result = audit.export_log(logged, out)
    assert result["size"] == 10
    size, root = audit.verify_export(out)
    assert size == 10
    bundle = json.loads(out.read_text())
    bundle["entries"][3]["details"]["i"] = 99
    out.write_text(json.dumps(bundle))
    with pytest.raises(CheckFailed, match="do not match the signed checkpoint"):
        audit.verify_export(out)
    # the export itself was recorded with its hash
    assert audit.read_entries(logged, limit=1)[0].details["sha256"] == result["sha256"]


def test_inclusion_evidence(logged: Governance) -> None:
    ev = audit.inclusion_evidence(logged, [0, 4, 9])
    root = bytes.fromhex(ev["root"])
    for p in ev["inclusion"]:
        assert verify_inclusion(bytes.fromhex(p["leaf_hash"]), p["seq"], ev["size"],
                                [bytes.fromhex(h) for h in p["proof"]], root)


def test_never_signs_a_checkpoint_that_contradicts_the_last(logged: Governance) -> None:
    with logged.write_session() as s:
        row = s.get(SqlLogEntry, 9)
        assert row is not None
        row.entry = row.entry.replace(b'"i":9', b'"i":8')
        # the head claims a different tree than the entries now give
    from mlops_desktop.core.errors import StoreError

    fill(logged, 1, start=10)
    with logged.write_session() as s:
        head = s.get(SqlLogHead, 1)
        assert head is not None
        head.root_hash = "00" * 32
    with pytest.raises(StoreError, match="refusing to sign"):
        audit.write_checkpoint(logged)
