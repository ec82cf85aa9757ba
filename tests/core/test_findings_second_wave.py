"""The second-wave and corrected rules on the exact fixture objects the data names (F3 for PHI, F12 by
name and by column lineage, F16 for deleted versions, F19, F27) and the findings' stable keys."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from mlops_desktop.core.entities import (
    Catalog,
    DatasetInput,
    LoggedModel,
    ModelVersion,
    RegisteredModel,
    Run,
)
from mlops_desktop.core.findings import Finding, FindingSettings, evaluate
from mlops_desktop.core.findings.model import finding_key
from mlops_desktop.core.governance_facts import GovernanceFacts
from tests.core.findingsfix import approval, make_catalog

#: The golden outputs' evaluation date (the MLflow fixtures were written in November 2026).
AS_OF = FindingSettings(today=date(2026, 12, 1))


def _load(*urls: str) -> Catalog:
    from mlops_desktop.sources.loader import load_catalog

    return load_catalog(list(urls))


def _of(found: list[Finding], fid: str) -> list[tuple[str, str]]:
    return [(f.object, f.evidence) for f in found if f.id == fid]


def test_f19_only_the_deployed_version_whose_validation_failed(mlflow3_db: Path) -> None:
    # fraud-detector v3 is Production and champion with validation_status=failed; v2 (challenger) and
    # readmission-risk v2 failed too but are not deployed; every other deployed version passed
    found = evaluate(_load(str(mlflow3_db)), settings=AS_OF)
    assert _of(found, "F19") == [
        ("models:/fraud-detector/3", "Deployed as 'Production', 'champion' although its version tag "
         "validation_status=failed records a failed validation."),
    ]


def test_f3_for_the_phi_claims_dataset_without_lawful_basis(openlineage_file: Path) -> None:
    # raw/claims is tagged phi=true only; public.claims (its source) records vital_interest
    found = evaluate(_load(f"openlineage:{openlineage_file}"), settings=AS_OF)
    assert _of(found, "F3") == [
        ("dataset:raw/claims", "phi=true (health information about a person is personal data) but no lawful_basis "
         "tag on the dataset or any of its inputs."),
    ]


def test_f12_patient_key_by_column_lineage_and_zip3_by_name(openlineage_file: Path) -> None:
    found = evaluate(_load(f"openlineage:{openlineage_file}"), settings=AS_OF)
    assert _of(found, "F12") == [(
        "dataset:features/readmission",
        "hipaa_deidentified=safe_harbor but the schema has identifier-like columns: patient_key (other unique "
        "identifying numbers; derived from s3://lake/raw/claims.patient_id (other unique identifying numbers) by "
        "salted hash, so it is a re-identification code derived from information about the individual, which "
        "164.514(c)(1) does not allow), zip3 (geographic units below state: the initial three ZIP digits are "
        "allowed only where that area holds more than 20,000 people, 164.514(b)(2)(i)(B), and no such check is "
        "recorded; derived from s3://lake/raw/claims.zip (geographic units below state) by first 3 digits, a "
        "reduced form of that identifier).",
    )]


def test_f12_by_lineage_alone_when_the_name_says_nothing() -> None:
    cat = make_catalog(ds_tags={"hipaa_deidentified": "safe_harbor"}, columns=["pk", "age_band"])
    cat.datasets["d1"].schema = {"fields": [
        {"name": "pk", "inputs": [{"dataset": "s3://x/raw", "field": "mrn",
                                   "transformations": [{"type": "DIRECT", "description": "sha256"}]}]},
        {"name": "age_band", "inputs": [{"dataset": "s3://x/raw", "field": "age"}]},
    ]}
    [(obj, evidence)] = _of(evaluate(cat, settings=AS_OF), "F12")
    assert evidence == (
        "hipaa_deidentified=safe_harbor but the schema has identifier-like columns: pk (derived from s3://x/raw.mrn "
        "(medical record numbers) by sha256, so it is a re-identification code derived from information about the "
        "individual, which 164.514(c)(1) does not allow).")


def test_f16_deleted_versions_that_held_classified_data(mlflow3_db: Path) -> None:
    found = evaluate(_load(str(mlflow3_db)), settings=AS_OF)
    f16 = dict(_of(found, "F16"))
    # demand-forecast trains on pii=false, phi=false data: its deleted v1 raises nothing
    assert sorted(f16) == ["models:/churn-predictor/1", "models:/credit-limit/1", "models:/fraud-detector/1",
                           "models:/readmission-risk/1", "models:/sepsis-alert/1"]
    assert f16["models:/readmission-risk/1"] == (
        "The version was deleted from the registry (created 2026-11-27, within the 6-year retention duty) and held "
        "PHI and personal data: its run id and source are redacted in the store (its logged model "
        "m-f4eb24e9fd9043bfaac8174de2ada4b2 is not in the stores read); judged from the registered model: versions "
        "2, 3 of readmission-risk are trained on PHI (readmission-risk-train).")
    assert f16["models:/churn-predictor/1"].endswith(
        "and held personal data: its run id and source are redacted in the store (its logged model "
        "m-f9dbd0507a3241d49076ac9714cbe722 is not in the stores read); judged from the registered model: versions "
        "2, 3 of churn-predictor are trained on personal data (churn-predictor-train).")
    # too old for the duty: nothing
    old = evaluate(_load(str(mlflow3_db)), settings=FindingSettings(today=date(2033, 1, 1)))
    assert _of(old, "F16") == []


def test_f16_deleted_version_traced_through_its_logged_model() -> None:
    """Where the logged model named by the storage location and its run are in the catalog, the run's
    datasets say what the deleted version held."""
    inp = DatasetInput("d9", "claims", "abc", "s3://x/claims", "training", {"phi": "true"})
    run = Run("r9", user="ann@x", inputs=[inp])
    gone = ModelVersion("m", "1", stage="Deleted_Internal", deleted=True, source="REDACTED-SOURCE-PATH",
                        run_id="REDACTED-RUN-ID", storage_location="/srv/a/m/models/m-0123456789ab/artifacts",
                        created_at=datetime(2026, 1, 1, tzinfo=UTC))
    cat = Catalog(models=[RegisteredModel("m", versions=[gone])], runs={"r9": run},
                  logged_models={"m-0123456789ab": LoggedModel("m-0123456789ab", "model", "", "r9")})
    assert _of(evaluate(cat, settings=AS_OF), "F16") == [(
        "models:/m/1", "The version was deleted from the registry (created 2026-01-01, within the 6-year retention "
        "duty) and held PHI: its training run r9 read claims.")]


def test_f27_unknown_de_identification_value_on_the_sepsis_dataset(mlflow3_db: Path) -> None:
    found = evaluate(_load(str(mlflow3_db)), settings=AS_OF)
    assert _of(found, "F27") == [(
        "dataset:sepsis-alert-train@6db34039", "Dataset tag(s) outside the convention: hipaa_deidentified=true "
        "(allowed: false, safe_harbor or expert_determination (164.514(b)(1) or (b)(2))).")]


def test_keys_are_stable_and_ignore_the_wording(mlflow3_db: Path) -> None:
    a = evaluate(_load(str(mlflow3_db)), settings=AS_OF)
    b = evaluate(_load(str(mlflow3_db)), settings=FindingSettings(today=date(2026, 12, 2)))
    assert [f.key for f in a if f.id != "F5"] == [f.key for f in b if f.id != "F5"]
    f11 = next(f for f in a if f.id == "F11" and f.object == "models:/readmission-risk/3")
    assert f11.key == finding_key("F11", "models:/readmission-risk/3") == "F11-" + f11.key[4:]
    assert len(f11.key) == 14 and len({f.key for f in a}) == len(a)  # unique within a run
    # two F2 findings on one version (two self-approvals for two targets) have their own keys
    gov = GovernanceFacts(approvals=[approval("m", "1", "Production", "dan@example.org", index=1),
                                     approval("m", "1", "champion", "dan@example.org", index=2)])
    f2 = [f for f in evaluate(make_catalog(aliases={"champion": "1"}), gov, AS_OF) if f.id == "F2"]
    assert len(f2) == 2 and f2[0].key != f2[1].key


def test_f11_is_not_cleared_by_the_authors_own_hipaa_approval() -> None:
    cat = make_catalog(ds_tags={"phi": "true"})  # dan@example.org trained v1 (Production)
    own = GovernanceFacts(approvals=[approval("m", "1", "Production", "dan@example.org", regimes=("hipaa",))])
    assert [f.object for f in evaluate(cat, own, AS_OF) if f.id == "F11"] == ["models:/m/1"]
    other = GovernanceFacts(approvals=[approval("m", "1", "Production", "alice@x", regimes=("hipaa",))])
    assert [f.object for f in evaluate(cat, other, AS_OF) if f.id == "F11"] == []
