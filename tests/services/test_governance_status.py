"""services.governance_status: each version's targets judged as ``verify --target`` judges them,
on a real SQLite governance store and the MLflow fixtures (fraud-detector v3 holds Production
and champion)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_desktop.core.entities import Catalog
from mlops_desktop.governance.approvals import approve, reject
from mlops_desktop.governance.policy import load_policy
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.verify import verify_all
from mlops_desktop.services.governance_status import (
    APPROVED,
    NOT_REQUIRED,
    REJECTED,
    UNMET,
    compute_status,
    held_targets,
    load_findings,
    load_status,
    worst_severity,
)
from mlops_desktop.services.settings import VerificationSettings
from mlops_desktop.sources.loader import load_catalog
from tests.governance.helpers import Team
from tests.services.conftest import Calls

FRAUD = ("fraud-detector", "3")


def fresh_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Another computer: its own config and data directories (no trust anchors)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / name / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / name / "data"))


def approve_production(gov_url: str, catalog: Catalog, team: Team) -> None:
    with open_governance(gov_url) as gov:
        for who in (team.alice, team.bob):
            approve(gov, catalog, *FRAUD, "Production", "validated", ["gdpr"], who)


def agrees_with_verify(gov_url: str, catalog: Catalog, settings: VerificationSettings | None = None) -> int:
    """Every held target of every version: approved exactly when verify passes for it. Returns
    how many targets were compared."""
    settings = settings or VerificationSettings()
    n = 0
    with open_governance(gov_url) as gov:
        status = compute_status(gov, catalog, settings=settings)
        for model in catalog.models:
            for mv in model.visible_versions():
                for target in held_targets(model, mv):
                    report = verify_all(gov, catalog, model=model.name, version=mv.version, target=target,
                                        policy=settings.policy(), anchors=settings.anchors(), record=False)
                    shown = status.target(model.name, mv.version, target)
                    assert shown is not None
                    assert (shown.status in (APPROVED, NOT_REQUIRED)) == report.ok, (model.name, mv.version, target)
                    if not report.ok:
                        assert list(shown.reasons) == report.problems or shown.status == REJECTED
                    n += 1
    return n


def test_production_approved_champion_not(gov_url: str, team: Team, catalog: Catalog, calls: Calls) -> None:
    approve_production(gov_url, catalog, team)
    status = load_status(gov_url, catalog, progress=calls)
    vg = status.of(*FRAUD)
    assert vg is not None and list(vg.targets) == ["Production", "champion"]
    prod, champ = vg.targets["Production"], vg.targets["champion"]
    assert (prod.status, prod.counted, prod.required) == (APPROVED, 2, 2)
    assert prod.label == "✓ Production"
    assert (champ.status, champ.counted, champ.required) == (UNMET, 0, 2)
    assert champ.label == "⚠ champion 0 of 2"
    assert any("Only 0 of 2 required approvals count" in r for r in champ.reasons)
    assert [u.target for u in vg.unapproved] == ["champion"]
    assert vg.to_json()["Production"] == {"status": "approved", "counted": 2, "required": 2,
                                          "reasons": [prod.result.rules[0].explanation]}  # type: ignore[union-attr]
    assert [d.record.key_id for d in vg.decisions] == [team.alice.key_id, team.bob.key_id]
    assert calls.seen[-1] == (3, 3, "Governance status ready")
    assert agrees_with_verify(gov_url, catalog) >= 10


def test_one_approval_is_one_of_two(gov_url: str, team: Team, catalog: Catalog) -> None:
    with open_governance(gov_url) as gov:
        approve(gov, catalog, *FRAUD, "champion", "validated", ["gdpr"], team.alice)
    champ = load_status(gov_url, catalog).target(*FRAUD, "champion")
    assert champ is not None and (champ.status, champ.counted, champ.label) == (UNMET, 1, "⚠ champion 1 of 2")
    agrees_with_verify(gov_url, catalog)


def test_rejection_and_author_approval(gov_url: str, team: Team, catalog: Catalog) -> None:
    approve_production(gov_url, catalog, team)
    with open_governance(gov_url) as gov:
        reject(gov, catalog, *FRAUD, "champion", "drift seen", [], team.bob)
        approve(gov, catalog, "churn-predictor", "3", "Production", "ok", ["gdpr"], team.alice)
        approve(gov, catalog, "churn-predictor", "3", "Production", "ok", ["gdpr"], team.dan)
    status = load_status(gov_url, catalog)
    champ = status.target(*FRAUD, "champion")
    assert champ is not None and champ.status == REJECTED and champ.label == "✗ champion rejected"
    assert any("Rejected by bob@example.org" in r for r in champ.reasons)
    churn = status.target("churn-predictor", "3", "Production")
    assert churn is not None and churn.status == UNMET and churn.counted == 1  # alice is churn v3's author
    assert any("alice@example.org" in r and "author or run user" in r for r in churn.reasons)
    agrees_with_verify(gov_url, catalog)


def test_unanchored_signatures_are_never_approved(gov_url: str, team: Team, catalog: Catalog, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    approve_production(gov_url, catalog, team)
    prod = load_status(gov_url, catalog).target(*FRAUD, "Production")
    assert prod is not None and prod.status == APPROVED
    fresh_client(tmp_path, monkeypatch, "auditor")  # holds no anchor of this trust list
    status = load_status(gov_url, catalog)
    prod = status.target(*FRAUD, "Production")
    assert prod is not None and prod.status == UNMET and prod.counted == 0
    assert any("unanchored" in r for r in prod.reasons)
    assert status.store_problems and all("unanchored" in p for p in status.store_problems)
    vg = status.of(*FRAUD)
    assert vg is not None and {d.status for d in vg.decisions} == {"unanchored"}
    agrees_with_verify(gov_url, catalog)


def test_decisions_of_another_registry_do_not_count(gov_url: str, team: Team, catalog: Catalog,
                                                    mlflow2_db: Path) -> None:
    approve_production(gov_url, catalog, team)
    other = load_catalog([str(mlflow2_db)])  # another registry, fraud-detector v3 in Production there too
    status = load_status(gov_url, other)
    vg = status.of(*FRAUD)
    assert vg is not None and vg.decisions == [] and len(vg.other_registries) == 2
    prod = vg.targets["Production"]
    assert prod.status == UNMET and prod.counted == 0
    agrees_with_verify(gov_url, other)


def test_an_edited_decision_or_a_cut_audit_log_is_never_approved(gov_url: str, team: Team, catalog: Catalog) -> None:
    import base64
    import json

    import sqlalchemy as sa

    approve_production(gov_url, catalog, team)
    prod = load_status(gov_url, catalog).target(*FRAUD, "Production")  # this client now remembers the log size
    assert prod is not None and prod.status == APPROVED
    engine = sa.create_engine(f"sqlite:///{gov_url}")
    with engine.begin() as con:
        n = con.exec_driver_sql("SELECT count(*) FROM log_entries").scalar_one()
        con.exec_driver_sql("DELETE FROM log_entries WHERE seq >= ?", (n - 1,))
    status = load_status(gov_url, catalog)
    prod = status.target(*FRAUD, "Production")
    assert prod is not None and prod.status == UNMET
    assert any(r.startswith("Audit log:") for r in status.store_problems)
    agrees_with_verify(gov_url, catalog)
    with engine.begin() as con:  # and a signed reason rewritten by hand
        env = con.exec_driver_sql("SELECT envelope FROM approvals LIMIT 1").scalar_one()
        obj = json.loads(env)
        payload = json.loads(base64.b64decode(obj["payload"]))
        payload["predicate"]["reason"] = "rubber-stamped"
        obj["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
        con.exec_driver_sql("UPDATE approvals SET envelope = ? WHERE envelope = ?", (json.dumps(obj).encode(), env))
    engine.dispose()
    prod = load_status(gov_url, catalog).target(*FRAUD, "Production")
    assert prod is not None and prod.status == UNMET and prod.counted <= 1
    assert any("row edited by hand" in r for r in prod.reasons)
    agrees_with_verify(gov_url, catalog)


def test_not_required_without_a_rule(gov_url: str, team: Team, catalog: Catalog, tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('id = "prod-only"\n[targets.Production]\napprovers = 1\n')
    settings = VerificationSettings(policy_file=str(policy))
    assert load_policy(policy).rule_for("champion") is None
    status = load_status(gov_url, catalog, settings)
    champ = status.target(*FRAUD, "champion")
    assert champ is not None and (champ.status, champ.required, champ.label) == (NOT_REQUIRED, 0, "— champion")
    staging = status.target("ñandú-scorer ✓", "2", "Staging")
    assert staging is not None and staging.status == NOT_REQUIRED
    assert status.of("ñandú-scorer ✓", "1") is not None and status.of("ñandú-scorer ✓", "1").targets == {}  # type: ignore[union-attr]
    agrees_with_verify(gov_url, catalog, settings)


def test_findings_over_the_loaded_catalog(gov_url: str, team: Team, catalog: Catalog) -> None:
    result = load_findings(gov_url, catalog)
    f19 = [f for f in result.findings if f.id == "F19"]
    assert [f.object for f in f19] == ["models:/fraud-detector/3"]
    assert worst_severity(f for f in result.findings if f.object == "models:/fraud-detector/3") in ("critical", "high")
    assert result.governance_url == gov_url
    assert worst_severity([]) is None
