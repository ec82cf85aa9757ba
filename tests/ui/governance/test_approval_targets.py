"""The Approve dialog preselects the first target the version holds that is not approved and
says which of its targets stay unapproved (fraud-detector v3 holds Production and champion)."""

from __future__ import annotations

from mlops_desktop.governance.approvals import approve
from mlops_desktop.governance.keys import load_private_key
from mlops_desktop.governance.store import open_governance
from tests.ui.governance.test_governance_ui import (  # noqa: F401 - fixtures
    PASSPHRASE,
    catalog,
    gov_url,
    keys,
    open_dialog,
    widgets,
)


def test_preselects_the_unapproved_target_and_names_what_stays_unapproved(widgets, qtbot, catalog, gov_url, keys,  # noqa: F811
                                                                           ui):
    with open_governance(gov_url) as gov:
        for who in (keys.alice, keys.bob):
            approve(gov, catalog, "fraud-detector", "3", "champion", "validated", ["gdpr"],
                    load_private_key(who, PASSPHRASE))
    dialog = open_dialog(widgets, qtbot, catalog, gov_url, name="fraud-detector", version="3")
    assert dialog.target() == "Production"  # champion is approved; the old default was champion
    assert [t.status for t in dialog.held.values()] == ["unmet", "approved"]
    text = dialog.targets_label.text()
    assert "⚠ Production 0 of 2" in text and "✓ champion" in text
    assert dialog.still_unapproved() == ["Production"]
    assert "Still unapproved after this decision: Production" in text
    ui.render(dialog, "approval_dialog_held_targets")


def test_one_approval_each_leaves_both_unapproved(widgets, qtbot, catalog, gov_url, keys):  # noqa: F811
    with open_governance(gov_url) as gov:
        approve(gov, catalog, "fraud-detector", "3", "Production", "validated", ["gdpr"],
                load_private_key(keys.alice, PASSPHRASE))
    dialog = open_dialog(widgets, qtbot, catalog, gov_url, name="fraud-detector", version="3")
    assert dialog.target() == "Production"
    dialog.key_field.set_path(str(keys.bob))  # bob's approval would complete Production, not champion
    assert dialog.still_unapproved() == ["champion"]
    assert "Still unapproved after this decision: champion" in dialog.targets_label.text()
    dialog.key_field.set_path(str(keys.alice))  # alice again counts once: both stay unapproved
    assert dialog.still_unapproved() == ["Production", "champion"]
