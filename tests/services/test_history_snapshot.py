"""Snapshots carry the registry journal: ``history`` and ``inventory --as-of`` read it from
``--governance snapshot:FILE``, and an edited observation in the snapshot is refused."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlops_desktop.cli.main import main
from tests.cli.test_snapshot_cli import trusted_key  # noqa: F401 - alice's key, trusted in tmp/governance.db
from tests.conftest import file_sha256

mlflow = pytest.importorskip("mlflow", reason="the test extra (mlflow) is not installed")


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _observe(capsys: pytest.CaptureFixture[str], db: Path, gov: Path) -> dict:  # type: ignore[type-arg]
    code, out, err = cli(capsys, "observe", "--store", str(db), "--governance", str(gov), "--format", "json")
    assert code == 0, err
    [result] = json.loads(out)["observations"]
    assert result["changed"]
    return result["observation"]  # type: ignore[no-any-return]


def test_snapshot_carries_the_journal(capsys: pytest.CaptureFixture[str], tmp_path: Path, mlflow3_db: Path,
                                      trusted_key: tuple[Path, Path]) -> None:  # noqa: F811
    key_file, gov = trusted_key
    first = _observe(capsys, mlflow3_db, gov)
    time.sleep(0.01)
    between = datetime.now(UTC).isoformat()
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{mlflow3_db}", registry_uri=f"sqlite:///{mlflow3_db}")
    client.set_registered_model_alias("fraud-detector", "champion", "2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        client.transition_model_version_stage("demand-forecast", "3", "Production")
    second = _observe(capsys, mlflow3_db, gov)
    snap = tmp_path / "journal.mlsnap"
    code, out, err = cli(capsys, "snapshot", "create", "--store", str(mlflow3_db), "--governance", str(gov),
                         "--out", str(snap), "--key", str(key_file))
    assert code == 0 and "signed by key" in out, err
    code, out, err = cli(capsys, "history", "--store", str(mlflow3_db), "--governance", str(gov), "--format", "json")
    assert code == 0, err
    live = json.loads(out)
    sealed = snap.read_bytes()

    for store in (f"snapshot:{snap}", str(mlflow3_db)):  # the snapshot's own catalog, or the live registry
        code, out, err = cli(capsys, "history", "--store", store, "--governance", f"snapshot:{snap}", "--format",
                             "json")
        assert code == 0, err
        doc = json.loads(out)
        assert "unverified_inputs" not in doc
        assert doc["changes"] == live["changes"]
        assert {(c["model"], c["kind"], c["from"], c["to"]) for c in doc["changes"]} == {
            ("fraud-detector", "alias", "3", "2"), ("demand-forecast", "stage", None, "Production")}
        assert [r["observations"] for r in doc["registries"]] == [2]
        code, out, err = cli(capsys, "inventory", "--store", store, "--governance", f"snapshot:{snap}",
                             "--as-of", between)
        assert code == 0, err
        as_of = json.loads(out)
        assert as_of["stores"][0]["observation"]["id"] == first["id"]
        assert as_of["stores"][0]["observation"]["observed_at"] == first["observed_at"]
        assert {m["name"]: m for m in as_of["models"]}["fraud-detector"]["aliases"]["champion"] == "3"
        code, out, err = cli(capsys, "inventory", "--store", store, "--governance", f"snapshot:{snap}",
                             "--as-of", second["observed_at"])
        assert code == 0, err
        assert json.loads(out)["stores"][0]["observation"]["id"] == second["id"]
    assert snap.read_bytes() == sealed  # a snapshot is read, never written


def test_edited_observation_in_a_snapshot_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     mlflow3_db: Path, trusted_key: tuple[Path, Path]) -> None:  # noqa: F811
    key_file, gov = trusted_key
    _observe(capsys, mlflow3_db, gov)
    mlflow.MlflowClient(tracking_uri=f"sqlite:///{mlflow3_db}",
                        registry_uri=f"sqlite:///{mlflow3_db}").set_registered_model_alias("fraud-detector",
                                                                                          "champion", "2")
    _observe(capsys, mlflow3_db, gov)
    snap = tmp_path / "journal.mlsnap"
    code, _, err = cli(capsys, "snapshot", "create", "--store", str(mlflow3_db), "--governance", str(gov),
                       "--out", str(snap), "--key", str(key_file))
    assert code == 0, err
    edited = tmp_path / "edited.mlsnap"
    shutil.copyfile(snap, edited)
    con = sqlite3.connect(edited)
    with con:
        [table] = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                   if n.endswith("observations")]
        changed = con.execute(f'UPDATE "{table}" SET observed_at = ? WHERE id = 2',  # noqa: S608 - our own name
                              ("2020-01-01T00:00:00.000000Z",)).rowcount
    con.close()
    assert changed == 1 and file_sha256(edited) != file_sha256(snap)
    code, out, err = cli(capsys, "history", "--store", str(mlflow3_db), "--governance", f"snapshot:{edited}",
                         "--format", "json")
    assert code != 0 and out == ""
    assert "ALTERED" in err.upper() and "Traceback" not in err
    code, _, err = cli(capsys, "snapshot", "verify", str(edited))
    assert code == 1
