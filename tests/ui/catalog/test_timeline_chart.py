"""The timeline chart on a journal built by hand: one band per stage and alias, two versions
holding one stage at once drawn side by side in its band, decisions on their target's band."""

from __future__ import annotations

from datetime import UTC, datetime

from mlops_desktop.services.timeline import DecisionMark, history_from
from mlops_desktop.ui.catalog.history_tab import TimelineChart
from tests.services.test_timeline import O1, O2, O3, REG, S1, events, state, version
from tests.ui.conftest import render


def test_two_versions_in_one_stage_share_its_band(qtbot) -> None:
    both = state({"1": version("Production"), "2": version("Production")}, {"champion": "1"})
    h = history_from({REG: [O1, O2, O3]}, {REG: (O1, both)}, {REG: []}, "m")
    chart = TimelineChart()
    qtbot.addWidget(chart)
    chart.resize(600, 300)
    chart.show()
    when = datetime(2026, 3, 2, tzinfo=UTC)
    chart.set_history(h, [DecisionMark(when, "1", "Production", "APPROVED", "alice@example.org", "valid"),
                          DecisionMark(when, "2", "Staging", "REJECTED", "bob@example.org", "valid")])
    assert [(k, t) for _r, k, t in chart.lanes] == [("stage", "Production"), ("alias", "champion"),
                                                     ("stage", "Staging")]  # a decided target gets a band
    prod = [chart.rows[i] for i, s in enumerate(h.segments) if s.target == "Production"]
    assert len(prod) == 2 and prod[0] != prod[1]
    lane_y = len(chart.lanes) - chart.lane_of("stage", "Production")
    assert all(abs(y - lane_y) < 0.35 for y in prod)  # both inside the Production band
    symbols = list(chart.decision_item.data["symbol"])
    assert symbols == ["t1", "x"]
    qtbot.wait(20)  # the axes take their width on the next layout
    render(chart, "timeline_two_versions_one_stage")


def test_changes_drawn_from_the_journal(qtbot) -> None:
    h = history_from({REG: [O1, O2, O3]}, {REG: (O1, S1)}, {REG: events()}, "m")
    chart = TimelineChart()
    qtbot.addWidget(chart)
    chart.show()
    chart.set_history(h)
    assert len(chart.rows) == len(h.segments) == 6
    # x range covers the journal (first to last observation)
    (x0, x1), _ = chart.getPlotItem().getViewBox().viewRange()
    assert x0 < O1.time.timestamp() and x1 > O3.time.timestamp()
    chart.set_history(None)
    assert chart.rows == [] and chart.lanes == []
