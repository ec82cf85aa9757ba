"""The reports' "Promotion history" section, read back from the PDF with pypdf: each observed
promotion with its window and the decisions that covered it; "not recorded" without a journal."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest

from mlops_desktop.core.findings import FindingSettings
from mlops_desktop.governance.journal import observations
from mlops_desktop.governance.store import open_governance
from mlops_desktop.reports.jobs import run_report
from mlops_desktop.reports.model import ReportSettings
from tests.governance.test_journal_mlflow import _iso_ms, _scenario

pytest.importorskip("mlflow", reason="the test extra (mlflow) is not installed")

SETTINGS = ReportSettings(findings=FindingSettings(), generated_at=datetime.now(UTC), author="Test Officer",
                          organisation="Example Health Ltd")


def _text(pdf: Path) -> str:
    return " ".join((page.extract_text() or "") for page in pypdf.PdfReader(pdf).pages)


def _section(text: str) -> str:
    """The Promotion history section's text without whitespace (table cells wrap anywhere, even
    within a time), up to the next section; compare with :func:`_s` of the expected text."""
    flat = re.sub(r"\s+", "", text)
    heading = _s("Promotion history (registry journal)")  # also in the contents and the running page headers
    starts = [m.end() for m in re.finditer(re.escape(heading), flat)
              if flat.startswith((_s("Each change"), _s("Promotion history:")), m.end())]
    assert len(starts) == 1, "the section appears once"
    return flat[starts[0]:]


def _s(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("edition", ["model-risk", "gdpr"])
def test_promotion_history_names_each_change_and_its_approvals(tmp_path: Path, edition: str) -> None:
    s = _scenario(tmp_path, ("alice", "bob"))
    s.gov.close()
    out = tmp_path / f"{edition}.pdf"
    run_report([str(s.db)], edition, out, models=["demand-forecast", "fraud-detector", "credit-limit"],
               governance_url=str(s.gov_path), settings=SETTINGS)
    text = _section(_text(out))
    # the unapproved stage change: exact version, target and window end, not covered
    assert _s("demand-forecast v3 moved from stage None to Production between") in text
    # its window ends at MLflow's last_updated_time of the version
    ended = _iso_ms(s.updated_ms[("demand-forecast", "3")])
    assert _s(f"between {s.first.observed_at} and {ended} (narrowed by the version's last_updated_time)") in text
    assert _s("NOT MET: 2 distinct trusted approvers with role approver: Only 0 of 2 required approvals count") in text
    # the approved alias move: both signers named as the decisions that covered it
    assert _s("fraud-detector: alias champion moved from v3 to v2 between") in text
    assert _s("only the observation window is known") in text
    fraud = text[text.index(_s("fraud-detector: alias champion moved")):]
    assert _s("alice@example.org (approved champion") in fraud and _s("bob@example.org (approved champion") in fraud
    assert _s("met by the end of the window") in fraud
    # a model the journal observed that was not promoted
    assert _s("No promotion observed between") in text[text.index(_s("credit-limit")):]
    assert _s("F20") in text


def test_no_journal_is_not_recorded(tmp_path: Path, mlflow3_db: Path) -> None:
    out = tmp_path / "plain.pdf"
    run_report([str(mlflow3_db)], "model-risk", out, models=["fraud-detector"], settings=SETTINGS)
    text = _section(_text(out))
    assert _s("Promotion history: not recorded. No governance store was given") in text
    assert _s("not recorded — gap: no governance store was given, so the registry journal was not read.") in text
    # a governance store whose journal never observed this registry, read-only: nothing is recorded
    gov_path = tmp_path / "gov.db"
    open_governance(str(gov_path)).close()
    gov_path.chmod(0o444)
    out = tmp_path / "unobserved.pdf"
    try:
        run_report([str(mlflow3_db)], "model-risk", out, models=["fraud-detector"], governance_url=str(gov_path),
                   settings=SETTINGS)
    finally:
        gov_path.chmod(0o644)
    text = _section(_text(out))
    assert _s("Registry journal: not recorded (no observation of these registries)") in text
    assert _s("Promotion history: not recorded. The journal holds no observation of this model's registry") in text
    assert _s("moved from") not in text
    assert _s("not recorded — gap: the registry journal holds fewer than two observations of 1 of 1 registries "
              "in scope, so no promotion could be observed there") in text
    # writable: the report records the registry's first observation; the history starts there
    out = tmp_path / "first.pdf"
    run_report([str(mlflow3_db)], "model-risk", out, models=["fraud-detector"], governance_url=str(gov_path),
               settings=SETTINGS)
    with open_governance(str(gov_path)) as gov:
        [first] = observations(gov)
    text = _section(_text(out))
    assert _s(f"Promotion history: not recorded before {first.observed_at}, the journal's first observation of "
              "this model's registry") in text
    assert _s("fewer than two observations of 1 of 1 registries in scope") in text
