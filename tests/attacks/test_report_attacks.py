"""Attacks on ``report verify`` and evidence bundles (v2), as someone who can write the governance
database before a report is exported: a revocation row deleted so that the revoked signer's later
decision is carried as trusted."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mlops_desktop.cli.main import main
from mlops_desktop.core.entities import Catalog
from tests.reports.govfix import SETTINGS, Gov, approve, catalog, governance  # noqa: F401 - fixtures


def _certify_log_key(gov: Gov) -> None:
    from mlops_desktop.governance.audit import client_checkpoint_key
    from mlops_desktop.governance.store import open_governance
    from mlops_desktop.governance.trust import add_signer

    _, key = client_checkpoint_key()
    with open_governance(gov.url) as g:
        add_signer(g, gov.keys["admin@example.org"], key.public_key(), "log@example.org", ["log"])  # type: ignore[arg-type]


def test_revocation_row_deleted_before_export_does_not_verify(
        catalog: Catalog, governance: Gov, mlflow3_db: Path, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    from mlops_desktop.governance.store import open_governance
    from mlops_desktop.governance.trust import revoke_signer
    from mlops_desktop.reports.jobs import run_report

    gov = governance
    with open_governance(gov.url) as g:
        revoke_signer(g, gov.keys["admin@example.org"], gov.key_id("alice@example.org"), "key lost")  # type: ignore[arg-type]
    con = sqlite3.connect(gov.url)
    with con:  # the attacker removes the revocation's row; its audit-log entry stays
        con.execute("DELETE FROM trust_statements WHERE kind = 'revoke'")
    con.close()
    try:
        approve(gov, catalog, "alice@example.org", "demand-forecast", "3", "champion")  # revoked, signs anyway
    except Exception:  # noqa: BLE001 - refusing to record the decision is a refusal too
        return
    approve(gov, catalog, "bob@example.org", "demand-forecast", "3", "champion")
    _certify_log_key(gov)
    out = tmp_path / "gdpr.pdf"
    try:
        run_report([str(mlflow3_db)], "gdpr", out, governance_url=gov.url, settings=SETTINGS,
                   sign_key=gov.keys["admin@example.org"])  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - refusing to export from a store that fails reconciliation
        return
    from mlops_desktop.governance.anchors import anchors_path

    anchors_path().unlink(missing_ok=True)
    code = main(["report", "verify", str(out), "--trust-anchor", gov.key_id("admin@example.org"), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["verdict"] != "verified", doc["checks"]
    assert any("log entry" in p and "not in the evidence" in p for p in doc["problems"]), doc["problems"]


def test_revocation_row_deleted_before_audit_export_does_not_verify(
        governance: Gov, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    from mlops_desktop.governance.anchors import anchors_path
    from mlops_desktop.governance.audit import client_checkpoint_key, export_log
    from mlops_desktop.governance.store import open_governance
    from mlops_desktop.governance.trust import add_signer, revoke_signer

    _, key = client_checkpoint_key()
    admin = governance.keys["admin@example.org"]
    with open_governance(governance.url) as g:
        add_signer(g, admin, key.public_key(), "log@example.org", ["log"])  # type: ignore[arg-type]
        revoke_signer(g, admin, governance.key_id("dan@example.org"), "left")  # type: ignore[arg-type]
    con = sqlite3.connect(governance.url)
    with con:
        con.execute("DELETE FROM trust_statements WHERE kind = 'revoke'")
    con.close()
    with open_governance(governance.url) as g:
        export_log(g, tmp_path / "log.json")
    anchors_path().unlink(missing_ok=True)
    code = main(["audit", "verify-export", str(tmp_path / "log.json"), "--trust-anchor",
                 governance.key_id("admin@example.org"), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["verdict"] != "verified"
    assert any("envelope is missing" in p for p in doc["problems"]), doc["problems"]


def test_report_made_from_an_altered_snapshot_does_not_verify(
        catalog: Catalog, governance: Gov, mlflow3_db: Path, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    """An officer exports a report with --allow-unverified from a snapshot edited after signing (the
    cover says so); ``report verify`` must not then call the report verified."""
    from mlops_desktop.governance.snapshot import create_snapshot
    from mlops_desktop.governance.snapshot_view import snapshot_settings
    from mlops_desktop.governance.store import open_governance
    from mlops_desktop.reports.jobs import run_report

    gov = governance
    approve(gov, catalog, "alice@example.org", "demand-forecast", "3", "champion")
    approve(gov, catalog, "bob@example.org", "demand-forecast", "3", "champion")
    _certify_log_key(gov)
    snap = tmp_path / "s.mlsnap"
    with open_governance(gov.url) as g:
        create_snapshot([str(mlflow3_db)], snap, key=gov.keys["alice@example.org"], governance=g)  # type: ignore[arg-type]
    con = sqlite3.connect(snap)
    with con:
        con.execute("UPDATE mlsnap_models SET description = 'edited' WHERE rowid = (SELECT min(rowid) FROM mlsnap_models)")
    con.close()
    out = tmp_path / "gdpr.pdf"
    run_report([f"snapshot:{snap}"], "gdpr", out, governance_url=gov.url, settings=SETTINGS,
               sign_key=gov.keys["admin@example.org"],  # type: ignore[arg-type]
               source_settings=snapshot_settings(allow_unverified=True))
    from mlops_desktop.governance.anchors import anchors_path

    anchors_path().unlink(missing_ok=True)
    code = main(["report", "verify", str(out), "--trust-anchor", gov.key_id("admin@example.org"), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["verdict"] != "verified"
    assert any("not verified" in p and "allow-unverified" in p for p in doc["problems"]), doc["problems"]
