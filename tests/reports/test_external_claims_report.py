"""The "External approval claims" subsection of each model, read back from real PDFs with pypdf."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("botocore", reason="the SageMaker source validates against botocore's service model")

from pypdf import PdfReader

from mlops_desktop.cli.main import main
from tests.conftest import FIXTURES

STORE = f"sagemaker:{FIXTURES / 'sagemaker' / 'account'}"


def pdf_text(path: Path) -> str:
    """The PDF's text without whitespace (table cells wrap long principals mid-word)."""
    return re.sub(r"\s+", "", " ".join((p.extract_text() or "") for p in PdfReader(path).pages))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("edition", ["gdpr", "hipaa", "eu-ai-act"])
def test_each_claim_is_listed_unsigned_per_model(edition: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "--store", STORE, "--format", "json"]) == 0
    inventory = json.loads(capsys.readouterr().out)
    claims = [(m["name"], v["version"], c["statement"]) for m in inventory["models"] for v in m["versions"]
              for c in v.get("external_approvals", [])]
    assert len(claims) == 5
    pdf = tmp_path / f"{edition}.pdf"
    assert main(["report", "--store", STORE, "--edition", edition, "--out", str(pdf)]) == 0
    text = pdf_text(pdf)
    assert text.count("Externalapprovalclaims") == 2  # one subsection per model with claims
    appendix = text[text.rindex(squeeze("Appendix A. Model cards and lineage figures A.1")):]  # not the contents
    credit = appendix.index("A.1credit-limit-sm")
    readmission = appendix.index("A.2readmission-risk-sm")
    for model, version, statement in claims:
        start, end = (credit, readmission) if model == "credit-limit-sm" else (readmission, len(appendix))
        assert squeeze(f"v{version} {statement}") in appendix[start:end]
        assert statement.endswith(", not signed")
    assert squeeze("approved in SageMaker by arn:aws:sts::123456789012:assumed-role/ModelRiskApprover/carol") in appendix


def test_a_report_without_claims_has_no_subsection(tmp_path: Path, mlflow3_db: Path) -> None:
    pdf = tmp_path / "m.pdf"
    assert main(["report", "--store", str(mlflow3_db), "--edition", "gdpr", "--out", str(pdf)]) == 0
    assert "Externalapprovalclaims" not in pdf_text(pdf)
