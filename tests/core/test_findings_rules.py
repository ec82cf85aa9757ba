"""The rule registry: complete, and each rule's check function(s) raised and cleared directly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from mlops_desktop.core.entities import Catalog, ExternalApproval, LineageNodeRecord
from mlops_desktop.core.findings import (
    DEFAULT_SEVERITIES,
    REGISTRY,
    RULES,
    DatasetContext,
    Rule,
    StoreContext,
    dataset_views,
    default_lineage,
    evaluate,
    version_context,
)
from mlops_desktop.core.findings.engine import stamp
from mlops_desktop.core.governance_facts import AuditLogStatus, GovernanceFacts
from tests.core.findingsfix import SETTINGS, TODAY, approval, make_catalog

CATALOGUE_IDS = [
    "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F12", "F15", "F16", "F17", "F18",
    "F19", "F20", "F21", "F22", "F23", "F24", "F25", "F26", "F27",
]
#: Rules with a raise/clear case here (the monitoring rules F24-F26 are tested in test_monitoring_findings,
#: F20 over a real journal in tests/governance/test_journal_mlflow.py).
CASE_IDS = [fid for fid in CATALOGUE_IDS if fid not in ("F20", "F24", "F25", "F26")]

KEPT = {"pii": "true", "lawful_basis": "consent", "retention_until": "2030-01-01"}  # a dataset that raises nothing


def run_rule(rule: Rule, catalog: Catalog, gov: GovernanceFacts) -> list[tuple[str, str, str]]:
    """(object kind, object, evidence) of every draft the rule's checks yield, as the engine visits objects."""
    lineage = default_lineage(catalog)
    out: list[tuple[str, str, str]] = []
    for model in sorted(catalog.models, key=lambda m: m.name):
        for version in model.visible_versions(include_deleted=True):
            check = rule.deleted_check if version.deleted else rule.version_check
            if check is not None:
                ctx = version_context(catalog, gov, SETTINGS, lineage, model, version, TODAY)
                out += [("model_version", d.object, d.evidence) for d in check(ctx)]
    if rule.dataset_check is not None:
        views = dataset_views(catalog, lineage)
        for view in views.values():
            out += [("dataset", d.object, d.evidence)
                    for d in rule.dataset_check(DatasetContext(SETTINGS, view, TODAY, views))]
    if rule.store_check is not None:
        out += [("audit_log", d.object, d.evidence) for d in rule.store_check(StoreContext(SETTINGS, gov))]
    return out


@dataclass(frozen=True)
class Case:
    raised: Callable[[], tuple[Catalog, GovernanceFacts]]
    expected: list[tuple[str, str, str]]
    cleared: Callable[[], tuple[Catalog, GovernanceFacts]]


def _no_gov(catalog: Catalog) -> tuple[Catalog, GovernanceFacts]:
    return catalog, GovernanceFacts()


def _missing_run_phi() -> Catalog:
    cat = make_catalog(ds_tags={"phi": "true"}, stage="Staging")
    cat.runs.clear()
    return cat


CLAIM_AT = datetime(2026, 2, 1, tzinfo=UTC)


def _claimed(status: str, *, principal: str = "sam@x", note: str = "reviewed", at_creation: bool = False,
             endpoint: str | None = None) -> tuple[Catalog, GovernanceFacts]:
    """The one version created by sam@x, with a SageMaker approval claim (and an endpoint serving it)."""
    cat = make_catalog()
    version = cat.models[0].versions[0]
    version.user_id = "sam@x"
    version.external_approvals = [ExternalApproval("sagemaker", status, approved=status == "Approved",
                                                   principal=principal, at=CLAIM_AT, note=note,
                                                   evidence="ModelApprovalStatus", at_creation=at_creation)]
    if endpoint is not None:
        cat.lineage_nodes.append(LineageNodeRecord(f"deployment:endpoint:{endpoint}", "deployment", endpoint,
                                                   attrs={"endpoint": endpoint, "model_name": "m", "version": "1"}))
    return cat, GovernanceFacts()


def _two_approvals() -> GovernanceFacts:
    return GovernanceFacts(approvals=[approval("m", "1", "Production", "alice@x"),
                                      approval("m", "1", "Production", "bob@x")])


V, D = "models:/m/1", "dataset:train@abcdef0123"
CASES: dict[str, Case] = {
    "F1": Case(
        lambda: _no_gov(make_catalog(ds_tags=KEPT)),
        [("model_version", V, "Deployed as 'Production'; 'Production' has 0 of 2 valid approvals (on record: none recorded).")],
        lambda: (make_catalog(ds_tags=KEPT), _two_approvals()),
    ),
    "F2": Case(
        lambda: (make_catalog(), GovernanceFacts(approvals=[approval("m", "1", "Production", "dan@example.org")])),
        [("model_version", V, "Approval for target 'Production' (envelope env-dan@example.org-Production-0) is signed by "
          "dan@example.org (key kdan@example.org…), who is the version's author or its run's user.")],
        lambda: (make_catalog(), GovernanceFacts(approvals=[approval("m", "1", "Production", "alice@x")])),
    ),
    "F3": Case(
        lambda: _no_gov(make_catalog(ds_tags={"pii": "true", "retention_until": "2030-01-01"})),
        [("dataset", D, "pii=true but no lawful_basis tag on the dataset or any of its inputs.")],
        lambda: _no_gov(make_catalog(ds_tags=KEPT)),
    ),
    "F4": Case(
        lambda: _no_gov(make_catalog(ds_tags={**KEPT, "special_categories": "biometric"})),
        [("dataset", D, "special_categories=biometric but no art9_condition recorded.")],
        lambda: _no_gov(make_catalog(ds_tags={**KEPT, "special_categories": "biometric", "art9_condition": "consent"})),
    ),
    "F5": Case(
        lambda: _no_gov(make_catalog(ds_tags={**KEPT, "retention_until": "2026-05-31"})),
        [("dataset", D, "retention_until=2026-05-31 has passed (today 2026-06-01) but the dataset still feeds active "
          "version(s): models:/m/1.")],
        lambda: _no_gov(make_catalog(ds_tags={**KEPT, "retention_until": "2026-06-01"})),
    ),
    "F6": Case(
        lambda: _no_gov(make_catalog(ds_tags={"pii": "true", "lawful_basis": "consent"})),
        [("dataset", D, "pii=true but no retention_until recorded.")],
        lambda: _no_gov(make_catalog(ds_tags=KEPT)),
    ),
    "F7": Case(
        lambda: _no_gov(make_catalog(version_tags={"automated_decision": "yes", "legal_effect": "true"})),
        [("model_version", V, "automated_decision=yes, legal_effect=true, human_review=not recorded.")],
        lambda: _no_gov(make_catalog(version_tags={"automated_decision": "yes", "legal_effect": "false"})),
    ),
    "F8": Case(
        lambda: _no_gov(make_catalog(model_tags={"automated_decision": "true"})),
        [("model_version", V, "A DPIA is expected (automated decision-making) but no dpia_reference is recorded on the "
          "model, version or datasets.")],
        lambda: _no_gov(make_catalog(model_tags={"automated_decision": "true", "dpia_reference": "DPIA-7"})),
    ),
    "F9": Case(
        lambda: _no_gov(make_catalog(ds_tags={**KEPT, "purposes": "fraud"}, version_tags={"purpose": "ads"})),
        [("model_version", V, "Model purpose 'ads' is not among the permitted purposes of dataset train (fraud).")],
        lambda: _no_gov(make_catalog(ds_tags={**KEPT, "purposes": "fraud; ads"}, version_tags={"purpose": "ads"})),
    ),
    "F10": Case(
        lambda: _no_gov(make_catalog(ds_tags={**KEPT, "third_country_transfer": "US"},
                                     version_tags={"third_country_transfer": "CH"})),
        [("model_version", V, "third_country_transfer=CH with no transfer_safeguard recorded."),
         ("dataset", D, "third_country_transfer=US with no transfer_safeguard recorded.")],
        lambda: _no_gov(make_catalog(ds_tags={**KEPT, "third_country_transfer": "no"},
                                     version_tags={"third_country_transfer": "CH", "transfer_safeguard": "adequacy"})),
    ),
    "F11": Case(
        lambda: _no_gov(make_catalog(ds_tags={"phi": "true"})),
        [("model_version", V, "The version's lineage carries PHI (no de-identification step in between) and it is "
          "deployed as 'Production'; no valid approval carries the 'hipaa' regime.")],
        lambda: (make_catalog(ds_tags={"phi": "true"}),
                 GovernanceFacts(approvals=[approval("m", "1", "Production", "alice@x", regimes=("HIPAA",))])),
    ),
    "F12": Case(
        lambda: _no_gov(make_catalog(ds_tags={"hipaa_deidentified": "Safe Harbor"}, columns=["ssn", "visit_count"])),
        [("dataset", D, "hipaa_deidentified=safe_harbor but the schema has identifier-like columns: ssn (social "
          "security numbers).")],
        lambda: _no_gov(make_catalog(ds_tags={"hipaa_deidentified": "expert_determination"}, columns=["ssn"])),
    ),
    "F15": Case(
        lambda: (make_catalog(), GovernanceFacts(audit=AuditLogStatus(ok=False, size=4, root_hash="cd" * 32))),
        [("audit_log", "audit-log", "Audit log of 4 entries (root cdcdcdcdcdcdcdcd…) did not verify: verification failed.")],
        lambda: (make_catalog(), GovernanceFacts(audit=AuditLogStatus(ok=True, size=4, root_hash="cd" * 32))),
    ),
    "F16": Case(
        lambda: _no_gov(_missing_run_phi()),
        [("model_version", V, "The PHI model version was created 2026-01-01 (within the 6-year retention duty) but its "
          "run r1 is missing from the store.")],
        lambda: _no_gov(make_catalog(ds_tags={"phi": "true"}, stage="Staging")),
    ),
    "F17": Case(
        lambda: _no_gov(make_catalog(datasets=False)),
        [("model_version", V, "Deployed as 'Production' with no training dataset recorded.")],
        lambda: _no_gov(make_catalog()),
    ),
    "F18": Case(
        lambda: (make_catalog(), GovernanceFacts(approvals=[approval("m", "1", "Production", "bob@x",
                                                                     status="evidence_changed")])),
        [("model_version", V, "Approval for target 'Production' by bob@x (envelope env-bob@x-Production-0) signed a "
          "subject digest that no longer matches the store.")],
        lambda: (make_catalog(), GovernanceFacts(approvals=[approval("m", "1", "Production", "bob@x",
                                                                     status="evidence_changed", decision="REJECTED")])),
    ),
    "F19": Case(
        lambda: _no_gov(make_catalog(ds_tags=KEPT, version_tags={"validation_status": "Failed"})),
        [("model_version", V, "Deployed as 'Production' although its version tag validation_status=Failed records a "
          "failed validation.")],
        lambda: _no_gov(make_catalog(ds_tags=KEPT, version_tags={"validation_status": "passed"})),
    ),
    "F21": Case(
        lambda: _claimed("Approved", principal="Sam@X"),
        [("model_version", V, "The version is approved in SageMaker by Sam@X at 2026-02-01T00:00:00Z, not signed; "
          "Sam@X is also the principal who created it (evidence: ModelApprovalStatus).")],
        lambda: _claimed("Approved", principal="ria@x"),
    ),
    "F22": Case(
        lambda: _claimed("Approved", principal="ria@x", note=" ", at_creation=True),
        [("model_version", V, "The version is approved in SageMaker by ria@x at 2026-02-01T00:00:00Z, not signed, "
          "with no approval description and the approval set when the version was created (2026-01-01T00:00:00Z).")],
        lambda: _claimed("Approved", principal="ria@x"),
    ),
    "F23": Case(
        lambda: _claimed("PendingManualApproval", endpoint="m-prod"),
        [("model_version", V, "Deployed on m-prod while its SageMaker status is 'PendingManualApproval' (pending "
          "manual approval in SageMaker (set by sam@x at 2026-02-01T00:00:00Z), not signed).")],
        lambda: _claimed("PendingManualApproval"),
    ),
    "F27": Case(
        lambda: _no_gov(make_catalog(ds_tags={**KEPT, "hipaa_deidentified": "true"}, version_tags={"risk_tier": "severe"})),
        [("model_version", V, "Version tag(s) outside the convention: risk_tier=severe (allowed: high, medium or low)."),
         ("dataset", D, "Dataset tag(s) outside the convention: hipaa_deidentified=true (allowed: false, safe_harbor "
          "or expert_determination (164.514(b)(1) or (b)(2))).")],
        lambda: _no_gov(make_catalog(ds_tags={**KEPT, "hipaa_deidentified": "safe_harbor"},
                                     version_tags={"risk_tier": "High"})),
    ),
}


def test_registry_is_the_whole_catalogue() -> None:
    assert list(REGISTRY) == CATALOGUE_IDS
    assert list(CASES) == CASE_IDS
    assert {fid: r.severity for fid, r in REGISTRY.items()} == {
        "F1": "high", "F2": "high", "F3": "high", "F4": "high", "F5": "high", "F6": "medium", "F7": "high",
        "F8": "medium", "F9": "medium", "F10": "high", "F11": "critical", "F12": "high", "F15": "critical",
        "F16": "medium", "F17": "medium", "F18": "high", "F19": "high", "F20": "high", "F21": "high", "F22": "medium",
        "F23": "high", "F24": "medium", "F25": "high", "F26": "medium", "F27": "medium",
    }
    assert {fid: r.severity for fid, r in REGISTRY.items()} == DEFAULT_SEVERITIES
    assert {fid: r.title for fid, r in REGISTRY.items()} == RULES
    assert all(r.id == fid for fid, r in REGISTRY.items())
    assert {fid: r.object_kinds for fid, r in REGISTRY.items() if r.object_kinds != ("model_version",)} == {
        "F3": ("dataset",), "F4": ("dataset",), "F5": ("dataset",), "F6": ("dataset",),
        "F10": ("model_version", "dataset"), "F12": ("dataset",), "F15": ("audit_log",),
        "F27": ("model_version", "dataset"),
    }


@pytest.mark.parametrize("fid", CASE_IDS)
def test_rule_check_raises_and_clears(fid: str) -> None:
    rule, case = REGISTRY[fid], CASES[fid]
    assert run_rule(rule, *case.raised()) == case.expected
    assert run_rule(rule, *case.cleared()) == []


@pytest.mark.parametrize("fid", CASE_IDS)
def test_engine_reports_exactly_what_the_rule_checks_yield(fid: str) -> None:
    catalog, gov = CASES[fid].raised()
    from_engine = [(f.object_kind, f.object, f.evidence, f.severity, f.rule)
                   for f in evaluate(catalog, gov, SETTINGS) if f.id == fid]
    rule = REGISTRY[fid]
    expected = [(*row, rule.severity, rule.title) for row in CASES[fid].expected]
    assert sorted(from_engine) == sorted(expected)


def test_stamp_applies_the_severity_override_and_sorts_models() -> None:
    from mlops_desktop.core.findings import Draft, FindingSettings

    settings = FindingSettings(today=TODAY, severities={"F9": "info"})
    [finding] = stamp(REGISTRY["F9"], "model_version", [Draft("models:/x/1", "e", "r", models=["b", "a", "b"])], settings)
    assert (finding.id, finding.severity, finding.rule, finding.models, finding.object_kind) == (
        "F9", "info", "Model purpose not among the dataset's permitted purposes", ("a", "b"), "model_version")


def test_old_version_outside_retention_raises_no_f16() -> None:
    cat = make_catalog(ds_tags={"phi": "true"}, stage="Staging", created=datetime(2019, 1, 1, tzinfo=UTC))
    cat.runs.clear()
    assert run_rule(REGISTRY["F16"], cat, GovernanceFacts()) == []
