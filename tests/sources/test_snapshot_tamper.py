"""Signed snapshots: who signed, trust, and every kind of tampering found with a specific message."""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.core.errors import StoreError
from mlops_desktop.crypto.dsse import sign_envelope
from mlops_desktop.crypto.ecdsa import generate_private_key, key_id, public_pem
from mlops_desktop.governance import audit
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.keys import SigningKey
from mlops_desktop.governance.snapshot import create_snapshot
from mlops_desktop.governance.snapshot_view import open_snapshot, open_snapshot_governance
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust, load_trust
from mlops_desktop.sources import snapshot as snapsrc, snapshot_format as fmt
from mlops_desktop.sources.base import open_source


def _key(identity: str) -> SigningKey:
    priv = generate_private_key()
    return SigningKey(priv, key_id(priv.public_key()), identity)


@pytest.fixture
def admin() -> SigningKey:
    return _key("admin@example.org")


@pytest.fixture
def alice() -> SigningKey:
    return _key("alice@example.org")


@pytest.fixture
def gov(tmp_path: Path, admin: SigningKey, alice: SigningKey) -> Iterator[Governance]:
    g = open_governance(str(tmp_path / "governance.db"))
    init_trust(g, [admin])
    add_signer(g, admin, alice.public_key, "alice@example.org", ["approver"])
    yield g
    g.close()


@pytest.fixture
def signed(tmp_path: Path, mlflow3_db: Path, gov: Governance, alice: SigningKey) -> Path:
    out = tmp_path / "signed.mlsnap"
    create_snapshot([str(mlflow3_db)], out, key=alice, governance=gov)
    return out


def _status(path: Path) -> snapsrc.SnapshotStatus:
    with open_snapshot(path) as source:
        return source.status


def _edit(path: Path, *sql: str, params: tuple[object, ...] = ()) -> None:
    con = sqlite3.connect(path)
    for stmt in sql:
        con.execute(stmt, params if "?" in stmt else ())
    con.commit()
    con.close()


def _manifest(path: Path) -> tuple[bytes, bytes | None, str | None]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    row = con.execute("SELECT statement, envelope, public_key FROM mlsnap_manifest").fetchone()
    con.close()
    return bytes(row[0]), (bytes(row[1]) if row[1] is not None else None), row[2]


def test_signed_snapshot_verifies_with_the_trust_list_it_carries(signed: Path, alice: SigningKey) -> None:
    status = _status(signed)
    assert status.state == snapsrc.VERIFIED, status.text
    assert status.signer == "alice@example.org"
    assert status.key_id == alice.key_id
    assert status.trust_source == "trust list in the snapshot"
    assert status.text.startswith("verified snapshot by alice@example.org, taken ")


def test_local_trust_list_is_preferred(
    tmp_path: Path, mlflow3_db: Path, gov: Governance, alice: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "s.mlsnap"
    create_snapshot([str(mlflow3_db)], out, key=alice, governance=gov)
    from mlops_desktop.core import paths

    paths.ensure_dir(paths.default_governance_path().parent)
    shutil.copyfile(tmp_path / "governance.db", paths.default_governance_path())
    status = _status(out)
    assert status.state == snapsrc.VERIFIED
    assert status.trust_source == "local trust list"


def test_signer_not_on_any_trust_list_is_untrusted(tmp_path: Path, mlflow3_db: Path, gov: Governance) -> None:
    mallory = _key("mallory@example.org")
    out = tmp_path / "m.mlsnap"
    create_snapshot([str(mlflow3_db)], out, key=mallory, governance=gov)
    status = _status(out)
    # no chain from this client's anchors reaches the key: the verdict names its full fingerprint
    assert status.state == snapsrc.UNANCHORED
    assert status.text.startswith(f"unanchored: signed by key {mallory.key_id} claiming mallory@example.org; "
                                  "compare the fingerprint with the signer's, then run 'trust anchor add'")
    assert "not on the trust list" in status.problems[0]


def test_signed_without_governance_records_is_untrusted(tmp_path: Path, mlflow3_db: Path, alice: SigningKey) -> None:
    out = tmp_path / "n.mlsnap"
    create_snapshot([str(mlflow3_db)], out, key=alice)
    assert _status(out).state == snapsrc.UNANCHORED


def test_unsigned_snapshot(tmp_path: Path, mlflow3_db: Path) -> None:
    out = tmp_path / "u.mlsnap"
    create_snapshot([str(mlflow3_db)], out)
    status = _status(out)
    assert status.state == snapsrc.UNSIGNED
    assert status.text.startswith("unsigned snapshot, taken ")


# ---------------------------------------------------------------------------- tampering


def test_changed_row_is_detected(signed: Path) -> None:
    _edit(signed, "UPDATE mlsnap_versions SET stage = 'Production' WHERE _pos = 0")
    status = _status(signed)
    assert status.state == snapsrc.ALTERED
    assert status.problems == ("table mlsnap_versions was changed (its SHA-256 differs from the manifest)",)
    assert status.text.startswith("ALTERED: table mlsnap_versions was changed")


def test_deleted_row_is_detected(signed: Path) -> None:
    _edit(signed, "DELETE FROM mlsnap_runs WHERE _pos = 1")
    status = _status(signed)
    assert status.state == snapsrc.ALTERED
    assert len(status.problems) == 1
    assert "table mlsnap_runs has" in status.problems[0]
    assert "(1 row(s) deleted)" in status.problems[0]


def test_added_row_is_detected(signed: Path) -> None:
    _edit(signed, "INSERT INTO mlsnap_lineage_edges VALUES (99, 'a', 'b', 'input')")
    assert "(1 row(s) added)" in _status(signed).problems[0]


def test_changed_governance_record_is_detected(signed: Path) -> None:
    _edit(signed, "UPDATE public_keys SET identity = 'mallory@example.org'")
    status = _status(signed)
    assert status.state == snapsrc.ALTERED
    assert any("table public_keys was changed" in p for p in status.problems)


def test_added_table_view_or_trigger_is_detected(signed: Path) -> None:
    _edit(signed, "CREATE TABLE mlsnap_extra (x)", "CREATE VIEW v AS SELECT 1",
          "CREATE TRIGGER t AFTER INSERT ON mlsnap_extra BEGIN SELECT 1; END")
    problems = _status(signed).problems
    assert "table mlsnap_extra is not in the manifest (added after signing)" in problems
    assert "view v was added to the snapshot" in problems
    assert "trigger t was added to the snapshot" in problems


def test_dropped_table_and_changed_columns_are_detected(signed: Path) -> None:
    _edit(signed, "DROP TABLE mlsnap_lineage_nodes", "ALTER TABLE mlsnap_stores ADD COLUMN extra TEXT")
    problems = _status(signed).problems
    assert "table mlsnap_lineage_nodes is missing" in problems
    assert "table mlsnap_stores has different columns than the manifest" in problems


def test_edited_manifest_is_detected(signed: Path) -> None:
    statement, _env, _pub = _manifest(signed)
    obj = json.loads(statement)
    obj["predicate"]["created_at"] = "2020-01-01T00:00:00Z"
    _edit(signed, "UPDATE mlsnap_manifest SET statement = ?", params=(json.dumps(obj).encode(),))
    status = _status(signed)
    assert status.state == snapsrc.ALTERED
    assert status.problems[0] == "the manifest differs from the one that was signed"


def test_manifest_table_hash_rewritten_to_hide_an_edit(signed: Path) -> None:
    """Edit a row and fix up its hash in the manifest: the signature no longer covers it."""
    _edit(signed, "UPDATE mlsnap_models SET description = 'nothing to see'")
    con = sqlite3.connect(signed)
    digest = fmt.table_digest(con, "mlsnap_models")
    con.close()
    statement, _env, _pub = _manifest(signed)
    obj = json.loads(statement)
    obj["predicate"]["tables"]["mlsnap_models"] = digest.as_json()
    obj["subject"][0]["digest"]["sha256"] = fmt.tables_digest(obj["predicate"]["tables"])
    _edit(signed, "UPDATE mlsnap_manifest SET statement = ?", params=(json.dumps(obj).encode(),))
    status = _status(signed)
    assert status.state == snapsrc.ALTERED
    assert status.problems == ("the manifest differs from the one that was signed",)


def test_signature_swapped_from_another_snapshot(
    signed: Path, tmp_path: Path, mlflow2_db: Path, gov: Governance, alice: SigningKey
) -> None:
    other = tmp_path / "other.mlsnap"
    create_snapshot([str(mlflow2_db)], other, key=alice, governance=gov)
    _stmt, other_env, _pub = _manifest(other)
    _edit(signed, "UPDATE mlsnap_manifest SET envelope = ?", params=(other_env,))
    status = _status(signed)
    assert status.state == snapsrc.ALTERED
    assert status.problems[0] == "the manifest differs from the one that was signed"


def test_signature_bytes_of_another_key(signed: Path) -> None:
    statement, envelope, _pub = _manifest(signed)
    assert envelope is not None
    env = json.loads(envelope)
    forged = _key("x").sign(b"DSSEv1 whatever")
    env["signatures"][0]["sig"] = base64.b64encode(forged).decode()
    _edit(signed, "UPDATE mlsnap_manifest SET envelope = ?", params=(json.dumps(env).encode(),))
    status = _status(signed)
    assert status.state == snapsrc.ALTERED
    assert status.problems[0] == "the manifest signature does not verify (manifest or signature swapped)"


def test_manifest_resigned_by_another_key(signed: Path) -> None:
    mallory = _key("mallory@example.org")
    statement, _env, _pub = _manifest(signed)
    _edit(signed, "UPDATE mlsnap_manifest SET envelope = ?, public_key = ?",
          params=(sign_envelope(statement, [mallory]), public_pem(mallory.public_key).decode()))
    status = _status(signed)
    assert status.state == snapsrc.ALTERED
    assert status.problems[0] == "the manifest was re-signed by another key than the one it names"


def test_public_key_swapped(signed: Path) -> None:
    mallory = _key("mallory@example.org")
    _edit(signed, "UPDATE mlsnap_manifest SET public_key = ?", params=(public_pem(mallory.public_key).decode(),))
    status = _status(signed)
    assert status.state == snapsrc.ALTERED
    assert status.problems[0] == "the manifest signature names another key than the one in the snapshot"


def test_signature_removed(signed: Path) -> None:
    _edit(signed, "UPDATE mlsnap_manifest SET envelope = NULL")
    status = _status(signed)
    assert status.state == snapsrc.ALTERED
    assert status.problems[0] == "the manifest signature was removed"


def test_garbage_envelope(signed: Path) -> None:
    _edit(signed, "UPDATE mlsnap_manifest SET envelope = ?", params=(b"{not json",))
    status = _status(signed)
    assert status.state == snapsrc.ALTERED
    assert status.problems[0].startswith("the manifest signature is malformed")


def test_altered_snapshot_still_opens_and_says_so(signed: Path, caplog: pytest.LogCaptureFixture) -> None:
    _edit(signed, "UPDATE mlsnap_versions SET stage = 'Production' WHERE _pos = 0")
    with open_source(str(signed)) as source:
        catalog = source.load_catalog()
    assert catalog.models
    assert "ALTERED" in caplog.text


# ---------------------------------------------------------------------------- broken or foreign files


@pytest.mark.parametrize("keep", [0, 50, 100, 4096, "half", "minus-one"])
def test_truncated_file_is_a_clear_store_error(signed: Path, keep: int | str) -> None:
    data = signed.read_bytes()
    n = {"half": len(data) // 2, "minus-one": len(data) - 1}.get(keep, keep)  # type: ignore[call-overload]
    assert isinstance(n, int)
    signed.write_bytes(data[:n])
    with pytest.raises(StoreError) as err:
        open_snapshot(signed)
    text = str(err.value)
    assert "truncated" in text or "empty" in text or "not a snapshot" in text


def test_truncated_file_through_open_source(signed: Path) -> None:
    data = signed.read_bytes()
    signed.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match="truncated"):
        open_source(f"snapshot:{signed}")
    with pytest.raises(StoreError):  # detected by content first, then refused the same way
        open_source(str(signed))


def test_foreign_files_are_clear_store_errors(tmp_path: Path, mlflow3_db: Path) -> None:
    with pytest.raises(StoreError, match="not a snapshot"):
        open_source(f"snapshot:{mlflow3_db}")
    text = tmp_path / "notes.mlsnap"
    text.write_text("hello")
    with pytest.raises(StoreError, match="not a snapshot"):
        open_snapshot(text)
    empty = tmp_path / "empty.mlsnap"
    empty.write_bytes(b"")
    with pytest.raises(StoreError):
        open_snapshot(empty)
    garbage = tmp_path / "garbage.mlsnap"
    garbage.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 16)
    with pytest.raises(StoreError):
        open_snapshot(garbage)
    with pytest.raises(StoreError, match="No such"):
        open_snapshot(tmp_path / "missing.mlsnap")


def test_manifest_with_wrong_row_count_or_format(signed: Path) -> None:
    _edit(signed, "UPDATE mlsnap_manifest SET format = 'mlsnap/99'")
    with pytest.raises(StoreError, match="mlsnap/99"):
        open_snapshot(signed)
    _edit(signed, "DELETE FROM mlsnap_manifest")
    with pytest.raises(StoreError, match="0 rows"):
        open_snapshot(signed)


def test_undecodable_row_is_a_store_error(signed: Path) -> None:
    _edit(signed, "UPDATE mlsnap_runs SET params = '{broken'")
    with open_snapshot(signed) as source:
        assert source.status.state == snapsrc.ALTERED
        with pytest.raises(StoreError, match="cannot be decoded"):
            source.load_catalog()


# ---------------------------------------------------------------------------- governance view


def test_governance_view_reads_the_carried_records(signed: Path, gov: Governance, alice: SigningKey) -> None:
    with open_snapshot(signed) as source:
        view = open_snapshot_governance(source)
    assert view is not None
    try:
        assert view.read_only
        assert view.live_store_id == gov.store_id and view.origin == gov.origin
        trust = load_trust(view)
        assert trust.identity(alice.key_id) == "alice@example.org"
        live = audit.verify_log(gov, update_memory=False)
        copied = audit.verify_log(view, update_memory=False)
        assert copied.ok, copied.problems
        assert copied.root_hash == live.root_hash or copied.size < live.size
        assert copied.checkpoint_size == copied.size  # the snapshot carries the checkpoint it was made at
        with pytest.raises(StoreError):
            audit.log_action(view, "test.write", "x")
    finally:
        view.close()
    with open_snapshot(signed) as source:
        assert source.status.state == snapsrc.VERIFIED


def test_snapshot_without_governance_has_no_view(tmp_path: Path, mlflow3_db: Path) -> None:
    out = tmp_path / "n.mlsnap"
    create_snapshot([str(mlflow3_db)], out)
    with open_snapshot(out) as source:
        assert open_snapshot_governance(source) is None
        assert source.predicate["governance"] is None
