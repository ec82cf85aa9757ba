"""The findings status file across runs: owner, due date and status by stable key, closures signed
with the closer's key (``findings close``), and unsigned or altered closures shown as not closed."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from mlops_desktop.cli.main import main

PASSPHRASE = "correct-horse-battery-staple-Quokka-42"


def _run(argv: list[str]) -> tuple[int, str]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(argv)
    return code, buf.getvalue()


def _findings(db: Path, *extra: str) -> list[dict[str, object]]:
    code, out = _run(["findings", "--store", str(db), "--format", "json", "--fail-on", "none",
                      "--as-of", "2026-06-01", *extra])
    assert code == 0
    return list(json.loads(out)["findings"])


@pytest.fixture
def keyfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MLOPS_DESKTOP_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "carol.key"
    code, _ = _run(["keys", "create", "--out", str(out), "--name", "Carol Privacy", "--email", "carol@example.org"])
    assert code == 0 and out.exists()
    return out


def test_status_file_carries_owner_and_signed_closure(mlflow3_db: Path, tmp_path: Path, keyfile: Path) -> None:
    keys = {(f["id"], f["object"]): str(f["key"]) for f in _findings(mlflow3_db)}
    f11 = keys[("F11", "models:/readmission-risk/3")]
    f19 = keys[("F19", "models:/fraud-detector/3")]
    status = tmp_path / "status.toml"
    status.write_text(f'[findings."{f11}"]\nowner = "privacy-office@example.org"\ndue = "2026-09-30"\n'
                      'status = "in_progress"\nnote = "HIPAA review booked"\n', "utf-8")
    code, out = _run(["findings", "close", f19, "--findings-status", str(status), "--key", str(keyfile),
                      "--note", "v3 withdrawn from Production; v4 validated"])
    assert code == 0 and f"Closed {f19}" in out
    by_key = {f["key"]: f for f in _findings(mlflow3_db, "--findings-status", str(status))}
    assert by_key[f11]["status"] == {"owner": "privacy-office@example.org", "due": "2026-09-30",
                                     "status": "in progress", "note": "HIPAA review booked"}
    closed = by_key[f19]["status"]
    assert isinstance(closed, dict) and re.fullmatch(
        r"closed, signed by Carol Privacy <carol@example.org> \(key [0-9a-f]{16}…\) at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
        str(closed["status"])), closed
    assert closed["note"] == "v3 withdrawn from Production; v4 validated"
    # an edited closing note breaks the closure: shown as not closed, with the reason
    text = status.read_text("utf-8").replace("v4 validated", "nothing to do")
    status.write_text(text, "utf-8")
    shown = {f["key"]: f for f in _findings(mlflow3_db, "--findings-status", str(status))}[f19]["status"]
    assert shown["status"] == "open — marked closed but the closing note differs from the signed one"  # type: ignore[index]
    # a closed status written by hand, with no signature, is not closed either
    status.write_text(f'[findings."{f11}"]\nstatus = "closed"\nnote = "done"\n', "utf-8")
    shown = {f["key"]: f for f in _findings(mlflow3_db, "--findings-status", str(status))}[f11]["status"]
    assert shown["status"] == "open — marked closed but not signed"  # type: ignore[index]


def test_the_report_register_prints_the_status(mlflow3_db: Path, tmp_path: Path, keyfile: Path) -> None:
    keys = {(f["id"], f["object"]): str(f["key"]) for f in _findings(mlflow3_db)}
    f5 = keys[("F5", "dataset:readmission-risk-train@1c0900ab")]
    status = tmp_path / "status.toml"
    status.write_text(f'[findings."{f5}"]\nowner = "dpo@example.org"\ndue = "2026-07-15"\nstatus = "open"\n', "utf-8")
    out = tmp_path / "gdpr.pdf"
    code, _ = _run(["report", "--store", str(mlflow3_db), "--edition", "gdpr", "--out", str(out), "--as-of",
                    "2026-06-01", "--findings-status", str(status)])
    assert code == 0
    text = re.sub(r"\s+", " ", "\n".join(p.extract_text() or "" for p in PdfReader(str(out)).pages))
    assert f5 in text
    assert re.search(r"dpo@ex ?a ?m ?p ?l ?e ?\. ?o ?r ?g; due 2026-07-15; open", text)  # the column wraps long words


def test_bad_status_files_get_one_clear_message(mlflow3_db: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[findings."F1-x"]\nstatus = "done"\n', "utf-8")
    code, _ = _run(["findings", "--store", str(mlflow3_db), "--findings-status", str(bad)])
    assert code == 2
    err = capsys.readouterr().err
    assert "has status 'done'" in err and "Use one of: open, in_progress, accepted, closed" in err
    code, _ = _run(["findings", "--store", str(mlflow3_db), "--findings-status", str(tmp_path / "none.toml")])
    assert code == 2 and "No findings status file" in capsys.readouterr().err
