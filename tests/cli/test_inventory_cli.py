"""``mlops-desktop inventory``: the JSON contract, CSV/table, errors and exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_desktop.cli.main import main
from tests.conftest import FIXTURES
from tests.mlflow_truth import actual_from_inventory, expected_from_truth


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_shape_and_truth(capsys: pytest.CaptureFixture[str], mlflow3_db: Path) -> None:
    code, out, err = run_cli(capsys, "inventory", "--store", str(mlflow3_db), "--format", "json")
    assert code == 0, err
    inv = json.loads(out)
    assert set(inv) == {"stores", "models"}
    assert inv["stores"] == [{"kind": "mlflow", "url": str(mlflow3_db), "schema": "dc11669786a5"}]
    version = inv["models"][0]["versions"][0]
    assert set(version) == {"version", "stage", "aliases", "status", "author", "run_id", "source", "created_at",
                            "tags", "datasets", "classification"}
    assert set(version["datasets"][0]) == {"name", "digest", "source", "context", "tags"}
    assert set(version["classification"]) == {"pii", "phi"}
    assert version["created_at"].endswith("Z")
    assert actual_from_inventory(inv) == expected_from_truth(FIXTURES / "mlflow-3.17-sqlite.truth.json")
    readmission = next(m for m in inv["models"] if m["name"] == "readmission-risk")
    assert all(v["classification"]["phi"] for v in readmission["versions"])


def test_url_form_and_include_deleted(capsys: pytest.CaptureFixture[str], mlflow3_db: Path) -> None:
    code, out, _ = run_cli(capsys, "inventory", "--store", f"mlflow+sqlite:///{mlflow3_db}", "--format", "json",
                           "--include-deleted")
    assert code == 0
    fraud = next(m for m in json.loads(out)["models"] if m["name"] == "fraud-detector")
    assert [v["version"] for v in fraud["versions"]] == ["1", "2", "3"]
    assert fraud["versions"][0]["stage"] == "Deleted_Internal"


def test_csv_and_table(capsys: pytest.CaptureFixture[str], mlflow2_db: Path) -> None:
    code, out, _ = run_cli(capsys, "inventory", "--store", str(mlflow2_db), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["model"] for r in rows} >= {"fraud-detector", "readmission-risk"}
    assert any(r["stage"] == "Production" for r in rows)
    code, out, _ = run_cli(capsys, "inventory", "--store", str(mlflow2_db))
    assert code == 0 and out.splitlines()[0].startswith("MODEL")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.db", "No such file"),
        (lambda p: (p / "t.db").write_text("not a db") and p / "t.db", "not a metadata store"),
        (lambda p: (p / "e.db").write_bytes(b"") or p / "e.db", "is empty"),
    ],
)
def test_bad_paths_exit_2_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    code, out, err = run_cli(capsys, "inventory", "--store", str(path), "--format", "json")
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_mlmd_as_mlflow_and_dropped_table(capsys: pytest.CaptureFixture[str], mlmd_db: Path, mlflow3_db: Path) -> None:
    code, _, err = run_cli(capsys, "inventory", "--store", f"mlflow+sqlite:///{mlmd_db}")
    assert code == 2 and "ML Metadata" in err
    con = sqlite3.connect(mlflow3_db)
    con.execute("DROP TABLE model_versions")
    con.commit()
    con.close()
    code, _, err = run_cli(capsys, "inventory", "--store", str(mlflow3_db))
    assert code == 2 and "model_versions" in err and len(err.strip().splitlines()) == 1


def test_unreachable_server_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "inventory", "--store", "mlflow+postgresql://postgres:pw@127.0.0.1:1/x")
    assert code == 2 and "Cannot reach" in err and "pw@" not in err


def test_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["inventory", "--format", "xml", "--store", "x"])
    assert info.value.code == 2


def test_cli_process_loads_no_qt(mlflow3_db: Path) -> None:
    code = (
        "import sys\n"
        "from mlops_desktop.cli.main import main\n"
        f"rc = main(['inventory', '--store', {str(mlflow3_db)!r}, '--format', 'json'])\n"
        "assert rc == 0\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'mlops_desktop.ui'))]\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["models"]
