"""Decisions bound to their registry, through the command line: approvals made on store A (the
MLflow 3 fixture) and store B (the MLflow 2 fixture, another registry with fraud-detector v3 in
Production too)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.cli import test_governance_cli
from tests.cli.test_governance_cli import ROOT_MAP, World, approve, run
from tests.conftest import FIXTURES

world = test_governance_cli.world  # the governance CLI tests' fixture: keys, trust list, the MLflow 3 store
world_template = test_governance_cli.world_template  # the world it copies, made once per module


def a_registry_label() -> str:
    from hashlib import sha256

    import rfc8785

    with sqlite3.connect(FIXTURES / "mlflow-3.17-sqlite.db") as con:
        created = con.execute("SELECT creation_time FROM experiments WHERE experiment_id = 0").fetchone()[0]
    material = {"experimentId": "0", "creationTime": created}
    digest = sha256(rfc8785.dumps({"rule": "mlops-desktop/registry-identity/v1", "kind": "mlflow",
                                   "material": material})).hexdigest()
    return f"mlflow:sha256:{digest}"


def verify(capsys: pytest.CaptureFixture[str], store: Path, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "verify", "--store", str(store), "--model", "fraud-detector", "--version", "3",
               "--target", "Production", *extra)


def findings_of(capsys: pytest.CaptureFixture[str], store: Path) -> list[dict[str, Any]]:
    _, out, _ = run(capsys, "findings", "--store", str(store), "--format", "json")
    doc = json.loads(out)
    return list(doc["findings"] if isinstance(doc, dict) else doc)


def test_decisions_on_a_count_on_a_and_its_copy_only(world: World, mlflow2_db: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    for who in ("alice", "bob"):
        assert approve(capsys, world, who)[0] == 0
    label = a_registry_label()
    # A itself, and a byte copy of A in another folder
    copy = tmp_path / "elsewhere" / "copy-of-a.db"
    copy.parent.mkdir()
    shutil.copyfile(world.store, copy)
    for store in (world.store, copy):
        code, out, err = verify(capsys, store, "--artifact-root", ROOT_MAP)
        assert code == 0, err
        assert "Verification passed." in out and "Not counted" not in out
    # B: both decisions named as made on another registry, never as evidence changed
    code, out, err = verify(capsys, mlflow2_db)
    assert code == 1
    assert out.count(f"made on another registry {label}") == 2
    assert "Not counted: approved of fraud-detector v3" in out
    assert "evidence" not in (out + err).lower()
    assert "Only 0 of 2 required approvals count" in err
    code, out, _ = verify(capsys, mlflow2_db, "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["approvals"] == []
    assert [a["status"] for a in report["other_registries"]] == ["other_registry", "other_registry"]
    assert {a["registry"]["id"] for a in report["other_registries"]} == {label.removeprefix("mlflow:")}
    # approvals list: A's decisions listed for A, named and not listed for B
    code, out, _ = run(capsys, "approvals", "list", "--store", str(world.store), "--format", "json")
    listed = json.loads(out)
    assert code == 0 and len(listed) == 2
    assert {r["registry"]["kind"] + ":" + r["registry"]["id"] for r in listed} == {label}
    code, out, err = run(capsys, "approvals", "list", "--store", str(mlflow2_db), "--format", "json")
    assert code == 0 and json.loads(out) == []
    assert err.count(f"made on another registry {label}") == 2
    # findings: the approvals clear Production on A; on B fraud-detector v3 has none, and no F18
    on_b = findings_of(capsys, mlflow2_db)
    f1_b = [f for f in on_b if f["id"] == "F1" and f["object"] == "models:/fraud-detector/3"]
    assert f1_b and "'Production' has 0 of 2 valid approvals" in f1_b[0]["evidence"]
    assert not any(f["id"] == "F18" for f in on_b)
    on_a = findings_of(capsys, world.store)
    assert not any("'Production' has 0 of 2" in f["evidence"] for f in on_a
                   if f["id"] == "F1" and f["object"] == "models:/fraud-detector/3")
