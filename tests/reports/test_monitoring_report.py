"""Every report edition has the post-market monitoring, accuracy and integrity sections with their
charts, on the monitoring fixtures (read back with pypdf)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.graphics.shapes import Line, String

from mlops_desktop.core.findings import FindingSettings
from mlops_desktop.reports.jobs import run_report
from mlops_desktop.reports.model import ReportSettings
from mlops_desktop.reports.monitoring_section import APPROVAL_GREEN, _day, time_chart
from tests.conftest import FIXTURES
from tests.monitoring_governance import APPROVALS, governance_with_approvals

MON = FIXTURES / "monitoring"
TRUTH = json.loads((MON / "truth.json").read_text(encoding="utf-8"))
STORES = [str(MON / "mlflow.db"), f"monitoring:{MON / 'results'}"]


@pytest.mark.parametrize("edition", ["gdpr", "hipaa", "eu-ai-act"])
def test_monitoring_sections_in_every_edition(tmp_path: Path, edition: str) -> None:
    settings = ReportSettings(findings=FindingSettings(today=date.fromisoformat(TRUTH["today"])),
                              generated_at=datetime(2026, 11, 1, 12, tzinfo=UTC))
    out = tmp_path / f"{edition}.pdf"
    run_report(STORES, edition, out, settings=settings)
    text = re.sub(r"\s+", " ", "\n".join(page.extract_text() or "" for page in PdfReader(str(out)).pages))
    assert "Post-market monitoring (EU AI Act Art. 72; SR 11-7 ongoing monitoring)" in text
    assert "Accuracy of the data (GDPR Art. 5(1)(d))" in text
    assert "Integrity of the monitoring evidence" in text
    # the status table and the chart titles of the versions with results
    assert "models:/iris-classifier/2: drift score per feature" in text
    assert "models:/wine-classifier/1: data-quality pass rate" in text
    assert "models:/breast-cancer-classifier/1: drift score per feature" in text
    for label in ("Drift above threshold", "Data-quality failures", "Not monitored", "Checked"):
        assert label in text
    assert "no dataset crm-customers in the stores" in text  # unlinked results listed
    assert "2 of 8 checks failed" in text and "75%" in text
    digest = "sha256:" + hashlib.sha256((MON / "results" / "evidently" / "iris" / "week-06.json").read_bytes()).hexdigest()
    assert digest[:30] in text.replace(" ", "")


def test_signed_approvals_are_marked_on_the_monitoring_charts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gov_url = governance_with_approvals(tmp_path / "gov.db", monkeypatch)
    settings = ReportSettings(findings=FindingSettings(today=date.fromisoformat(TRUTH["today"])),
                              generated_at=datetime(2026, 11, 1, 12, tzinfo=UTC))
    out = tmp_path / "eu-ai-act.pdf"
    run_report(STORES, "eu-ai-act", out, governance_url=gov_url, settings=settings)
    pages = [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(str(out)).pages]
    [charts] = [p for p in pages if "models:/iris-classifier/2: drift score per feature" in p]
    for _when, who in APPROVALS:  # each approval's line is labelled with its target and signer
        assert f"approved champion by {who}" in charts
    # the other versions have no decision: no label on their charts
    [wine] = [p for p in pages if "models:/wine-classifier/1: data-quality pass rate" in p]
    assert "approved champion by" not in wine.split("models:/wine-classifier/1: data-quality pass rate")[1][:400]


def test_the_chart_draws_a_line_at_each_approval_time() -> None:
    points = [(datetime(2026, 9, 8, tzinfo=UTC), 0.9), (datetime(2026, 10, 13, tzinfo=UTC), 0.01)]
    approvals = [(when, f"approved champion by {who}") for when, who in APPROVALS]
    d = time_chart("drift", [("petal length (cm)", points)], thresholds=[0.05], approvals=approvals)
    marks = [s for s in d.contents if isinstance(s, Line) and s.strokeColor == APPROVAL_GREEN]
    labels = [s for s in d.contents if isinstance(s, String) and s.text.startswith("approved champion by")]
    assert [s.text for s in labels] == [label for _, label in approvals]
    # the lines stand at the approvals' times on the axis (from 2026-09-08 to 2026-10-13, padded by 4 %)
    lo, hi = _day(points[0][0]), _day(points[1][0])
    pad = (hi - lo) * 0.04
    x0, width = 40, d.width - 60
    expected = [x0 + (_day(when) - (lo - pad)) / ((hi + pad) - (lo - pad)) * width for when, _ in APPROVALS]
    assert [round(m.x1, 6) for m in marks] == [round(x, 6) for x in expected]
    assert len({s.y for s in labels}) == 2  # a day apart: the labels are staggered, not drawn over each other


def test_each_decision_against_the_evidence_it_was_signed_on(tmp_path: Path) -> None:
    from mlops_desktop.governance.approvals import approve
    from mlops_desktop.governance.store import open_governance
    from mlops_desktop.sources.loader import load_catalog
    from tests.governance.helpers import build_team

    results = tmp_path / "results"
    shutil.copytree(MON / "results", results)
    week6 = results / "evidently" / "iris" / "week-06.json"
    week6.unlink()  # not yet written when alice signs
    stores = [str(MON / "mlflow.db"), f"monitoring:{results}"]
    gov_url = str(tmp_path / "gov.db")
    with open_governance(gov_url) as gov:
        team = build_team(gov)
        approve(gov, load_catalog(stores), "iris-classifier", "2", "champion", "drift reviewed", ["gdpr"], team.alice)
        approve(gov, load_catalog(stores), "wine-classifier", "1", "champion", "checks reviewed", ["gdpr"], team.bob)
    shutil.copyfile(MON / "results" / "evidently" / "iris" / "week-06.json", week6)
    settings = ReportSettings(findings=FindingSettings(today=date.fromisoformat(TRUTH["today"])),
                              generated_at=datetime(2026, 11, 1, 12, tzinfo=UTC))
    out = tmp_path / "gdpr.pdf"
    run_report(stores, "gdpr", out, governance_url=gov_url, settings=settings)
    text = re.sub(r"\s+", " ", "\n".join(page.extract_text() or "" for page in PdfReader(str(out)).pages))
    section = text[text.index("against the monitoring evidence it was signed on"):]
    assert "approved champion by alice@example.org" in section
    assert "not as signed" in section
    assert "newer than the signed evidence: evidently/iris/week-06.json" in section
    # bob signed on what is still current
    assert "approved champion by bob@example.org" in section and "as signed (" in section
