"""Inputs used with ``--allow-unverified``: refused without it, and every output says so with it.

- ``--governance snapshot:FILE`` refuses an ALTERED, unsigned or unanchored snapshot;
- with ``--allow-unverified``, JSON output gains a top-level ``unverified_inputs`` (only then),
  table and CSV output's first line names the input, text output's first line does, and a
  report PDF carries a cover banner (read back with pypdf).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from pypdf import PdfReader

from mlops_desktop.cli.main import main
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.snapshot import create_snapshot
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust
from tests.governance.helpers import make_key

BANNER = "UNVERIFIED INPUT: "


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def snaps(tmp_path: Path, mlflow3_db: Path) -> dict[str, Path]:
    """A signed (verified on this client), an unsigned and an ALTERED snapshot, each carrying the
    governance records."""
    admin, alice = make_key("admin@example.org"), make_key("alice@example.org")
    gov: Governance = open_governance(str(tmp_path / "governance.db"))
    try:
        init_trust(gov, [admin])  # pinned here: an anchor of this client
        add_signer(gov, admin, alice.public_key, "alice@example.org", ["approver"])
        out = {"signed": tmp_path / "signed.mlsnap", "unsigned": tmp_path / "unsigned.mlsnap"}
        create_snapshot([str(mlflow3_db)], out["signed"], key=alice, governance=gov)
        create_snapshot([str(mlflow3_db)], out["unsigned"], governance=gov)
    finally:
        gov.close()
    (tmp_path / "alice.keyid").write_text(alice.key_id)
    out["altered"] = tmp_path / "altered.mlsnap"
    shutil.copyfile(out["signed"], out["altered"])
    con = sqlite3.connect(out["altered"])
    con.execute("UPDATE mlsnap_versions SET stage = 'Production' WHERE _pos = 0")
    con.commit()
    con.close()
    return out


def _fresh_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "auditor" / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "auditor" / "data"))


# ---------------------------------------------------------------------------- --governance snapshot:FILE


@pytest.mark.parametrize("which", ["unsigned", "altered", "unanchored"])
def test_governance_snapshot_not_verified_is_refused(snaps: dict[str, Path], which: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = snaps["signed" if which == "unanchored" else which]
    if which == "unanchored":
        _fresh_client(tmp_path, monkeypatch)
    expected = {"unsigned": "unsigned snapshot", "altered": "ALTERED: table mlsnap_versions was changed",
                "unanchored": "unanchored: signed by key"}[which]
    for argv in (["audit", "verify"], ["approvals", "list"], ["verify"]):
        code, out, err = run(capsys, *argv, "--governance", f"snapshot:{path}")
        assert code == 2 and out == "", (argv, out, err)
        assert err.startswith(f"mlops-desktop: error: Refusing governance snapshot {path}: {expected}")
        assert "pass --allow-unverified" in err and err.count("\n") == 1
    # allowed: used, and the outputs say so
    code, out, err = run(capsys, "approvals", "list", "--governance", f"snapshot:{path}", "--allow-unverified",
                         "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc) == ["unverified_inputs", "items"] and doc["items"] == []
    [line] = doc["unverified_inputs"]
    assert line.startswith(f"UNVERIFIED governance snapshot {path} used (--allow-unverified): {expected}")
    assert f"warning: {line}" in err
    code, out, _ = run(capsys, "audit", "verify", "--governance", f"snapshot:{path}", "--allow-unverified")
    assert out.splitlines()[0] == BANNER + line
    code, out, _ = run(capsys, "audit", "verify", "--governance", f"snapshot:{path}", "--allow-unverified",
                       "--format", "json")
    assert list(json.loads(out))[0] == "unverified_inputs"
    code, out, _ = run(capsys, "approvals", "list", "--governance", f"snapshot:{path}", "--allow-unverified")
    assert out.splitlines()[0] == BANNER + line and out.splitlines()[1].startswith("MODEL")


def test_verified_governance_snapshot_opens_without_a_mark(snaps: dict[str, Path],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "audit", "verify", "--governance", f"snapshot:{snaps['signed']}", "--format", "json")
    assert code == 0, err
    assert "unverified_inputs" not in json.loads(out) and "UNVERIFIED" not in err
    code, out, _ = run(capsys, "approvals", "list", "--governance", f"snapshot:{snaps['signed']}", "--format", "json")
    assert code == 0 and json.loads(out) == []


def test_governance_snapshot_unanchored_until_the_anchor_is_given(snaps: dict[str, Path], tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    signer = (tmp_path / "alice.keyid").read_text()
    _fresh_client(tmp_path, monkeypatch)
    code, _, err = run(capsys, "approvals", "list", "--governance", f"snapshot:{snaps['signed']}")
    assert code == 2 and f"unanchored: signed by key {signer}" in err
    code, out, err = run(capsys, "audit", "verify", "--governance", f"snapshot:{snaps['signed']}",
                         "--trust-anchor", signer, "--format", "json")
    assert "Refusing" not in err and "UNVERIFIED" not in err
    assert "unverified_inputs" not in json.loads(out)


# ---------------------------------------------------------------------------- --store snapshot:FILE outputs


def test_every_output_format_says_so(snaps: dict[str, Path], mlflow3_db: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    store = f"snapshot:{snaps['altered']}"
    code, live_json, _ = run(capsys, "inventory", "--store", str(mlflow3_db), "--format", "json")
    assert code == 0 and "unverified_inputs" not in json.loads(live_json)
    code, out, err = run(capsys, "inventory", "--store", store, "--allow-unverified", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc)[0] == "unverified_inputs"
    [line] = doc["unverified_inputs"]
    assert line.startswith(f"UNVERIFIED snapshot {snaps['altered']} used (--allow-unverified): ALTERED")
    # table: the first line, before the header
    code, out, _ = run(capsys, "inventory", "--store", store, "--allow-unverified")
    lines = out.splitlines()
    assert lines[0] == BANNER + line and lines[1].startswith("MODEL")
    code, out, _ = run(capsys, "inventory", "--store", str(mlflow3_db))
    assert BANNER not in out and out.startswith("MODEL")
    # CSV: a comment line first, then the same rows
    code, out, _ = run(capsys, "inventory", "--store", store, "--allow-unverified", "--format", "csv")
    first, rest = out.split("\n", 1)
    assert first == "# " + BANNER + line
    assert list(csv.DictReader(io.StringIO(rest)))
    # text output (verify): the first line
    code, out, _ = run(capsys, "verify", "--store", store, "--allow-unverified")
    assert out.splitlines()[0] == BANNER + line
    # the unverified input of one command does not leak into the next
    code, out, _ = run(capsys, "inventory", "--store", str(mlflow3_db), "--format", "json")
    assert "unverified_inputs" not in json.loads(out)


def _cover_text(pdf: Path) -> str:
    return PdfReader(str(pdf)).pages[0].extract_text()


def test_report_on_unverified_input_has_a_cover_banner(snaps: dict[str, Path], mlflow3_db: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    live = tmp_path / "live.pdf"
    assert run(capsys, "report", "--store", str(mlflow3_db), "--edition", "gdpr", "--out", str(live))[0] == 0
    assert "UNVERIFIED INPUT" not in _cover_text(live)
    out = tmp_path / "unsigned.pdf"
    code, stdout, err = run(capsys, "report", "--store", f"snapshot:{snaps['unsigned']}", "--allow-unverified",
                            "--edition", "gdpr", "--out", str(out))
    assert code == 0, err
    assert stdout.startswith(BANNER)
    cover = " ".join(_cover_text(out).split())
    assert "UNVERIFIED INPUT" in cover and "--allow-unverified" in cover
    assert "unsigned snapshot" in cover
    assert "UNVERIFIED INPUT" not in " ".join(PdfReader(str(out)).pages[1].extract_text().split())
    # a governance snapshot used unverified is named on the cover too
    out2 = tmp_path / "gov.pdf"
    code, _, err = run(capsys, "report", "--store", str(mlflow3_db), "--governance", f"snapshot:{snaps['altered']}",
                       "--allow-unverified", "--edition", "gdpr", "--out", str(out2), "--format", "json")
    assert code == 0, err
    cover = " ".join(_cover_text(out2).split())
    assert "UNVERIFIED INPUT" in cover and "governance snapshot" in cover and "ALTERED" in cover


def test_a_command_allowing_unverified_input_does_not_allow_the_next(snaps: dict[str, Path],
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from mlops_desktop.governance.snapshot_view import open_snapshot_governance_file
    from mlops_desktop.sources.snapshot import UnverifiedSnapshotError

    assert run(capsys, "approvals", "list", "--governance", f"snapshot:{snaps['unsigned']}",
               "--allow-unverified")[0] == 0
    with pytest.raises(UnverifiedSnapshotError, match="Refusing governance snapshot"):
        open_snapshot_governance_file(snaps["unsigned"])
    assert run(capsys, "approvals", "list", "--governance", f"snapshot:{snaps['unsigned']}")[0] == 2


def test_dot_output_names_it_in_a_comment(snaps: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "lineage", "--store", f"snapshot:{snaps['altered']}", "--allow-unverified",
                         "--format", "dot")
    assert code == 0, err
    first, rest = out.split("\n", 1)
    assert first.startswith(f"// {BANNER}UNVERIFIED snapshot {snaps['altered']} used (--allow-unverified): ALTERED")
    assert rest.lstrip().startswith("digraph")
    code, out, _ = run(capsys, "lineage", "--store", f"snapshot:{snaps['signed']}", "--format", "dot")
    assert code == 0 and out.lstrip().startswith("digraph")
