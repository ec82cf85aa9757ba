"""``audit verify-export FILE``: the genuine export verifies from the admin anchor; an edited byte,
a dropped entry, a checkpoint re-signed with another key, a dropped revocation or no anchor fail."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from mlops_desktop.cli.main import main
from tests.reports.govfix import Gov, catalog, governance  # noqa: F401, F811


@pytest.fixture
def export(governance: Gov, tmp_path: Path) -> tuple[Path, Gov]:  # noqa: F811
    from mlops_desktop.governance.anchors import anchors_path
    from mlops_desktop.governance.audit import client_checkpoint_key, export_log
    from mlops_desktop.governance.store import open_governance
    from mlops_desktop.governance.trust import add_signer, revoke_signer

    _, key = client_checkpoint_key()
    admin = governance.keys["admin@example.org"]
    with open_governance(governance.url) as g:
        add_signer(g, admin, key.public_key(), "log@example.org", ["log"])  # type: ignore[arg-type]
        revoke_signer(g, admin, governance.key_id("dan@example.org"), "left")  # type: ignore[arg-type]
        export_log(g, tmp_path / "log.json")
    anchors_path().unlink(missing_ok=True)  # a third party's client
    return tmp_path / "log.json", governance


def _run(path: Path, *args: str) -> int:
    return main(["audit", "verify-export", str(path), *args])


def _edit(path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    doc = json.loads(path.read_text("utf-8"))
    change(doc)
    out = path.with_name("edited.json")
    out.write_text(json.dumps(doc), "utf-8")
    return out


def test_genuine_export_verifies(export: tuple[Path, Gov], capsys: pytest.CaptureFixture[str]) -> None:
    path, gov = export
    Path(gov.url).unlink()
    assert _run(path, "--trust-anchor", gov.key_id("admin@example.org"), "--format", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"] == "verified" and doc["size"] == len(json.loads(path.read_text())["entries_b64"])


def test_without_anchor_unanchored(export: tuple[Path, Gov], capsys: pytest.CaptureFixture[str]) -> None:
    path, gov = export
    assert _run(path) == 1
    assert f"unanchored: signed by key {gov.key_id('admin@example.org')}" in capsys.readouterr().err


def test_edited_byte_of_one_entry_fails(export: tuple[Path, Gov], capsys: pytest.CaptureFixture[str]) -> None:
    path, gov = export

    def flip(doc: dict) -> None:  # type: ignore[type-arg]
        raw = base64.b64decode(doc["entries_b64"][2]).replace(b"example.org", b"example.com", 1)
        doc["entries_b64"][2] = base64.b64encode(raw).decode()
        doc["entries"][2] = json.loads(raw)

    assert _run(_edit(path, flip), "--trust-anchor", gov.key_id("admin@example.org")) == 1
    assert "do not hash to the checkpoint's root" in capsys.readouterr().err


def test_dropped_entry_fails(export: tuple[Path, Gov], capsys: pytest.CaptureFixture[str]) -> None:
    path, gov = export

    def drop(doc: dict) -> None:  # type: ignore[type-arg]
        doc["entries_b64"].pop()
        doc["entries"].pop()

    assert _run(_edit(path, drop), "--trust-anchor", gov.key_id("admin@example.org")) == 1
    assert "entries were dropped or added" in capsys.readouterr().err


def test_dropped_revocation_fails(export: tuple[Path, Gov], capsys: pytest.CaptureFixture[str]) -> None:
    path, gov = export

    def drop(doc: dict) -> None:  # type: ignore[type-arg]
        doc["trust_statements"] = [s for s in doc["trust_statements"] if s["kind"] != "revoke"]

    assert _run(_edit(path, drop), "--trust-anchor", gov.key_id("admin@example.org")) == 1
    assert "a revocation or grant was dropped" in capsys.readouterr().err


def test_checkpoint_resigned_with_another_key_fails(export: tuple[Path, Gov], capsys: pytest.CaptureFixture[str]) -> None:
    from mlops_desktop.crypto import checkpoint as cpmod
    from mlops_desktop.crypto.ecdsa import generate_private_key, public_pem

    path, gov = export
    other = generate_private_key()

    def resign(doc: dict) -> None:  # type: ignore[type-arg]
        cp = cpmod.parse_checkpoint(doc["checkpoint"])
        doc["checkpoint"] = cpmod.sign_checkpoint(cp.origin, cp.size, cp.root, cp.key_name, other)
        doc["checkpoint_public_key"]["pem"] = public_pem(other.public_key()).decode()

    assert _run(_edit(path, resign), "--trust-anchor", gov.key_id("admin@example.org")) == 1
    assert "which no administrator certified with role log" in capsys.readouterr().err


def test_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path / "missing.json") == 2
    assert "No such file" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    assert _run(bad) == 2
    err = capsys.readouterr().err
    assert "is not valid JSON" in err and len(err.strip().splitlines()) == 1
    bad.write_text('{"format": "something else"}')
    assert _run(bad) == 2
    assert "not an mlops-desktop audit-log export" in capsys.readouterr().err
