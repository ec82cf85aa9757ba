"""The governance commands end to end: exit codes, messages, tampering, bad input, interop."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from mlops_desktop.cli.main import main
from tests.conftest import FIXTURES

PASSPHRASE = "correct staple horse battery 42"
ROOT_MAP = f"/srv/mlflow/artifacts={FIXTURES / 'artifacts' / 'mlflow-3.17'}"


@dataclass
class World:
    dir: Path
    gov: Path
    store: Path

    def key(self, name: str) -> str:
        return str(self.dir / f"{name}.key")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


USER_DIRS = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")


@pytest.fixture(scope="module")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A world made once with the commands: four keys, ``trust init`` and two approvers (key
    creation and the trust commands take seconds); each test gets a copy (``world``)."""
    from mlops_desktop.governance import keys

    root = tmp_path_factory.mktemp("world-template")
    work, home = root / "world", root / "home"
    work.mkdir()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()) as err:
        mp.setattr(keys, "SCRYPT_N", 2**12)  # as tests/conftest.py's _cheap_scrypt_for_key_files
        mp.setenv("HOME", str(home))
        for var, sub in zip(USER_DIRS, (".config", ".local/share", ".cache"), strict=True):
            mp.setenv(var, str(home / sub))
        mp.setenv("MLOPS_DESKTOP_PASSPHRASE", PASSPHRASE)
        mp.setenv("MLOPS_DESKTOP_GOVERNANCE_URL", str(work / "gov.db"))
        w = World(work, work / "gov.db", Path())
        for name in ("admin", "alice", "bob", "erin"):
            assert main(["keys", "create", "--out", w.key(name), "--name", name,
                         "--email", f"{name}@example.org"]) == 0, err.getvalue()
        assert main(["trust", "init", "--admin", w.key("admin") + ".pub"]) == 0, err.getvalue()
        for name in ("alice", "bob"):
            assert main(["trust", "add", "--key", w.key("admin"), "--signer", w.key(name) + ".pub",
                         "--identity", f"{name}@example.org", "--role", "approver"]) == 0, err.getvalue()
    return root


@pytest.fixture
def world(tmp_path: Path, mlflow3_db: Path, monkeypatch: pytest.MonkeyPatch, world_template: Path) -> World:
    """A copy of the template world in this test's folder and user dirs; the client's files name
    the key files and the store by path, so the template's folder is replaced by this one in them."""
    monkeypatch.setenv("MLOPS_DESKTOP_PASSPHRASE", PASSPHRASE)
    gov = tmp_path / "gov.db"
    monkeypatch.setenv("MLOPS_DESKTOP_GOVERNANCE_URL", str(gov))
    made = world_template / "world"
    for src in made.iterdir():
        shutil.copy2(src, tmp_path / src.name)
    for var, sub in zip(USER_DIRS, (".config", ".local/share", ".cache"), strict=True):
        src_dir = world_template / "home" / sub
        if not src_dir.is_dir():
            continue
        for src in src_dir.rglob("*"):
            dst = Path(os.environ[var]) / src.relative_to(src_dir)
            if src.is_dir():
                dst.mkdir(parents=True, exist_ok=True)
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
            text = dst.read_text(encoding="utf-8")
            if str(made) in text:
                dst.write_text(text.replace(str(made), str(tmp_path)), encoding="utf-8")
    return World(tmp_path, gov, mlflow3_db)


def approve(capsys: pytest.CaptureFixture[str], w: World, who: str, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "approve", "--store", str(w.store), "--artifact-root", ROOT_MAP, "--model", "fraud-detector",
               "--version", "3", "--target", "Production", "--reason", "validated", "--regime", "gdpr",
               "--key", w.key(who), *extra)


def gate(capsys: pytest.CaptureFixture[str], w: World, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "verify", "--store", str(w.store), "--artifact-root", ROOT_MAP, "--model", "fraud-detector",
               "--version", "3", "--target", "Production", *extra)


def test_deployment_gate(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = approve(capsys, world, "alice")
    assert code == 0, err
    assert "subject digest (model-signing-v1/files-sha256)" in out
    code, out, err = gate(capsys, world)
    assert code == 1
    assert "Only 1 of 2 required approvals count" in err and err.startswith("mlops-desktop: check failed:")
    assert "[FAIL] 2 distinct trusted approvers" in out
    assert approve(capsys, world, "bob")[0] == 0
    code, out, err = gate(capsys, world)
    assert code == 0, err
    assert "Verification passed." in out
    code, out, _ = gate(capsys, world, "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["policy"]["satisfied"] and len(report["approvals"]) == 2
    # a policy file can relax or tighten the rule
    strict = world.dir / "strict.toml"
    strict.write_text("[targets.Production]\napprovers = 3\n")
    code, _, err = gate(capsys, world, "--policy", str(strict))
    assert code == 1 and "Only 2 of 3" in err


def test_approvals_list_json_carries_the_envelope_verbatim(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert approve(capsys, world, "alice")[0] == 0
    code, out, _ = run(capsys, "approvals", "list", "--format", "json")
    [item] = json.loads(out)
    with sa.create_engine(f"sqlite:///{world.gov}").connect() as con:
        stored = con.exec_driver_sql("SELECT envelope FROM approvals").scalar_one()
    assert item["envelope"].encode() == stored
    assert item["model"] == "fraud-detector" and item["decision"] == "APPROVED"
    code, out, _ = run(capsys, "approvals", "list", "--model", "credit-limit")
    assert "(nothing to show)" in out


def test_envelope_verifies_with_securesystemslib_from_exported_key(world: World,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from securesystemslib.dsse import Envelope
    from securesystemslib.exceptions import VerificationError
    from securesystemslib.signer import SSlibKey

    assert approve(capsys, world, "alice")[0] == 0
    _, pem, _ = run(capsys, "keys", "export-public", world.key("alice"))
    _, listing, _ = run(capsys, "approvals", "list", "--format", "json")
    envelope = json.loads(json.loads(listing)[0]["envelope"])
    keyid = envelope["signatures"][0]["keyid"]
    key = SSlibKey.from_crypto(load_pem_public_key(pem.encode()), keyid=keyid, scheme="ecdsa-sha2-nistp256")
    assert list(Envelope.from_dict(json.loads(json.dumps(envelope))).verify([key], 1)) == [keyid]
    raw = bytearray(base64.b64decode(envelope["payload"]))
    raw[-3] ^= 0x01
    envelope["payload"] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(VerificationError):
        Envelope.from_dict(envelope).verify([key], 1)


def test_edited_approval_row_fails_verify(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert approve(capsys, world, "alice")[0] == 0
    assert approve(capsys, world, "bob")[0] == 0
    assert gate(capsys, world)[0] == 0
    with sa.create_engine(f"sqlite:///{world.gov}").begin() as con:
        env = con.exec_driver_sql("SELECT envelope FROM approvals LIMIT 1").scalar_one()
        obj = json.loads(env)
        payload = json.loads(base64.b64decode(obj["payload"]))
        payload["predicate"]["reason"] = "rubber-stamped"
        obj["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
        con.exec_driver_sql("UPDATE approvals SET envelope = ? WHERE envelope = ?", (json.dumps(obj).encode(), env))
    code, out, err = gate(capsys, world)
    assert code == 1
    assert "row edited by hand" in err and "Traceback" not in err


def test_deleted_newest_log_entries_fail_verify(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert approve(capsys, world, "alice")[0] == 0
    assert run(capsys, "audit", "verify")[0] == 0
    with sa.create_engine(f"sqlite:///{world.gov}").begin() as con:
        n = con.exec_driver_sql("SELECT count(*) FROM log_entries").scalar_one()
        con.exec_driver_sql("DELETE FROM log_entries WHERE seq >= ?", (n - 3,))
    code, out, err = run(capsys, "audit", "verify")
    assert code == 1
    assert "the newest entries were deleted or an older copy of the database was restored" in err
    code, out, err = gate(capsys, world)
    assert code == 1 and "Audit log:" in err


def test_restored_older_copy_fails_verify(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    backup = world.dir / "backup.db"
    shutil.copyfile(world.gov, backup)
    assert approve(capsys, world, "alice")[0] == 0
    assert approve(capsys, world, "bob")[0] == 0
    assert gate(capsys, world)[0] == 0
    shutil.copyfile(backup, world.gov)
    code, out, err = gate(capsys, world)
    assert code == 1
    assert "older copy of the database was restored" in err


def test_a_different_home_is_a_different_client(world: World, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    backup = world.dir / "backup.db"
    shutil.copyfile(world.gov, backup)
    assert approve(capsys, world, "alice")[0] == 0
    assert run(capsys, "audit", "verify")[0] == 0
    shutil.copyfile(backup, world.gov)
    monkeypatch.setenv("XDG_DATA_HOME", str(world.dir / "other" / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(world.dir / "other" / "config"))
    code, out, err = run(capsys, "audit", "verify")  # a fresh client holds no anchor: never "verified"
    assert code == 1 and "Verdict: unanchored: signed by key" in out
    # with the administrator's key as an anchor: never saw the newer log, so it cannot know
    code, out, err = run(capsys, "audit", "verify", "--trust-anchor", world.key("admin") + ".pub")
    assert code == 0, err
    assert "Verdict: verified" in out


def test_audit_show_and_export(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert approve(capsys, world, "alice")[0] == 0
    code, out, _ = run(capsys, "audit", "show", "--limit", "4", "--format", "json")
    entries = json.loads(out)
    assert code == 0 and len(entries) == 4
    # the registry the decision was made on is recorded in the journal once the command has run
    assert [e["action"] for e in entries[-3:]] == ["approval.approve", "store.open", "registry.observe"]
    code, out, _ = run(capsys, "audit", "show")
    assert "trust.add" in out and "store.open" in out
    code, out, _ = run(capsys, "audit", "export", "--out", str(world.dir / "log.json"))
    assert code == 0 and "Exported" in out
    from mlops_desktop.governance.audit import verify_export

    assert verify_export(world.dir / "log.json")[0] == len(json.loads((world.dir / "log.json").read_text())["entries"])
    code, out, _ = run(capsys, "audit", "verify", "--format", "json")
    assert code == 0 and json.loads(out)["ok"]


def test_keys_list_and_trust_list(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "keys", "list", "--format", "json")
    assert code == 0 and {k["identity"] for k in json.loads(out)} >= {"alice <alice@example.org>"}
    code, out, _ = run(capsys, "trust", "list", "--format", "json")
    rows = {r["identity"]: r for r in json.loads(out)}
    assert rows["alice@example.org"]["roles"] == ["approver"]
    alice_id = rows["alice@example.org"]["key_id"]
    code, out, err = run(capsys, "trust", "revoke", "--key", world.key("admin"), "--signer", alice_id[:20])
    assert code == 0, err
    code, out, _ = run(capsys, "trust", "list", "--format", "json")
    assert {r["identity"]: r for r in json.loads(out)}["alice@example.org"]["status"] == "revoked"


# ---------------------------------------------------------------------------- bad input


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_wrong_passphrase(world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    before = world.gov.read_bytes()
    monkeypatch.setenv("MLOPS_DESKTOP_PASSPHRASE", "this is not the passphrase")
    code, out, err = approve(capsys, world, "alice")
    assert code == 2
    assert f"Wrong passphrase for {world.key('alice')}" in err
    assert world.gov.read_bytes() == before


def test_corrupt_key_file(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    Path(world.key("alice")).write_text("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n")
    before = world.gov.read_bytes()
    code, _, err = approve(capsys, world, "alice")
    assert code == 2 and "not a readable private key" in err
    assert world.gov.read_bytes() == before


def test_unknown_key(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    before = world.gov.read_bytes()
    code, _, err = approve(capsys, world, "erin")
    assert code == 2 and "cannot sign decisions" in err and "not on the trust list" in err
    assert world.gov.read_bytes() == before
    code, _, err = approve(capsys, world, "nobody")
    assert code == 2 and "No such key file" in err


def test_governance_unreachable(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "audit", "verify", "--governance", "postgresql://nobody@127.0.0.1:1/none")
    assert code == 2 and "Cannot reach the governance database" in err and "Traceback" not in err
    code, _, err = gate(capsys, world, "--governance", "postgresql://nobody@127.0.0.1:1/none")
    assert code == 2 and "Cannot reach" in err


def test_read_only_governance_file(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    os.chmod(world.gov, 0o444)
    before = _files(world.dir)
    code, _, err = approve(capsys, world, "alice")
    assert code == 2 and "read-only" in err
    code, _, err = run(capsys, "trust", "add", "--key", world.key("admin"), "--signer", world.key("erin") + ".pub",
                       "--identity", "erin@example.org", "--role", "approver")
    assert code == 2 and "read-only" in err
    assert _files(world.dir) == before
    assert run(capsys, "audit", "verify")[0] == 0  # reading still works


def test_weak_passphrase_and_existing_key(world: World, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_DESKTOP_PASSPHRASE", "secret")
    code, _, err = run(capsys, "keys", "create", "--out", str(world.dir / "weak.key"), "--name", "w", "--email", "w@x")
    assert code == 2 and "too short" in err
    assert not (world.dir / "weak.key").exists() and not (world.dir / "weak.key.pub").exists()
    code, _, err = run(capsys, "keys", "create", "--out", world.key("alice"), "--name", "a", "--email", "a@x")
    assert code == 2 and "already exists" in err


def test_usage_errors(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "verify", "--store", str(world.store), "--target", "Production")
    assert code == 2 and "go together" in err
    code, _, err = run(capsys, "verify", "--store", str(world.store), "--model", "nope", "--version", "1")
    assert code == 2 and "No version 1 of model 'nope'" in err
    code, _, err = approve(capsys, world, "alice", "--regime", "sox")
    assert code == 2 and "Unknown regime sox" in err
    code, _, err = run(capsys, "trust", "add", "--key", world.key("admin"), "--signer", world.key("erin") + ".pub",
                       "--identity", "erin@example.org", "--role", "approver", "--valid-until", "next week")
    assert code == 2 and "Bad date" in err


def test_audit_export_from_a_read_only_store_says_so(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """Exporting signs a checkpoint and records the export, so a read-only store is refused up
    front with the store's read-only message (the export service checks it, as the GUI did)."""
    os.chmod(world.gov, 0o444)
    before = _files(world.dir)
    code, out, err = run(capsys, "audit", "export", "--out", str(world.dir / "log.json"))
    assert code == 2 and out == ""
    assert err == (f"mlops-desktop: error: The governance database {world.gov} is read-only; nothing can be "
                   "recorded. Ask for write access or use another --governance store.\n")
    assert _files(world.dir) == before
