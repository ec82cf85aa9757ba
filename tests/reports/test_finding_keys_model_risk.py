"""The model-risk edition, like the other three (test_finding_keys_in_text.py): on the merged
fixture stores (MLflow + MLMD + OpenLineage) with the same governance store, every finding of
the findings JSON appears by its stable key in the text, on its row of the findings register
with its severity and object, and in section 10 (findings and remediation)."""

from __future__ import annotations

import json
from pathlib import Path

from pypdf import PdfReader

from mlops_desktop.core.entities import Catalog
from mlops_desktop.reports.jobs import run_report
from tests.reports.govfix import SETTINGS, Gov
from tests.reports.test_finding_keys_in_text import EXPECTED, governance, merged, squeeze

__all__ = ["governance", "merged"]  # fixtures shared with the other editions' test


def test_every_finding_key_is_in_the_model_risk_text(merged: Catalog, governance: Gov, tmp_path: Path) -> None:
    result = run_report([], "model-risk", tmp_path / "model-risk.pdf", governance_url=governance.url,
                        catalog=merged, settings=SETTINGS)
    assert {s.kind for s in merged.stores} == {"mlflow", "mlmd", "openlineage"}
    bundle = json.loads(result.bundle_path.read_text(encoding="utf-8"))
    findings = bundle["findings"]
    assert [f["key"] for f in findings] == [f.key for f in result.findings]
    assert len(findings) >= 30
    found = {(f["id"], f["object"]) for f in findings}
    for rule, obj in EXPECTED:
        assert (rule, obj) in found, (rule, obj)
    text = "".join(squeeze(p.extract_text() or "") for p in PdfReader(str(result.path)).pages)
    missing = [f["key"] for f in findings if f["key"] not in text]
    assert not missing, missing
    start = text.index("Findingsregister", text.index("Findingsregister") + 1)  # past the contents
    register = text[start:]
    for f in findings:
        at = register.index(f["key"])
        assert register[at:at + 400].startswith(f["key"] + f["severity"]), f["key"]
        assert squeeze(f["object"]) in register[at:at + 400], (f["key"], f["object"])
    # section 10 (findings and remediation) comes before the register and names the keys too
    remediation = text[text.index("10.Findingsandremediation", text.index("10.Findingsandremediation") + 1):start]
    assert [f["key"] for f in findings if f["key"] not in remediation] == []
    # a key that is not a finding is not in the text: the check can fail
    first = findings[0]["key"]
    forged = first[:-1] + ("0" if first[-1] != "0" else "1")
    assert forged not in {f["key"] for f in findings} and forged not in text
