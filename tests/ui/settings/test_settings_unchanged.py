"""Settings never lose a value the user did not change: for every field, a non-default value
survives opening the dialog and pressing OK without touching anything."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from mlops_desktop.core.profile import (
    ExpertDetermination,
    Processor,
    ReportProfile,
    RetentionRule,
    default_profile_path,
    load_profile,
    save_profile,
)
from mlops_desktop.resources import DEMO_ARTIFACT_PREFIX, demo_settings
from mlops_desktop.ui.common.settings import GuiSettings, Preferences
from mlops_desktop.ui.settings.dialog import SettingsDialog

#: field -> a value different from the default (and awkward where the dialog could mangle it)
NON_DEFAULTS: dict[str, object] = {
    "theme": "dark",
    "restore_stores": False,
    "governance_url": "postgresql://gov@db.example.org:5432/governance",
    "key_path": "/home/dana/keys/dana ö.key",
    "policy_file": "/etc/mlops/policy-not-created-yet.toml",  # unchanged: not checked again
    "ca_file": "/etc/mlops/org-ca.pem",
    "report_profile": "",  # its own test below
    "artifact_roots": {"/srv/mlflow/artifacts": "/mnt/copy", "s3://bucket/models": "/data/s3 copy"},
    "production_stages": ["Production", "Staging-EU"],
    "production_aliases": ["champion"],
    "min_approvals": 15,
    "retention_years": 0,
    "severities": {"F6": "low", "F1": "medium"},
    "recent_stores": ["/data/a.db", "postgresql://u:***@h/db"],
    "open_stores": ["/data/a.db"],
    "window_geometry": "AAAA",
    "window_state": "BBBB",
    "splitter_sizes": {"models": [200, 600]},
    "current_page": "lineage",
}


def test_every_preference_has_a_case() -> None:
    assert set(NON_DEFAULTS) == {f.name for f in dataclasses.fields(Preferences)}


def _ok(dialog: SettingsDialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dialog.isVisible(), dialog.error_label.text()


@pytest.mark.parametrize("name", sorted(k for k in NON_DEFAULTS if k != "report_profile"))
def test_ok_without_changes_keeps_the_field(qtbot, tmp_path: Path, name: str) -> None:
    path = tmp_path / "gui.ini"
    value = NON_DEFAULTS[name]
    assert value != getattr(Preferences(), name)
    GuiSettings(path).update(**{name: value})
    settings = GuiSettings(path)
    before = dataclasses.asdict(settings.prefs)
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.open()
    _ok(dialog)
    after = GuiSettings(path).prefs
    assert getattr(after, name) == value
    assert dataclasses.asdict(after) == before


def test_ok_without_changes_keeps_every_field_at_once(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "gui.ini"
    GuiSettings(path).update(**{k: v for k, v in NON_DEFAULTS.items() if k != "report_profile"})
    before = dataclasses.asdict(GuiSettings(path).prefs)
    for _ in range(2):  # twice: what the first OK wrote is read back the same
        dialog = SettingsDialog(GuiSettings(path))
        qtbot.addWidget(dialog)
        dialog.open()
        _ok(dialog)
    assert dataclasses.asdict(GuiSettings(path).prefs) == before


AWKWARD_PROFILE = ReportProfile(
    organisation="Example Health Ltd", controller="Example Health Ltd; 1 High Street",
    dpo_contact="dpo@example.org", officer_name="Dana Officer",
    purposes=("scoring; triage", "fraud detection"), recipients=("care | coordinators",),
    processors=(Processor("Cloud|Co", "hosting; backups", "BAA-3", True), Processor("MailCo", "", "DPA-1", False)),
    technical_measures=("encryption at rest",), organisational_measures=("annual access review",),
    expert_determination=ExpertDetermination("Dr. A. Statistician", "2026-01-15", "k-anonymity (k=11)"),
    retention=(RetentionRule("extracts", "6 years", ""), RetentionRule("logs | raw", "", "HIPAA")),
)


@pytest.mark.parametrize("custom_path", [False, True])
def test_ok_without_changes_keeps_the_report_profile(qtbot, tmp_path: Path, custom_path: bool) -> None:
    """Values holding the separators the tab uses (; and |) come back exactly, and the file is not rewritten."""
    path = tmp_path / "gui.ini"
    target = tmp_path / "team-profile.toml" if custom_path else default_profile_path()
    save_profile(AWKWARD_PROFILE, target)
    text = "# kept by hand\n" + target.read_text(encoding="utf-8")
    target.write_text(text, encoding="utf-8")
    if custom_path:
        GuiSettings(path).update(report_profile=str(target))
    dialog = SettingsDialog(GuiSettings(path))
    qtbot.addWidget(dialog)
    dialog.open()
    _ok(dialog)
    assert dataclasses.replace(load_profile(target), source="") == AWKWARD_PROFILE
    assert target.read_text(encoding="utf-8") == text  # not rewritten: nothing changed
    assert GuiSettings(path).prefs.report_profile == (str(target) if custom_path else "")


def test_a_changed_profile_field_keeps_the_unchanged_ones(qtbot, tmp_path: Path) -> None:
    save_profile(AWKWARD_PROFILE)
    dialog = SettingsDialog(GuiSettings(tmp_path / "gui.ini"))
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.profile_edits["officer_name"].setText("Eve Officer")
    _ok(dialog)
    assert dataclasses.replace(load_profile(), source="") == dataclasses.replace(AWKWARD_PROFILE,
                                                                                 officer_name="Eve Officer")


def test_demo_mapping_survives_ok(make_window, tmp_path: Path) -> None:
    """The demo's artifact-root mapping (given by 'mlops-desktop demo', not saved) stays in force."""
    window = make_window(gui_settings=GuiSettings(tmp_path / "gui.ini"), source_settings=demo_settings())
    expected = demo_settings()["artifact_roots"]
    assert window.source_settings["artifact_roots"] == expected
    dialog = window.show_settings_dialog()
    assert dialog.roots_table.rowCount() == 0  # not a saved setting
    # but shown, read-only, as in force
    assert not dialog.roots_in_force_label.isHidden()
    text = dialog.roots_in_force_label.text()
    assert DEMO_ARTIFACT_PREFIX in text and "not saved" in text and "OK keeps them" in text
    _ok(dialog)
    assert window.source_settings["artifact_roots"] == expected
    assert dict(window.models_view.verification_source().artifact_roots) == expected
    assert DEMO_ARTIFACT_PREFIX not in GuiSettings(tmp_path / "gui.ini").prefs.artifact_roots


def test_window_ok_and_cancel_without_changes_keep_everything(make_window, tmp_path: Path) -> None:
    """Through the window (which applies Settings): OK and Cancel leave the saved settings, the governance
    store and artifact roots given on the command line, and the window's state as they were."""
    path = tmp_path / "gui.ini"
    GuiSettings(path).update(**{k: v for k, v in NON_DEFAULTS.items()
                                if k not in ("report_profile", "theme", "window_geometry", "window_state",
                                             "splitter_sizes", "current_page", "open_stores")})
    cli_gov = str(tmp_path / "cli-governance.db")
    window = make_window(gui_settings=GuiSettings(path), governance_url=cli_gov, source_settings=demo_settings())
    window.persist_layout = False
    before = dataclasses.asdict(window.gui_settings.prefs)
    roots_before = dict(window.source_settings["artifact_roots"])
    assert roots_before == {**NON_DEFAULTS["artifact_roots"], **demo_settings()["artifact_roots"]}
    for press in (QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel):
        dialog = window.show_settings_dialog()
        dialog.buttons.button(press).click()
        assert not dialog.isVisible()
        assert window.governance_url == cli_gov
        assert window.source_settings["artifact_roots"] == roots_before
        assert dataclasses.asdict(GuiSettings(path).prefs) == before


def test_ok_writes_only_what_was_changed_here(qtbot, tmp_path: Path) -> None:
    """A setting changed elsewhere while the dialog is open (a key chosen in Edit > Signing keys, the
    theme from the View menu) is not reverted by OK; what was changed in the dialog is written."""
    path = tmp_path / "gui.ini"
    settings = GuiSettings(path)
    settings.update(key_path="/keys/old.key", min_approvals=3)
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.open()
    settings.remember_signing_key("/keys/new.key")  # elsewhere, meanwhile
    settings.update(theme="dark")
    dialog.approvals_spin.setValue(4)  # here
    _ok(dialog)
    after = GuiSettings(path).prefs
    assert after.key_path == "/keys/new.key" and after.theme == "dark" and after.min_approvals == 4


def test_signing_keys_from_settings_updates_the_key_field(make_window, qtbot, tmp_path: Path) -> None:
    from mlops_desktop.governance.keys import create_key

    path = tmp_path / "gui.ini"
    window = make_window(gui_settings=GuiSettings(path))
    info = create_key(tmp_path / "dana.key", "Dana Officer", "dana@example.org", "correct staple horse battery 42")
    settings_dialog = window.show_settings_dialog()
    assert settings_dialog.key_edit.text() == ""
    settings_dialog.manage_keys_button.click()
    keys = window.keys_dialog
    assert keys.isVisible() and keys.parent() is settings_dialog
    keys.table.selectRow(0)
    keys.use_button.click()
    keys.done(0)
    assert settings_dialog.key_edit.text() == info.path
    assert info.key_id in settings_dialog.key_fingerprint.text()
    _ok(settings_dialog)
    assert GuiSettings(path).prefs.key_path == info.path


def test_saved_roots_are_not_listed_twice(make_window, tmp_path: Path) -> None:
    settings = GuiSettings(tmp_path / "gui.ini")
    settings.update(artifact_roots={"/srv/a": "/mnt/a"})
    window = make_window(gui_settings=settings)
    dialog = window.show_settings_dialog()
    assert dialog.roots_table.rowCount() == 1 and dialog.roots_in_force_label.isHidden()
    dialog.reject()


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_artifact_roots_tab_renders(make_window, ui, tmp_path: Path, mode: str) -> None:
    from PySide6.QtWidgets import QApplication

    settings = GuiSettings(tmp_path / "gui.ini")
    settings.update(artifact_roots={"s3://models-bucket/artifacts": "/data/s3-copy"})
    window = make_window(gui_settings=settings, source_settings=demo_settings())
    window.set_theme(mode)
    dialog = window.show_settings_dialog()
    dialog.resize(1280, 800)
    dialog.tabs.setCurrentIndex(1)
    QApplication.processEvents()
    ui.render(dialog, f"dialog_settings_artifact_roots_in_force_{mode}")
    dialog.reject()
    window.set_theme("system")
