"""Every report edition has the post-market monitoring, accuracy and integrity sections with their
charts, on the monitoring fixtures (read back with pypdf)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from mlops_desktop.core.findings import FindingSettings
from mlops_desktop.reports.jobs import run_report
from mlops_desktop.reports.model import ReportSettings
from tests.conftest import FIXTURES

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
