"""Every page of every edition over the merged fixture stores (MLflow + MLMD + OpenLineage), rendered
to PNG with pdftoppm into test-artifacts/report-pages/ so a person can look at each of them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from mlops_desktop.core.entities import Catalog
from mlops_desktop.reports.export import export_report
from tests.reports.govfix import SETTINGS

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
OUT = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "report-pages"


@pytest.fixture(scope="module")
def merged() -> Catalog:
    from mlops_desktop.sources.loader import load_catalog

    return load_catalog([str(FIXTURES / "mlflow-3.17-sqlite.db"), str(FIXTURES / "mlmd-1.17-tfx.sqlite"),
                         f"openlineage:{FIXTURES / 'openlineage-1.54-airflow.ndjson'}"])


@pytest.mark.parametrize("edition", ["gdpr", "hipaa", "eu-ai-act", "model-risk"])
def test_every_page_renders(merged: Catalog, tmp_path: Path, edition: str) -> None:
    exe = shutil.which("pdftoppm")
    if exe is None:
        if IN_CI:
            pytest.fail("pdftoppm is missing: install poppler-utils in CI")
        pytest.skip("pdftoppm not installed (apt-get install poppler-utils)")
    result = export_report(merged, edition, tmp_path / f"{edition}.pdf", settings=SETTINGS)
    assert {s.kind for s in merged.stores} == {"mlflow", "mlmd", "openlineage"}
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob(f"{edition}-*.png"):
        old.unlink()
    subprocess.run([exe, "-r", "50", "-png", str(result.path), str(OUT / edition)], check=True, timeout=300)
    pngs = sorted(OUT.glob(f"{edition}-*.png"))
    assert len(pngs) == result.pages == len(PdfReader(str(result.path)).pages)
    from PIL import Image

    for png in pngs:
        with Image.open(png) as im:
            lo, hi = im.convert("L").getextrema()
            assert hi - lo > 100, png.name  # not a blank page
    text = "\n".join(p.extract_text() or "" for p in PdfReader(str(result.path)).pages)
    # the merged lineage reaches the report: the Airflow job upstream of readmission-risk and the MLMD pipeline
    assert "claims_etl" in text and "taxi-fare-pipeline" in text
