"""The report profile: TOML read and written back, missing fields named, bad files refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_desktop.core.errors import UsageError
from mlops_desktop.core.profile import (
    ExpertDetermination,
    Processor,
    ReportProfile,
    RetentionRule,
    default_profile_path,
    load_profile,
    officer_name,
    save_profile,
)

FULL = ReportProfile(
    organisation="Example Health Ltd", controller="Example Health Ltd, 1 High Street", dpo_contact="dpo@example.org",
    officer_name="Dana Officer", purposes=("readmission risk scoring",), recipients=("care coordinators",),
    processors=(Processor("CloudCo", "model hosting", "DPA-7 / BAA-3", True), Processor("MailCo", "e-mail")),
    technical_measures=("encryption at rest",), organisational_measures=("annual access review",),
    expert_determination=ExpertDetermination("Dr. A. Statistician", "2026-01-15", "k-anonymity (k=11)"),
    retention=(RetentionRule("training extracts", "6 years", "45 CFR 164.316(b)(2)"),),
)


def test_round_trip_and_nothing_missing(tmp_path: Path) -> None:
    path = save_profile(FULL, tmp_path / "p.toml")
    loaded = load_profile(path)
    assert loaded.source == str(path)
    assert loaded == ReportProfile(**{**{f: getattr(FULL, f) for f in FULL.__dataclass_fields__}, "source": str(path)})
    assert loaded.missing() == [] and loaded.missing_note() == ""


def test_missing_fields_are_named() -> None:
    p = ReportProfile(organisation="X", expert_determination=ExpertDetermination(expert="E"))
    assert p.missing("organisation", "controller", "expert_determination", "processors") == [
        "controller", "Expert Determination record", "processors / business associates"]
    assert p.missing_note("dpo_contact") == "Not recorded in the report profile (gap): DPO contact."


def test_default_path_missing_is_empty_explicit_missing_is_refused(tmp_path: Path) -> None:
    assert default_profile_path() == Path.home() / ".config" / "mlops-desktop" / "report-profile.toml"
    assert load_profile() == ReportProfile()
    with pytest.raises(UsageError, match="does not exist"):
        load_profile(tmp_path / "nope.toml")
    assert load_profile(tmp_path / "nope.toml", required=False) == ReportProfile()


@pytest.mark.parametrize(("text", "message"), [
    ("organisation = ", "not valid TOML"),
    ("organization = 'x'", "unknown key"),
    ("purposes = 3", "must be a list of text"),
    ("[[processors]]\nservice = 'x'", "has no name"),
    ("[[processors]]\nname = 'x'\nbusiness_associate = 'yes'", "must be true or false"),
    ("expert_determination = 'x'", "must be a table"),
    ("[[retention]]\nperiod = '6 years'", "has no 'data'"),
])
def test_bad_profiles_get_one_clear_message(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        load_profile(path)


def test_officer_name_from_the_default_profile(tmp_path: Path) -> None:
    assert officer_name() == ""
    save_profile(ReportProfile(officer_name="Dana Officer"))
    assert officer_name() == "Dana Officer"
    default_profile_path().write_text("officer_name = [", encoding="utf-8")
    assert officer_name() == ""  # a broken profile never stops the audit log


def test_audit_actor_carries_the_officer_beside_the_os_user() -> None:
    import getpass

    from mlops_desktop.governance.audit import current_actor

    assert current_actor("k1") == {"os_user": getpass.getuser(), "key_id": "k1"}
    save_profile(ReportProfile(officer_name="Dana Officer"))
    assert current_actor("k1") == {"os_user": getpass.getuser(), "key_id": "k1", "officer": "Dana Officer"}
