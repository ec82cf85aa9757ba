"""Contrast of the colours the lineage graph and the catalog charts draw, in both themes (WCAG 2.1,
1.4.11: 3:1 for graphical objects), measured against the background each widget really has, and
the same colours after a theme switch at runtime.

Every colour is read back from the drawn items (pens, brushes, bars, curves), not from the
module's constants, and every background from the widget (its plot's background brush, the
legend's window colour), so a colour changed in one place and not the other cannot pass.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from mlops_desktop.core.lineage import build_graph, version_node_id
from mlops_desktop.core.monitoring import monitoring_overview
from mlops_desktop.services.timeline import DecisionMark, history_from
from mlops_desktop.sources.loader import load_catalog
from mlops_desktop.ui.catalog.history_tab import TimelineChart
from mlops_desktop.ui.catalog.monitoring_tab import ApprovalMark, MonitoringTabWidget
from mlops_desktop.ui.common import theme
from mlops_desktop.ui.common.theme import contrast_ratio
from mlops_desktop.ui.lineage.view import KIND_STYLE, LineageView, dim_colour, kind_colour
from tests.services.test_timeline import O1, O2, O3, REG, events, state, version
from tests.ui.catalog.test_monitoring_tab import STORES, TODAY
from tests.ui.conftest import flush_events, wait_idle

GRAPHIC = 3.0  # WCAG 1.4.11 non-text contrast
TEXT = 4.5  # WCAG 1.4.3 normal text
MODES = ["light", "dark"]
#: aliases whose names fall on every one of the band colours (the colour is picked from the name)
ALIASES = ("champion", "challenger", "shadow", "canary", "prod-b", "a", "b", "c", "d", "e")


@pytest.fixture
def themed(qapp) -> Iterator[theme.ThemeManager]:
    manager = theme.theme_manager(qapp)
    yield manager
    manager.apply(theme.ThemeMode.LIGHT)


def _over(colour: QColor, background: QColor) -> QColor:
    """``colour`` (with its alpha) painted over an opaque ``background``."""
    a = colour.alphaF()
    return QColor.fromRgbF(*(c * a + b * (1 - a) for c, b in ((colour.redF(), background.redF()),
                                                              (colour.greenF(), background.greenF()),
                                                              (colour.blueF(), background.blueF()))))


def _lineage_view(qtbot, mlflow3_db, openlineage_file) -> LineageView:
    graph = build_graph(load_catalog([str(mlflow3_db), f"openlineage:{openlineage_file}"]))
    view = LineageView()
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    view.show_graph(graph, version_node_id("readmission-risk", "3"))
    flush_events()
    return view


def _selection_ring(view: LineageView) -> QColor:
    i = view.node_ids.index(view.selected)
    return QColor(view.nodes.data["pen"][i].color())


def _timeline(qtbot) -> TimelineChart:
    held = state({"1": version("Production"), "2": version("Staging"), "3": version("Archived")},
                 {a: str(i % 3 + 1) for i, a in enumerate(ALIASES)})
    h = history_from({REG: [O1, O2, O3]}, {REG: (O1, held)}, {REG: events()}, "m")
    chart = TimelineChart()
    qtbot.addWidget(chart)
    chart.resize(900, 400)
    chart.show()
    when = datetime(2026, 3, 2, tzinfo=UTC)
    chart.set_history(h, [DecisionMark(when, "1", "Production", "APPROVED", "alice@example.org", "valid"),
                          DecisionMark(when, "2", "Staging", "REJECTED", "bob@example.org", "valid")])
    return chart


def _solid_bars(chart: TimelineChart) -> list[QColor]:
    return [c for c in chart.bar_colours() if c.alpha() == max(b.alpha() for b in chart.bar_colours())]


@pytest.mark.parametrize("mode", MODES)
def test_lineage_selection_hover_and_kind_colours(qtbot, themed, mode, mlflow3_db, openlineage_file):
    themed.apply(mode)
    view = _lineage_view(qtbot, mlflow3_db, openlineage_file)
    plot = view.plot.backgroundBrush().color()
    assert plot == QColor(theme.colors().plot_background)
    assert view.selected is not None
    assert contrast_ratio(_selection_ring(view), plot) >= GRAPHIC
    assert contrast_ratio(view.nodes.opts["hoverPen"].color(), plot) >= GRAPHIC
    # the edges and their arrow heads
    assert contrast_ratio(view.edges.opts["pen"].color(), plot) >= GRAPHIC
    assert len(view.arrows.data) == len(view._edge_list) > 0
    assert view.arrows.opts["brush"].color() == view.edges.opts["pen"].color()  # heads in the edges' colour
    assert contrast_ratio(view.arrows.opts["brush"].color(), plot) >= GRAPHIC
    # every node brush drawn in the view (the dimmed ones aside), on the plot
    drawn = {QColor(b.color()).name() for b in view.nodes.data["brush"]} - {dim_colour().name()}
    assert QColor(kind_colour("job")).name() in drawn  # the graph has jobs: the failing colour is measured
    for name in drawn:
        assert contrast_ratio(name, plot) >= GRAPHIC, name
    # every kind, on the plot and on the legend's background
    legend = view.legend.palette().color(QPalette.ColorRole.Window)
    for kind in KIND_STYLE:
        for background in (plot, legend):
            assert contrast_ratio(kind_colour(kind), background) >= GRAPHIC, (kind, background.name())
    # kinds stay told apart by colour as well as by shape
    for a, b in itertools.combinations(KIND_STYLE, 2):
        ca, cb = kind_colour(a), kind_colour(b)
        distance = sum((x - y) ** 2 for x, y in zip(ca.getRgb()[:3], cb.getRgb()[:3], strict=True)) ** 0.5
        assert distance >= 60, (a, b)


def test_the_old_ring_colour_fails_the_measurement_on_dark(qtbot, themed, mlflow3_db, openlineage_file):
    """The measurement can see a ring that is lost on the plot: #111827 on the dark one."""
    themed.apply("dark")
    view = _lineage_view(qtbot, mlflow3_db, openlineage_file)
    assert contrast_ratio("#111827", view.plot.backgroundBrush().color()) < GRAPHIC


def test_a_theme_switch_updates_the_lineage_pens(loaded_window, qtbot, themed):
    window = loaded_window
    window.set_theme("light")
    window.open_lineage(version_node_id("readmission-risk", "3"))
    wait_idle(qtbot, window.lineage_page.slot)
    view = window.lineage_page.view
    selected = view.selected
    assert selected is not None
    rings = {}
    for mode in ("light", "dark", "light"):
        window.set_theme(mode)
        flush_events()
        plot = view.plot.backgroundBrush().color()
        assert plot == QColor(theme.colors().plot_background)
        assert view.selected == selected  # the same selection, redrawn
        rings[mode] = _selection_ring(view)
        assert rings[mode] == QColor(theme.colors().text)
        assert contrast_ratio(rings[mode], plot) >= GRAPHIC, mode
        hover = view.nodes.opts["hoverPen"].color()
        assert contrast_ratio(hover, plot) >= GRAPHIC, mode
    assert rings["light"] != rings["dark"]


@pytest.mark.parametrize("mode", MODES)
def test_history_bands_and_marks(qtbot, themed, mode):
    themed.apply(mode)
    chart = _timeline(qtbot)
    background = chart.backgroundBrush().color()
    assert background == QColor(theme.colors().plot_background)
    solid = _solid_bars(chart)
    # every stage colour and every alias colour is on the chart
    assert len({c.name() for c in solid}) >= 3 + 5
    for colour in solid:
        assert contrast_ratio(_over(colour, background), background) >= GRAPHIC, colour.name()
    marks = chart.decision_colours()
    assert len(marks) == 2
    for colour in marks:
        assert contrast_ratio(_over(colour, background), background) >= GRAPHIC, colour.name()


@pytest.mark.parametrize("mode", MODES)
def test_version_labels_read_on_every_band(qtbot, themed, mode):
    """A label lies on its band or beside it: its text on its plate over any band, 4.5:1 or more."""
    themed.apply(mode)
    chart = _timeline(qtbot)
    background = chart.backgroundBrush().color()
    labels = chart.labels()
    assert labels
    under = [background, *(_over(c, background) for c in chart.bar_colours())]
    for label in labels:
        assert label.fill.style() != Qt.BrushStyle.NoBrush
        for behind in under:
            assert contrast_ratio(label.color, _over(label.fill.color(), behind)) >= TEXT, behind.name()
    # without the plate the text would not read on every band: the measurement sees it
    bare = min(contrast_ratio(labels[0].color, behind) for behind in under)
    assert bare < TEXT


def test_the_old_pink_band_fails_the_measurement_on_dark(qtbot, themed):
    themed.apply("dark")
    chart = _timeline(qtbot)
    background = chart.backgroundBrush().color()
    old = QColor("#be185d")
    old.setAlpha(max(c.alpha() for c in chart.bar_colours()))
    assert contrast_ratio(_over(old, background), background) < GRAPHIC


def test_a_theme_switch_redraws_the_history_bands(qtbot, themed):
    themed.apply("light")
    chart = _timeline(qtbot)
    before = chart.backgroundBrush().color()
    themed.apply("dark")
    flush_events()
    after = chart.backgroundBrush().color()
    assert after == QColor(theme.DARK.plot_background) != before
    for colour in _solid_bars(chart):
        assert contrast_ratio(_over(colour, after), after) >= GRAPHIC, colour.name()
    for name in ("bottom", "left"):
        assert chart.getAxis(name).textPen().color() == QColor(theme.DARK.plot_foreground)


@pytest.mark.parametrize("mode", MODES)
def test_monitoring_curves_and_marks(qtbot, themed, mode):
    themed.apply(mode)
    tab = MonitoringTabWidget()
    qtbot.addWidget(tab)
    tab.show()
    tab.set_approvals([ApprovalMark(datetime(2026, 9, 20, tzinfo=UTC), "champion", signer="alice@example.org"),
                       ApprovalMark(datetime(2026, 9, 29, tzinfo=UTC), "Production", "REJECTED", "bob@example.org"),
                       ApprovalMark(datetime(2026, 10, 8, tzinfo=UTC), "Staging", signer="carol@example.org",
                                    status="revoked")])
    tab.set_monitoring(monitoring_overview(load_catalog(STORES), as_of=TODAY).version("iris-classifier", "2"))
    _assert_monitoring_colours(tab)
    lines = tab.approval_lines
    assert len({line.pen.color().name() for line in lines}) == 3  # approved, rejected, revoked: three colours
    for line in lines:
        plot = tab.drift_plot if line in tab.drift_plot.items() else tab.quality_plot
        assert contrast_ratio(line.pen.color(), plot.backgroundBrush().color()) >= GRAPHIC, line.pen.color().name()


def _assert_monitoring_colours(tab: MonitoringTabWidget) -> None:
    background = tab.drift_plot.backgroundBrush().color()
    assert background == QColor(theme.colors().plot_background)
    window = tab.palette().color(QPalette.ColorRole.Window)  # behind the legend below the charts
    curves = [c for c in tab.feature_curves.values() if c.isVisible()]
    assert len(curves) >= 4
    for curve in curves:
        colour = curve.opts["pen"].color()
        assert contrast_ratio(colour, background) >= GRAPHIC, colour.name()
        assert contrast_ratio(colour, window) >= GRAPHIC, colour.name()
        assert colour.name() in tab.legend.text().lower()  # the legend names the curve's colour
    quality = tab.quality_curve.opts["pen"].color()
    assert contrast_ratio(quality, tab.quality_plot.backgroundBrush().color()) >= GRAPHIC
    for line in tab.threshold_lines:
        assert contrast_ratio(line.pen.color(), background) >= GRAPHIC
    for mark in (tab.drift_marks, tab.quality_fail_marks):
        assert contrast_ratio(mark.opts["pen"].color(), background) >= GRAPHIC


def test_a_theme_switch_recolours_the_monitoring_charts(qtbot, themed):
    themed.apply("light")
    tab = MonitoringTabWidget()
    qtbot.addWidget(tab)
    tab.show()
    tab.set_monitoring(monitoring_overview(load_catalog(STORES), as_of=TODAY).version("iris-classifier", "2"))
    light = {f: c.opts["pen"].color().name() for f, c in tab.feature_curves.items()}
    themed.apply("dark")
    flush_events()
    _assert_monitoring_colours(tab)
    dark = {f: c.opts["pen"].color().name() for f, c in tab.feature_curves.items()}
    assert light != dark
