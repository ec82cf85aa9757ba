"""Settings > Report profile: the fields write the TOML profile reports read, and name what is missing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox

from mlops_desktop.core.profile import (
    ExpertDetermination,
    Processor,
    RetentionRule,
    default_profile_path,
    load_profile,
)
from mlops_desktop.ui.common.settings import GuiSettings
from mlops_desktop.ui.settings.dialog import SettingsDialog


def test_profile_tab_writes_the_profile(qtbot, ui, tmp_path: Path) -> None:
    s = GuiSettings(tmp_path / "gui.ini")
    dialog = SettingsDialog(s)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.tabs.setCurrentWidget(dialog.profile_tab)
    assert dialog.profile_missing.text().startswith("Reports will name these as not recorded: organisation, controller")
    values = {
        "organisation": "Example Health Ltd", "controller": "Example Health Ltd, 1 High Street",
        "dpo_contact": "dpo@example.org", "officer_name": "Dana Officer", "purposes": "scoring; fraud detection",
        "recipients": "care coordinators", "processors": "CloudCo | model hosting | BAA-3 | BA; MailCo | e-mail",
        "technical_measures": "encryption at rest", "organisational_measures": "annual access review",
        "ed_expert": "Dr. A. Statistician", "ed_date": "2026-01-15", "ed_method": "k-anonymity (k=11)",
        "retention": "training extracts | 6 years | 45 CFR 164.316(b)(2)",
    }
    for key, text in values.items():
        dialog.profile_edits[key].setText(text)
    assert dialog.profile_missing.text() == "Every field reports read is filled."
    ui.render(dialog, "dialog_settings_report_profile")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dialog.isVisible()
    prof = load_profile(default_profile_path())
    assert prof.officer_name == "Dana Officer" and prof.purposes == ("scoring", "fraud detection")
    assert prof.processors == (Processor("CloudCo", "model hosting", "BAA-3", True), Processor("MailCo", "e-mail", "", False))
    assert prof.expert_determination == ExpertDetermination("Dr. A. Statistician", "2026-01-15", "k-anonymity (k=11)")
    assert prof.retention == (RetentionRule("training extracts", "6 years", "45 CFR 164.316(b)(2)"),)
    report = s.report_settings()  # what the report dialog is given
    assert report.profile.officer_name == "Dana Officer" and report.author_name() == "Dana Officer"
    # reopened, the tab shows what was saved
    again = SettingsDialog(s)
    qtbot.addWidget(again)
    assert again.profile_edits["processors"].text() == "CloudCo | model hosting | BAA-3 | BA; MailCo | e-mail"


def test_unchanged_empty_profile_is_not_written(qtbot, tmp_path: Path) -> None:
    s = GuiSettings(tmp_path / "gui.ini")
    dialog = SettingsDialog(s)
    qtbot.addWidget(dialog)
    dialog.accept()
    assert not default_profile_path().exists()
    custom = tmp_path / "profile.toml"
    dialog = SettingsDialog(s)
    qtbot.addWidget(dialog)
    dialog.profile_path_edit.setText(str(custom))
    dialog.profile_edits["officer_name"].setText("Dana Officer")
    dialog.accept()
    assert s.prefs.report_profile == str(custom) and load_profile(custom).officer_name == "Dana Officer"
