"""An approval's signed evidence names the monitoring results current when it was signed, by the
digest of their bytes: a result added or edited later is visibly not what the approver saw (the
signed envelope does not change; the evidence a new approval would carry does)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.core.findings.lineage_view import default_lineage
from mlops_desktop.core.monitoring import (
    MonitoringIndex,
    check_evidence,
    current_results,
    monitoring_evidence,
)
from mlops_desktop.crypto.dsse import parse_envelope, parse_statement
from mlops_desktop.governance.approvals import approve, list_approvals, preview, verify_approvals
from mlops_desktop.governance.store import open_governance
from mlops_desktop.sources.loader import load_catalog
from tests.conftest import FIXTURES
from tests.governance.helpers import build_team

MON = FIXTURES / "monitoring"
WEEK6 = "evidently/iris/week-06.json"
GX = "gx/iris-train-2026-10-27.json"


def _sha(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _signed_monitoring(envelope: str) -> list[dict[str, Any]]:
    return parse_statement(parse_envelope(envelope).payload).predicate["evidence"]["monitoring"]


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A copy of the fixture results without the sixth iris week (not yet written)."""
    folder = tmp_path / "results"
    shutil.copytree(MON / "results", folder)
    (folder / WEEK6).unlink()
    return folder


def _catalog(results: Path) -> Any:
    return load_catalog([str(MON / "mlflow.db"), f"monitoring:{results}"])


def test_the_signed_digests_are_those_current_at_signing(tmp_path: Path, results: Path) -> None:
    catalog = _catalog(results)
    with open_governance(str(tmp_path / "gov.db")) as gov:
        team = build_team(gov)
        rec = approve(gov, catalog, "iris-classifier", "2", "champion", "drift reviewed", ["gdpr"], team.alice)
        signed = _signed_monitoring(rec.envelope)
        # the latest drift result then was week 5, the latest data-quality result the GX run on its training data
        assert [(e["id"], e["digest"]) for e in signed] == [
            ("evidently/iris/week-05.json", _sha(results / "evidently/iris/week-05.json")),
            (GX, _sha(results / GX))]

        # week 6 arrives: a new approval would carry it, the signed one still names week 5
        shutil.copyfile(MON / "results" / WEEK6, results / WEEK6)
        later = _catalog(results)
        model = later.model("iris-classifier")
        assert model is not None and (v2 := model.version("2")) is not None
        now = monitoring_evidence(later, v2)
        assert [e["id"] for e in now] == [WEEK6, GX]
        assert now[0]["digest"] == _sha(results / WEEK6) != signed[0]["digest"]
        [stored] = list_approvals(gov, "iris-classifier", "2")
        assert _signed_monitoring(stored.envelope) == signed
        [verified] = verify_approvals(gov, later, [stored])
        assert verified.valid, verified.problems  # the signature itself still holds


def test_an_edited_result_has_another_digest_than_the_signed_one(tmp_path: Path, results: Path) -> None:
    shutil.copyfile(MON / "results" / WEEK6, results / WEEK6)
    signed = preview(_catalog(results), "iris-classifier", "2")["evidence"]["monitoring"]
    assert signed[0]["id"] == WEEK6 and signed[0]["digest"] == _sha(MON / "results" / WEEK6)
    # the drift of petal length hidden by hand: same name, same time, another digest
    raw = (results / WEEK6).read_bytes()
    assert raw.count(b'"method": "K-S p_value", "threshold": 0.05') >= 1
    (results / WEEK6).write_bytes(raw.replace(b'"threshold": 0.05', b'"threshold": 1e-12'))
    again = preview(_catalog(results), "iris-classifier", "2")["evidence"]["monitoring"]
    assert [(e["id"], e["at"]) for e in again] == [(e["id"], e["at"]) for e in signed]
    assert again[0]["digest"] != signed[0]["digest"]
    assert again[1] == signed[1]  # the GX result is untouched


def _current(results: Path) -> list[Any]:
    catalog = _catalog(results)
    model = catalog.model("iris-classifier")
    assert model is not None and (v2 := model.version("2")) is not None
    index = MonitoringIndex.build(catalog)
    return current_results(index.results_for(v2, default_lineage(catalog), model))


def test_the_evidence_check_names_newer_and_changed_results(tmp_path: Path, results: Path) -> None:
    signed = preview(_catalog(results), "iris-classifier", "2")["evidence"]["monitoring"]
    check = check_evidence(signed, _current(results))
    assert check.as_signed and check.summary() == "as signed (2 result(s), same digests)"
    # a newer result: not as signed, and named
    shutil.copyfile(MON / "results" / WEEK6, results / WEEK6)
    check = check_evidence(signed, _current(results))
    assert not check.as_signed and [r.id for r in check.newer] == [WEEK6] and check.changed == ()
    assert "newer than the signed evidence: evidently/iris/week-06.json at 2026-10-13T09:00:00Z (drift in 1 of 4" \
        in check.summary()
    # signed again on week 6; then its file is edited to hide the drift: same id, another digest
    signed6 = preview(_catalog(results), "iris-classifier", "2")["evidence"]["monitoring"]
    assert check_evidence(signed6, _current(results)).as_signed
    raw = (results / WEEK6).read_bytes()
    (results / WEEK6).write_bytes(raw.replace(b'"threshold": 0.05', b'"threshold": 1e-12'))
    check = check_evidence(signed6, _current(results))
    assert not check.as_signed and [r.id for r in check.changed] == [WEEK6] and check.newer == ()
    assert check.summary().endswith("changed since signing (another digest): evidently/iris/week-06.json")
    # nothing signed, results now: not as signed; nothing either way: says so
    assert not check_evidence(None, _current(results)).as_signed
    assert check_evidence([], []).summary() == "signed with no monitoring evidence; none recorded since"
