"""The Monitoring tab of the version pane and the Monitoring column of the Models page, on the
monitoring fixtures (tests/fixtures/monitoring/truth.json), rendered in both themes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from mlops_desktop.core.monitoring import monitoring_overview
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.catalog.monitoring_tab import ApprovalMark, MonitoringTabWidget
from tests.conftest import FIXTURES
from tests.ui.conftest import flush_events, render

MON = FIXTURES / "monitoring"
TRUTH = json.loads((MON / "truth.json").read_text(encoding="utf-8"))
TODAY = date.fromisoformat(TRUTH["today"])
STORES = [str(MON / "mlflow.db"), f"monitoring:{MON / 'results'}"]


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_tab_chart_data_thresholds_and_approvals(qtbot) -> None:
    overview = monitoring_overview(load_catalog(STORES), as_of=TODAY)
    tab = MonitoringTabWidget()
    qtbot.addWidget(tab)
    tab.resize(900, 520)
    tab.show()
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


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_models_page_column_and_tab_screenshots(make_window, qtbot, ui, mode) -> None:
    window = make_window()
    window.resize(1400, 900)
    window.set_theme(mode)
    view = window.models_view
    view.monitoring_as_of = TODAY
    window.open_stores(STORES)
    ui.wait_idle(qtbot, window.load_slot)
    ui.wait_idle(qtbot, view.monitoring_slot)
    assert not window.notifier.dialogs
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
    detail.monitoring_tab.set_approvals([ApprovalMark(datetime(2026, 9, 20, tzinfo=UTC), "champion")])
    flush_events()
    render(window, f"monitoring_models_page_{mode}")
    render(detail, f"monitoring_tab_iris_{mode}")
    assert view.select_model("wine-classifier") and view.select_version("1")
    flush_events()
    render(detail, f"monitoring_tab_wine_{mode}")
