"""The Monitoring tab of the version pane and the Monitoring column of the Models page, on the
monitoring fixtures (tests/fixtures/monitoring/truth.json), rendered in both themes."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime

import pytest

from mlops_desktop.core.monitoring import monitoring_overview
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.catalog.monitoring_tab import ApprovalMark, MonitoringTabWidget
from tests.conftest import FIXTURES
from tests.monitoring_governance import APPROVALS, governance_with_approvals
from tests.ui.conftest import flush_events, render

MON = FIXTURES / "monitoring"
TRUTH = json.loads((MON / "truth.json").read_text(encoding="utf-8"))
TODAY = date.fromisoformat(TRUTH["today"])
STORES = [str(MON / "mlflow.db"), f"monitoring:{MON / 'results'}"]


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def _shown_tab(qtbot, height: int):  # type: ignore[no-untyped-def]
    """The fixture stores' monitoring overview and a Monitoring tab shown 900 px wide."""
    overview = monitoring_overview(load_catalog(STORES), as_of=TODAY)
    tab = MonitoringTabWidget()
    qtbot.addWidget(tab)
    tab.resize(900, height)
    tab.show()
    return overview, tab


def test_tab_chart_data_thresholds_and_approvals(qtbot) -> None:
    overview, tab = _shown_tab(qtbot, 520)
    iris = overview.version("iris-classifier", "2")
    tab.set_monitoring(iris)
    points = tab.drift_points()
    assert sorted(points) == ["petal length (cm)", "petal width (cm)", "sepal length (cm)", "sepal width (cm)"]
    xs, ys = points["petal length (cm)"]
    weeks = ["2026-09-08", "2026-09-15", "2026-09-22", "2026-09-29", "2026-10-06", "2026-10-13"]
    assert xs == [_epoch(f"{d}T09:00:00") for d in weeks]
    assert ys[4] < 0.05 and ys[5] < 0.05 and min(ys[:4]) > 0.05  # the shifted weeks only
    marked = tab.drift_marks.getData()
    assert list(marked[0]) == [_epoch("2026-10-06T09:00:00"), _epoch("2026-10-13T09:00:00")]
    assert tab.threshold_values() == [0.05]
    assert tab.quality_points() == ([_epoch("2026-10-27T09:00:00")], [1.0])
    assert "Drift above threshold" in tab.status.text() and "deployed" in tab.status.text()
    assert tab.results_model.rowCount() == 7
    tab.set_approvals([ApprovalMark(datetime(2026, 9, 20, tzinfo=UTC), "champion")])
    assert tab.approval_times() == [datetime(2026, 9, 20, tzinfo=UTC).timestamp()]

    wine = overview.version("wine-classifier", "1")
    tab.set_monitoring(wine)
    assert tab.quality_points() == ([_epoch("2026-09-15T09:00:00"), _epoch("2026-09-29T09:00:00"),
                                     _epoch("2026-10-13T09:00:00")], [1.0, 1.0, 0.75])
    assert list(tab.quality_fail_marks.getData()[1]) == [0.75]
    assert "Data-quality failures" in tab.status.text()
    # the feature curves are reused: iris's are hidden, wine's shown
    assert sorted(tab.drift_points()) == ["alcohol", "color_intensity", "malic_acid", "proline"]
    tab.set_monitoring(overview.version("diabetes-regressor", "1"))
    assert tab.drift_points() == {} and tab.quality_points() == ([], [])
    assert "Not monitored" in tab.status.text() and "none at all" in tab.status.text()
    tab.set_monitoring(None)
    assert tab.results_model.rowCount() == 0


def test_approval_labels_name_target_and_signer(qtbot) -> None:
    overview = monitoring_overview(load_catalog(STORES), as_of=TODAY)
    tab = MonitoringTabWidget()
    qtbot.addWidget(tab)
    tab.set_approvals([ApprovalMark(datetime(2026, 9, 20, tzinfo=UTC), "champion", signer="alice@example.org"),
                       ApprovalMark(datetime(2026, 9, 22, tzinfo=UTC), "Production", "REJECTED", "bob@example.org",
                                    status="revoked"),
                       ApprovalMark(datetime(2026, 10, 20, tzinfo=UTC), "champion", signer="carol@example.org")])
    assert tab.approval_labels() == []  # nothing is drawn without a version
    tab.set_monitoring(overview.version("iris-classifier", "2"))
    [(x1, label1, tip1), (x2, label2, tip2), (x3, label3, tip3)] = tab.approval_labels()
    assert (x1, x2, x3) == tuple(datetime(2026, m, d, tzinfo=UTC).timestamp() for m, d in ((9, 20), (9, 22), (10, 20)))
    # two days apart on a chart of two months: one label for both, each line its own tooltip
    assert (label1, label2, label3) == ("2 decisions", "", "approved champion")
    assert tip1 == "approved champion by alice@example.org\n2026-09-20T00:00:00Z"
    assert tip2 == "rejected Production by bob@example.org\n2026-09-22T00:00:00Z\nnot counted: revoked"
    assert tip3 == "approved champion by carol@example.org\n2026-10-20T00:00:00Z"
    # the legend below the charts names each signer and the time
    legend = tab.legend.text()
    assert "approved champion by alice@example.org, 2026-09-20 00:00" in legend
    assert "rejected Production by bob@example.org, 2026-09-22 00:00 (not counted: revoked)" in legend
    # on both charts, one line each
    assert len(tab.approval_lines) == 6
    assert sum(line in tab.quality_plot.items() for line in tab.approval_lines) == 3


def _open(make_window, qtbot, ui, mode: str, gov_url: str | None):
    window = make_window(governance_url=gov_url) if gov_url else make_window()
    window.resize(1280, 800)
    window.set_theme(mode)
    view = window.models_view
    view.monitoring_as_of = TODAY
    window.open_stores(STORES)
    ui.wait_idle(qtbot, window.load_slot)
    ui.wait_idle(qtbot, view.monitoring_slot)
    ui.wait_idle(qtbot, view.governance_slot)
    assert not window.notifier.dialogs
    return window, view


def test_signed_approvals_are_marked_on_the_version_charts(make_window, qtbot, ui, tmp_path, monkeypatch) -> None:
    gov_url = governance_with_approvals(tmp_path / "gov.db", monkeypatch)
    _window, view = _open(make_window, qtbot, ui, "light", gov_url)
    assert view.select_model("iris-classifier") and view.select_version("2")
    tab = view.detail.monitoring_tab
    assert [(x, tip.split("\n")[0]) for x, _, tip in tab.approval_labels()] == [
        (when.timestamp(), f"approved champion by {who}") for when, who in APPROVALS]
    assert [label for _, label, _ in tab.approval_labels()] == ["approved champion \u00d72", ""]  # a day apart
    assert all(f"approved champion by {who}, {when:%Y-%m-%d %H:%M}" in tab.legend.text() for when, who in APPROVALS)
    assert tab.approval_times() == [when.timestamp() for when, _ in APPROVALS]
    # the time axis covers the approvals and every result
    lo, hi = tab.drift_plot.getViewBox().viewRange()[0]
    assert lo < APPROVALS[0][0].timestamp() and hi > _epoch("2026-10-27T09:00:00")
    # both were signed on the results current now
    assert all(tip.endswith("\nevidence: as signed (2 result(s), same digests)") for _, _, tip in tab.approval_labels())
    assert "evidence not as signed" not in tab.legend.text()
    # another version has no decision: no line
    assert view.select_model("wine-classifier") and view.select_version("1")
    assert tab.approval_labels() == []


def test_approvals_signed_before_a_newer_result_say_so(make_window, qtbot, ui, tmp_path, monkeypatch) -> None:
    results = tmp_path / "results"
    shutil.copytree(MON / "results", results)
    week6 = results / "evidently" / "iris" / "week-06.json"
    week6.unlink()  # not yet written when they sign
    gov_url = governance_with_approvals(tmp_path / "gov.db", monkeypatch,
                                        [str(MON / "mlflow.db"), f"monitoring:{results}"])
    shutil.copyfile(MON / "results" / "evidently" / "iris" / "week-06.json", week6)
    window = make_window(governance_url=gov_url)
    window.resize(1280, 800)
    view = window.models_view
    view.monitoring_as_of = TODAY
    window.open_stores([str(MON / "mlflow.db"), f"monitoring:{results}"])
    for slot in (window.load_slot, view.monitoring_slot, view.governance_slot):
        ui.wait_idle(qtbot, slot)
    assert view.select_model("iris-classifier") and view.select_version("2")
    tab = view.detail.monitoring_tab
    tips = [tip for _, _, tip in tab.approval_labels()]
    assert len(tips) == 2 and all("\nevidence: signed on evidently/iris/week-05.json, gx/iris-train-2026-10-27.json; "
                                  "newer than the signed evidence: evidently/iris/week-06.json at "
                                  "2026-10-13T09:00:00Z (drift in 1 of 4 features" in tip for tip in tips)
    assert tab.legend.text().count("evidence not as signed") == 2


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_models_page_column_and_tab_screenshots(make_window, qtbot, ui, tmp_path, monkeypatch, mode) -> None:
    gov_url = governance_with_approvals(tmp_path / "gov.db", monkeypatch)
    window, view = _open(make_window, qtbot, ui, mode, gov_url)
    # the folder's malformed and foreign files are listed with the reason; the rest loaded
    assert window.stores_label.text().endswith(f"· {len(TRUTH['rejected'])} files not read (see the tooltip)")
    tip = window.stores_label.toolTip()
    assert all(f"\n{name}: " in tip for name in TRUTH["rejected"])
    assert "broken/bad-timestamp.json: Evidently snapshot: timestamp 'last tuesday' is not an ISO 8601 time" in tip
    column = view.model.column_index("Monitoring")
    texts = {view.model.rows[r].name: view.model.index(r, column).data() for r in range(view.model.rowCount())}
    assert texts == {
        "breast-cancer-classifier": "Checked (v1)",
        "diabetes-regressor": "Not monitored (v1)",
        "digits-classifier": "Not monitored (v1)",
        "iris-classifier": "Drift above threshold (v2)",
        "wine-classifier": "Data-quality failures (v1)",
    }
    assert view.select_model("iris-classifier") and view.select_version("2")
    detail = view.detail
    detail.tabs.setCurrentWidget(detail.monitoring_tab)
    assert detail.monitoring_tab.monitoring is not None
    assert detail.monitoring_tab.monitoring.status == "drift"
    assert len(detail.monitoring_tab.approval_labels()) == 2
    flush_events()
    render(window, f"monitoring_models_page_{mode}")
    render(detail, f"monitoring_tab_iris_{mode}")
    assert view.select_model("wine-classifier") and view.select_version("1")
    flush_events()
    render(detail, f"monitoring_tab_wine_{mode}")


def test_version_without_results_shows_what_is_missing_and_what_fills_it(qtbot) -> None:
    overview, tab = _shown_tab(qtbot, 420)
    diabetes = overview.version("diabetes-regressor", "1")
    assert diabetes is not None and diabetes.results == ()  # the fixture holds no result on it
    tab.set_monitoring(diabetes)
    flush_events()
    assert tab.is_empty()
    assert tab.empty_label.isVisible() and not tab.results_view.isVisible()
    assert not tab.drift_plot.isVisible() and not tab.quality_plot.isVisible()
    text = tab.empty_label.text()
    assert text.startswith("No monitoring results recorded for this version.")
    assert "monitoring: folder store" in text and "OpenLineage data-quality facets" in text
    assert "mlops_desktop.monitoring" in text
    assert tab.status.isVisible() and "Not monitored" in tab.status.text()  # the verdict stays above
    render(tab, "monitoring_tab_empty")


def test_version_with_results_shows_charts_and_table_not_the_message(qtbot) -> None:
    overview, tab = _shown_tab(qtbot, 420)
    tab.set_monitoring(overview.version("diabetes-regressor", "1"))
    tab.set_monitoring(overview.version("iris-classifier", "2"))  # from empty back to results
    flush_events()
    assert not tab.is_empty()
    assert not tab.empty_label.isVisible()
    assert tab.results_view.isVisible() and tab.drift_plot.isVisible()
    assert tab.results_model.rowCount() == 7
    # no version (or results still being linked): the message says so, in the same place
    tab.set_monitoring(None, "Monitoring results are being linked…")
    flush_events()
    assert tab.is_empty() and tab.empty_label.text() == "Monitoring results are being linked…"
    assert not tab.results_view.isVisible() and not tab.status.isVisible()
