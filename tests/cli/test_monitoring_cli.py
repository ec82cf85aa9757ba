"""``mlops-desktop monitoring`` on the monitoring fixtures (tests/fixtures/monitoring/truth.json)."""

from __future__ import annotations

import json

import pytest

from mlops_desktop.cli.main import main
from tests.conftest import FIXTURES

MON = FIXTURES / "monitoring"
TRUTH = json.loads((MON / "truth.json").read_text(encoding="utf-8"))
STORES = ["--store", str(MON / "mlflow.db"), "--store", f"monitoring:{MON / 'results'}"]
AS_OF = ["--as-of", TRUTH["today"]]


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["monitoring", *STORES, *AS_OF, "--format", "json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_status_series_unlinked_and_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys)
    assert doc["as_of"] == "2026-11-01" and doc["max_age_days"] == 30
    assert {f"{v['model']}/{v['version']}": v["status"] for v in doc["versions"]} == TRUTH["status"]
    # deployed versions first
    assert [v["deployed"] for v in doc["versions"]] == [True] * 5 + [False]
    iris = next(v for v in doc["versions"] if (v["model"], v["version"]) == ("iris-classifier", "2"))
    assert iris["label"] == "Drift above threshold"
    petal = iris["drift"]["petal length (cm)"]
    assert [p["at"][:10] for p in petal if p["drifted"]] == TRUTH["iris_drift_weeks"]
    assert iris["data_quality"] == [{"at": "2026-10-27T09:00:00Z", "pass_rate": 1.0,
                                     "result": "gx/iris-train-2026-10-27.json"}]
    # the current digests: the latest drift report and the latest GX result on its training data
    by_id = {r["id"]: r for r in doc["results"]}
    assert iris["current_digests"] == sorted({by_id["evidently/iris/week-06.json"]["digest"],
                                              by_id["gx/iris-train-2026-10-27.json"]["digest"]})
    assert sorted(r["id"] for r in doc["unlinked"]) == sorted([
        *TRUTH["unlinked"],
        "model-monitor/credit-limit-prod/credit-limit-data-quality/2026/10/20/13/constraint_violations.json",
        "model-monitor/credit-limit-prod/credit-limit-data-quality/2026/10/20/13/constraint_violations.json#drift"])
    assert sorted(f["file"] for f in doc["rejected"]) == TRUTH["rejected"]
    assert len(doc["results"]) == 19  # 16 from the folder, 3 MLflow monitoring runs


def test_model_filter_and_window(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "--model", "digits-classifier")
    assert [(v["model"], v["version"], v["status"]) for v in doc["versions"]] == [
        ("digits-classifier", "1", "not-monitored")]
    assert [r["id"] for r in doc["results"]] == ["evidently/digits/2026-09-08.json"]
    assert doc["unlinked"] == []
    wide = run_json(capsys, "--model", "digits-classifier", "--max-age-days", "90")
    assert wide["versions"][0]["status"] == "checked"


def test_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["monitoring", *STORES, *AS_OF]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["MODEL", "VERSION", "DEPLOYED", "STATUS", "LAST_CHECKED", "REASON"]
    row = next(line for line in lines if line.startswith("diabetes-regressor"))
    assert row.split()[:5] == ["diabetes-regressor", "1", "yes", "not-monitored", "-"]
    assert "Unlinked results (4):" in out
    assert "Files not read (4):" in out
    assert "broken/package.json" in out


def test_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["monitoring", *STORES, "--model", "nope"]) == 2
    err = capsys.readouterr().err
    assert "No model named 'nope' in the stores." in err and "Traceback" not in err
    assert main(["monitoring", *STORES, "--max-age-days", "0"]) == 2
    assert "--max-age-days 0 is not a positive number of days." in capsys.readouterr().err
    assert main(["monitoring", "--store", f"monitoring:{MON / 'missing'}"]) == 2
    assert "No such file or folder" in capsys.readouterr().err
