"""A report exported from the window on a snapshot that is not verified carries the cover banner
the command line's ``report --allow-unverified`` gives (read back with pypdf); on a verified
snapshot or a live store it has none."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from pypdf import PdfReader

from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.snapshot import create_snapshot
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer, init_trust
from tests.governance.helpers import make_key


@pytest.fixture
def snaps(tmp_path: Path, mlflow3_db: Path) -> dict[str, Path]:
    """A snapshot signed by a key this client trusts (its admin is pinned here) and an ALTERED copy."""
    admin, alice = make_key("admin@example.org"), make_key("alice@example.org")
    gov: Governance = open_governance(str(tmp_path / "governance.db"))
    try:
        init_trust(gov, [admin])  # pinned on this client: an anchor
        add_signer(gov, admin, alice.public_key, "alice@example.org", ["approver"])
        signed = tmp_path / "signed.mlsnap"
        create_snapshot([str(mlflow3_db)], signed, key=alice, governance=gov)
    finally:
        gov.close()
    altered = tmp_path / "altered.mlsnap"
    shutil.copyfile(signed, altered)
    con = sqlite3.connect(altered)
    con.execute("UPDATE mlsnap_versions SET stage = 'Production' WHERE _pos = 0")
    con.commit()
    con.close()
    return {"signed": signed, "altered": altered}


def _export_from_window(make_window, qtbot, ui, store: str, out: Path) -> tuple[object, str]:
    """Open ``store`` in a window, export a GDPR report from File > Export, return (window, cover text)."""
    window = make_window()
    window.open_stores([store])
    ui.wait_idle(qtbot, window.load_slot)
    assert window.models_view.model.rowCount() == 8
    dialog = window.show_report_dialog()
    ui.wait_idle(qtbot, dialog.preview_slot)
    dialog.open_when_done = False
    dialog.edition_combo.setCurrentIndex(dialog.edition_combo.findData("gdpr"))
    dialog.path_edit.setText(str(out))
    with qtbot.waitSignal(dialog.sig_report_written, timeout=60_000):
        dialog.start_export()
    ui.wait_idle(qtbot, dialog.export_slot)
    assert out.exists(), dialog.status.text()
    pages = PdfReader(str(out)).pages
    assert "UNVERIFIED INPUT" not in " ".join(pages[1].extract_text().split())  # the cover only
    return window, " ".join(pages[0].extract_text().split())


def test_altered_snapshot_report_has_the_banner(make_window, qtbot, ui, snaps, tmp_path: Path) -> None:
    window, cover = _export_from_window(make_window, qtbot, ui, str(snaps["altered"]), tmp_path / "altered.pdf")
    assert window.altered_banner.isVisible()
    assert "UNVERIFIED INPUT" in cover
    assert f"UNVERIFIED snapshot {snaps['altered']} used (opened unverified in the desktop app)" in cover
    assert "ALTERED: table mlsnap_versions was changed" in cover
    assert window.unverified_inputs() and window.unverified_inputs()[0].startswith("UNVERIFIED snapshot ")


def test_unanchored_snapshot_report_has_the_banner(make_window, qtbot, ui, snaps, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # an auditor's fresh machine: the signature is valid, but no anchor of this client reaches the key
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "auditor" / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "auditor" / "data"))
    window, cover = _export_from_window(make_window, qtbot, ui, str(snaps["signed"]), tmp_path / "unanchored.pdf")
    assert not window.altered_banner.isVisible()
    assert window.verification_label.property("alarm") is True  # never a "✔" before "unanchored"
    assert "UNVERIFIED INPUT" in cover
    assert "unanchored: signed by key" in cover


def test_verified_snapshot_and_live_store_reports_have_no_banner(make_window, qtbot, ui, snaps, mlflow3_db: Path,
                                                                 tmp_path: Path) -> None:
    window, cover = _export_from_window(make_window, qtbot, ui, str(snaps["signed"]), tmp_path / "signed.pdf")
    assert window.snapshot_statuses() and window.snapshot_statuses()[0][1].ok
    assert window.unverified_inputs() == ()
    assert "UNVERIFIED" not in cover
    _window, cover = _export_from_window(make_window, qtbot, ui, str(mlflow3_db), tmp_path / "live.pdf")
    assert "UNVERIFIED" not in cover
