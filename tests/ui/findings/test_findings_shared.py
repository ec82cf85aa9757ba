"""The Findings page takes the findings the Models page evaluates for the same stores instead of
evaluating every rule a second time at once; it computes its own when the Models page's task
ends without them (cancelled) or judges with another governance store."""

from __future__ import annotations

import mlops_desktop.services.governance_status as governance_status
import mlops_desktop.ui.findings.page as findings_page
from mlops_desktop.governance.store import open_governance
from tests.ui.catalog.test_models_governance import catalog, gov_url, team  # noqa: F401 - fixtures
from tests.ui.conftest import wait_idle


def _count_evaluations(monkeypatch) -> list[str]:
    """Record each real evaluation of the rules (by which page's worker) and run it."""
    calls: list[str] = []
    real = governance_status.load_findings

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append("evaluated")
        return real(*args, **kwargs)

    monkeypatch.setattr(governance_status, "load_findings", counted)  # the Models page's overview job
    monkeypatch.setattr(findings_page, "load_findings", counted)  # the Findings page's own job
    return calls


def _open(make_window, qtbot, store, url):  # type: ignore[no-untyped-def]
    window = make_window(governance_url=url)
    window.open_stores([str(store)])
    wait_idle(qtbot, window.load_slot)
    return window


def test_findings_are_evaluated_once_for_both_pages(make_window, qtbot, mlflow3_db, gov_url, team,  # noqa: F811
                                                    monkeypatch):
    calls = _count_evaluations(monkeypatch)
    window = _open(make_window, qtbot, mlflow3_db, gov_url)
    for slot in (window.findings_view.slot, window.models_view.governance_slot):
        wait_idle(qtbot, slot)
    assert calls == ["evaluated"]
    result = window.findings_view.result
    assert result is not None and result is window.models_view.overview.findings
    window.show_page("findings")
    assert window.findings_view.model.rowCount() == len(result.findings) > 0


def test_findings_page_computes_its_own_when_the_models_task_is_cancelled(make_window, qtbot, mlflow3_db,
                                                                         gov_url, team, monkeypatch):  # noqa: F811
    calls = _count_evaluations(monkeypatch)
    window = make_window(governance_url=gov_url)
    window.open_stores([str(mlflow3_db)])
    qtbot.waitUntil(lambda: window.findings_view.slot.is_running(), timeout=20_000)
    window.models_view.governance_slot.cancel()  # ends without an overview
    wait_idle(qtbot, window.findings_view.slot)
    result = window.findings_view.result
    assert result is not None and result.findings
    assert result is not getattr(window.models_view.overview, "findings", None)
    assert "evaluated" in calls


def test_another_governance_store_is_evaluated_separately(make_window, qtbot, mlflow3_db, gov_url, team,  # noqa: F811
                                                          tmp_path, monkeypatch):
    calls = _count_evaluations(monkeypatch)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    open_governance(other).close()
    window = make_window(governance_url=gov_url)
    window.findings_view.governance_url_source = lambda: other  # this page judges with another store
    window.open_stores([str(mlflow3_db)])
    wait_idle(qtbot, window.load_slot)
    for slot in (window.findings_view.slot, window.models_view.governance_slot):
        wait_idle(qtbot, slot)
    assert calls == ["evaluated", "evaluated"]
    assert window.findings_view.result.governance_url != window.models_view.overview.findings.governance_url
