"""``count_external_claims``: the policy ignores other registries' approval claims by default and
counts them, labelled unsigned, when a target says so (DataRobot and SageMaker fixtures)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

pytest.importorskip("datarobot", reason="the DataRobot source validates with the datarobot client's schemas")

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import UsageError
from mlops_desktop.governance.approvals import approve, verify_approvals
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.policy import (
    DEFAULT_POLICY,
    PolicyResult,
    evaluate_policy,
    load_policy,
)
from mlops_desktop.sources.loader import load_catalog
from tests.conftest import FIXTURES
from tests.governance.helpers import Team

DATAROBOT = f"datarobot:{FIXTURES / 'datarobot' / 'export'}"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
CAROL = "approved in DataRobot by carol@example.org at 2026-03-12T09:45:00Z, not signed"


@pytest.fixture(scope="module")
def dr_catalog() -> Catalog:
    return load_catalog([DATAROBOT])


def policy_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text('id = "claims-test"\n' + body, encoding="utf-8")
    return path


COUNTING = """
[targets.pushed]
approvers = 1
pii_regime = ""
count_external_claims = true
"""


def evaluate(path_or_default: Path | None, catalog: Catalog, model: str, version: str,
             now: datetime = NOW) -> PolicyResult:
    policy = load_policy(path_or_default) if path_or_default else DEFAULT_POLICY
    mv = catalog.find_version(model, version)
    assert mv is not None
    return evaluate_policy(policy, catalog, mv, "pushed", [], now)


def test_default_ignores_claims(dr_catalog: Catalog, tmp_path: Path) -> None:
    result = evaluate(None, dr_catalog, "churn-predictor-dr", "2")
    assert not result.satisfied and result.counted_claims == []
    first = result.rules[0]
    assert (first.rule, first.satisfied, first.explanation) == (
        "1 distinct trusted approver with role approver", False, "Only 0 of 1 required approvals count (none).")
    assert "counted_external_claims" not in result.to_dict()
    # the same with the option written out as false
    off = policy_file(tmp_path, COUNTING.replace("true", "false"))
    assert evaluate(off, dr_catalog, "churn-predictor-dr", "2").rules[0].explanation == (
        "Only 0 of 1 required approvals count (none).")
    assert "count_external_claims" not in DEFAULT_POLICY.targets["Production"].to_dict()


def test_the_option_counts_a_claim_labelled_unsigned(dr_catalog: Catalog, tmp_path: Path) -> None:
    result = evaluate(policy_file(tmp_path, COUNTING), dr_catalog, "churn-predictor-dr", "2")
    assert result.satisfied
    assert result.counted_claims == [CAROL] and result.counted_key_ids == []
    first = result.rules[0]
    assert first.rule == "1 distinct trusted approver with role approver (external approval claims count, unsigned)"
    assert first.explanation == f"1 of 1 counted: {CAROL} (unsigned external claim)."
    assert result.to_dict()["counted_external_claims"] == [{"statement": CAROL, "signed": False}]


def test_claims_that_do_not_count_say_why(dr_catalog: Catalog, tmp_path: Path) -> None:
    path = policy_file(tmp_path, COUNTING)
    # approved by bob, who created the version: separation of duties
    result = evaluate(path, dr_catalog, "fraud-detector-dr", "1")
    assert not result.satisfied and result.counted_claims == []
    assert result.rules[0].explanation == (
        "Only 0 of 1 required approvals count (none). Not counted: approved in DataRobot by bob@example.org at "
        "2026-01-12T09:15:00Z, not signed (unsigned external claim): by the version's author or run user.")
    # changes requested: no approval claimed
    result = evaluate(path, dr_catalog, "fraud-detector-dr", "2")
    assert not result.satisfied and result.rules[0].explanation == "Only 0 of 1 required approvals count (none)."
    # older than expiry_days
    result = evaluate(path, dr_catalog, "churn-predictor-dr", "2", now=datetime(2027, 6, 1, tzinfo=UTC))
    assert not result.satisfied
    assert result.rules[0].explanation.endswith(f"Not counted: {CAROL} (unsigned external claim): older than "
                                                "365 days.")


def test_a_later_rejection_in_the_registry_supersedes_its_approval(tmp_path: Path) -> None:
    pytest.importorskip("botocore", reason="the SageMaker fixture needs botocore")
    catalog = load_catalog([f"sagemaker:{FIXTURES / 'sagemaker' / 'account'}"])
    mv = catalog.find_version("readmission-risk-sm", "2")
    assert mv is not None and [c.status for c in mv.external_approvals] == ["Approved"]
    policy = load_policy(policy_file(tmp_path, COUNTING.replace("pushed", "Production") + 'phi_regime = ""\n'))
    result = evaluate_policy(policy, catalog, mv, "Production", [], NOW)
    assert result.satisfied and result.counted_claims == [mv.external_approvals[0].statement()]
    rejected = catalog.find_version("readmission-risk-sm", "1")
    assert rejected is not None and [c.status for c in rejected.external_approvals] == ["Rejected"]
    assert evaluate_policy(policy, catalog, rejected, "Production", [], NOW).counted_claims == []


def test_a_signature_and_a_claim_make_two(gov: Governance, team: Team, dr_catalog: Catalog, tmp_path: Path) -> None:
    path = policy_file(tmp_path, COUNTING.replace("approvers = 1", "approvers = 2"))
    approve(gov, dr_catalog, "churn-predictor-dr", "2", "pushed", "ok", ["gdpr"], team.bob)
    policy = load_policy(path)
    mv = dr_catalog.find_version("churn-predictor-dr", "2")
    assert mv is not None
    decisions = [v.to_decision() for v in verify_approvals(gov, dr_catalog, policy=policy)]
    result = evaluate_policy(policy, dr_catalog, mv, "pushed", decisions, datetime.now().astimezone())
    assert result.satisfied
    assert result.counted_key_ids == [team.bob.key_id] and result.counted_claims == [CAROL]
    assert result.rules[0].explanation.startswith("2 of 2 counted: ")
    assert result.rules[0].explanation.endswith(f", {CAROL} (unsigned external claim).")
    # without the option the same signature is one of two
    without = load_policy(policy_file(tmp_path, COUNTING.replace("approvers = 1", "approvers = 2")
                                      .replace("true", "false")))
    assert not evaluate_policy(without, dr_catalog, mv, "pushed", decisions, datetime.now().astimezone()).satisfied


def test_a_bad_value_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="count_external_claims in .* must be true or false, not 'yes'"):
        load_policy(policy_file(tmp_path, COUNTING.replace("true", '"yes"')))


def test_verify_command_says_unsigned(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from mlops_desktop.cli.main import main

    monkeypatch.setenv("MLOPS_DESKTOP_GOVERNANCE_URL", str(tmp_path / "gov.db"))
    args = ["verify", "--store", DATAROBOT, "--model", "churn-predictor-dr", "--version", "2", "--target", "pushed"]
    assert main([*args, "--policy", str(policy_file(tmp_path, COUNTING.replace("true", "false")))]) == 1
    capsys.readouterr()
    assert main([*args, "--policy", str(policy_file(tmp_path, COUNTING))]) == 0
    out = capsys.readouterr().out
    assert f"{CAROL} (unsigned external claim)" in out
