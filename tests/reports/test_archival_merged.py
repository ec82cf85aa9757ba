"""The archival checks of test_archival.py on the merged fixture stores (MLflow + MLMD +
OpenLineage) with a governance store holding two signed approvals, so the pages that only the
merged data and signed decisions bring (MLMD and OpenLineage lineage figures, approval
certificates, the audit-log transcript) are covered too: pdffonts lists only embedded DejaVu
fonts, pypdf reads the XMP packet and it agrees with the information dictionary."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from mlops_desktop.core.entities import Catalog
from mlops_desktop.reports.jobs import run_report
from tests.reports.govfix import SETTINGS, Gov
from tests.reports.test_finding_keys_in_text import governance, merged

__all__ = ["governance", "merged"]  # fixtures shared with the finding-key test
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.mark.parametrize("edition", ["gdpr", "hipaa", "eu-ai-act", "model-risk"])
def test_merged_report_fonts_embedded_and_xmp(merged: Catalog, governance: Gov, tmp_path: Path, edition: str) -> None:
    exe = shutil.which("pdffonts")
    if exe is None:
        if IN_CI:
            pytest.fail("pdffonts is missing: install poppler-utils in CI")
        pytest.skip("pdffonts not installed (apt-get install poppler-utils)")
    result = run_report([], edition, tmp_path / f"{edition}.pdf", governance_url=governance.url, catalog=merged,
                        settings=SETTINGS)
    reader = PdfReader(str(result.path))
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    # the pages this test is for are there: MLMD and OpenLineage lineage, a signed approval's certificate
    assert "taxi-fare-pipeline v16" in text and "claims_etl" in text
    assert "alice@example.org" in text[text.index("Appendix B. Approval certificates",
                                                  text.index("Appendix B. Approval certificates") + 1):]
    out = subprocess.run([exe, str(result.path)], check=True, capture_output=True, text=True, timeout=60).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows, out
    assert {r[0].split("+", 1)[-1] for r in rows} <= {"DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique",
                                                      "DejaVuSansMono"}, out
    assert [r[0] for r in rows if r[-5] != "yes"] == [], out  # emb column
    xmp = reader.xmp_metadata
    info = reader.metadata
    assert xmp is not None and info is not None
    assert xmp.dc_title == {"x-default": info.title} and result.report_id in str(info.title)
    assert xmp.pdf_keywords == info["/Keywords"] == f"mlops-desktop, {edition}, {result.report_id}"
    assert xmp.dc_creator == [info.author] == ["Test Officer"]
