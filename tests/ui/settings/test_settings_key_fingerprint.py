"""Settings > General shows the full fingerprint of the chosen signing key (from its public key)."""

from __future__ import annotations

from pathlib import Path

from mlops_desktop.governance.keys import create_key
from mlops_desktop.ui.common.settings import GuiSettings
from mlops_desktop.ui.settings.dialog import SettingsDialog


def test_signing_key_fingerprint(qtbot, tmp_path: Path) -> None:
    info = create_key(tmp_path / "dana.key", "Dana Officer", "dana@example.org", "correct staple horse battery 42")
    settings = GuiSettings(tmp_path / "gui.ini")
    settings.update(key_path=info.path)
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.key_fingerprint.text() == f"Fingerprint: <code>{info.key_id}</code>"
    dialog.key_edit.setText(str(tmp_path / "absent.key"))
    assert "No such key file" in dialog.key_fingerprint.text()
    Path(info.public_path).write_text("not a key", encoding="utf-8")  # a damaged .pub: no fingerprint
    dialog.key_edit.setText(info.path)
    assert "not a readable PEM public key" in dialog.key_fingerprint.text()
    assert info.key_id not in dialog.key_fingerprint.text()
    dialog.key_edit.setText("")
    assert "newest key" in dialog.key_fingerprint.text()
