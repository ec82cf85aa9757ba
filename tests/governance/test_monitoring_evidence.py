"""A signed approval's evidence lists the digests of the monitoring results current when it was
signed (docs/MONITORING.md); stores without monitoring results sign the same evidence as before."""

from __future__ import annotations

import hashlib

from mlops_desktop.core.entities import Catalog
from mlops_desktop.crypto.dsse import parse_envelope, parse_statement
from mlops_desktop.governance.approvals import decide, preview
from mlops_desktop.governance.db import Governance
from mlops_desktop.sources.loader import load_catalog
from tests.conftest import FIXTURES
from tests.governance.helpers import Team

MON = FIXTURES / "monitoring"


def _sha(path: str) -> str:
    return "sha256:" + hashlib.sha256((MON / "results" / path).read_bytes()).hexdigest()


def test_approval_evidence_carries_current_monitoring_digests(gov: Governance, team: Team) -> None:
    catalog = load_catalog([str(MON / "mlflow.db"), f"monitoring:{MON / 'results'}"])
    rec = decide(gov, catalog, "iris-classifier", "2", "champion", "drift reviewed", [], team.alice)
    predicate = parse_statement(parse_envelope(rec.envelope).payload).predicate
    monitoring = predicate["evidence"]["monitoring"]
    assert monitoring == [
        {"id": "evidently/iris/week-06.json", "tool": "evidently", "kind": "drift", "at": "2026-10-13T09:00:00Z",
         "digest": _sha("evidently/iris/week-06.json")},
        {"id": "gx/iris-train-2026-10-27.json", "tool": "great_expectations", "kind": "data-quality",
         "at": "2026-10-27T09:00:00Z", "digest": _sha("gx/iris-train-2026-10-27.json")},
    ]
    # what the dialog previews is what was signed
    assert preview(catalog, "iris-classifier", "2")["evidence"]["monitoring"] == monitoring


def test_no_monitoring_key_without_monitoring_results(catalog: Catalog) -> None:
    evidence = preview(catalog, "fraud-detector", "3")["evidence"]
    assert sorted(evidence) == ["author", "datasets", "metrics", "runId"]
