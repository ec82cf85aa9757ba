"""monitoring:PATH against the fixtures tools/make_monitoring_fixtures.py wrote with the real
Evidently and Great Expectations (tests/fixtures/monitoring/truth.json says what it made)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mlops_desktop.core.findings import FindingSettings, evaluate
from mlops_desktop.core.governance_facts import STATUS_VALID, ApprovalFact, GovernanceFacts
from mlops_desktop.core.monitoring import (
    DATA_QUALITY,
    DRIFT,
    MonitoringIndex,
    monitoring_overview,
)
from mlops_desktop.sources.base import parse_store_url
from mlops_desktop.sources.loader import load_catalog, load_stores
from mlops_desktop.sources.monitoring import MonitoringSource, classify
from tests.conftest import FIXTURES

MON = FIXTURES / "monitoring"
TRUTH = json.loads((MON / "truth.json").read_text(encoding="utf-8"))
TODAY = date.fromisoformat(TRUTH["today"])
STORES = [str(MON / "mlflow.db"), f"monitoring:{MON / 'results'}"]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(STORES)


def test_url_form_and_kind():
    url = parse_store_url(f"monitoring:{MON / 'results'}")
    assert url.kind == "monitoring"
    assert url.path == (MON / "results").resolve()


def test_rejected_files_are_listed_with_reasons_and_the_rest_loads():
    source = MonitoringSource(parse_store_url(f"monitoring:{MON / 'results'}"))
    results = source.read_results()
    reasons = {f.name: f.reason for f in source.rejected}
    assert sorted(reasons) == TRUTH["rejected"]
    assert reasons["broken/bad-timestamp.json"] == "Evidently snapshot: timestamp 'last tuesday' is not an ISO 8601 time"
    assert reasons["broken/gx-results-not-a-list.json"] == (
        "Great Expectations validation result: results must be a list and meta an object")
    assert reasons["broken/package.json"].startswith("not an Evidently snapshot, Great Expectations validation result")
    assert "(top-level members: dependencies, name, version)" in reasons["broken/package.json"]
    assert reasons["broken/truncated-snapshot.json"].startswith("truncated JSON (it stops mid-value")
    # 9 Evidently snapshots, 5 GX results, one Model Monitor file giving a drift and a data-quality result
    assert source.counts == {"evidently": 9, "great_expectations": 5, "sagemaker-model-monitor": 1}
    assert len(results) == 16


def test_evidently_snapshot_features_thresholds_and_links(catalog):
    week6 = next(r for r in catalog.monitoring if r.id == "evidently/iris/week-06.json")
    assert week6.tool == "evidently" and week6.kind == DRIFT
    assert week6.at == datetime(2026, 10, 13, 9, 0, tzinfo=UTC)
    assert (week6.model_name, week6.version) == ("iris-classifier", "2")
    assert [d.feature for d in week6.drift] == ["petal length (cm)", "petal width (cm)", "sepal length (cm)",
                                                "sepal width (cm)"]
    assert {d.method for d in week6.drift} == {"K-S p_value"}
    assert {d.threshold for d in week6.drift} == {0.05}
    assert [d.feature for d in week6.drifted_features] == ["petal length (cm)"]
    raw = (MON / "results" / "evidently" / "iris" / "week-06.json").read_bytes()
    import hashlib

    assert week6.digest == "sha256:" + hashlib.sha256(raw).hexdigest()
    wine = next(r for r in catalog.monitoring if r.id == "evidently/wine/week-06.json")
    assert (wine.model_name, wine.version) == ("wine-classifier", "1")  # from the tag model:wine-classifier/1


def test_drift_only_in_the_weeks_the_script_shifted(catalog):
    index = MonitoringIndex.build(catalog)
    iris = [r for r in index.by_version[("iris-classifier", "2")] if r.kind == DRIFT]
    drifted = [r.at.date().isoformat() for r in iris if r.has_drift]
    assert drifted == TRUTH["iris_drift_weeks"]
    assert len(iris) == 6
    others = [r for r in index.results if r.kind == DRIFT and r.has_drift and r.tool != "sagemaker-model-monitor"]
    assert {r.id for r in others} == {"evidently/iris/week-05.json", "evidently/iris/week-06.json"}


def test_gx_results_link_to_the_training_dataset(catalog):
    index = MonitoringIndex.build(catalog)
    wine = index.by_dataset["dataset:s3://ml-data/wine/train.parquet"]
    assert [r.id for r in wine] == ["gx/wine-train-2026-09-15.json", "gx/wine-train-2026-09-29.json",
                                    "gx/wine-train-2026-10-13.json"]
    failing = [r.at.date().isoformat() for r in wine if r.failed_checks]
    assert failing == TRUTH["wine_failing_weeks"]
    last = wine[-1]
    assert last.kind == DATA_QUALITY and len(last.checks) == 8 and last.pass_rate == 0.75
    assert [c.name for c in last.failed_checks] == ["expect_column_values_to_not_be_null(malic_acid)",
                                                    "expect_column_values_to_be_between(proline)"]
    assert last.failed_checks[0].detail == "5 unexpected of 60"


def test_mlflow_monitoring_runs_are_read_and_linked(catalog):
    index = MonitoringIndex.build(catalog)
    bc = index.by_version[("breast-cancer-classifier", "1")]
    assert [r.id for r in bc] == [f"mlflow:{rid}" for rid in TRUTH["mlflow_monitoring_runs"]]
    assert all(r.tool == "mlflow" and r.kind == DRIFT and not r.has_drift for r in bc)
    assert {d.threshold for r in bc for d in r.drift} == {0.5}
    assert [d.feature for d in bc[0].drift] == ["mean area", "mean radius", "mean smoothness", "mean texture"]
    # monitoring runs are loaded although no version was registered from them
    assert set(TRUTH["mlflow_monitoring_runs"]) <= set(catalog.runs)


def test_unlinked_results_are_listed_never_dropped(catalog):
    index = MonitoringIndex.build(catalog)
    unlinked = {r.id: r.link for r in index.unlinked}
    mm = "model-monitor/credit-limit-prod/credit-limit-data-quality/2026/10/20/13/constraint_violations.json"
    assert unlinked == {
        "evidently/other-team.json": "unlinked: no version 4 of model churn-model in the stores",
        "gx/customers-2026-10-20.json": "unlinked: no dataset crm-customers in the stores",
        mm: "unlinked: endpoint credit-limit-prod (no such deployment in the stores)",
        mm + "#drift": "unlinked: endpoint credit-limit-prod (no such deployment in the stores)",
    }
    assert set(TRUTH["unlinked"]) <= set(unlinked)


def test_model_monitor_violations_link_through_the_sagemaker_endpoint():
    cat = load_catalog([f"sagemaker:{FIXTURES / 'sagemaker' / 'account'}", f"monitoring:{MON / 'results'}"])
    index = MonitoringIndex.build(cat)
    mm = [r for r in index.results if r.tool == "sagemaker-model-monitor"]
    assert len(mm) == 2
    served = mm[0].linked_versions
    assert served and all(r.linked_versions == served for r in mm)
    assert served[0][0] == "credit-limit-sm"
    drift = next(r for r in mm if r.kind == DRIFT)
    assert [(d.feature, d.score, d.threshold, d.drifted) for d in drift.drift] == [("income", 0.27, 0.1, True)]
    quality = next(r for r in mm if r.kind == DATA_QUALITY)
    assert [(c.name, c.success) for c in quality.checks] == [("completeness_check(age)", False)]
    assert quality.at == datetime(2026, 10, 20, 13, tzinfo=UTC)


def test_status_of_every_version(catalog):
    overview = monitoring_overview(catalog, as_of=TODAY, max_age_days=TRUTH["max_age_days"])
    status = {f"{vm.model_name}/{vm.version}": vm.status for vm in overview.versions}
    assert status == TRUTH["status"]
    deployed = {f"{vm.model_name}/{vm.version}" for vm in overview.versions if vm.deployed}
    assert deployed == set(TRUTH["status"]) - {"iris-classifier/1"}
    digits = overview.version("digits-classifier", "1")
    assert digits is not None and digits.reasons == (
        "no monitoring result within 30 days (last 2026-09-08T09:00:00Z)",)
    diabetes = overview.version("diabetes-regressor", "1")
    assert diabetes is not None and diabetes.reasons == ("no monitoring result within 30 days (none at all)",)


def test_chart_series(catalog):
    overview = monitoring_overview(catalog, as_of=TODAY)
    iris = overview.version("iris-classifier", "2")
    assert iris is not None
    series = iris.drift_series()
    assert sorted(series) == ["petal length (cm)", "petal width (cm)", "sepal length (cm)", "sepal width (cm)"]
    petal = series["petal length (cm)"]
    assert [t.date().isoformat() for t, *_ in petal] == [
        "2026-09-08", "2026-09-15", "2026-09-22", "2026-09-29", "2026-10-06", "2026-10-13"]
    assert [d for *_, d in petal] == [False, False, False, False, True, True]
    assert {th for _, _, th, _ in petal} == {0.05}
    assert [(t.date().isoformat(), rate) for t, rate, _ in iris.pass_rate_series()] == [("2026-10-27", 1.0)]
    wine = overview.version("wine-classifier", "1")
    assert wine is not None
    assert [(t.date().isoformat(), rate) for t, rate, _ in wine.pass_rate_series()] == [
        ("2026-09-15", 1.0), ("2026-09-29", 1.0), ("2026-10-13", 0.75)]


def _ids(findings, fid):
    return sorted(f.object for f in findings if f.id == fid)


def test_findings_f24_f25_f26_on_exactly_the_versions_the_script_made(catalog):
    findings = evaluate(catalog, settings=FindingSettings(today=TODAY))
    for fid in ("F24", "F25", "F26"):
        assert _ids(findings, fid) == TRUTH["findings"][fid], fid
    f25 = next(f for f in findings if f.id == "F25")
    assert f25.severity == "high"
    assert f25.evidence == (
        "Deployed as champion; 2 drift result(s) above threshold since registration at 2026-09-01T09:00:00Z "
        "(no approval for champion recorded), the latest evidently/iris/week-06.json at 2026-10-13T09:00:00Z: "
        "drift in 1 of 4 features (petal length (cm) 1.81e-08 < 0.05). Drifted features: petal length (cm).")
    f26 = next(f for f in findings if f.id == "F26")
    assert f26.severity == "medium"
    assert "training dataset s3://ml-data/wine/train.parquet failed 2 of 8 data-quality checks" in f26.evidence


def test_f24_window_is_a_setting(catalog):
    findings = evaluate(catalog, settings=FindingSettings(today=TODAY, monitoring_max_age_days=60))
    assert _ids(findings, "F24") == ["models:/diabetes-regressor/1"]


def _approval(signed: datetime, status: str = STATUS_VALID) -> ApprovalFact:
    return ApprovalFact("env-1", "iris-classifier", "2", "champion", "APPROVED", (), "carol@example.org", "k1",
                        "approver", signed, 1, status)


def test_f25_counts_drift_after_the_latest_approval_only(catalog):
    between = GovernanceFacts(approvals=[_approval(datetime(2026, 10, 10, tzinfo=UTC))])
    findings = evaluate(catalog, between, FindingSettings(today=TODAY))
    f25 = [f for f in findings if f.id == "F25"]
    assert [f.object for f in f25] == ["models:/iris-classifier/2"]
    assert f25[0].evidence.startswith("Deployed as champion; 1 drift result(s) above threshold since the latest "
                                      "approval for champion at 2026-10-10T00:00:00Z")
    after = GovernanceFacts(approvals=[_approval(datetime(2026, 10, 20, tzinfo=UTC))])
    assert _ids(evaluate(catalog, after, FindingSettings(today=TODAY)), "F25") == []


@pytest.mark.parametrize("status", ["invalid", "untrusted", "unanchored", "revoked", "expired", "evidence_changed"])
def test_f25_is_not_silenced_by_an_approval_that_does_not_count(catalog, status):
    # a decision dated after the drift whose signature does not hold: the drift is still unreviewed
    facts = GovernanceFacts(approvals=[_approval(datetime(2026, 10, 10, tzinfo=UTC)),
                                       _approval(datetime(2026, 10, 20, tzinfo=UTC), status)])
    f25 = [f for f in evaluate(catalog, facts, FindingSettings(today=TODAY)) if f.id == "F25"]
    assert [f.object for f in f25] == ["models:/iris-classifier/2"]
    assert "since the latest approval for champion at 2026-10-10T00:00:00Z" in f25[0].evidence


def test_openlineage_data_quality_facets(tmp_path: Path):
    event = {
        "eventType": "COMPLETE", "eventTime": "2026-10-21T08:00:00Z", "producer": "https://example.org/dq",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent",
        "run": {"runId": "0199a0d2-0000-7000-8000-000000000001"}, "job": {"namespace": "dq", "name": "check-wine"},
        "inputs": [{"namespace": "s3://ml-data", "name": "wine/train.parquet", "inputFacets": {
            "dataQualityAssertions": {"_producer": "x", "_schemaURL": "y", "assertions": [
                {"assertion": "not_null", "success": True, "column": "alcohol"},
                {"assertion": "row_count_above_100", "success": False}]},
            "dataQualityMetrics": {"_producer": "x", "_schemaURL": "y", "rowCount": 60, "columnMetrics": {}}}}],
        "outputs": [],
    }
    path = tmp_path / "events.ndjson"
    path.write_text(json.dumps(event) + "\n", encoding="utf-8")
    with load_stores([str(MON / "mlflow.db"), f"openlineage:{path}"]) as loaded:
        cat = loaded.catalog
    index = MonitoringIndex.build(cat)
    result = index.by_dataset["dataset:s3://ml-data/wine/train.parquet"][-1]
    assert result.tool == "openlineage" and result.id == (
        "openlineage:0199a0d2-0000-7000-8000-000000000001:s3://ml-data/wine/train.parquet")
    assert [(c.name, c.success) for c in result.checks] == [("not_null(alcohol)", True), ("row_count_above_100", False)]
    assert result.pass_rate == 0.5
    # the same event in a monitoring folder is read the same way
    folder = tmp_path / "mon"
    folder.mkdir()
    shutil.copy(path, folder / "dq.ndjson")
    source = MonitoringSource(parse_store_url(f"monitoring:{folder}"))
    [again] = source.read_results()
    assert again.id == result.id and again.digest == result.digest and again.source != result.source


@pytest.mark.parametrize(("doc", "reason"), [
    ([1, 2], "a JSON list, not a monitoring result"),
    ("text", "not a JSON object, so not a monitoring result"),
    ({"metric_results": {}, "top_level_metrics": []}, "Evidently snapshot (evidently 0.7.23 format) without "
     "metadata, tags, timestamp"),
])
def test_classify_and_shape_errors(tmp_path: Path, doc, reason):
    folder = tmp_path / "mon"
    folder.mkdir()
    (folder / "x.json").write_text(json.dumps(doc), encoding="utf-8")
    source = MonitoringSource(parse_store_url(f"monitoring:{folder}"))
    assert source.read_results() == []
    assert [(f.name, f.reason) for f in source.rejected] == [("x.json", reason)]
    if isinstance(doc, dict):
        assert classify(doc) == "evidently"


def test_the_store_is_unchanged_after_reading(catalog):
    before = {p: p.read_bytes() for p in (MON / "results").rglob("*") if p.is_file()}
    load_catalog(STORES)
    assert {p: p.read_bytes() for p in (MON / "results").rglob("*") if p.is_file()} == before


def test_snapshot_carries_the_monitoring_results(tmp_path: Path, catalog) -> None:
    from mlops_desktop.governance.snapshot import create_snapshot
    from mlops_desktop.sources.snapshot import SnapshotSource

    out = tmp_path / "mon.mlsnap"
    create_snapshot([], out, catalog=catalog)
    with SnapshotSource.open(out) as source:
        back = source.load_catalog()
    assert [r.as_json() for r in back.monitoring] == [r.as_json() for r in catalog.monitoring]
    overview = monitoring_overview(back, as_of=TODAY)
    assert {f"{vm.model_name}/{vm.version}": vm.status for vm in overview.versions} == TRUTH["status"]
