"""``findings`` and ``report`` commands on the fixture stores with fixture approvals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from mlops_desktop.cli.main import main
from tests.conftest import file_sha256
from tests.reports.govfix import Gov, approve, catalog, governance, tamper  # noqa: F401

AS_OF = ["--as-of", "2026-06-01"]


def findings_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["findings", *args, "--format", "json", *AS_OF])
    out = capsys.readouterr().out
    return code, json.loads(out)


def pairs(doc: dict[str, object]) -> set[tuple[str, str]]:
    return {(f["id"], f["object"]) for f in doc["findings"]}  # type: ignore[index, union-attr]


def test_findings_on_fixture_store_and_exit_codes(mlflow3_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = file_sha256(mlflow3_db)
    code, doc = findings_json(capsys, "--store", str(mlflow3_db))
    assert code == 1 and doc["failed"] is True and doc["fail_on"] == "high"
    got = pairs(doc)
    assert ("F1", "models:/churn-predictor/3") in got
    assert ("F11", "models:/readmission-risk/3") in got
    assert any(i == "F5" and "readmission-risk-train" in o for i, o in got)
    assert doc["summary"]["critical"] >= 2  # type: ignore[index]
    assert main(["findings", "--store", str(mlflow3_db), "--fail-on", "none", *AS_OF]) == 0
    table = capsys.readouterr().out
    assert table.startswith("KEY") and re.search(r"\nF11-[0-9a-f]{10} +critical +models:/readmission-risk/3", table)
    assert main(["findings", "--store", str(mlflow3_db), "--fail-on", "info", "--production-alias", "nothing",
                 "--production-stage", "Nothing", "--format", "json", *AS_OF]) == 1
    doc2 = json.loads(capsys.readouterr().out)
    assert not [f for f in doc2["findings"] if f["id"] in ("F1", "F11", "F17")]
    assert file_sha256(mlflow3_db) == before  # the store is never written


def test_findings_with_governance(mlflow3_db: Path, catalog, governance: Gov,  # noqa: F811
                                  capsys: pytest.CaptureFixture[str]) -> None:
    store = ["--store", str(mlflow3_db), "--governance", governance.url]
    _, doc = findings_json(capsys, *store)
    assert ("F1", "models:/demand-forecast/3") in pairs(doc)
    # F1 cleared after two valid approvals by non-authors
    approve(governance, catalog, "alice@example.org", "demand-forecast", "3", "champion")
    approve(governance, catalog, "bob@example.org", "demand-forecast", "3", "champion")
    _, doc = findings_json(capsys, *store)
    assert ("F1", "models:/demand-forecast/3") not in pairs(doc)
    assert ("F2", "models:/demand-forecast/3") not in pairs(doc)
    # F2 when the author (dan trained v3) approves
    approve(governance, catalog, "dan@example.org", "demand-forecast", "3", "champion")
    _, doc = findings_json(capsys, *store)
    f2 = [f for f in doc["findings"] if f["id"] == "F2"]  # type: ignore[union-attr]
    assert f2 and "dan@example.org" in f2[0]["evidence"] and f2[0]["approvals"]
    # F11 for the PHI model, cleared by a hipaa approval (F1 needs a second approver)
    assert ("F11", "models:/readmission-risk/3") in pairs(doc)
    approve(governance, catalog, "alice@example.org", "readmission-risk", "3", "champion", ("hipaa",))
    _, doc = findings_json(capsys, *store)
    assert ("F11", "models:/readmission-risk/3") not in pairs(doc)
    assert ("F1", "models:/readmission-risk/3") in pairs(doc)
    assert ("F15", "audit-log") not in pairs(doc)
    # F15 after tampering with the audit log
    tamper(governance, seq=2)
    code, doc = findings_json(capsys, *store)
    assert code == 1 and ("F15", "audit-log") in pairs(doc)
    f15 = next(f for f in doc["findings"] if f["id"] == "F15")  # type: ignore[union-attr]
    assert f15["severity"] == "critical" and "altered" in f15["evidence"]


def test_report_command(mlflow3_db: Path, tmp_path: Path, catalog, governance: Gov,  # noqa: F811
                        capsys: pytest.CaptureFixture[str]) -> None:
    approve(governance, catalog, "alice@example.org", "sepsis-alert", "3", "champion", ("hipaa",))
    out = tmp_path / "sepsis.pdf"
    code = main(["report", "--store", str(mlflow3_db), "--governance", governance.url, "--edition", "hipaa",
                 "--out", str(out), "--models", "sepsis-alert", "--format", "json", *AS_OF])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["path"] == str(out) and doc["models"] == ["sepsis-alert"] and doc["log_index"] is not None
    assert doc["sha256"] == file_sha256(out)
    text = " ".join((p.extract_text() or "") for p in PdfReader(str(out)).pages)
    assert "PHI inventory" in text and governance.key_id("alice@example.org") in text
    assert Path(doc["bundle"]).exists()
    code = main(["report", "--store", str(mlflow3_db), "--edition", "gdpr", "--out", str(tmp_path / "g.pdf")])
    assert code == 0 and "Wrote" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--edition", "gdpr", "--out", "/no/such/folder/r.pdf"], "does not exist"),
        (["--edition", "gdpr", "--out", "OUT", "--models", "nope"], "No registered model named 'nope'"),
        (["--edition", "gdpr", "--out", "OUT", "--governance", "/no/such/gov.db"], "No governance database"),
    ],
)
def test_report_bad_input(mlflow3_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                          args: list[str], message: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    args = [str(out / "r.pdf") if a == "OUT" else a for a in args]
    before = file_sha256(mlflow3_db)
    assert main(["report", "--store", str(mlflow3_db), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert list(out.iterdir()) == []
    assert file_sha256(mlflow3_db) == before


def test_findings_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["findings", "--store", str(tmp_path / "missing.db")]) == 2
    assert "No such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["findings", "--store", "x.db", "--fail-on", "urgent"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        main(["findings", "--store", "x.db", "--as-of", "yesterday"])
    assert "not an ISO date" in capsys.readouterr().err


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["findings", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Exit codes: 0 when no finding is at or above" in text and "1 when at least one is" in text
