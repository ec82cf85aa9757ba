"""Findings engine: every rule of the catalogue, raised and cleared."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mlops_desktop.core.entities import Catalog, Dataset
from mlops_desktop.core.errors import CancelledError, UsageError
from mlops_desktop.core.findings import (
    Finding,
    FindingSettings,
    at_or_above,
    count_by_severity,
    evaluate,
    hipaa_identifier_columns,
    scope_findings,
    severity_rank,
)
from mlops_desktop.core.governance_facts import AuditLogStatus, GovernanceFacts
from tests.core.findingsfix import SETTINGS, TODAY, approval, make_catalog

F1_NONE = "Deployed as 'Production'; 'Production' has 0 of 2 valid approvals (on record: none recorded)."
F11_EVIDENCE = ("The version's lineage carries PHI (no de-identification step in between) and it is deployed as "
                "'Production'; no valid approval carries the 'hipaa' regime.")


def ids(findings: list[Finding]) -> set[str]:
    return {f.id for f in findings}


def of(findings: list[Finding], fid: str) -> list[Finding]:
    return [f for f in findings if f.id == fid]


# ---------------------------------------------------------------------------------- F1 / F2


def test_f1_raised_for_production_version_without_approval() -> None:
    found = evaluate(make_catalog(), settings=SETTINGS)
    f1 = of(found, "F1")
    assert [(f.object, f.severity, f.evidence, f.models, f.approvals) for f in f1] == [
        ("models:/m/1", "high", F1_NONE, ("m",), ())
    ]
    assert f1[0].rule == "Deployed version without a valid signed approval for that version and target"
    assert f1[0].remediation == ("Obtain 2 signed approvals by distinct trusted approvers (not the author) for each "
                                 "production target, or withdraw the deployment.")


def test_f1_cleared_after_two_valid_approvals() -> None:
    gov = GovernanceFacts(approvals=[approval("m", "1", "Production", "alice@x"), approval("m", "1", "Production", "bob@x")])
    assert "F1" not in ids(evaluate(make_catalog(), gov, SETTINGS))


@pytest.mark.parametrize("status", ["invalid", "untrusted", "revoked", "expired", "evidence_changed"])
def test_f1_not_cleared_by_approvals_that_do_not_verify(status: str) -> None:
    gov = GovernanceFacts(
        approvals=[approval("m", "1", "Production", "alice@x"), approval("m", "1", "Production", "bob@x", status=status)]
    )
    f1 = of(evaluate(make_catalog(), gov, SETTINGS), "F1")
    assert [f.evidence for f in f1] == [
        f"Deployed as 'Production'; 'Production' has 1 of 2 valid approvals (on record: approved/{status}, approved/valid)."
    ]
    assert f1[0].approvals == ("env-alice@x-Production-0", "env-bob@x-Production-0")  # the envelopes on record


def test_f1_same_key_twice_counts_once_and_other_target_does_not_count() -> None:
    gov = GovernanceFacts(
        approvals=[
            approval("m", "1", "Production", "alice@x", index=1),
            approval("m", "1", "Production", "alice@x", index=2),
            approval("m", "1", "Staging", "bob@x"),
        ]
    )
    [f1] = of(evaluate(make_catalog(), gov, SETTINGS), "F1")
    assert f1.evidence == "Deployed as 'Production'; 'Production' has 1 of 2 valid approvals (on record: approved/valid)."
    assert f1.approvals == ("env-alice@x-Production-1", "env-alice@x-Production-2")  # Staging's is not cited


def test_f1_for_production_alias_and_alias_setting() -> None:
    cat = make_catalog(stage=None, aliases={"live": "1"})
    assert "F1" not in ids(evaluate(cat, settings=SETTINGS))
    custom = FindingSettings(today=TODAY, production_aliases=("live",))
    f1 = of(evaluate(cat, settings=custom), "F1")
    assert [f.evidence for f in f1] == ["Deployed as 'live'; 'live' has 0 of 2 valid approvals (on record: none recorded)."]


def test_f2_when_the_author_approves_and_author_approval_does_not_count() -> None:
    gov = GovernanceFacts(
        approvals=[approval("m", "1", "Production", "Dan@Example.org"), approval("m", "1", "Production", "bob@x")]
    )
    found = evaluate(make_catalog(), gov, SETTINGS)
    f2 = of(found, "F2")
    assert [f.evidence for f in f2] == [
        "Approval for target 'Production' (envelope env-Dan@Example.org-Production-0) is signed by Dan@Example.org "
        "(key kDan@Example.org…), who is the version's author or its run's user."
    ]
    assert f2[0].approvals == ("env-Dan@Example.org-Production-0",)
    assert [f.evidence for f in of(found, "F1")] == [
        "Deployed as 'Production'; 'Production' has 1 of 2 valid approvals (on record: approved/valid)."
    ]


def test_rejection_does_not_clear_f1() -> None:
    gov = GovernanceFacts(
        approvals=[
            approval("m", "1", "Production", "alice@x", decision="REJECTED"),
            approval("m", "1", "Production", "bob@x"),
        ]
    )
    f1 = of(evaluate(make_catalog(), gov, SETTINGS), "F1")
    assert [f.evidence for f in f1] == [
        "Deployed as 'Production'; 'Production' has 1 of 2 valid approvals (on record: approved/valid, rejected/valid)."
    ]


# ---------------------------------------------------------------------------------- data rules


def test_f3_f6_pii_without_lawful_basis_or_retention() -> None:
    found = evaluate(make_catalog(ds_tags={"pii": "true"}), settings=SETTINGS)
    assert [(f.id, f.object, f.object_kind, f.evidence, f.models) for f in found if f.id in ("F3", "F6")] == [
        ("F3", "dataset:train@abcdef0123", "dataset", "pii=true but no lawful_basis tag on the dataset or any of its "
         "inputs.", ("m",)),
        ("F6", "dataset:train@abcdef0123", "dataset", "pii=true but no retention_until recorded.", ("m",)),
    ]
    clean = evaluate(make_catalog(), settings=SETTINGS)
    assert ids(clean) == {"F1", "F24"}  # deployed without approvals, and never monitored


def test_f4_special_categories_without_art9_condition() -> None:
    tags = {"pii": "true", "lawful_basis": "consent", "retention_until": "2030-01-01", "special_categories": "health, genetic"}
    assert [f.evidence for f in of(evaluate(make_catalog(ds_tags=tags), settings=SETTINGS), "F4")] == [
        "special_categories=health, genetic but no art9_condition recorded."
    ]
    tags["art9_condition"] = "explicit_consent"
    assert "F4" not in ids(evaluate(make_catalog(ds_tags=tags), settings=SETTINGS))


def test_f5_expired_retention_feeding_active_version_and_today_is_injectable() -> None:
    tags = {"pii": "true", "lawful_basis": "consent", "retention_until": "2026-03-31"}
    f5 = of(evaluate(make_catalog(ds_tags=tags), settings=SETTINGS), "F5")
    assert [f.evidence for f in f5] == [
        "retention_until=2026-03-31 has passed (today 2026-06-01) but the dataset still feeds active version(s): "
        "models:/m/1."
    ]
    earlier = FindingSettings(today=date(2026, 3, 1))
    assert "F5" not in ids(evaluate(make_catalog(ds_tags=tags), settings=earlier))
    # an archived version is not active
    assert "F5" not in ids(evaluate(make_catalog(ds_tags=tags, stage="Archived"), settings=SETTINGS))


def test_f7_automated_decision_without_human_review() -> None:
    cat = make_catalog(model_tags={"automated_decision": "true", "legal_effect": "true"})
    assert [f.evidence for f in of(evaluate(cat, settings=SETTINGS), "F7")] == [
        "automated_decision=true, legal_effect=true, human_review=not recorded."
    ]
    cat = make_catalog(model_tags={"automated_decision": "true", "legal_effect": "true", "human_review": "true"})
    assert "F7" not in ids(evaluate(cat, settings=SETTINGS))


def test_f8_dpia_expected() -> None:
    f8 = of(evaluate(make_catalog(model_tags={"risk_tier": "high"}), settings=SETTINGS), "F8")
    assert [f.evidence for f in f8] == [
        "A DPIA is expected (risk_tier=high) but no dpia_reference is recorded on the model, version or datasets."
    ]
    cat = make_catalog(model_tags={"risk_tier": "high", "dpia_reference": "DPIA-1"})
    assert "F8" not in ids(evaluate(cat, settings=SETTINGS))


def test_f9_purpose_not_permitted() -> None:
    tags = {"pii": "true", "lawful_basis": "consent", "retention_until": "2030-01-01", "purposes": "billing, fraud"}
    f9 = of(evaluate(make_catalog(ds_tags=tags, model_tags={"purpose": "marketing"}), settings=SETTINGS), "F9")
    assert [f.evidence for f in f9] == [
        "Model purpose 'marketing' is not among the permitted purposes of dataset train (billing, fraud)."
    ]
    assert "F9" not in ids(evaluate(make_catalog(ds_tags=tags, model_tags={"purpose": "Fraud"}), settings=SETTINGS))


def test_f10_transfer_without_safeguard_on_dataset_and_model() -> None:
    tags = {"pii": "true", "lawful_basis": "consent", "retention_until": "2030-01-01", "third_country_transfer": "US"}
    found = evaluate(make_catalog(ds_tags=tags, model_tags={"third_country_transfer": "IN"}), settings=SETTINGS)
    assert [(f.object_kind, f.object, f.evidence) for f in of(found, "F10")] == [
        ("dataset", "dataset:train@abcdef0123", "third_country_transfer=US with no transfer_safeguard recorded."),
        ("model_version", "models:/m/1", "third_country_transfer=IN with no transfer_safeguard recorded."),
    ]
    tags["transfer_safeguard"] = "SCC"
    cat = make_catalog(ds_tags=tags, model_tags={"third_country_transfer": "IN", "transfer_safeguard": "SCC"})
    assert "F10" not in ids(evaluate(cat, settings=SETTINGS))


def test_f11_phi_deployed_without_hipaa_approval() -> None:
    tags = {"phi": "true", "art9_condition": "health_care"}
    f11 = of(evaluate(make_catalog(ds_tags=tags), settings=SETTINGS), "F11")
    assert [(f.severity, f.evidence) for f in f11] == [("critical", F11_EVIDENCE)]
    gov = GovernanceFacts(approvals=[approval("m", "1", "Production", "alice@x", regimes=("hipaa",))])
    assert "F11" not in ids(evaluate(make_catalog(ds_tags=tags), gov, SETTINGS))
    # not deployed: no F11
    assert "F11" not in ids(evaluate(make_catalog(ds_tags=tags, stage="Staging"), settings=SETTINGS))


def test_f12_safe_harbor_with_identifier_columns() -> None:
    tags = {"hipaa_deidentified": "safe_harbor"}
    cols = ["patient_id", "zip3", "age_band", "DateOfBirth", "email", "n_claims"]
    f12 = of(evaluate(make_catalog(ds_tags=tags, columns=cols), settings=SETTINGS), "F12")
    assert [f.evidence for f in f12] == [  # zip3 is allowed only for areas of more than 20,000 people
        "hipaa_deidentified=safe_harbor but the schema has identifier-like columns: patient_id (other unique "
        "identifying numbers), zip3 (geographic units below state: the initial three ZIP digits are allowed only "
        "where that area holds more than 20,000 people, 164.514(b)(2)(i)(B), and no such check is recorded), "
        "DateOfBirth (dates (except year)), email (email addresses)."
    ]
    ok = make_catalog(ds_tags=tags, columns=["age_band", "n_claims"])
    assert "F12" not in ids(evaluate(ok, settings=SETTINGS))


def test_hipaa_identifier_heuristic() -> None:
    hits = hipaa_identifier_columns(["first_name", "ip_address", "mrn", "amount", "label", "zip", "SSN"])
    assert hits == [
        ("first_name", "names"),
        ("ip_address", "geographic units below state"),  # "address" is checked before "ip_address"
        ("mrn", "medical record numbers"),
        ("zip", "geographic units below state"),
        ("SSN", "social security numbers"),
    ]


def test_f15_audit_log_inconsistent() -> None:
    gov = GovernanceFacts(audit=AuditLogStatus(ok=False, size=10, root_hash="ab" * 32, problems=("entry 3 hash mismatch",)))
    f15 = of(evaluate(make_catalog(), gov, SETTINGS), "F15")
    assert [(f.object, f.object_kind, f.evidence, f.models) for f in f15] == [
        ("audit-log", "audit_log", "Audit log of 10 entries (root abababababababab…) did not verify: entry 3 hash "
         "mismatch.", ())
    ]
    good = GovernanceFacts(audit=AuditLogStatus(ok=True, size=10, root_hash="ab" * 32))
    assert "F15" not in ids(evaluate(make_catalog(), good, SETTINGS))


def test_f16_phi_version_with_missing_run_within_retention() -> None:
    cat = make_catalog(ds_tags={"phi": "true"}, stage="Staging")
    cat.runs.clear()
    f16 = of(evaluate(cat, settings=SETTINGS), "F16")
    assert [f.evidence for f in f16] == [
        "The PHI model version was created 2026-01-01 (within the 6-year retention duty) but its run r1 is missing "
        "from the store."
    ]
    old = make_catalog(ds_tags={"phi": "true"}, stage="Staging", created=datetime(2015, 1, 1, tzinfo=UTC))
    old.runs.clear()
    assert "F16" not in ids(evaluate(old, settings=SETTINGS))


def test_f17_deployed_without_lineage() -> None:
    f17 = of(evaluate(make_catalog(run=False, datasets=False), settings=SETTINGS), "F17")
    assert [f.evidence for f in f17] == [
        "Deployed as 'Production' with no run recorded and no training dataset recorded."
    ]
    assert "F17" not in ids(evaluate(make_catalog(), settings=SETTINGS))


def test_f18_evidence_changed() -> None:
    gov = GovernanceFacts(approvals=[approval("m", "1", "Production", "alice@x", status="evidence_changed")])
    f18 = of(evaluate(make_catalog(), gov, SETTINGS), "F18")
    assert [(f.evidence, f.approvals) for f in f18] == [
        ("Approval for target 'Production' by alice@x (envelope env-alice@x-Production-0) signed a subject digest "
         "that no longer matches the store.", ("env-alice@x-Production-0",))
    ]


# ---------------------------------------------------------------------------------- engine


def test_results_are_sorted_stable_and_json_ready() -> None:
    cat = make_catalog(ds_tags={"pii": "true", "phi": "true"})
    a = evaluate(cat, settings=SETTINGS)
    b = evaluate(cat, settings=SETTINGS)
    assert [f.as_json() for f in a] == [f.as_json() for f in b]
    assert [(f.id, f.severity) for f in a] == [
        ("F11", "critical"), ("F1", "high"), ("F3", "high"), ("F4", "high"), ("F6", "medium"), ("F8", "medium"),
        ("F24", "medium"),
    ]
    assert list(a[0].as_json()) == [
        "id", "key", "severity", "object", "object_kind", "rule", "evidence", "remediation", "models", "approvals"
    ]
    assert count_by_severity(a) == {"critical": 1, "high": 3, "medium": 3, "low": 0, "info": 0}


def test_severity_helpers_and_overrides() -> None:
    cat = make_catalog(ds_tags={"pii": "true"})
    found = evaluate(cat, settings=FindingSettings(today=TODAY, severities={"F6": "low"}))
    assert [(f.id, f.severity) for f in found] == [("F1", "high"), ("F3", "high"), ("F24", "medium"), ("F6", "low")]
    assert [f.id for f in at_or_above(found, "high")] == ["F1", "F3"]
    assert [f.id for f in at_or_above(found, "low")] == ["F1", "F3", "F24", "F6"]
    assert [severity_rank(s) for s in ("critical", "high", "medium", "low", "info", " High ")] == [0, 1, 2, 3, 4, 1]
    with pytest.raises(UsageError, match="Unknown severity"):
        severity_rank("urgent")


def test_scope_findings_keeps_store_wide_findings() -> None:
    gov = GovernanceFacts(audit=AuditLogStatus(ok=False, size=1, root_hash="00" * 32, problems=("gap",)))
    found = evaluate(make_catalog(), gov, SETTINGS)
    assert {f.id for f in scope_findings(found, ["other"])} == {"F15"}
    assert scope_findings(found, ["m"]) == found


def test_empty_catalog_has_no_findings() -> None:
    assert evaluate(Catalog(), settings=SETTINGS) == []


def test_cancel_stops_evaluation() -> None:
    with pytest.raises(CancelledError):
        evaluate(make_catalog(), settings=SETTINGS, is_cancelled=lambda: True)


# ---------------------------------------------------------------------------------- fixture store


def test_fixture_store_findings(mlflow3_db: Path) -> None:
    from mlops_desktop.sources.loader import load_catalog

    catalog = load_catalog([str(mlflow3_db)], lambda *a: None, lambda: False)
    found = evaluate(catalog, settings=SETTINGS)
    by = {(f.id, f.object) for f in found}
    assert ("F1", "models:/churn-predictor/3") in by
    assert ("F1", "models:/demand-forecast/3") in by  # champion alias
    assert ("F11", "models:/readmission-risk/3") in by  # PHI model deployed as champion
    f5 = [(f.object, f.evidence) for f in found if f.id == "F5"]
    assert f5 == [
        ("dataset:readmission-risk-train@1c0900ab", "retention_until=2024-01-31 has passed (today 2026-06-01) "
         "but the dataset still feeds active version(s): models:/readmission-risk/2, models:/readmission-risk/3."),
    ]
    # two valid approvals by non-authors clear F1 for the champion-only version
    gov = GovernanceFacts(
        approvals=[
            approval("demand-forecast", "3", "champion", "alice@example.org"),
            approval("demand-forecast", "3", "champion", "carol@example.org"),
        ]
    )
    again = evaluate(catalog, gov, SETTINGS)
    assert ("F1", "models:/demand-forecast/3") not in {(f.id, f.object) for f in again}
    # the run's user approving is a separation-of-duties finding
    gov.approvals.append(approval("demand-forecast", "3", "champion", "dan@example.org"))
    assert ("F2", "models:/demand-forecast/3") in {(f.id, f.object) for f in evaluate(catalog, gov, SETTINGS)}


def _with_upstream_phi(features_tags: dict[str, str]) -> Catalog:
    from mlops_desktop.core.entities import LineageEdgeRecord, LineageNodeRecord

    cat = make_catalog(ds_tags=features_tags)
    cat.datasets["raw"] = Dataset(id="raw", name="raw-claims", digest="r0", source="s3://x/raw", tags={"phi": "true"})
    cat.lineage_nodes.append(LineageNodeRecord("job:etl/deid", "job", "deid"))
    cat.lineage_edges.append(LineageEdgeRecord("dataset:s3://x/raw", "job:etl/deid", "input"))
    cat.lineage_edges.append(LineageEdgeRecord("job:etl/deid", "dataset:s3://x/train", "output"))
    return cat


def test_phi_propagates_along_lineage_until_deidentification() -> None:
    base = {"pii": "true", "lawful_basis": "consent", "retention_until": "2030-01-01"}
    raised = evaluate(_with_upstream_phi(base), settings=SETTINGS)
    assert [(f.id, f.object, f.models) for f in raised] == [
        ("F11", "models:/m/1", ("m",)),
        ("F1", "models:/m/1", ("m",)),
        # the upstream PHI dataset is reported with the model as its consumer
        # PHI is personal data: no lawful basis is F3 as well as F4
        ("F3", "dataset:raw-claims@r0", ("m",)),
        ("F4", "dataset:raw-claims@r0", ("m",)),
        ("F24", "models:/m/1", ("m",)),
    ]
    deid = {**base, "phi": "false", "hipaa_deidentified": "safe_harbor"}
    assert "F11" not in ids(evaluate(_with_upstream_phi(deid), settings=SETTINGS))
