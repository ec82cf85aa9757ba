"""Attacks on ``--governance snapshot:FILE`` and ``--allow-unverified``: a snapshot altered after
signing, used with the flag, must never give ``verify`` a "verified" verdict or exit 0; without
the flag it is refused."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mlops_desktop.cli.main import main
from mlops_desktop.core.entities import Catalog
from tests.reports.govfix import Gov, approve, catalog, governance  # noqa: F401 - fixtures


def _snapshot(gov: Gov, catalog: Catalog, store: Path, out: Path) -> Path:  # noqa: F811
    from mlops_desktop.governance.snapshot import create_snapshot
    from mlops_desktop.governance.store import open_governance

    approve(gov, catalog, "alice@example.org", "demand-forecast", "3", "champion")
    approve(gov, catalog, "bob@example.org", "demand-forecast", "3", "champion")
    with open_governance(gov.url) as g:
        create_snapshot([str(store)], out, key=gov.keys["alice@example.org"], governance=g)  # type: ignore[arg-type]
    return out


def _verify(capsys: pytest.CaptureFixture[str], store: Path, snap: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["verify", "--store", str(store), "--governance", f"snapshot:{snap}", "--model", "demand-forecast",
                 "--version", "3", "--target", "champion", "--format", "json", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_altered_governance_snapshot_never_verifies(
        catalog: Catalog, governance: Gov, mlflow3_db: Path, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_DESKTOP_GOVERNANCE_URL", governance.url)
    snap = _snapshot(governance, catalog, mlflow3_db, tmp_path / "s.mlsnap")
    code, out, err = _verify(capsys, mlflow3_db, snap)
    baseline = json.loads(out)
    assert code == 0 and baseline["verdict"] == "verified", (out, err)
    con = sqlite3.connect(snap)
    with con:  # one cell of the snapshot edited after signing: it is ALTERED
        con.execute("UPDATE mlsnap_models SET description = 'edited' WHERE rowid = (SELECT min(rowid) FROM mlsnap_models)")
    con.close()
    code, out, err = _verify(capsys, mlflow3_db, snap)
    assert code != 0 and "Refusing governance snapshot" in err
    code, out, err = _verify(capsys, mlflow3_db, snap, "--allow-unverified")
    doc = json.loads(out)
    assert doc.get("unverified_inputs"), doc
    assert code != 0 and doc["verdict"] != "verified", (code, doc.get("verdict"))
    code = main(["audit", "verify", "--governance", f"snapshot:{snap}", "--allow-unverified", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code != 0 and doc["verdict"] != "verified" and not doc["ok"]
    assert main(["audit", "verify", "--governance", f"snapshot:{snap}"]) != 0  # refused again without the flag
