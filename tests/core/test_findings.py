"""Findings engine: every rule of the catalogue, raised and cleared."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mlops_desktop.core.entities import (
    Catalog,
    Dataset,
    DatasetInput,
    ModelVersion,
    RegisteredModel,
    Run,
)
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
from mlops_desktop.core.governance_facts import ApprovalFact, AuditLogStatus, GovernanceFacts

TODAY = date(2026, 6, 1)
SETTINGS = FindingSettings(today=TODAY)


def approval(
    model: str,
    version: str,
    target: str,
    who: str,
    *,
    status: str = "valid",
    regimes: tuple[str, ...] = (),
    decision: str = "APPROVED",
    role: str | None = "approver",
    key: str | None = None,
    index: int = 0,
) -> ApprovalFact:
    return ApprovalFact(
        envelope_id=f"env-{who}-{target}-{index}",
        model_name=model,
        version=version,
        target=target,
        decision=decision,
        regimes=regimes,
        signer_identity=who,
        key_id=key or ("k" + who).ljust(64, "0"),
        role=role,
        signed_at=datetime(2026, 5, 1, tzinfo=UTC),
        log_index=index,
        status=status,
    )


def make_catalog(
    *,
    ds_tags: dict[str, str] | None = None,
    columns: list[str] | None = None,
    stage: str | None = "Production",
    aliases: dict[str, str] | None = None,
    model_tags: dict[str, str] | None = None,
    version_tags: dict[str, str] | None = None,
    run: bool = True,
    datasets: bool = True,
    created: datetime | None = None,
) -> Catalog:
    tags = ds_tags if ds_tags is not None else {"pii": "true", "lawful_basis": "consent", "retention_until": "2030-01-01"}
    schema = {"mlflow_colspec": [{"name": c, "type": "string"} for c in (columns or ["amount", "label"])]}
    ds = Dataset(id="d1", name="train", digest="abcdef0123", source="s3://x/train", schema=schema)
    inp = DatasetInput("d1", "train", "abcdef0123", "s3://x/train", "training", dict(tags))
    r = Run(run_id="r1", user="dan@example.org", inputs=[inp] if datasets else [])
    v = ModelVersion(
        model_name="m",
        version="1",
        stage=stage,
        run_user="dan@example.org",
        run_id="r1" if run else None,
        tags=version_tags or {},
        datasets=[inp] if datasets else [],
        created_at=created or datetime(2026, 1, 1, tzinfo=UTC),
    )
    model = RegisteredModel(name="m", tags=model_tags or {}, aliases=aliases or {}, versions=[v])
    return Catalog(models=[model], runs={"r1": r} if run else {}, datasets={"d1": ds} if datasets else {})


def ids(findings: list[Finding]) -> set[str]:
    return {f.id for f in findings}


def of(findings: list[Finding], fid: str) -> list[Finding]:
    return [f for f in findings if f.id == fid]


# ---------------------------------------------------------------------------------- F1 / F2


def test_f1_raised_for_production_version_without_approval() -> None:
    found = evaluate(make_catalog(), settings=SETTINGS)
    f1 = of(found, "F1")
    assert len(f1) == 1
    assert f1[0].object == "models:/m/1"
    assert f1[0].severity == "high"
    assert "'Production' has 0 of 2" in f1[0].evidence
    assert f1[0].remediation and f1[0].rule


def test_f1_cleared_after_two_valid_approvals() -> None:
    gov = GovernanceFacts(approvals=[approval("m", "1", "Production", "alice@x"), approval("m", "1", "Production", "bob@x")])
    assert "F1" not in ids(evaluate(make_catalog(), gov, SETTINGS))


@pytest.mark.parametrize("status", ["invalid", "untrusted", "revoked", "expired", "evidence_changed"])
def test_f1_not_cleared_by_approvals_that_do_not_verify(status: str) -> None:
    gov = GovernanceFacts(
        approvals=[approval("m", "1", "Production", "alice@x"), approval("m", "1", "Production", "bob@x", status=status)]
    )
    f1 = of(evaluate(make_catalog(), gov, SETTINGS), "F1")
    assert len(f1) == 1
    assert "1 of 2" in f1[0].evidence and status in f1[0].evidence
    assert f1[0].approvals  # the envelopes on record are cited


def test_f1_same_key_twice_counts_once_and_other_target_does_not_count() -> None:
    gov = GovernanceFacts(
        approvals=[
            approval("m", "1", "Production", "alice@x", index=1),
            approval("m", "1", "Production", "alice@x", index=2),
            approval("m", "1", "Staging", "bob@x"),
        ]
    )
    assert "1 of 2" in of(evaluate(make_catalog(), gov, SETTINGS), "F1")[0].evidence


def test_f1_for_production_alias_and_alias_setting() -> None:
    cat = make_catalog(stage=None, aliases={"live": "1"})
    assert "F1" not in ids(evaluate(cat, settings=SETTINGS))
    custom = FindingSettings(today=TODAY, production_aliases=("live",))
    f1 = of(evaluate(cat, settings=custom), "F1")
    assert "'live'" in f1[0].evidence


def test_f2_when_the_author_approves_and_author_approval_does_not_count() -> None:
    gov = GovernanceFacts(
        approvals=[approval("m", "1", "Production", "Dan@Example.org"), approval("m", "1", "Production", "bob@x")]
    )
    found = evaluate(make_catalog(), gov, SETTINGS)
    f2 = of(found, "F2")
    assert len(f2) == 1 and "Dan@Example.org" in f2[0].evidence
    assert f2[0].approvals == ("env-Dan@Example.org-Production-0",)
    assert "1 of 2" in of(found, "F1")[0].evidence


def test_rejection_does_not_clear_f1() -> None:
    gov = GovernanceFacts(
        approvals=[
            approval("m", "1", "Production", "alice@x", decision="REJECTED"),
            approval("m", "1", "Production", "bob@x"),
        ]
    )
    f1 = of(evaluate(make_catalog(), gov, SETTINGS), "F1")
    assert f1 and "rejected/valid" in f1[0].evidence


# ---------------------------------------------------------------------------------- data rules


def test_f3_f6_pii_without_lawful_basis_or_retention() -> None:
    found = evaluate(make_catalog(ds_tags={"pii": "true"}), settings=SETTINGS)
    assert {"F3", "F6"} <= ids(found)
    f3 = of(found, "F3")[0]
    assert f3.object == "dataset:train@abcdef0123" and f3.object_kind == "dataset" and f3.models == ("m",)
    clean = evaluate(make_catalog(), settings=SETTINGS)
    assert not ({"F3", "F6"} & ids(clean))


def test_f4_special_categories_without_art9_condition() -> None:
    tags = {"pii": "true", "lawful_basis": "consent", "retention_until": "2030-01-01", "special_categories": "health, genetic"}
    assert "health, genetic" in of(evaluate(make_catalog(ds_tags=tags), settings=SETTINGS), "F4")[0].evidence
    tags["art9_condition"] = "explicit_consent"
    assert "F4" not in ids(evaluate(make_catalog(ds_tags=tags), settings=SETTINGS))


def test_f5_expired_retention_feeding_active_version_and_today_is_injectable() -> None:
    tags = {"pii": "true", "lawful_basis": "consent", "retention_until": "2026-03-31"}
    f5 = of(evaluate(make_catalog(ds_tags=tags), settings=SETTINGS), "F5")
    assert len(f5) == 1 and "2026-03-31" in f5[0].evidence and "models:/m/1" in f5[0].evidence
    earlier = FindingSettings(today=date(2026, 3, 1))
    assert "F5" not in ids(evaluate(make_catalog(ds_tags=tags), settings=earlier))
    # an archived version is not active
    assert "F5" not in ids(evaluate(make_catalog(ds_tags=tags, stage="Archived"), settings=SETTINGS))


def test_f7_automated_decision_without_human_review() -> None:
    cat = make_catalog(model_tags={"automated_decision": "true", "legal_effect": "true"})
    assert "F7" in ids(evaluate(cat, settings=SETTINGS))
    cat = make_catalog(model_tags={"automated_decision": "true", "legal_effect": "true", "human_review": "true"})
    assert "F7" not in ids(evaluate(cat, settings=SETTINGS))


def test_f8_dpia_expected() -> None:
    f8 = of(evaluate(make_catalog(model_tags={"risk_tier": "high"}), settings=SETTINGS), "F8")
    assert f8 and "risk_tier=high" in f8[0].evidence
    cat = make_catalog(model_tags={"risk_tier": "high", "dpia_reference": "DPIA-1"})
    assert "F8" not in ids(evaluate(cat, settings=SETTINGS))


def test_f9_purpose_not_permitted() -> None:
    tags = {"pii": "true", "lawful_basis": "consent", "retention_until": "2030-01-01", "purposes": "billing, fraud"}
    f9 = of(evaluate(make_catalog(ds_tags=tags, model_tags={"purpose": "marketing"}), settings=SETTINGS), "F9")
    assert f9 and "'marketing'" in f9[0].evidence
    assert "F9" not in ids(evaluate(make_catalog(ds_tags=tags, model_tags={"purpose": "Fraud"}), settings=SETTINGS))


def test_f10_transfer_without_safeguard_on_dataset_and_model() -> None:
    tags = {"pii": "true", "lawful_basis": "consent", "retention_until": "2030-01-01", "third_country_transfer": "US"}
    found = evaluate(make_catalog(ds_tags=tags, model_tags={"third_country_transfer": "IN"}), settings=SETTINGS)
    assert {f.object_kind for f in of(found, "F10")} == {"dataset", "model_version"}
    tags["transfer_safeguard"] = "SCC"
    cat = make_catalog(ds_tags=tags, model_tags={"third_country_transfer": "IN", "transfer_safeguard": "SCC"})
    assert "F10" not in ids(evaluate(cat, settings=SETTINGS))


def test_f11_phi_deployed_without_hipaa_approval() -> None:
    tags = {"phi": "true", "art9_condition": "health_care"}
    f11 = of(evaluate(make_catalog(ds_tags=tags), settings=SETTINGS), "F11")
    assert f11 and f11[0].severity == "critical"
    gov = GovernanceFacts(approvals=[approval("m", "1", "Production", "alice@x", regimes=("hipaa",))])
    assert "F11" not in ids(evaluate(make_catalog(ds_tags=tags), gov, SETTINGS))
    # not deployed: no F11
    assert "F11" not in ids(evaluate(make_catalog(ds_tags=tags, stage="Staging"), settings=SETTINGS))


def test_f12_safe_harbor_with_identifier_columns() -> None:
    tags = {"hipaa_deidentified": "safe_harbor"}
    cols = ["patient_id", "zip3", "age_band", "DateOfBirth", "email", "n_claims"]
    f12 = of(evaluate(make_catalog(ds_tags=tags, columns=cols), settings=SETTINGS), "F12")
    assert f12 and "patient_id" in f12[0].evidence and "DateOfBirth" in f12[0].evidence
    assert "zip3" not in f12[0].evidence
    ok = make_catalog(ds_tags=tags, columns=["age_band", "zip3", "n_claims"])
    assert "F12" not in ids(evaluate(ok, settings=SETTINGS))


def test_hipaa_identifier_heuristic() -> None:
    hits = dict(hipaa_identifier_columns(["first_name", "ip_address", "mrn", "amount", "label", "zip", "SSN"]))
    assert set(hits) == {"first_name", "ip_address", "mrn", "zip", "SSN"}


def test_f15_audit_log_inconsistent() -> None:
    gov = GovernanceFacts(audit=AuditLogStatus(ok=False, size=10, root_hash="ab" * 32, problems=("entry 3 hash mismatch",)))
    f15 = of(evaluate(make_catalog(), gov, SETTINGS), "F15")
    assert f15 and "entry 3 hash mismatch" in f15[0].evidence and f15[0].object == "audit-log"
    good = GovernanceFacts(audit=AuditLogStatus(ok=True, size=10, root_hash="ab" * 32))
    assert "F15" not in ids(evaluate(make_catalog(), good, SETTINGS))


def test_f16_phi_version_with_missing_run_within_retention() -> None:
    cat = make_catalog(ds_tags={"phi": "true"}, stage="Staging")
    cat.runs.clear()
    f16 = of(evaluate(cat, settings=SETTINGS), "F16")
    assert f16 and "r1" in f16[0].evidence
    old = make_catalog(ds_tags={"phi": "true"}, stage="Staging", created=datetime(2015, 1, 1, tzinfo=UTC))
    old.runs.clear()
    assert "F16" not in ids(evaluate(old, settings=SETTINGS))


def test_f17_deployed_without_lineage() -> None:
    f17 = of(evaluate(make_catalog(run=False, datasets=False), settings=SETTINGS), "F17")
    assert f17 and "no run recorded" in f17[0].evidence and "no training dataset" in f17[0].evidence
    assert "F17" not in ids(evaluate(make_catalog(), settings=SETTINGS))


def test_f18_evidence_changed() -> None:
    gov = GovernanceFacts(approvals=[approval("m", "1", "Production", "alice@x", status="evidence_changed")])
    f18 = of(evaluate(make_catalog(), gov, SETTINGS), "F18")
    assert f18 and f18[0].approvals == ("env-alice@x-Production-0",)


# ---------------------------------------------------------------------------------- engine


def test_results_are_sorted_stable_and_json_ready() -> None:
    cat = make_catalog(ds_tags={"pii": "true", "phi": "true"})
    a = evaluate(cat, settings=SETTINGS)
    b = evaluate(cat, settings=SETTINGS)
    assert [f.as_json() for f in a] == [f.as_json() for f in b]
    ranks = [severity_rank(f.severity) for f in a]
    assert ranks == sorted(ranks)
    assert set(a[0].as_json()) >= {"id", "severity", "object", "rule", "evidence", "remediation"}
    counts = count_by_severity(a)
    assert sum(counts.values()) == len(a) and counts["critical"] >= 1


def test_severity_helpers_and_overrides() -> None:
    cat = make_catalog(ds_tags={"pii": "true"})
    found = evaluate(cat, settings=FindingSettings(today=TODAY, severities={"F6": "low"}))
    assert of(found, "F6")[0].severity == "low"
    assert {f.id for f in at_or_above(found, "high")} >= {"F1", "F3"}
    assert "F6" not in {f.id for f in at_or_above(found, "medium")}
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
    from mlops_desktop.sources.base import load_catalog

    catalog = load_catalog([str(mlflow3_db)], lambda *a: None, lambda: False)
    found = evaluate(catalog, settings=SETTINGS)
    by = {(f.id, f.object) for f in found}
    assert ("F1", "models:/churn-predictor/3") in by
    assert ("F1", "models:/demand-forecast/3") in by  # champion alias
    assert ("F11", "models:/readmission-risk/3") in by  # PHI model deployed as champion
    f5 = [f for f in found if f.id == "F5"]
    assert any("readmission-risk-train" in f.object and "2024-01-31" in f.evidence for f in f5)
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
    pytest.importorskip("mlops_desktop.core.lineage")
    base = {"pii": "true", "lawful_basis": "consent", "retention_until": "2030-01-01"}
    raised = evaluate(_with_upstream_phi(base), settings=SETTINGS)
    assert ("F11", "models:/m/1") in {(f.id, f.object) for f in raised}
    # the upstream PHI dataset is reported with the model as its consumer
    assert any(f.id == "F4" and "raw-claims" in f.object and f.models == ("m",) for f in raised)
    deid = {**base, "phi": "false", "hipaa_deidentified": "safe_harbor"}
    assert "F11" not in ids(evaluate(_with_upstream_phi(deid), settings=SETTINGS))
