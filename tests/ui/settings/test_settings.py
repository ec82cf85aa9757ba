"""GUI settings: one typed declaration in QSettings, versioned with migrations; the settings dialog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from mlops_desktop.ui.common import theme
from mlops_desktop.ui.common.settings import (
    SCHEMA_VERSION,
    GuiSettings,
    Preferences,
    migrate,
    settings_path,
)
from mlops_desktop.ui.settings.dialog import SettingsDialog


def test_defaults_and_round_trip_keep_types(tmp_path: Path):
    path = tmp_path / "gui.ini"
    s = GuiSettings(path)
    assert s.prefs == Preferences()
    assert s.theme == "system"
    s.update(artifact_roots={"/srv/mlflow": "/mnt/copy"}, min_approvals=3, restore_stores=False,
             severities={"F6": "low"}, production_aliases=["champion"], splitter_sizes={"splitter0": [1, 2]})
    again = GuiSettings(path)
    assert again.prefs.artifact_roots == {"/srv/mlflow": "/mnt/copy"}
    assert again.prefs.min_approvals == 3 and again.prefs.restore_stores is False
    assert again.prefs.splitter_sizes == {"splitter0": [1, 2]}
    findings = again.finding_settings()
    assert findings.min_approvals == 3 and findings.production_aliases == ("champion",)
    assert findings.severity_of("F6") == "low" and findings.severity_of("F1") == "high"
    assert again.source_settings() == {"artifact_roots": {"/srv/mlflow": "/mnt/copy"}}
    assert f"version={SCHEMA_VERSION}" in path.read_text(encoding="utf-8")


def test_default_location_is_the_user_config_dir(_isolated_user_dirs: Path):
    assert settings_path() == _isolated_user_dirs / ".config" / "mlops-desktop" / "gui.ini"
    GuiSettings().add_recent_store("/data/a.db")
    assert settings_path().is_file()


def test_migration_from_the_version_1_json_file(tmp_path: Path):
    legacy = tmp_path / "gui.json"
    legacy.write_text(json.dumps({"recent_stores": ["/data/mlflow.db"], "theme": "dark",
                                  "last_key_path": "/keys/alice.key", "last_admin_key_path": "/keys/admin.key"}),
                      encoding="utf-8")
    s = GuiSettings(tmp_path / "gui.ini")
    assert s.migrated_from == 1
    assert s.recent_stores == ["/data/mlflow.db"] and s.theme == "dark"
    assert s.prefs.key_path == "/keys/alice.key"  # the old name became the declared setting
    assert s.data["last_key_path"] == "/keys/alice.key"
    assert s.data["last_admin_key_path"] == "/keys/admin.key"  # undeclared keys are kept
    assert (tmp_path / "gui.ini").is_file() and legacy.is_file()  # the old file is left alone
    again = GuiSettings(tmp_path / "gui.ini")
    assert again.migrated_from is None and again.theme == "dark"
    assert again.data["last_admin_key_path"] == "/keys/admin.key"


def test_migrate_hook_runs_each_step(monkeypatch: pytest.MonkeyPatch):
    from mlops_desktop.ui.common import settings as mod

    seen = []

    def rename_colour(data):
        seen.append(2)
        out = {k: v for k, v in data.items() if k != "colour"}
        out["theme"] = data["colour"]
        return out

    monkeypatch.setattr(mod, "SCHEMA_VERSION", 3)
    monkeypatch.setitem(mod.MIGRATIONS, 2, rename_colour)
    assert migrate({"colour": "light"}, 1) == {"theme": "light"}
    assert seen == [2]
    assert migrate({"x": 1}, 0) == {}  # no path from version 0: defaults


def test_invalid_values_fall_back_to_defaults(tmp_path: Path):
    path = tmp_path / "gui.ini"
    path.write_text(
        "[meta]\nversion=2\n[prefs]\n"
        'theme="\\"purple\\""\n'
        "min_approvals=\"\\\"two\\\"\"\n"
        "recent_stores=not json\n"
        'severities="{\\"F6\\": \\"catastrophic\\"}"\n'
        'artifact_roots="{\\"/srv\\": \\"/mnt\\"}"\n',
        encoding="utf-8",
    )
    s = GuiSettings(path)
    assert s.prefs.theme == "system"
    assert s.prefs.min_approvals == 2
    assert s.prefs.recent_stores == []
    assert s.prefs.severities == {}
    assert s.prefs.artifact_roots == {"/srv": "/mnt"}
    with pytest.raises(ValueError, match="invalid value for theme"):
        s.update(theme="purple")
    with pytest.raises(KeyError):
        s.update(nonsense=1)


def test_newer_settings_are_read_and_their_version_kept(tmp_path: Path):
    path = tmp_path / "gui.ini"
    path.write_text('[meta]\nversion=99\n[prefs]\ntheme="\\"light\\""\nfuture_thing=1\n', encoding="utf-8")
    s = GuiSettings(path)
    assert s.theme == "light" and s.version == 99
    s.add_recent_store("/data/x.db")
    assert "version=99" in path.read_text(encoding="utf-8")


def test_unreadable_or_readonly_settings_never_stop_the_app(tmp_path: Path):
    path = tmp_path / "gui.ini"
    path.write_bytes(b"\xff\xfe\x00garbage[[[")
    s = GuiSettings(path)
    assert s.prefs.theme in ("system",)
    ro = GuiSettings(tmp_path / "ro.ini", readonly=True)
    ro.add_recent_store("/data/x.db")
    assert not (tmp_path / "ro.ini").exists()
    blocked = tmp_path / "file"
    blocked.write_text("x", encoding="utf-8")
    GuiSettings(blocked / "gui.ini").add_recent_store("/data/y.db")  # parent is a file: warning only


def test_passwords_never_stored_and_not_restored(tmp_path: Path):
    s = GuiSettings(tmp_path / "gui.ini")
    s.set_open_stores(["mlflow+postgresql://alice:s3cret@db/mlflow", "/data/a.db"])
    assert "s3cret" not in (tmp_path / "gui.ini").read_text(encoding="utf-8")
    assert s.stores_to_restore() == ["/data/a.db"]
    s.update(restore_stores=False)
    assert s.stores_to_restore() == []


def test_settings_dialog_edits_and_applies(make_window, qtbot, ui, tmp_path: Path):
    window = make_window()
    window.settings_action.trigger()
    dialog = window.settings_dialog
    assert window.settings_action.shortcut().toString() == "Ctrl+,"
    assert dialog.isVisible()
    ui.render(dialog, "dialog_settings")
    dialog.theme_combo.setCurrentIndex(2)  # dark
    dialog._add_root_row("/srv/mlflow/artifacts", str(tmp_path))
    dialog.key_edit.setText("/keys/alice.key")
    dialog.governance_edit.setText(str(tmp_path / "gov.db"))
    dialog.severity_combos["F6"].setCurrentText("low")
    dialog.approvals_spin.setValue(3)
    dialog.aliases_edit.setText("champion, prod")
    dialog.tabs.setCurrentIndex(2)
    ui.render(dialog, "dialog_settings_findings")
    with qtbot.waitSignal(window.sig_governance_changed) as changed:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert changed.args == [str(tmp_path / "gov.db")]
    assert not dialog.isVisible()
    prefs = GuiSettings().prefs  # what was written
    assert prefs.theme == "dark" and prefs.key_path == "/keys/alice.key"
    assert prefs.artifact_roots == {"/srv/mlflow/artifacts": str(tmp_path)}
    assert prefs.severities == {"F6": "low"} and prefs.min_approvals == 3
    assert prefs.production_aliases == ["champion", "prod"]
    assert theme.colors() is theme.DARK  # applied at once
    assert window.source_settings["artifact_roots"] == {"/srv/mlflow/artifacts": str(tmp_path)}
    assert window.governance_url == str(tmp_path / "gov.db")
    window.set_theme("system")


def test_settings_dialog_refuses_no_production_target(qtbot, tmp_path: Path):
    s = GuiSettings(tmp_path / "gui.ini")
    dialog = SettingsDialog(s)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.stages_edit.setText(" , ")
    dialog.aliases_edit.setText("")
    dialog.accept()
    assert dialog.isVisible() and "at least one production stage" in dialog.error_label.text()
    assert s.prefs.production_stages == ["Production"]  # nothing written
    dialog._on_defaults_clicked()
    dialog.reject()


def test_saved_settings_feed_a_new_window(make_window, tmp_path: Path):
    GuiSettings().update(artifact_roots={"/srv": str(tmp_path)}, governance_url=str(tmp_path / "g.db"))
    window = make_window(source_settings={"artifact_roots": {"/other": "/x"}})
    assert window.source_settings["artifact_roots"] == {"/srv": str(tmp_path), "/other": "/x"}
    assert window.governance_url == str(tmp_path / "g.db")
    cli_store = str(tmp_path / "cli.db")
    assert make_window(governance_url=cli_store).governance_url == cli_store  # the command line wins


def test_ok_without_changes_keeps_what_the_command_line_gave(make_window, tmp_path: Path):
    """Settings replace a command-line value only when the user changed that setting."""
    cli_gov = str(tmp_path / "cli-governance.db")
    window = make_window(gui_settings=GuiSettings(tmp_path / "gui.ini"), governance_url=cli_gov,
                         source_settings={"artifact_roots": {"/srv/demo": "/opt/demo-artifacts"}})
    changed: list[object] = []
    window.sig_governance_changed.connect(changed.append)
    dialog = window.show_settings_dialog()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert window.governance_url == cli_gov
    assert window.source_settings["artifact_roots"] == {"/srv/demo": "/opt/demo-artifacts"}
    assert changed == []

    other = str(tmp_path / "team-governance.db")
    dialog = window.show_settings_dialog()
    dialog.governance_edit.setText(other)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert window.governance_url == other and changed == [other]
    assert window.source_settings["artifact_roots"] == {"/srv/demo": "/opt/demo-artifacts"}
