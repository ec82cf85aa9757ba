"""Promotion policy: counting distinct trusted approvers, roles, separation of duties, regimes, expiry."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import UsageError
from mlops_desktop.governance.approvals import approve, reject, verify_approvals
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.policy import (
    DEFAULT_POLICY,
    Policy,
    PolicyResult,
    evaluate_policy,
    load_policy,
    same_person,
    version_classification,
)
from tests.governance.helpers import Team

FRAUD = ("fraud-detector", "3")  # PII, author/run user dan@example.org
READMISSION = ("readmission-risk", "3")  # PHI and PII, alias champion, author dan@example.org


def evaluate(gov: Governance, catalog: Catalog, model: tuple[str, str], target: str,
             policy: Policy = DEFAULT_POLICY, now: datetime | None = None) -> PolicyResult:
    mv = catalog.find_version(*model)
    assert mv is not None
    verified = verify_approvals(gov, catalog, policy=policy)
    return evaluate_policy(policy, catalog, mv, target, [v.to_decision() for v in verified],
                           now or datetime.now().astimezone())


def unmet(result: PolicyResult) -> str:
    return " ".join(f"{r.rule}: {r.explanation}" for r in result.unmet())


def test_builtin_default_policy_is_as_designed() -> None:
    for target in ("Production", "champion", "production"):
        rule = DEFAULT_POLICY.rule_for(target)
        assert rule is not None
        assert (rule.approvers, rule.roles, rule.separation_of_duties, rule.phi_regime, rule.pii_regime,
                rule.expiry_days) == (2, ("approver",), True, "hipaa", "gdpr", 365)
    assert DEFAULT_POLICY.rule_for("PRODUCTION") is DEFAULT_POLICY.rule_for("Production")
    assert len(DEFAULT_POLICY.digest) == 64


def test_one_approval_is_not_enough(gov: Governance, team: Team, catalog: Catalog) -> None:
    approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.alice)
    result = evaluate(gov, catalog, FRAUD, "Production")
    assert not result.satisfied
    assert "Only 1 of 2 required approvals count" in unmet(result)


def test_the_same_key_twice_is_not_two(gov: Governance, team: Team, catalog: Catalog) -> None:
    approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.alice)
    approve(gov, catalog, *FRAUD, "Production", "ok again", ["gdpr"], team.alice)
    result = evaluate(gov, catalog, FRAUD, "Production")
    assert not result.satisfied
    text = unmet(result)
    assert "Only 1 of 2" in text and "the same key counts once" in text
    assert result.counted_key_ids == [team.alice.key_id]


def test_two_distinct_approvers_satisfy(gov: Governance, team: Team, catalog: Catalog) -> None:
    approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.alice)
    approve(gov, catalog, *FRAUD, "Production", "ok", [], team.bob)
    result = evaluate(gov, catalog, FRAUD, "Production")
    assert result.satisfied, unmet(result)
    assert sorted(result.counted_key_ids) == sorted([team.alice.key_id, team.bob.key_id])
    assert all(r.explanation for r in result.rules)


def test_the_models_author_cannot_approve(gov: Governance, team: Team, catalog: Catalog) -> None:
    approve(gov, catalog, *FRAUD, "Production", "mine, fine", ["gdpr"], team.dan)
    approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.alice)
    result = evaluate(gov, catalog, FRAUD, "Production")
    assert not result.satisfied
    text = unmet(result)
    assert "dan@example.org" in text and "author or run user" in text
    assert team.dan.key_id not in result.counted_key_ids


def test_phi_model_needs_a_hipaa_approval(gov: Governance, team: Team, catalog: Catalog) -> None:
    mv = catalog.find_version(*READMISSION)
    assert mv is not None and version_classification(catalog, mv).phi
    approve(gov, catalog, *READMISSION, "champion", "ok", ["gdpr"], team.alice)
    approve(gov, catalog, *READMISSION, "champion", "ok", ["gdpr"], team.bob)
    result = evaluate(gov, catalog, READMISSION, "champion")
    assert not result.satisfied
    assert [r.rule for r in result.unmet()] == [
        "One counted approval carries the hipaa regime (the version's lineage carries PHI)"]
    assert "No counted approval carries the hipaa regime" in unmet(result)
    approve(gov, catalog, *READMISSION, "champion", "HIPAA reviewed", ["hipaa", "gdpr"], team.bob)
    assert evaluate(gov, catalog, READMISSION, "champion").satisfied


def test_reviewer_role_does_not_count(gov: Governance, team: Team, catalog: Catalog) -> None:
    approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.alice)
    approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.carol)
    text = unmet(evaluate(gov, catalog, FRAUD, "Production"))
    assert "carol@example.org" in text and "has role reviewer, needs approver" in text


def test_rejection_stands_until_the_signer_approves_again(gov: Governance, team: Team, catalog: Catalog) -> None:
    approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.alice)
    approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.bob)
    reject(gov, catalog, *FRAUD, "Production", "drift found", [], team.bob)
    result = evaluate(gov, catalog, FRAUD, "Production")
    assert not result.satisfied and "Rejected by bob@example.org" in unmet(result)
    approve(gov, catalog, *FRAUD, "Production", "drift fixed", [], team.bob)
    assert evaluate(gov, catalog, FRAUD, "Production").satisfied


def test_approvals_expire(gov: Governance, team: Team, catalog: Catalog) -> None:
    approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.alice)
    approve(gov, catalog, *FRAUD, "Production", "ok", ["gdpr"], team.bob)
    later = datetime.now().astimezone() + timedelta(days=400)
    result = evaluate(gov, catalog, FRAUD, "Production", now=later)
    assert not result.satisfied
    assert "Approvals are younger than 365 days: Expired and not counted" in unmet(result)


def test_targets_without_a_rule_use_the_defaults(gov: Governance, team: Team, catalog: Catalog) -> None:
    assert not evaluate(gov, catalog, FRAUD, "Staging").satisfied
    approve(gov, catalog, *FRAUD, "Staging", "ok", ["gdpr"], team.alice)
    assert evaluate(gov, catalog, FRAUD, "Staging").satisfied


def test_policy_file(tmp_path: Path, gov: Governance, team: Team, catalog: Catalog) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('id = "acme"\n[targets.Production]\napprovers = 1\nseparation_of_duties = false\n'
                    'regimes = ["eu-ai-act"]\nexpiry_days = 30\n')
    policy = load_policy(path)
    assert policy.policy_id == "acme" and policy.rule_for("Staging") is None
    approve(gov, catalog, *FRAUD, "Production", "mine", ["gdpr"], team.dan, policy=policy)
    result = evaluate(gov, catalog, FRAUD, "Production", policy)
    assert [r.rule for r in result.unmet()] == [
        "One counted approval carries the eu-ai-act regime (the policy always requires it)"]
    assert evaluate(gov, catalog, FRAUD, "Staging", policy).satisfied  # no rule, no defaults


@pytest.mark.parametrize("text,message", [
    ("id = ", "not valid TOML"),
    ("[targets.Production]\nquorum = 2\n", "Unknown policy setting quorum"),
    ("[targets.Production]\nregimes = ['sox']\n", "Unknown regime"),
    ("[rules]\n", "Unknown policy section"),
    ("[targets.Production]\nexpiry_days = -3\n", "expiry_days"),
])
def test_bad_policy_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(UsageError, match=message):
        load_policy(path)
    with pytest.raises(UsageError, match="Cannot read policy file"):
        load_policy(tmp_path / "missing.toml")


def test_same_person() -> None:
    assert same_person("Dan <dan@example.org>", "dan@example.org")
    assert same_person("dan@example.org", "dan")
    assert same_person("DAN@example.org", "dan@example.org")
    assert not same_person("dana@example.org", "dan")
    assert not same_person(None, "dan")
