"""The registry journal end to end with MLflow's own client.

A copy of the MLflow 3.17 fixture is observed, then changed through ``MlflowClient``
(stages with ``transition_model_version_stage``, aliases with ``set_registered_model_alias``
and ``delete_registered_model_alias``) and observed again: ``history`` lists exactly those
changes with their windows, ``inventory --as-of`` between the observations returns the first
state and names the observation it rests on, F20 fires for the promotion made without
decisions and not for the approved one, and ``audit verify`` catches an edited observation.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.cli.main import main
from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.findings.engine import evaluate
from mlops_desktop.core.findings.settings import FindingSettings
from mlops_desktop.governance.approvals import approve
from mlops_desktop.governance.audit import verify_log
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.journal import Observation, observations, observe
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.verify import governance_facts
from mlops_desktop.sources.loader import load_catalog
from tests.conftest import FIXTURES
from tests.governance.helpers import Team, build_team

mlflow = pytest.importorskip("mlflow", reason="the test extra (mlflow) is not installed")


def _client(db: Path) -> Any:
    from mlflow import MlflowClient

    uri = f"sqlite:///{db}"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _transition(client: Any, name: str, version: str, stage: str) -> Any:
    with warnings.catch_warnings():  # stages are deprecated in MLflow, still what many registries use
        warnings.simplefilter("ignore", FutureWarning)
        return client.transition_model_version_stage(name, version, stage)


@dataclass
class Scenario:
    dir: Path
    db: Path
    gov: Governance
    team: Team
    first: Observation
    second: Observation
    between: datetime  # a time after the first observation and before the changes
    updated_ms: dict[tuple[str, str], int]  # (model, version) -> MLflow's last_updated_timestamp after the change
    catalog: Catalog

    @property
    def gov_path(self) -> Path:
        return self.dir / "gov.db"


def _scenario(tmp_path: Path, approvers: tuple[str, ...], *, approve_late: bool = False) -> Scenario:
    db = tmp_path / "mlflow.db"
    shutil.copyfile(FIXTURES / "mlflow-3.17-sqlite.db", db)
    gov = open_governance(str(tmp_path / "gov.db"))
    team = build_team(gov)
    before = load_catalog([str(db)])
    [first] = observe(gov, before)
    assert first.changed and first.observation is not None
    time.sleep(0.01)
    between = datetime.now(UTC)
    time.sleep(0.01)
    keys = [getattr(team, who) for who in approvers]
    if not approve_late:  # decided before the alias is moved
        for key in keys:
            approve(gov, before, "fraud-detector", "2", "champion", "validated for champion", ["gdpr"], key)
    client = _client(db)
    updated = {}
    for name, version, stage in (("demand-forecast", "3", "Production"), ("churn-predictor", "2", "Staging")):
        mv = _transition(client, name, version, stage)
        updated[(name, version)] = int(mv.last_updated_timestamp)
    client.set_registered_model_alias("fraud-detector", "champion", "2")
    client.delete_registered_model_alias("sepsis-alert", "challenger")
    after = load_catalog([str(db)])
    [second] = observe(gov, after)
    assert second.changed and second.observation is not None
    assert second.changes == 4  # two stage changes, an alias moved, an alias removed
    if approve_late:  # decided only once the change was observed
        time.sleep(0.01)
        for key in keys:
            approve(gov, after, "fraud-detector", "2", "champion", "validated for champion", ["gdpr"], key)
    return Scenario(tmp_path, db, gov, team, first.observation, second.observation, between, updated, after)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Scenario]:
    s = _scenario(tmp_path, ("alice", "bob"))
    try:
        yield s
    finally:
        s.gov.close()


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _history(capsys: pytest.CaptureFixture[str], s: Scenario, *extra: str) -> dict[str, Any]:
    code, out, err = cli(capsys, "history", "--store", str(s.db), "--governance", str(s.gov_path), "--format",
                         "json", *extra)
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def _iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_history_lists_exactly_the_client_changes_with_their_windows(world: Scenario,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    doc = _history(capsys, world)
    t1, t2 = world.first.observed_at, world.second.observed_at
    assert t1 < t2
    got = {(c["model"], c["kind"], c["alias"], c["from"], c["to"]) for c in doc["changes"]}
    assert got == {
        ("demand-forecast", "stage", None, None, "Production"),
        ("churn-predictor", "stage", None, None, "Staging"),
        ("fraud-detector", "alias", "champion", "3", "2"),
        ("sepsis-alert", "alias", "challenger", "2", None),
    }
    assert len(doc["changes"]) == 4  # nothing else changed, nothing is listed twice
    by = {(c["model"], c["kind"]): c for c in doc["changes"]}
    for model, version in (("demand-forecast", "3"), ("churn-predictor", "2")):
        c = by[(model, "stage")]
        assert c["version"] == version
        w = c["window"]
        # a stage change cannot be later than the version's last update: the window ends there
        assert w["after"] == t1 and w["at_or_before"] == _iso_ms(world.updated_ms[(model, version)])
        assert t1 < w["at_or_before"] < t2
        assert w["narrowed_by"] == "the version's last_updated_time" and not w["exact"]
        assert w["observation_window"] == [t1, t2] and c["observations"] == [world.first.id, world.second.id]
    for model in ("fraud-detector", "sepsis-alert"):
        c = by[(model, "alias")]
        w = c["window"]
        # MLflow keeps no time for an alias: only the observation window is known, and it says so
        assert (w["after"], w["at_or_before"], w["narrowed_by"]) == (t1, t2, None)
        assert "only the observation window is known" in c["text"]
    assert by[("fraud-detector", "alias")]["version"] == "2"
    assert by[("fraud-detector", "alias")]["text"].startswith("fraud-detector: alias champion moved from v3 to v2 "
                                                               f"between {t1} and {t2}")
    [reg] = doc["registries"]
    assert reg["observations"] == 2  # history's own look at the store recorded nothing new
    # --model and --since narrow the list
    only = _history(capsys, world, "--model", "fraud-detector")
    assert [(c["model"], c["kind"]) for c in only["changes"]] == [("fraud-detector", "alias")]
    later = _history(capsys, world, "--since", (world.second.time + timedelta(seconds=1)).isoformat())
    assert later["changes"] == []
    # the table says which windows only the observations bound
    code, out, err = cli(capsys, "history", "--store", str(world.db), "--governance", str(world.gov_path))
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("fraud-detector"))
    assert "observations only" in line and "2 observation(s)" in err
    stage_line = next(x for x in out.splitlines() if x.startswith("demand-forecast"))
    assert "last_updated_time" in stage_line and "Production" in stage_line


def test_inventory_as_of_between_observations_returns_the_first_state(world: Scenario,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "inventory", "--store", str(world.db), "--governance", str(world.gov_path),
                         "--as-of", world.between.isoformat())
    assert code == 0, err
    doc = json.loads(out)
    [store] = doc["stores"]
    assert store["observation"]["id"] == world.first.id
    assert store["observation"]["observed_at"] == world.first.observed_at
    models = {m["name"]: m for m in doc["models"]}
    assert models["fraud-detector"]["aliases"]["champion"] == "3"
    assert models["sepsis-alert"]["aliases"]["challenger"] == "2"
    versions = {v["version"]: v for v in models["demand-forecast"]["versions"]}
    assert versions["3"]["stage"] in (None, "None") and versions["3"]["aliases"] == ["champion"]
    # the state as observed equals what inventory printed of the store before the change
    fresh = tmp_inventory(capsys, world)
    assert {m["name"] for m in fresh["models"]} == set(models)
    # now: the second observation, the changed state
    code, out, err = cli(capsys, "inventory", "--store", str(world.db), "--governance", str(world.gov_path),
                         "--as-of", (world.second.time + timedelta(seconds=1)).isoformat())
    assert code == 0, err
    now = json.loads(out)
    assert now["stores"][0]["observation"]["id"] == world.second.id
    now_models = {m["name"]: m for m in now["models"]}
    assert now_models["fraud-detector"]["aliases"]["champion"] == "2"
    assert "challenger" not in now_models["sepsis-alert"]["aliases"]
    assert {v["version"]: v for v in now_models["demand-forecast"]["versions"]}["3"]["stage"] == "Production"
    # before the first observation: no state, exit 2 with one line saying when the journal starts
    code, out, err = cli(capsys, "inventory", "--store", str(world.db), "--governance", str(world.gov_path),
                         "--as-of", "2020-01-01")
    assert code == 2 and out == ""
    assert f"its first observation is at {world.first.observed_at}" in err and "Traceback" not in err
    code, _, err = cli(capsys, "inventory", "--store", str(world.db), "--governance", str(world.gov_path),
                       "--as-of", "last tuesday")
    assert code == 2 and "Bad date" in err


def tmp_inventory(capsys: pytest.CaptureFixture[str], s: Scenario) -> dict[str, Any]:
    before = s.dir / "before.db"
    shutil.copyfile(FIXTURES / "mlflow-3.17-sqlite.db", before)
    code, out, err = cli(capsys, "inventory", "--store", str(before), "--format", "json")
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def _f20(s: Scenario) -> dict[str, str]:
    findings = evaluate(s.catalog, governance_facts(s.gov, s.catalog), FindingSettings())
    return {f.object: f.evidence for f in findings if f.id == "F20"}


def test_f20_fires_for_the_unapproved_promotion_only(world: Scenario) -> None:
    f20 = _f20(world)
    assert set(f20) == {"models:/demand-forecast/3"}  # not fraud-detector v2 (approved), not Staging (not covered)
    evidence = f20["models:/demand-forecast/3"]
    assert "demand-forecast v3 moved from stage None to Production" in evidence
    assert "Only 0 of 2 required approvals count" in evidence
    facts = governance_facts(world.gov, world.catalog)
    [champion] = [p for p in facts.promotions if p.target == "champion"]
    assert champion.satisfied and len(champion.counted) == 2


def test_findings_command_reports_f20(world: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "findings", "--store", str(world.db), "--governance", str(world.gov_path),
                         "--format", "json")
    assert code == 1, err  # high findings are at or above the default --fail-on
    f20 = [f for f in json.loads(out)["findings"] if f["id"] == "F20"]
    assert [f["object"] for f in f20] == ["models:/demand-forecast/3"]
    assert f20[0]["severity"] == "high"


@pytest.mark.parametrize(("approvers", "late", "why"), [
    (("alice",), False, "Only 1 of 2 required approvals count"),
    (("alice", "bob"), True, "Only 0 of 2 required approvals count"),  # decided after the change was observed
    (("alice", "dan"), False, "Only 1 of 2 required approvals count"),  # dan registered v2 (separation of duties)
])
def test_f20_is_not_cleared_by_too_few_late_or_untrusted_decisions(tmp_path: Path, approvers: tuple[str, ...],
                                                                   late: bool, why: str) -> None:
    s = _scenario(tmp_path, approvers, approve_late=late)
    try:
        f20 = _f20(s)
    finally:
        s.gov.close()
    assert set(f20) == {"models:/demand-forecast/3", "models:/fraud-detector/2"}
    assert why in f20["models:/fraud-detector/2"]
    assert "alias champion moved from v3 to v2" in f20["models:/fraud-detector/2"]


def test_observing_again_without_change_records_nothing(world: Scenario) -> None:
    [again] = observe(world.gov, load_catalog([str(world.db)]))
    assert not again.changed and again.observation == world.second
    assert [o.id for o in observations(world.gov)] == [world.first.id, world.second.id]


@pytest.mark.parametrize(("column", "sql"), [
    ("body", "UPDATE observations SET body = ? WHERE id = ?"),
    ("state_digest", "UPDATE observations SET state_digest = ? WHERE id = ?"),
    ("versions", "UPDATE observations SET versions = versions + 1 WHERE id = ? AND ? IS NOT NULL"),
    ("observed_at", "UPDATE observations SET observed_at = ? WHERE id = ?"),
])
def test_audit_verify_catches_an_edited_observation(world: Scenario, capsys: pytest.CaptureFixture[str],
                                                    column: str, sql: str) -> None:
    code, out, err = cli(capsys, "audit", "verify", "--governance", str(world.gov_path))
    assert code == 0, out + err  # the genuine journal verifies
    assert verify_log(world.gov).problems == []
    world.gov.close()
    con = sqlite3.connect(world.gov_path)
    with con:
        if column == "body":
            import zlib

            (body,) = con.execute("SELECT body FROM observations WHERE id = ?", (world.second.id,)).fetchone()
            state = json.loads(zlib.decompress(body))
            state["models"]["fraud-detector"]["aliases"]["champion"] = "3"  # hide the move
            con.execute(sql, (zlib.compress(json.dumps(state).encode()), world.second.id))
        elif column == "state_digest":
            con.execute(sql, ("0" * 64, world.second.id))
        elif column == "versions":
            con.execute(sql, (world.second.id, 1))
        else:
            con.execute(sql, ("2020-01-01T00:00:00.000000Z", world.second.id))
    con.close()
    world.gov = open_governance(str(world.gov_path))
    code, out, err = cli(capsys, "audit", "verify", "--governance", str(world.gov_path))
    assert code == 1, out + err
    assert f"registry observation row for audit-log entry {world.second.log_seq} no longer matches" in out + err
    # the row no longer reconciles with its audit-log entry: history refuses the journal, naming it
    code, out, err = cli(capsys, "history", "--store", str(world.db), "--governance", str(world.gov_path))
    assert code == 2 and out == ""
    assert f"observation row for audit-log entry {world.second.log_seq} no longer matches" in err
    assert "audit verify" in err and "Traceback" not in err
