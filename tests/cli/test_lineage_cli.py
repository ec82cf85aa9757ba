"""``lineage``, ``impact`` and ``diff`` commands: the DESIGN.md contract, formats, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mlops_desktop.cli.main import main
from tests.conftest import file_sha256


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_lineage_json_whole_graph(capsys: pytest.CaptureFixture[str], mlflow3_db: Path) -> None:
    before = file_sha256(mlflow3_db)
    code, out, err = run_cli(capsys, "lineage", "--store", str(mlflow3_db))
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"nodes", "edges"}
    kinds = {n["kind"] for n in doc["nodes"]}
    assert kinds == {"dataset", "run", "model", "model_version", "deployment"}
    assert all(set(n) == {"id", "kind", "label", "tags"} for n in doc["nodes"])
    ids = {n["id"] for n in doc["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids and e["kind"] for e in doc["edges"])
    assert file_sha256(mlflow3_db) == before


def test_lineage_focus_upstream_depth(capsys: pytest.CaptureFixture[str], mlflow3_db: Path) -> None:
    code, out, _ = run_cli(capsys, "lineage", "--store", str(mlflow3_db), "--focus", "models:/credit-limit/3",
                           "--upstream")
    assert code == 0
    doc = json.loads(out)
    labels = {n["label"] for n in doc["nodes"] if n["kind"] == "dataset"}
    assert labels == {"credit-limit-train", "credit-limit-eval"}
    assert not any(n["kind"] == "deployment" for n in doc["nodes"])
    code, out, _ = run_cli(capsys, "lineage", "--store", str(mlflow3_db), "--focus", "credit-limit/3",
                           "--downstream", "--depth", "1")
    doc = json.loads(out)
    assert {n["kind"] for n in doc["nodes"]} == {"model_version", "deployment"}
    code, out, _ = run_cli(capsys, "lineage", "--store", str(mlflow3_db), "--focus", "credit-limit/3", "--depth", "1")
    assert {n["kind"] for n in json.loads(out)["nodes"]} == {"model_version", "deployment", "model"}


def test_lineage_dot_is_valid_graphviz(capsys: pytest.CaptureFixture[str], mlflow3_db: Path, tmp_path: Path) -> None:
    code, out, _ = run_cli(capsys, "lineage", "--store", str(mlflow3_db), "--focus", "readmission-risk/3",
                           "--format", "dot")
    assert code == 0 and out.startswith("digraph lineage {")
    assert "[PII PHI]" in out and "rankdir=LR" in out
    dot = shutil.which("dot")
    if dot:  # check the syntax with Graphviz itself when it is installed
        f = tmp_path / "g.dot"
        f.write_text(out)
        res = subprocess.run([dot, "-Tsvg", str(f)], capture_output=True, text=True, check=False)
        assert res.returncode == 0, res.stderr


def test_impact_json_and_table(capsys: pytest.CaptureFixture[str], mlflow3_db: Path, openlineage_file: Path) -> None:
    stores = ["--store", str(mlflow3_db), "--store", f"openlineage:{openlineage_file}"]
    code, out, err = run_cli(capsys, "impact", *stores, "--dataset", "public.claims", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["dataset"]["classification"] == {"pii": True, "phi": True}
    assert {(v["model"], v["version"]) for v in doc["versions"]} == {("readmission-risk", "2"), ("readmission-risk", "3")}
    assert {d["target"] for d in doc["deployments"]} == {"champion", "challenger"}
    assert doc["versions"][0]["path"][0] == doc["dataset"]["id"]
    assert [m["label"] for m in doc["models"]] == ["readmission-risk"]
    code, out, _ = run_cli(capsys, "impact", *stores, "--dataset", "postgres://claims-db:5432/public.claims")
    assert code == 0 and "readmission-risk@champion" in out and "KIND" in out


def test_diff_json_and_table(capsys: pytest.CaptureFixture[str], mlflow3_db: Path) -> None:
    code, out, err = run_cli(capsys, "diff", "--store", str(mlflow3_db), "--model", "credit-limit", "--from", "2",
                             "--to", "3", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["from"]["version"] == "2" and doc["to"]["stage"] == "Production"
    params = {p["key"]: p for p in doc["params"]}
    assert params and all(p["status"] in {"same", "changed"} for p in params.values())
    assert {d["key"] for d in doc["datasets"]} == {"credit-limit-train (training)", "credit-limit-eval (evaluation)"}
    assert all(d["status"] == "same" for d in doc["datasets"])
    assert {c["key"] for c in doc["classification"]} >= {"pii", "phi"}
    assert set(doc["summary"]) == {"changed", "added", "removed"}
    code, out, _ = run_cli(capsys, "diff", "--store", str(mlflow3_db), "--model", "credit-limit", "--from", "2",
                           "--to", "3")
    assert code == 0 and "SECTION" in out and "classification" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["lineage", "--focus", "nope"], "No lineage node matches 'nope'"),
        (["lineage", "--depth", "2"], "need --focus"),
        (["lineage", "--focus", "credit-limit/3", "--depth", "-1"], "--depth must be 0 or more"),
        (["impact", "--dataset", "credit-limit"], "No lineage node matches"),
        (["diff", "--model", "nope", "--from", "1", "--to", "2"], "No registered model named 'nope'"),
        (["diff", "--model", "credit-limit", "--from", "2", "--to", "9"], "has no version '9'"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], mlflow3_db: Path, argv: list[str],
                                      message: str) -> None:
    before = file_sha256(mlflow3_db)
    code, out, err = run_cli(capsys, *argv, "--store", str(mlflow3_db))
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert file_sha256(mlflow3_db) == before


def test_usage_errors(capsys: pytest.CaptureFixture[str], mlflow3_db: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["lineage", "--store", str(mlflow3_db), "--upstream", "--downstream", "--focus", "x"])
    assert exc.value.code == 2 and "not allowed with" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["impact", "--store", str(mlflow3_db)])
    assert exc.value.code == 2
    assert "--dataset" in capsys.readouterr().err
