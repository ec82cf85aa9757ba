"""The policy's witness quorum in the window: the Audit log page and the Models page's
Governance column judge it as ``audit verify --policy`` and ``verify --target --policy`` do
(the same service functions), name the witnesses that have not cosigned, and never say
"verified" or tick a target while the command line fails.

The window's policy is Settings' policy file. Cosigning is done with the real
``mlops-desktop audit witness --key KEYFILE``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from mlops_desktop.cli.main import main
from mlops_desktop.governance import audit, keys
from mlops_desktop.governance.approvals import approve
from mlops_desktop.governance.keys import PASSPHRASE_ENV, load_public_key
from mlops_desktop.governance.store import open_governance
from mlops_desktop.governance.trust import add_signer
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.common.settings import GuiSettings
from tests.governance.helpers import PASSPHRASE, build_team

WITNESSED_POLICY = """id = "witnessed"

[targets.Production]
approvers = 2
roles = ["approver"]

[witnesses]
required = 2
keys = ["{w1}", "{w2}"]
"""


@pytest.fixture
def setup(tmp_path: Path, mlflow3_db: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """A governance store whose checkpoint key is certified, two approvals of fraud-detector v3
    for Production, a checkpoint cosigned by witness w1 only, and a policy requiring w1 and w2."""
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    witnesses = {}
    for name in ("w1", "w2"):
        path = tmp_path / f"{name}.key"
        keys.create_witness_key(path, f"witness.example.org/{name}", PASSPHRASE)
        witnesses[name] = (path, keys.load_witness_key(path, PASSPHRASE))
    policy = tmp_path / "witnessed.toml"
    policy.write_text(WITNESSED_POLICY.format(w1=witnesses["w1"][1].vkey, w2=witnesses["w2"][1].vkey), "utf-8")
    url = str(tmp_path / "gov.db")
    catalog = load_catalog([str(mlflow3_db)])
    with open_governance(url) as gov:
        team = build_team(gov)
        audit.client_checkpoint_key()
        add_signer(gov, team.admin, load_public_key(audit.client_checkpoint_public_path()), "checkpoints", ["log"])
        for who in (team.alice, team.bob):
            approve(gov, catalog, "fraud-detector", "3", "Production", "validated", ["gdpr"], who)
    assert main(["audit", "export", "--governance", url, "--out", str(tmp_path / "export.json")]) == 0  # a checkpoint
    assert main(["audit", "witness", "--governance", url, "--key", str(witnesses["w1"][0])]) == 0
    settings = GuiSettings()
    settings.update(policy_file=str(policy))
    return {"url": url, "policy": policy, "store": str(mlflow3_db), "settings": settings,
            "w1": witnesses["w1"][1], "w2": witnesses["w2"][1], "w2_key": witnesses["w2"][0]}


def _cli_verdicts(setup: dict[str, object], capsys: pytest.CaptureFixture[str]) -> tuple[int, int]:
    """(exit of ``audit verify --policy``, exit of ``verify --model fraud-detector --version 3
    --target Production --policy``) on the same store."""
    url, policy = str(setup["url"]), str(setup["policy"])
    audit_code = main(["audit", "verify", "--governance", url, "--policy", policy])
    verify_code = main(["verify", "--governance", url, "--store", str(setup["store"]), "--model", "fraud-detector",
                        "--version", "3", "--target", "Production", "--policy", policy])
    capsys.readouterr()
    return audit_code, verify_code


def _production_cell(window, role=Qt.ItemDataRole.DisplayRole) -> str:
    m = window.models_view.model
    row = next(i for i, r in enumerate(m.rows) if r.name == "fraud-detector")
    return str(m.data(m.index(row, m.column_index("Governance")), role))


def _reload_governance(window, qtbot, ui) -> None:
    window.models_view.set_catalog(window.catalog)  # the Models page reads the governance status again
    ui.wait_idle(qtbot, window.models_view.governance_slot)


def test_quorum_failure_then_cosigning_in_the_window(make_window, qtbot, ui, setup, capsys) -> None:
    w1, w2 = setup["w1"], setup["w2"]
    assert _cli_verdicts(setup, capsys) == (1, 1)  # the command line fails: w2 has not cosigned

    window = make_window(gui_settings=setup["settings"], governance_url=setup["url"])
    window.open_stores([str(setup["store"])])
    ui.wait_idle(qtbot, window.load_slot)
    ui.wait_idle(qtbot, window.models_view.governance_slot)
    # the Models page: Production has its two approvals, but no tick while the quorum is missing
    text = _production_cell(window)
    assert "✓ Production" not in text and "⚠ Production 2 of 2" in text, text
    assert "⚠ champion" in text and "champion 0 of 0" not in text  # no rule for champion, but verify fails
    tip = _production_cell(window, Qt.ItemDataRole.ToolTipRole)
    assert f"is cosigned by {w1.name}; missing: {w2.name} (1 more needed)" in tip, tip
    status = window.models_view.overview.status
    production = status.target("fraud-detector", "3", "Production")
    assert production is not None and production.status == "unmet"
    assert any(r.startswith("Witnesses: ") for r in production.reasons)
    assert production.words == "policy met, but verify fails (see the reasons)"  # never "2 of 2 ... unmet"
    assert "v3 Production: policy met, but verify fails" in tip

    # the Audit log page: failed, the missing witness named, in audit verify's words
    audit_view = window.governance.audit_view
    assert audit_view.settings_source().policy_file == str(setup["policy"])
    window.show_page("audit")
    qtbot.waitUntil(lambda: audit_view.state is not None and not audit_view.is_running(), timeout=20_000)
    state = audit_view.state
    assert state.verdict == "failed" and state.anchored.witnesses is not None and not state.anchored.witnesses.ok
    assert audit_view.banner.kind == "error"
    banner = audit_view.banner.text()
    assert "Witnesses:" in banner and "NOT met" in banner and f"missing: {w2.name}" in banner
    assert "verified" not in audit_view.verdict_bar.verdict
    assert audit_view.verdict_bar.verdict == "failed"
    ui.render(window, "audit_witness_quorum_missing")

    # w2 cosigns with the command line; both faces now pass
    assert main(["audit", "witness", "--governance", str(setup["url"]), "--key", str(setup["w2_key"])]) == 0
    capsys.readouterr()
    assert _cli_verdicts(setup, capsys) == (0, 0)
    audit_view.refresh()
    qtbot.waitUntil(lambda: not audit_view.is_running(), timeout=20_000)
    ui.wait_idle(qtbot, audit_view.slot)
    assert audit_view.state.verdict == "verified", audit_view.state.anchored.problems
    assert audit_view.banner.kind == "ok"
    assert f"cosigned by {w1.name}, {w2.name} (2 of 2 required)" in audit_view.banner.text()
    window.show_page("models")
    _reload_governance(window, qtbot, ui)
    assert "✓ Production" in _production_cell(window) and "— champion" in _production_cell(window)
    production = window.models_view.overview.status.target("fraud-detector", "3", "Production")
    assert production is not None and production.status == "approved"


def test_without_a_witness_policy_nothing_is_required(make_window, qtbot, ui, setup, capsys) -> None:
    """The built-in policy requires no witness: the same store verifies on both faces."""
    url = str(setup["url"])
    assert main(["audit", "verify", "--governance", url]) == 0
    capsys.readouterr()
    settings = setup["settings"]
    settings.update(policy_file="")  # Settings: the built-in policy
    window = make_window(gui_settings=settings, governance_url=url)
    window.open_stores([str(setup["store"])])
    ui.wait_idle(qtbot, window.load_slot)
    audit_view = window.governance.audit_view
    window.show_page("audit")
    qtbot.waitUntil(lambda: audit_view.state is not None and not audit_view.is_running(), timeout=20_000)
    assert audit_view.state.verdict == "verified"
    assert "Witnesses:" not in audit_view.banner.text()
