"""Opening a registry records it in the journal (services.session.observe_on_open): once per
state, only into a governance store that exists, and never at the cost of the command."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from mlops_desktop.cli.main import main
from mlops_desktop.core import paths
from mlops_desktop.governance.journal import observations
from mlops_desktop.governance.store import open_governance
from tests.conftest import FIXTURES


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _journal(gov_path: Path) -> list[int]:
    gov = open_governance(str(gov_path))
    try:
        return [o.id for o in observations(gov)]
    finally:
        gov.close()


def _observe_entries(gov_path: Path) -> int:
    con = sqlite3.connect(gov_path)
    try:
        (count,) = con.execute("SELECT count(*) FROM log_entries WHERE action = 'registry.observe'").fetchone()
    finally:
        con.close()
    return int(count)


@pytest.fixture
def gov_path(tmp_path: Path) -> Path:
    path = tmp_path / "gov.db"
    open_governance(str(path)).close()  # an existing, empty governance store
    return path


def test_inventory_twice_is_one_observation_and_a_change_makes_two(mlflow3_db: Path, gov_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, first, err = cli(capsys, "inventory", "--store", str(mlflow3_db), "--governance", str(gov_path))
    assert code == 0, err
    assert len(_journal(gov_path)) == 1
    code, second, err = cli(capsys, "inventory", "--store", str(mlflow3_db), "--governance", str(gov_path))
    assert code == 0, err
    assert second == first and len(_journal(gov_path)) == 1 and _observe_entries(gov_path) == 1
    mlflow = pytest.importorskip("mlflow")
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{mlflow3_db}", registry_uri=f"sqlite:///{mlflow3_db}")
    client.set_registered_model_alias("fraud-detector", "champion", "2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        client.transition_model_version_stage("demand-forecast", "3", "Staging")
    code, _, err = cli(capsys, "inventory", "--store", str(mlflow3_db), "--governance", str(gov_path))
    assert code == 0, err
    assert len(_journal(gov_path)) == 2 and _observe_entries(gov_path) == 2
    code, out, err = cli(capsys, "history", "--store", str(mlflow3_db), "--governance", str(gov_path),
                         "--format", "json")
    assert code == 0, err
    assert {(c["model"], c["kind"]) for c in json.loads(out)["changes"]} == {
        ("fraud-detector", "alias"), ("demand-forecast", "stage")}
    assert len(_journal(gov_path)) == 2


def test_environment_store_is_observed_by_any_command(mlflow3_db: Path, gov_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_DESKTOP_GOVERNANCE_URL", str(gov_path))
    code, _, err = cli(capsys, "inventory", "--store", str(mlflow3_db), "--format", "json")
    assert code == 0, err
    code, _, err = cli(capsys, "lineage", "--store", str(mlflow3_db), "--format", "json")
    assert code == 0, err
    assert len(_journal(gov_path)) == 1  # the second command found nothing changed


def test_no_governance_store_none_is_created(mlflow3_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    default = paths.default_governance_path()
    assert not default.exists()
    code, out, err = cli(capsys, "inventory", "--store", str(mlflow3_db))
    assert code == 0 and "fraud-detector" in out
    assert err == "" and not default.exists()


def test_unusable_governance_store_is_a_warning_not_a_failure(mlflow3_db: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str],
                                                             caplog: pytest.LogCaptureFixture,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    baseline = cli(capsys, "inventory", "--store", str(mlflow3_db), "--format", "json")
    bad = tmp_path / "not-governance.db"
    bad.write_bytes(b"this is not a database, it only looks like one\n")
    # as a person runs it: the output is intact, stderr has one warning line, exit 0
    env = {**os.environ, "MLOPS_DESKTOP_GOVERNANCE_URL": str(bad)}
    proc = subprocess.run([sys.executable, "-m", "mlops_desktop", "inventory", "--store", str(mlflow3_db),
                           "--format", "json"], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0 and proc.stdout == baseline[1]
    [line] = proc.stderr.strip().splitlines()
    assert "Registry observation not recorded" in line and "is not a governance database" in line
    assert bad.read_bytes().startswith(b"this is not a database")
    monkeypatch.setenv("MLOPS_DESKTOP_GOVERNANCE_URL", "postgresql://nobody@127.0.0.1:1/none")
    code, out, err = cli(capsys, "inventory", "--store", str(mlflow3_db), "--format", "json")
    assert code == 0 and out == baseline[1]
    assert any("Registry observation not recorded: Cannot reach the governance database" in r.getMessage()
               and r.levelno == logging.WARNING for r in caplog.records)


def test_read_only_store_and_snapshot_record_nothing(mlflow3_db: Path, gov_path: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    gov_path.chmod(0o444)
    try:
        code, _, err = cli(capsys, "inventory", "--store", str(mlflow3_db), "--governance", str(gov_path))
        assert code == 0, err
    finally:
        gov_path.chmod(0o644)
    assert _journal(gov_path) == []
    # a snapshot is a copy taken earlier: opening it observes nothing
    snap = tmp_path / "snap.mlsnap"
    code, _, err = cli(capsys, "snapshot", "create", "--store", str(mlflow3_db), "--out", str(snap))
    assert code == 0, err
    before = _journal(gov_path)
    code, _, err = cli(capsys, "inventory", "--store", f"snapshot:{snap}", "--governance", str(gov_path),
                       "--allow-unverified")
    assert code == 0, err
    assert _journal(gov_path) == before


def test_fixture_untouched(tmp_path: Path) -> None:
    """The metadata store is only read: observing leaves its bytes as they were."""
    db = tmp_path / "m.db"
    shutil.copyfile(FIXTURES / "mlflow-3.17-sqlite.db", db)
    before = db.read_bytes()
    gov = tmp_path / "gov.db"
    open_governance(str(gov)).close()
    assert main(["inventory", "--store", str(db), "--governance", str(gov)]) == 0
    assert db.read_bytes() == before and len(_journal(gov)) == 1


def test_snapshot_store_is_never_observed_as_the_registry_now(mlflow3_db: Path, gov_path: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A snapshot's catalog names the stores it was taken of: recording it would put an old state
    into the journal as the registry's state now (and a false change back)."""
    snap = tmp_path / "old.mlsnap"
    code, _, err = cli(capsys, "snapshot", "create", "--store", str(mlflow3_db), "--out", str(snap))
    assert code == 0, err
    mlflow = pytest.importorskip("mlflow")
    mlflow.MlflowClient(tracking_uri=f"sqlite:///{mlflow3_db}",
                        registry_uri=f"sqlite:///{mlflow3_db}").set_registered_model_alias("fraud-detector",
                                                                                          "champion", "2")
    assert cli(capsys, "inventory", "--store", str(mlflow3_db), "--governance", str(gov_path))[0] == 0
    assert len(_journal(gov_path)) == 1
    for store in (f"snapshot:{snap}", str(snap)):  # named as a snapshot, or recognised by content
        for argv in (("inventory", "--store", store), ("history", "--store", store, "--format", "json"),
                     ("inventory", "--store", store, "--store", str(mlflow3_db), "--format", "json")):
            code, _, err = cli(capsys, *argv, "--governance", str(gov_path), "--allow-unverified")
            assert code == 0, err
        code, out, err = cli(capsys, "observe", "--store", store, "--governance", str(gov_path),
                             "--allow-unverified")
        assert code == 2 and "A snapshot is a copy taken earlier" in err and out == ""
    assert len(_journal(gov_path)) == 1
    code, out, err = cli(capsys, "history", "--store", str(mlflow3_db), "--governance", str(gov_path),
                         "--format", "json")
    assert code == 0 and json.loads(out)["changes"] == []


def test_snapshot_governance_is_not_opened_again(mlflow3_db: Path, gov_path: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """A command reading the governance records of a snapshot records nothing, says nothing about
    it and does not verify the snapshot a second time."""
    from mlops_desktop.services.session import observe_on_open
    from mlops_desktop.sources.loader import load_catalog

    snap = tmp_path / "gov.mlsnap"
    assert cli(capsys, "snapshot", "create", "--store", str(mlflow3_db), "--governance", str(gov_path),
               "--out", str(snap))[0] == 0
    before = snap.read_bytes()
    catalog = load_catalog([str(mlflow3_db)])
    for url in (f"snapshot:{snap}", str(snap)):
        assert observe_on_open(url, catalog, [str(mlflow3_db)]) == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert snap.read_bytes() == before


def test_findings_right_after_a_promotion_see_it(mlflow3_db: Path, gov_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A command observes the registry as it opens it, before it reads the journal: findings run
    just after an unapproved promotion raise F20 for it without an observe in between."""
    assert cli(capsys, "inventory", "--store", str(mlflow3_db), "--governance", str(gov_path))[0] == 0
    mlflow = pytest.importorskip("mlflow")
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{mlflow3_db}", registry_uri=f"sqlite:///{mlflow3_db}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        client.transition_model_version_stage("demand-forecast", "3", "Production")
    code, out, err = cli(capsys, "findings", "--store", str(mlflow3_db), "--governance", str(gov_path),
                         "--format", "json")
    assert code == 1, err
    assert [f["object"] for f in json.loads(out)["findings"] if f["id"] == "F20"] == ["models:/demand-forecast/3"]
    assert len(_journal(gov_path)) == 2
