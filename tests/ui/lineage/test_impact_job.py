"""The impact worker function called directly (fake callbacks): the same versions and
deployments as ``impact --format json``, governance statuses only where a store can be read,
and the layout of the dataset's downstream."""

from __future__ import annotations

import pytest

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.lineage import build_graph
from mlops_desktop.core.progress import CancelledError
from mlops_desktop.governance.store import open_governance
from mlops_desktop.services.impact import impact_json, impact_report
from mlops_desktop.ui.lineage.impact import impact_job, impact_rows


def test_impact_job_matches_the_cli_and_lays_out_the_downstream(merged_catalog, tmp_path):
    steps: list[str] = []
    with open_governance(str(tmp_path / "gov.db")):
        pass  # an empty governance store
    prepared = impact_job(merged_catalog, None, "public.claims", str(tmp_path / "gov.db"), None,
                          progress=lambda d, t, m: steps.append(m), is_cancelled=lambda: False)
    report = prepared.report
    doc = impact_json(build_graph(merged_catalog), report.dataset)
    assert [v.node_id for v in report.versions] == [v["id"] for v in doc["versions"]]
    assert [d.node_id for d in report.deployments] == [d["id"] for d in doc["deployments"]]
    assert report.runs == doc["runs"] and len(report.models) == len(doc["models"])
    assert prepared.lineage.direction == "downstream" and prepared.lineage.requested == report.dataset
    assert set(report.node_ids) <= set(prepared.lineage.node_ids) and steps
    # an empty governance store: every held target is judged (nothing approved), none is skipped
    for v in report.versions:
        assert [s.target for s in v.statuses] == list(v.targets)
        assert all(s.status != "approved" for s in v.statuses)
    assert [r.kind for r in impact_rows(report)] == ["Version"] * len(report.versions) + \
        ["Deployment"] * len(report.deployments)


def test_impact_without_a_governance_store_says_so(merged_catalog, monkeypatch, tmp_path):
    monkeypatch.delenv("MLOPS_DESKTOP_GOVERNANCE_URL", raising=False)
    report = impact_report(merged_catalog, "public.claims", None)  # the default store does not exist here
    assert report.versions and all(not v.statuses for v in report.versions)
    assert report.governance_url is None and "No governance store" in report.note
    missing = impact_report(merged_catalog, "public.claims", str(tmp_path / "missing.db"))  # named but absent
    assert all(not v.statuses for v in missing.versions) and missing.note.startswith("Governance status not read")


def test_impact_refuses_a_reference_that_is_not_a_dataset(merged_catalog):
    with pytest.raises(MlopsError):
        impact_report(merged_catalog, "readmission-risk", None, with_governance=False)
    with pytest.raises(CancelledError):
        impact_job(merged_catalog, None, "public.claims", None, None, progress=lambda *a: None, is_cancelled=lambda: True)
