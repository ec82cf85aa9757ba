"""Findings evaluated for a report's models only (``evaluate(..., models=...)``) are exactly the
whole-catalog findings scoped to those models, on the merged fixtures and with signed decisions;
a scoped report says the stores' other models were not evaluated instead of a count it never made."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.findings import default_lineage, evaluate, scope_findings
from mlops_desktop.reports.governance_bridge import collect_evidence, open_for_report
from mlops_desktop.reports.jobs import run_report
from tests.reports.govfix import SETTINGS, Gov, approve
from tests.reports.test_report_pdf import flat, pdf_text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def merged() -> Catalog:
    from mlops_desktop.sources.loader import load_catalog

    return load_catalog([str(FIXTURES / "mlflow-3.17-sqlite.db"), str(FIXTURES / "mlmd-1.17-tfx.sqlite"),
                         f"openlineage:{FIXTURES / 'openlineage-1.54-airflow.ndjson'}"])


def _keys(findings: list) -> list[tuple[str, str, str, tuple[str, ...]]]:  # type: ignore[type-arg]
    return [(f.key, f.severity, f.evidence, f.models) for f in findings]


def test_scoped_evaluation_equals_whole_catalog_scoped(merged: Catalog) -> None:
    settings = SETTINGS.findings
    lineage = default_lineage(merged)
    whole = evaluate(merged, None, settings, lineage=lineage)
    names = sorted({m.name for m in merged.models})
    assert len(names) >= 5
    dataset_scoped = 0
    for scope in [[n] for n in names] + [names[:2], names[1::2], names]:
        scoped = evaluate(merged, None, settings, lineage=lineage, models=scope)
        expected = scope_findings(whole, scope)
        assert _keys(scoped) == _keys(expected), scope
        dataset_scoped += sum(1 for f in scoped if f.object_kind == "dataset")
        # scoping leaves out something whenever the scope is smaller than the catalog
        if len(scope) < len(names):
            assert len(scoped) < len(whole) or all(not f.models or set(f.models) & set(scope) for f in whole)
    assert dataset_scoped > 0  # dataset findings were among those compared
    # an unknown name scopes to the store-wide and model-less findings only
    assert _keys(evaluate(merged, None, settings, lineage=lineage, models=["no-such-model"])) == _keys(
        [f for f in whole if not f.models])
    # an empty scope is the whole catalog
    assert _keys(evaluate(merged, None, settings, lineage=lineage, models=[])) == _keys(whole)


def test_scoped_evaluation_with_signed_decisions(catalog: Catalog, governance: Gov) -> None:
    # dan trained demand-forecast v3: his approval raises F2; alice's alone leaves F1 (one of two)
    approve(governance, catalog, "dan@example.org", "demand-forecast", "3", "Production")
    approve(governance, catalog, "alice@example.org", "demand-forecast", "3", "Production")
    gov = open_for_report(governance.url)
    assert gov is not None
    try:
        facts = collect_evidence(gov, catalog).facts
    finally:
        gov.close()
    whole = evaluate(catalog, facts, SETTINGS.findings)
    assert any(f.id == "F2" for f in whole)
    for scope in (["demand-forecast"], ["demand-forecast", "readmission-risk"], ["fraud-detector"]):
        assert _keys(evaluate(catalog, facts, SETTINGS.findings, models=scope)) == _keys(
            scope_findings(whole, scope)), scope


def test_a_scoped_report_does_not_claim_a_whole_store_count(mlflow3_db: Path, tmp_path: Path) -> None:
    scoped = run_report([str(mlflow3_db)], "gdpr", tmp_path / "scoped.pdf", models=["readmission-risk"],
                        settings=SETTINGS)
    text = flat(pdf_text(scoped.path))
    assert "Findings in scope / in all stores" not in text
    assert (f"Findings in scope {len(scoped.findings)} (evaluated for the models in scope only; the other models "
            "of the stores were not evaluated for this report)") in text
    whole = run_report([str(mlflow3_db)], "gdpr", tmp_path / "whole.pdf", settings=SETTINGS)
    text = flat(pdf_text(whole.path))
    assert f"Findings in scope / in all stores {len(whole.findings)} / {len(whole.findings)}" in text
