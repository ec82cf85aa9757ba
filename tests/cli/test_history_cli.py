"""``observe --key``: a signed observation; its envelope verifies with the recorded key and signs
that observation only; edited or swapped envelopes are caught. Bad input is one line, exit 2."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mlops_desktop.cli.main import main
from mlops_desktop.governance.journal import observations, signature_of
from mlops_desktop.governance.keys import create_key
from mlops_desktop.governance.store import open_governance

PASSPHRASE = "correct horse battery staple 42"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MLOPS_DESKTOP_PASSPHRASE", PASSPHRASE)
    path = tmp_path / "officer.key"
    create_key(path, "Officer", "officer@example.org", PASSPHRASE)
    return path


def test_signed_observation_verifies_and_a_swapped_envelope_does_not(
        tmp_path: Path, mlflow3_db: Path, mlflow2_db: Path, key_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gov = tmp_path / "gov.db"
    code, out, err = cli(capsys, "observe", "--store", str(mlflow3_db), "--governance", str(gov), "--key",
                         str(key_file), "--format", "json")
    assert code == 0, err
    [result] = json.loads(out)["observations"]
    assert result["changed"] and result["observation"]["signed_by"]
    code, out, err = cli(capsys, "observe", "--store", str(mlflow2_db), "--governance", str(gov), "--key",
                         str(key_file), "--format", "json")
    assert code == 0, err
    # observing again with nothing changed signs nothing new
    code, out, err = cli(capsys, "observe", "--store", str(mlflow3_db), "--governance", str(gov), "--key",
                         str(key_file))
    assert code == 0 and "no (unchanged)" in out
    with open_governance(str(gov)) as g:
        first, second = observations(g)
        assert first.key_id == second.key_id == result["observation"]["signed_by"]
        assert signature_of(g, first) == signature_of(g, second) == "valid"
    code, out, err = cli(capsys, "inventory", "--store", str(mlflow3_db), "--governance", str(gov), "--as-of",
                         second.observed_at)
    assert code == 0, err
    [store] = json.loads(out)["stores"]
    assert store["observation"]["id"] == first.id and store["signature"] == "valid"
    # another observation's (genuine) envelope put on the first row: it signs another observation
    con = sqlite3.connect(gov)
    with con:
        con.execute("UPDATE observations SET envelope = (SELECT envelope FROM observations WHERE id = ?) WHERE id = ?",
                    (second.id, first.id))
    con.close()
    with open_governance(str(gov)) as g:
        assert signature_of(g, first) == "invalid: the envelope signs another observation"
        assert signature_of(g, second) == "valid"
    # the edited row no longer reconciles with its audit-log entry: the journal is not read until it does
    code, out, err = cli(capsys, "inventory", "--store", str(mlflow3_db), "--governance", str(gov), "--as-of",
                         second.observed_at)
    assert code == 2 and f"observation row for audit-log entry {first.log_seq} no longer matches" in err, err
    assert "audit verify" in err and "Traceback" not in err
    code, out, err = cli(capsys, "audit", "verify", "--governance", str(gov))
    assert code == 1 and f"registry observation row for audit-log entry {first.log_seq} no longer matches" in out + err


def test_signature_byte_edited_is_invalid(tmp_path: Path, mlflow3_db: Path, key_file: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    gov = tmp_path / "gov.db"
    assert cli(capsys, "observe", "--store", str(mlflow3_db), "--governance", str(gov), "--key", str(key_file))[0] == 0
    con = sqlite3.connect(gov)
    with con:
        (envelope,) = con.execute("SELECT envelope FROM observations").fetchone()
        doc = json.loads(envelope)
        sig = doc["signatures"][0]["sig"]
        doc["signatures"][0]["sig"] = ("A" if sig[0] != "A" else "B") + sig[1:]
        con.execute("UPDATE observations SET envelope = ?", (json.dumps(doc).encode(),))
    con.close()
    with open_governance(str(gov)) as g:
        [obs] = observations(g)
        verdict = signature_of(g, obs)
    assert verdict is not None and verdict.startswith("invalid: ")


def test_bad_input_is_one_line(tmp_path: Path, mlflow3_db: Path, key_file: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    gov = str(tmp_path / "gov.db")
    code, out, err = cli(capsys, "observe", "--store", str(mlflow3_db), "--governance", gov, "--key",
                         str(tmp_path / "missing.key"))
    assert code == 2 and out == "" and "No such key file" in err and len(err.strip().splitlines()) == 1
    code, out, err = cli(capsys, "history", "--store", str(mlflow3_db), "--governance", gov, "--since", "soon")
    assert code == 2 and "Bad date" in err
    code, out, err = cli(capsys, "history", "--store", str(mlflow3_db), "--governance", gov, "--model", "nope")
    assert code == 2 and "No model 'nope'" in err
    code, out, err = cli(capsys, "observe", "--store", f"openlineage:{tmp_path / 'none.ndjson'}", "--governance", gov)
    assert code == 2 and "Traceback" not in err
