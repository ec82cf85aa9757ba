"""The Approvals page (and Governance > Verify approvals, which refreshes it) judges the
policy's witness quorum as ``verify --policy`` does: while a policy witness has not cosigned
a checkpoint covering the store, the verdict is not "verified" and names the missing witness;
after a real ``mlops-desktop audit witness`` by that witness it is, as the command line's exit 0.

The scenario (two approvals, a certified checkpoint cosigned by w1 only, a policy requiring
w1 and w2) is the ``setup`` fixture of test_witness_quorum_pages.py.
"""

from __future__ import annotations

import pytest

from mlops_desktop.cli.main import main
from mlops_desktop.services.approvals import VerifyRequest, load_approvals, verify_decisions
from mlops_desktop.ui.common.settings import verification_settings
from tests.ui.governance.test_witness_quorum_pages import setup  # noqa: F401 - the shared scenario


def _cli_verify(setup: dict[str, object], capsys: pytest.CaptureFixture[str], policy: bool = True) -> int:  # noqa: F811
    """Exit of ``verify --policy`` (no model: every decision in the store) on the same store."""
    args = ["verify", "--governance", str(setup["url"]), "--store", str(setup["store"])]
    code = main([*args, "--policy", str(setup["policy"])] if policy else args)
    capsys.readouterr()
    return code


def _verify_in_window(window, qtbot, ui):
    """Governance > Verify approvals: shows the Approvals page and verifies it again."""
    view = window.governance.approvals_view
    window.governance.verify_action.trigger()
    qtbot.waitUntil(lambda: view.state is not None and not view.is_running(), timeout=20_000)
    ui.wait_idle(qtbot, view.slot)
    return view


def test_quorum_missing_then_cosigned(make_window, qtbot, ui, setup, capsys) -> None:  # noqa: F811
    w1, w2 = setup["w1"], setup["w2"]
    assert _cli_verify(setup, capsys) == 1  # w2 has not cosigned: the command line fails

    window = make_window(gui_settings=setup["settings"], governance_url=setup["url"])
    window.open_stores([str(setup["store"])])
    ui.wait_idle(qtbot, window.load_slot)
    view = _verify_in_window(window, qtbot, ui)
    assert view.settings_source().policy_file == str(setup["policy"])
    state = view.state
    # every decision itself verifies: only the quorum is missing
    assert [a.status for a in state.approvals] == ["valid", "valid"]
    assert state.witnesses is not None and not state.witnesses.ok
    assert state.verdict == f"not verified: witness quorum not met (missing: {w2.name})"
    assert w1.name not in state.verdict
    assert view.verdict_bar.verdict == state.verdict
    assert "verified</b> — every signature" not in view.verdict_bar.label.text()
    assert f"missing: {w2.name}" in view.verdict_bar.label.text()
    assert view.banner.kind == "error"
    banner = view.banner.text()
    assert "Witnesses:" in banner and "NOT met" in banner and f"missing: {w2.name}" in banner

    # w2 cosigns with the command line: both faces pass
    assert main(["audit", "witness", "--governance", str(setup["url"]), "--key", str(setup["w2_key"])]) == 0
    capsys.readouterr()
    assert _cli_verify(setup, capsys) == 0
    view = _verify_in_window(window, qtbot, ui)
    assert view.state.witnesses is not None and view.state.witnesses.ok
    assert view.state.verdict == "verified"
    assert view.verdict_bar.verdict == "verified"
    assert view.banner.kind == "ok"
    assert f"cosigned by {w1.name}, {w2.name} (2 of 2 required)" in view.banner.text()


def test_service_judges_the_whole_store(setup, capsys) -> None:  # noqa: F811
    """load_approvals without a catalog (decisions not rechecked against a store) still
    judges the quorum: it covers every decision stored, not only those of open stores."""
    settings = verification_settings(setup["settings"], {})
    state = load_approvals(str(setup["url"]), None, settings)
    report = verify_decisions(VerifyRequest(str(setup["url"]), settings=settings, log_access=False))
    assert state.witnesses is not None and report.witnesses is not None
    assert state.witnesses.to_dict() == report.witnesses.to_dict()  # the same judgement, the same size
    assert state.witnesses.needed_size > max(a.record.log_seq for a in state.approvals)
    assert not report.ok and state.verdict.startswith("not verified: witness quorum not met")
    assert _cli_verify(setup, capsys) == 1


def test_builtin_policy_requires_no_witness(make_window, qtbot, ui, setup, capsys) -> None:  # noqa: F811
    """The built-in policy sets no quorum: the same store verifies on both faces, as before."""
    assert _cli_verify(setup, capsys, policy=False) == 0
    settings = setup["settings"]
    settings.update(policy_file="")
    window = make_window(gui_settings=settings, governance_url=setup["url"])
    window.open_stores([str(setup["store"])])
    ui.wait_idle(qtbot, window.load_slot)
    view = _verify_in_window(window, qtbot, ui)
    assert view.state.witnesses is None
    assert view.state.verdict == "verified"
    assert "Witnesses:" not in view.banner.text()


def test_unusable_policy_file_is_not_verified(setup, tmp_path, capsys) -> None:  # noqa: F811
    """A policy file the settings name but that cannot be used fails ``verify --policy``: the
    page's verdict is not "verified" either, and says which file and why."""
    broken = tmp_path / "broken.toml"
    broken.write_text("[rules\nnot toml", encoding="utf-8")
    code = main(["verify", "--governance", str(setup["url"]), "--store", str(setup["store"]), "--policy", str(broken)])
    capsys.readouterr()
    assert code != 0
    gui = setup["settings"]
    gui.update(policy_file=str(broken))
    state = load_approvals(str(setup["url"]), None, verification_settings(gui, {}))
    assert [a.status for a in state.approvals] == ["valid", "valid"]
    assert state.verdict.startswith(f"not verified: the policy file {broken} cannot be used (")
