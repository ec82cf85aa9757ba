"""The metric chart of a model card: one bar per metric, first on top, its value printed at the
bar's end, bars measured from zero on one value axis with round ticks; non-finite values printed
without a bar; the lineage label of a stage breaks before its bracket."""

from __future__ import annotations

import math

import pytest
from reportlab.graphics.shapes import Drawing, Line, Rect, String

from mlops_desktop.reports import charts
from mlops_desktop.reports.fonts import SANS, register_fonts


@pytest.fixture(autouse=True)
def _fonts() -> None:
    register_fonts()


def texts(d: Drawing) -> dict[str, String]:
    return {s.text: s for s in d.contents if isinstance(s, String)}


def test_bars_values_and_axis() -> None:
    d = charts.metric_chart([("auc", 0.8857), ("loss", 0.05), ("rmse", -0.3)], width=480, title="Latest metrics")
    t = texts(d)
    assert t["auc"].y > t["loss"].y > t["rmse"].y  # first metric on top
    assert {"0.8857", "0.05", "-0.3", "Latest metrics"} <= set(t)
    bars = [s for s in d.contents if isinstance(s, Rect)]
    assert len(bars) == 3
    auc, loss, rmse = bars
    zero = auc.x
    assert loss.x == pytest.approx(zero) and rmse.x + rmse.width == pytest.approx(zero)
    assert auc.width / loss.width == pytest.approx(0.8857 / 0.05)
    assert rmse.width / loss.width == pytest.approx(0.3 / 0.05)
    # each value label sits just beyond its bar's end
    assert t["0.8857"].x == pytest.approx(auc.x + auc.width + 3)
    assert t["-0.3"].x == pytest.approx(rmse.x - 3) and t["-0.3"].textAnchor == "end"
    ticks = [float(s.text) for s in d.contents if isinstance(s, String) and s.textAnchor == "middle"]
    assert ticks == sorted(ticks) and 0.0 in ticks and len(ticks) >= 3
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1 and steps.pop() in (0.1, 0.2, 0.25, 0.5)
    assert sum(1 for s in d.contents if isinstance(s, Line)) == 2 + len(ticks)
    # labels never run into the plot: right-aligned before it
    for key in ("auc", "loss", "rmse"):
        assert t[key].textAnchor == "end" and t[key].x < zero


def test_long_labels_and_odd_values() -> None:
    long = "validation/" + "x" * 80
    d = charts.metric_chart([(long, math.nan), ("ok", 2.0)], width=480)
    t = texts(d)
    label = next(s for s in t.values() if s.text.startswith("validation/"))
    from reportlab.pdfbase.pdfmetrics import stringWidth

    assert label.text.endswith("…") and stringWidth(label.text, SANS, 7) <= 150
    assert "nan" in t and "2" in t
    assert len([s for s in d.contents if isinstance(s, Rect)]) == 1  # no bar for NaN
    empty = charts.metric_chart([], width=480)
    assert empty.height == 40 + 14


def test_value_ticks() -> None:
    assert charts.value_ticks(0, 1.0186) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert charts.value_ticks(-0.25, 1.0) == [-0.25, 0, 0.25, 0.5, 0.75, 1.0]
    assert charts.value_ticks(0, 2300) == [0, 500, 1000, 1500, 2000]
    assert charts.value_ticks(1, 1) == [1]


def test_stage_label_breaks_before_its_bracket() -> None:
    lines = charts.wrap_words("churn-predictor [Production]", SANS, 6.5, 70)
    assert lines == ["churn-predictor", "[Production]"]
