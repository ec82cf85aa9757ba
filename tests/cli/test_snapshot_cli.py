"""``mlops-desktop snapshot create|verify|info``: exit codes, messages, and commands on a snapshot."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from mlops_desktop.cli.main import main
from mlops_desktop.governance import audit
from mlops_desktop.governance.keys import create_key, load_private_key, load_public_key
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust

PASSPHRASE = "correct horse battery staple 42"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def trusted_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A key file for alice, trusted in a governance store at tmp/governance.db."""
    monkeypatch.setenv("MLOPS_DESKTOP_PASSPHRASE", PASSPHRASE)
    admin_file, alice_file = tmp_path / "admin.key", tmp_path / "alice.key"
    create_key(admin_file, "Admin", "admin@example.org", PASSPHRASE)
    create_key(alice_file, "Alice", "alice@example.org", PASSPHRASE)
    gov_path = tmp_path / "governance.db"
    with open_governance(str(gov_path)) as gov:
        init_trust(gov, [load_private_key(admin_file, PASSPHRASE)])
        add_signer(gov, load_private_key(admin_file, PASSPHRASE), load_public_key(Path(f"{alice_file}.pub")),
                   "alice@example.org", ["approver"])
    return alice_file, gov_path


def test_unsigned_create_verify_info(capsys: pytest.CaptureFixture[str], tmp_path: Path, mlflow3_db: Path) -> None:
    out = tmp_path / "u.mlsnap"
    code, stdout, err = run_cli(capsys, "snapshot", "create", "--store", str(mlflow3_db), "--out", str(out))
    assert code == 0, err
    assert f"Wrote {out}" in stdout and "unsigned" in stdout
    assert hashlib.sha256(out.read_bytes()).hexdigest() in stdout
    code, stdout, err = run_cli(capsys, "snapshot", "verify", str(out))
    assert code == 1
    assert "check failed" in err and "unsigned snapshot, taken " in err
    code, stdout, err = run_cli(capsys, "snapshot", "info", str(out), "--format", "json")
    assert code == 0, err
    info = json.loads(stdout)
    assert info["status"]["state"] == "unsigned"
    assert info["sources"][0]["kind"] == "mlflow" and info["sources"][0]["schema"] == "dc11669786a5"
    assert info["counts"]["models"] == 8
    assert info["tables"]["mlsnap_versions"]["rows"] == 20
    code, stdout, err = run_cli(capsys, "snapshot", "info", str(out))
    assert code == 0, err
    assert "Status     unsigned snapshot" in stdout and "mlsnap_versions" in stdout


def test_signed_create_verifies_and_is_recorded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, mlflow3_db: Path, trusted_key: tuple[Path, Path]
) -> None:
    key_file, gov_path = trusted_key
    out = tmp_path / "s.mlsnap"
    code, stdout, err = run_cli(capsys, "snapshot", "create", "--store", str(mlflow3_db), "--governance",
                                str(gov_path), "--out", str(out), "--key", str(key_file))
    assert code == 0, err
    assert "signed by key" in stdout
    code, stdout, err = run_cli(capsys, "snapshot", "verify", str(out))
    assert code == 0, err
    # alice's key is in this client's key index: an anchor, named as the index names it
    assert stdout.startswith("verified snapshot by Alice <alice@example.org>, taken ")
    code, stdout, _ = run_cli(capsys, "snapshot", "verify", str(out), "--format", "json")
    assert code == 0 and json.loads(stdout)["state"] == "verified"
    with open_governance(str(gov_path)) as gov:
        exports = audit.read_entries(gov, actions=[audit.ACTION_SNAPSHOT_EXPORTED])
    assert len(exports) == 1
    assert exports[0].details["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_tampered_and_truncated(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, mlflow3_db: Path, trusted_key: tuple[Path, Path]
) -> None:
    key_file, gov_path = trusted_key
    out = tmp_path / "t.mlsnap"
    assert main(["snapshot", "create", "--store", str(mlflow3_db), "--governance", str(gov_path),
                 "--out", str(out), "--key", str(key_file)]) == 0
    capsys.readouterr()
    con = sqlite3.connect(out)
    con.execute("UPDATE mlsnap_runs SET user = 'mallory' WHERE _pos = 0")
    con.commit()
    con.close()
    code, _stdout, err = run_cli(capsys, "snapshot", "verify", str(out))
    assert code == 1
    assert "ALTERED: table mlsnap_runs was changed" in err
    data = out.read_bytes()
    out.write_bytes(data[: len(data) // 3])
    code, stdout, err = run_cli(capsys, "snapshot", "verify", str(out))
    assert code == 2
    assert "truncated" in err and "Traceback" not in err and err.count("\n") == 1
    code, _stdout, err = run_cli(capsys, "snapshot", "info", str(out))
    assert code == 2 and "truncated" in err


def test_wrong_passphrase_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, mlflow3_db: Path, trusted_key: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key_file, _gov = trusted_key
    monkeypatch.setenv("MLOPS_DESKTOP_PASSPHRASE", "not the right passphrase")
    out = tmp_path / "w.mlsnap"
    code, _stdout, err = run_cli(capsys, "snapshot", "create", "--store", str(mlflow3_db), "--out", str(out),
                                 "--key", str(key_file))
    assert code == 2
    assert "Wrong passphrase" in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".w.mlsnap")]


def test_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path, mlflow3_db: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["snapshot", "create", "--store", str(mlflow3_db)])
    assert exc.value.code == 2 and "--out" in capsys.readouterr().err
    code, _o, err = run_cli(capsys, "snapshot", "verify", str(tmp_path / "missing.mlsnap"))
    assert code == 2 and "No such" in err
    code, _o, err = run_cli(capsys, "snapshot", "verify", str(mlflow3_db))
    assert code == 2 and "not a snapshot" in err
    code, _o, err = run_cli(capsys, "snapshot", "create", "--store", str(mlflow3_db), "--out",
                            str(tmp_path / "x.mlsnap"), "--governance", str(tmp_path / "nogov.db"))
    assert code == 2 and "No governance database" in err
    assert not (tmp_path / "x.mlsnap").exists()


@pytest.mark.parametrize("command", [["inventory", "--format", "json"], ["lineage", "--format", "json"],
                                     ["findings", "--format", "json"]])
def test_commands_on_a_snapshot_print_what_they_print_live(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, mlflow3_db: Path, openlineage_file: Path,
    command: list[str],
) -> None:
    stores = ["--store", f"openlineage:{openlineage_file}", "--store", str(mlflow3_db)]
    out = tmp_path / "m.mlsnap"
    assert main(["snapshot", "create", *stores, "--out", str(out)]) == 0
    capsys.readouterr()
    live_code, live, err = run_cli(capsys, *command, *stores)
    assert live_code in (0, 1), err  # findings exits 1 when findings reach the threshold
    assert live.strip()
    # an unsigned snapshot is not verified: refused without --allow-unverified, used with a warning with it
    code, _, err = run_cli(capsys, *command, "--store", f"snapshot:{out}")
    assert code == 2 and err.startswith(f"mlops-desktop: error: Refusing snapshot {out}: unsigned snapshot, taken ")
    code, offline, err = run_cli(capsys, *command, "--store", f"snapshot:{out}", "--allow-unverified")
    assert code == live_code, err
    # the same output, with a top-level field saying what was used unverified
    doc = json.loads(offline)
    [line] = doc.pop("unverified_inputs")
    assert line.startswith(f"UNVERIFIED snapshot {out} used (--allow-unverified): unsigned snapshot")
    assert list(json.loads(offline))[0] == "unverified_inputs"
    assert doc == json.loads(live)
    assert "unverified_inputs" not in json.loads(live)
    assert f"UNVERIFIED snapshot {out} used (--allow-unverified): unsigned snapshot" in err
    code, offline_plain, _ = run_cli(capsys, *command, "--store", str(out), "--allow-unverified")
    assert code == live_code and json.loads(offline_plain) == json.loads(offline)
