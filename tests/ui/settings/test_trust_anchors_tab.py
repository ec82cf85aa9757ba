"""Settings > Trust anchors: the same anchors file as 'trust anchor add|list|remove', read back by
the command line; bad keys, shortened fingerprints and a damaged file are messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from mlops_desktop.crypto.ecdsa import generate_private_key, key_id, public_pem
from mlops_desktop.governance.anchors import (
    ANCHORS_ENV,
    SOURCE_FILE,
    SOURCE_OWN_KEY,
    add_anchor,
    anchors_path,
    load_anchors,
)
from mlops_desktop.governance.keys import create_key
from mlops_desktop.ui.common import theme
from mlops_desktop.ui.common.settings import GuiSettings
from mlops_desktop.ui.settings.dialog import SettingsDialog

STRONG = "correct staple horse battery 42"


def _pub(path: Path, identity: str) -> tuple[Path, str]:
    private = generate_private_key()
    path.write_bytes(f"# identity: {identity}\n".encode() + public_pem(private.public_key()))
    return path, key_id(private.public_key())


def _cli_anchors() -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "mlops_desktop", "trust", "anchor", "list", "--format", "json"],
                         capture_output=True, text=True, env=os.environ.copy(), timeout=120, check=True)
    return json.loads(out.stdout)


@pytest.fixture
def dialog(qtbot, tmp_path: Path):
    dlg = SettingsDialog(GuiSettings(tmp_path / "gui.ini"))
    qtbot.addWidget(dlg)
    dlg.open()
    dlg.tabs.setCurrentWidget(dlg.anchors_tab)
    return dlg


def test_add_copy_remove_as_the_command_line(dialog, tmp_path: Path) -> None:
    tab = dialog.anchors_tab
    assert tab.table.rowCount() == 0 and tab.empty_label.isVisible()
    pub, kid = _pub(tmp_path / "dana.pub", "Dana Officer <dana@example.org>")
    tab.ref_edit.setText(str(pub))
    assert kid in tab.preview.text() and "Dana Officer" in tab.preview.text() and tab.add_button.isEnabled()
    tab.note_edit.setText("fingerprint read out by phone, 2026-12-01")
    tab.add_button.click()
    assert tab.banner.kind == "ok" and kid in tab.banner.text()
    assert tab.table.rowCount() == 1
    assert [tab.table.item(0, c).text() for c in range(4)] == [
        kid, "Dana Officer <dana@example.org>", "fingerprint read out by phone, 2026-12-01", SOURCE_FILE]
    # the command line reads the same file
    assert [(a["key_id"], a["note"], a["source"]) for a in _cli_anchors()] == [
        (kid, "fingerprint read out by phone, 2026-12-01", SOURCE_FILE)]
    # copy the whole fingerprint
    tab.table.selectRow(0)
    tab.copy_button.click()
    assert QGuiApplication.clipboard().text() == kid
    # remove
    assert tab.remove_button.isEnabled()
    tab.remove_button.click()
    assert tab.table.rowCount() == 0 and "removed" in tab.banner.text()
    assert not load_anchors().contains(kid)
    assert _cli_anchors() == []


def test_anchors_added_elsewhere_are_listed_and_only_file_ones_removable(
        qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli_pub, cli_kid = _pub(tmp_path / "admin.pub", "admin@example.org")
    add_anchor(str(cli_pub), "added with trust anchor add")
    env_pub, env_kid = _pub(tmp_path / "ci.pub", "ci@example.org")
    monkeypatch.setenv(ANCHORS_ENV, str(env_pub))
    own = create_key(tmp_path / "me.key", "Me", "me@example.org", STRONG)
    dlg = SettingsDialog(GuiSettings(tmp_path / "gui.ini"))
    qtbot.addWidget(dlg)
    tab = dlg.anchors_tab
    rows = {tab.table.item(r, 0).text(): tab.table.item(r, 3).text() for r in range(tab.table.rowCount())}
    assert rows == {cli_kid: SOURCE_FILE, env_kid: ANCHORS_ENV, own.key_id: SOURCE_OWN_KEY}
    for r in range(tab.table.rowCount()):
        tab.table.selectRow(r)
        removable = tab.table.item(r, 3).text() == SOURCE_FILE
        assert tab.remove_button.isEnabled() is removable
        if not removable:
            assert "remove it there" in tab.remove_button.toolTip()
    # removing a non-file anchor by id is refused with the reason
    assert tab.remove(env_kid) is None
    assert "not from the anchors file" in tab.banner.text() and load_anchors().contains(env_kid)


def test_bad_keys_are_explained(dialog, tmp_path: Path) -> None:
    tab = dialog.anchors_tab
    tab.ref_edit.setText(str(tmp_path / "absent.pub"))
    assert not tab.add_button.isEnabled() and "neither a key id" in tab.preview.text()
    pub, kid = _pub(tmp_path / "x.pub", "x@example.org")
    tab.ref_edit.setText(kid[:16])
    assert not tab.add_button.isEnabled() and "shortened key id" in tab.preview.text()
    assert tab.add_from_form() is None and "a prefix is not an anchor" in tab.banner.text()
    key = create_key(tmp_path / "private.key", "P", "p@example.org", STRONG)
    tab.ref_edit.setText(key.path)  # the private key file, not its .pub
    assert not tab.add_button.isEnabled() and "not a readable PEM public key" in tab.preview.text()
    garbage = tmp_path / "garbage.pub"
    garbage.write_bytes(b"\x00\x01 not a key")
    tab.ref_edit.setText(str(garbage))
    assert "not a readable PEM public key" in tab.preview.text()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    foreign = tmp_path / "witness.pub"  # an Ed25519 key: not a signer's
    foreign.write_bytes(ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    tab.ref_edit.setText(str(foreign))
    assert not tab.add_button.isEnabled() and "not an ECDSA P-256 key" in tab.preview.text()
    assert not anchors_path().exists()  # nothing written by any of these
    # a full fingerprint is a valid reference
    tab.ref_edit.setText(kid)
    assert tab.add_button.isEnabled() and tab.add_from_form() is not None
    assert load_anchors().contains(kid)
    assert tab.remove("ab" * 32) is None and "not in the trust anchors file" in tab.banner.text()


def test_damaged_anchors_file_is_a_message(qtbot, tmp_path: Path) -> None:
    anchors_path().parent.mkdir(parents=True, exist_ok=True)
    anchors_path().write_text("{ not json", encoding="utf-8")
    dlg = SettingsDialog(GuiSettings(tmp_path / "gui.ini"))
    qtbot.addWidget(dlg)
    tab = dlg.anchors_tab
    assert tab.banner.kind == "error" and "unreadable" in tab.banner.text()
    assert tab.table.rowCount() == 0
    # OK still works and leaves the file for the person to fix
    dlg.open()
    dlg.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dlg.isVisible() and anchors_path().read_text(encoding="utf-8") == "{ not json"


def test_ok_without_changes_leaves_the_anchors_file(qtbot, tmp_path: Path) -> None:
    pub, _kid = _pub(tmp_path / "a.pub", "a@example.org")
    add_anchor(str(pub), "kept")
    before = anchors_path().read_bytes()
    dlg = SettingsDialog(GuiSettings(tmp_path / "gui.ini"))
    qtbot.addWidget(dlg)
    dlg.open()
    dlg.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert anchors_path().read_bytes() == before


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_trust_anchors_tab_renders(qtbot, ui, tmp_path: Path, mode: str) -> None:
    for name, note in [("Dana Officer <dana@example.org>", "fingerprint read out by phone, 2026-12-01"),
                       ("Registry admin <admin@example.org>", "handed over on a USB key by the security team")]:
        pub, _ = _pub(tmp_path / f"{name.split()[0]}.pub", name)
        add_anchor(str(pub), note)
    theme.theme_manager().apply(mode)
    dlg = SettingsDialog(GuiSettings(tmp_path / "gui.ini"))
    qtbot.addWidget(dlg)
    dlg.resize(1280, 800)
    dlg.show()
    for index in range(dlg.tabs.count()):  # every tab of the changed dialog, for people to look at
        dlg.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        name = dlg.tabs.tabText(index).replace("&", "").lower().replace(" ", "_")
        ui.render(dlg, f"dialog_settings_{name}_{mode}")
    dlg.tabs.setCurrentWidget(dlg.anchors_tab)
    dlg.anchors_tab.table.selectRow(0)
    QApplication.processEvents()
    ui.render(dlg, f"dialog_settings_trust_anchors_{mode}")
    dlg.resize(1920, 1080)
    QApplication.processEvents()
    ui.render(dlg, f"dialog_settings_trust_anchors_1920_{mode}")
    theme.theme_manager().apply("system")


def test_an_anchor_added_here_is_what_verification_starts_from(dialog, tmp_path: Path) -> None:
    """The tab's anchors are the client's: a signer becomes anchored through the real administrator
    added here, never through an impostor store pinning its own key under the same name."""
    from mlops_desktop.governance.keys import SigningKey
    from mlops_desktop.governance.store import open_governance
    from mlops_desktop.governance.trust import add_signer, init_trust
    from mlops_desktop.services.trust import load_trust_state

    def key(identity: str) -> SigningKey:
        private = generate_private_key()
        return SigningKey(private, key_id(private.public_key()), identity)

    def store(path: Path, admin: SigningKey, signer: SigningKey) -> str:
        with open_governance(str(path)) as gov:
            init_trust(gov, [admin])
            add_signer(gov, admin, signer.public_key, signer.identity, ["approver"])
        return str(path)

    admin, alice = key("admin@example.org"), key("alice@example.org")
    impostor_admin, impostor = key("admin@example.org"), key("alice@example.org")
    genuine = store(tmp_path / "genuine.db", admin, alice)
    forged = store(tmp_path / "forged.db", impostor_admin, impostor)
    anchors_path().unlink(missing_ok=True)  # 'trust init' anchored both pins here; the auditor's machine is fresh
    dialog.anchors_tab.refresh()

    def anchored(url: str) -> dict[str, bool]:
        return {row.identity: row.anchored for row in load_trust_state(url).signers if row.identity != "admin@example.org"}

    assert anchored(genuine) == {"alice@example.org": False}  # a fresh client: nothing anchored
    admin_pub = tmp_path / "admin.pub"
    admin_pub.write_bytes(b"# identity: admin@example.org\n" + public_pem(admin.public_key))
    tab = dialog.anchors_tab
    tab.ref_edit.setText(str(admin_pub))
    tab.note_edit.setText("compared by phone")
    assert tab.add_from_form() is not None
    assert anchored(genuine) == {"alice@example.org": True}
    assert anchored(forged) == {"alice@example.org": False}  # same names, other keys: not verified
    assert tab.remove(admin.key_id) is not None
    assert anchored(genuine) == {"alice@example.org": False}
