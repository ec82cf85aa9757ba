"""Every finding of the findings JSON (the evidence bundle's ``findings``) appears by its stable key
in the text of the gdpr, hipaa and eu-ai-act editions, beside its object in the findings register,
on the merged fixture stores (MLflow + MLMD + OpenLineage) with a governance store holding a
self-approval; the rules the data names fire on the exact versions and datasets."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from mlops_desktop.core.entities import Catalog
from mlops_desktop.reports.jobs import run_report
from tests.reports.govfix import SETTINGS, Gov, _key

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

#: (rule, object) the fixture data makes certain: PHI dataset without lawful basis, safe-harbor
#: dataset with identifier-like columns, deployed version whose validation failed, deleted PHI
#: version, PHI reaching a deployed version without a hipaa approval, retention passed, the
#: approver who trained the version, a deployed version with no monitoring result.
EXPECTED = [
    ("F3", "dataset:raw/claims"),
    ("F12", "dataset:features/readmission"),
    ("F19", "models:/fraud-detector/3"),
    ("F16", "models:/readmission-risk/1"),
    ("F11", "models:/readmission-risk/3"),
    ("F5", "dataset:readmission-risk-train@1c0900ab"),
    ("F2", "models:/demand-forecast/3"),
    ("F24", "models:/taxi-fare-pipeline/16"),
]


@pytest.fixture(scope="module")
def merged() -> Catalog:
    from mlops_desktop.sources.loader import load_catalog

    return load_catalog([str(FIXTURES / "mlflow-3.17-sqlite.db"), str(FIXTURES / "mlmd-1.17-tfx.sqlite"),
                         f"openlineage:{FIXTURES / 'openlineage-1.54-airflow.ndjson'}"])


@pytest.fixture
def governance(tmp_path: Path, merged: Catalog) -> Iterator[Gov]:
    """Approvers alice and dan; dan approves demand-forecast v3, which he trained (F2). Made in the
    test's own client (its trust anchor is this client's)."""
    from mlops_desktop.governance.approvals import approve
    from mlops_desktop.governance.store import open_governance
    from mlops_desktop.governance.trust import add_signer, init_trust

    url = str(tmp_path / "governance.db")
    keys = {i: _key(i) for i in ("admin@example.org", "alice@example.org", "dan@example.org")}
    with open_governance(url) as gov:
        init_trust(gov, [keys["admin@example.org"]])  # type: ignore[list-item]
        for ident in ("alice@example.org", "dan@example.org"):
            add_signer(gov, keys["admin@example.org"], keys[ident].public_key, ident, ["approver"])  # type: ignore[arg-type,attr-defined]
        approve(gov, merged, "demand-forecast", "3", "champion", "validated", ["gdpr"], keys["dan@example.org"])  # type: ignore[arg-type]
        approve(gov, merged, "readmission-risk", "3", "champion", "validated", ["gdpr"], keys["alice@example.org"])  # type: ignore[arg-type]
    yield Gov(url, keys)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("edition", ["gdpr", "hipaa", "eu-ai-act"])
def test_every_finding_key_is_in_the_text(merged: Catalog, governance: Gov, tmp_path: Path, edition: str) -> None:
    result = run_report([], edition, tmp_path / f"{edition}.pdf", governance_url=governance.url, catalog=merged,
                        settings=SETTINGS)
    bundle = json.loads(result.bundle_path.read_text(encoding="utf-8"))
    findings = bundle["findings"]
    assert [f["key"] for f in findings] == [f.key for f in result.findings]
    assert len(findings) >= 30
    found = {(f["id"], f["object"]) for f in findings}
    for rule, obj in EXPECTED:
        assert (rule, obj) in found, (rule, obj)
    pages = [squeeze(p.extract_text() or "") for p in PdfReader(str(result.path)).pages]
    text = "".join(pages)
    register = text[text.index("Findingsregister", text.index("Findingsregister") + 1):]  # past the contents
    missing = [f["key"] for f in findings if f["key"] not in text]
    assert not missing
    for f in findings:
        at = register.index(f["key"])
        # the register prints the key, its severity and its object on the key's row
        assert register[at:at + 400].startswith(f["key"] + f["severity"]), f["key"]
        assert squeeze(f["object"]) in register[at:at + 400], (f["key"], f["object"])
    # a key that is not a finding is not in the text: the check can fail
    first = findings[0]["key"]
    forged = first[:-1] + ("0" if first[-1] != "0" else "1")
    assert forged not in {f["key"] for f in findings} and forged not in text
