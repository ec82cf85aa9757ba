"""The version pane's Monitoring tab: status, drift per feature and data-quality pass rate over
time (pyqtgraph, date axes, thresholds as dashed lines, approvals as vertical lines), and the
results behind them. Everything shown is computed in :mod:`mlops_desktop.core.monitoring`."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from mlops_desktop.core.entities import Catalog, iso
from mlops_desktop.core.monitoring import (
    STATUS_CHECKED,
    STATUS_DATA_QUALITY,
    STATUS_DRIFT,
    EvidenceCheck,
    MonitoringOverview,
    MonitoringResult,
    VersionMonitoring,
    check_evidence,
    current_results,
    monitoring_overview,
    signed_monitoring,
)
from mlops_desktop.core.progress import CancelledFn, ProgressFn, check_cancelled
from mlops_desktop.crypto.dsse import EnvelopeError, parse_envelope, parse_statement
from mlops_desktop.services.governance_status import GovernanceStatus
from mlops_desktop.ui.catalog.column_fit import fit_columns
from mlops_desktop.ui.common import theme
from mlops_desktop.ui.common.layouts import table_or_message
from mlops_desktop.ui.common.widgets import make_table
from mlops_desktop.ui.models.base import Column, EntityTableModel, format_time, time_key

#: Feature curve colours (colour-blind safe, Okabe-Ito), cycled, on the dark plot.
FEATURE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")
#: The same hues made darker for the light plot (Okabe-Ito's orange, sky blue, yellow and grey are
#: under 3:1 on white).
FEATURE_COLOURS_LIGHT = ("#0072B2", "#B36F00", "#00875F", "#B0558A", "#2E86C1", "#D55E00", "#8F8200", "#737373")
DRIFT_MARK = "#d62728"

#: What the tab shows in place of empty charts and table: what is missing and what would fill it.
EMPTY_TEXT = (
    "No monitoring results recorded for this version.\n\n"
    "Results come from a monitoring: folder store (Evidently snapshots, Great Expectations "
    "results, SageMaker Model Monitor violations), OpenLineage data-quality facets on its "
    "datasets, or MLflow runs tagged mlops_desktop.monitoring. Open such a store next to this "
    "registry (File > Open store…); docs/MONITORING.md says how results are linked to a version."
)


@dataclass(frozen=True, slots=True)
class ApprovalMark:
    """A decision (approval or rejection) of the version to mark on the time axis."""

    at: datetime
    target: str
    decision: str = "APPROVED"
    signer: str = ""
    status: str = "valid"  # as verify judges the decision's signature; others are drawn muted
    #: the monitoring results it was signed on (its ``evidence.monitoring``); None: not at hand
    signed: tuple[Mapping[str, Any], ...] | None = None

    @property
    def approved(self) -> bool:
        return self.decision.upper() == "APPROVED"

    @property
    def short_label(self) -> str:
        """What the line's label on the drift chart says: decision and target."""
        return f"{'approved' if self.approved else self.decision.lower()} {self.target}"

    @property
    def label(self) -> str:
        """Decision, target and signer (the legend below the charts, the tooltip)."""
        return self.short_label + (f" by {self.signer}" if self.signer else "")

    @property
    def tooltip(self) -> str:
        text = f"{self.label}\n{iso(self.at)}"
        return text if self.status == "valid" else f"{text}\nnot counted: {self.status}"

    def evidence(self, current: Sequence[MonitoringResult]) -> EvidenceCheck | None:
        """Its signed monitoring evidence against the results ``current`` now (None: not at hand)."""
        return None if self.signed is None else check_evidence(self.signed, current)


def approval_marks(status: object | None, model: str, version: str) -> list[ApprovalMark]:
    """The decisions made on ``model``/``version`` in its own registry, at their audit-log time
    (else the signer's claimed time), as the governance store's verification reads them
    (``status``: the Models page's :class:`GovernanceStatus`; anything else marks nothing)."""
    vg = status.of(model, version) if isinstance(status, GovernanceStatus) else None
    out = []
    for d in vg.decisions if vg is not None else []:
        when = d.decided_at or d.signed_at
        if when is None:
            continue
        rec = d.record
        try:
            signed = signed_monitoring(parse_statement(parse_envelope(rec.envelope).payload).predicate)
        except EnvelopeError:
            signed = None
        out.append(ApprovalMark(when, d.target or rec.target, d.decision or rec.decision,
                                d.identity or rec.key_id[:16], d.status, tuple(signed or ())))
    return sorted(out, key=lambda a: a.at)


class MonitoringResultsModel(EntityTableModel[MonitoringResult]):
    """The results behind the charts, newest first."""

    columns = (
        Column("Time", lambda r: format_time(r.at), lambda r: time_key(r.at)),
        Column("Tool", lambda r: r.tool),
        Column("Kind", lambda r: r.kind),
        Column("Result", lambda r: r.summary()),
        Column("File / run", lambda r: r.id, tooltip=lambda r: f"{r.id}\n{r.link}\n{r.digest}"),
    )


def feature_colours() -> tuple[str, ...]:
    """The feature curve colours for the current theme: 3:1 or more on its plot and its window
    (the legend below the charts)."""
    dark = theme.relative_luminance(theme.colors().plot_background) < 0.5
    return FEATURE_COLOURS if dark else FEATURE_COLOURS_LIGHT


def _status_colour(status: str) -> str:
    c = theme.colors()
    return {STATUS_DRIFT: c.phi, STATUS_DATA_QUALITY: c.pii, STATUS_CHECKED: c.ok}.get(status, c.muted)


def _epoch(when: datetime) -> float:
    return when.timestamp()


class MonitoringTabWidget(QWidget):
    """Fill with :meth:`set_monitoring`; :meth:`set_approvals` marks approvals on both charts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MonitoringTabWidget")
        self.setAccessibleName("Monitoring of this version")
        self.monitoring: VersionMonitoring | None = None
        self.approvals: list[ApprovalMark] = []

        self.status = QLabel()
        self.status.setObjectName("monitoringStatus")
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setContentsMargins(6, 4, 6, 4)  # off the tab's frame

        self.drift_plot = self._make_plot("Drift score per feature")
        self.legend = QLabel()  # feature colours, below the charts (a legend inside would hide points)
        self.legend.setObjectName("monitoringLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setContentsMargins(6, 0, 6, 0)
        self.quality_plot = self._make_plot("Data-quality pass rate")
        self.quality_plot.setYRange(-0.05, 1.1, padding=0)  # room for the 0 and 1.0 labels
        self.feature_curves: dict[str, pg.PlotDataItem] = {}
        self.drift_marks = pg.ScatterPlotItem(size=11, symbol="x", pen=pg.mkPen(DRIFT_MARK, width=2),
                                              brush=pg.mkBrush(DRIFT_MARK))
        self.drift_plot.addItem(self.drift_marks)
        self.quality_plot.setXLink(self.drift_plot)  # one time axis for both charts
        self.quality_curve = self.quality_plot.plot([], [], symbol="o", symbolSize=6)
        self.quality_fail_marks = pg.ScatterPlotItem(size=9, symbol="x", pen=pg.mkPen(DRIFT_MARK, width=2))
        self.quality_plot.addItem(self.quality_fail_marks)
        self.threshold_lines: list[pg.InfiniteLine] = []
        self.approval_lines: list[pg.InfiniteLine] = []

        self.results_model = MonitoringResultsModel(parent=self)
        self.results_view = make_table(self.results_model)
        self.results_view.setObjectName("monitoringResults")
        self.results_view.setAccessibleName("Monitoring results of this version")
        self.results_view.setSortingEnabled(True)
        self.results_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        # the columns share the tab's width (no sideways scrolling); cut cells show their text as tooltip
        self.results_fitter = fit_columns(self.results_view, ("Tool", "Kind", "Result", "File / run"))

        charts = QSplitter(Qt.Orientation.Horizontal)
        charts.addWidget(self.drift_plot)
        charts.addWidget(self.quality_plot)
        charts.setSizes([460, 300])
        charts_box = QWidget()
        box = QVBoxLayout(charts_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(charts, 1)
        box.addWidget(self.legend)
        self.content = QSplitter(Qt.Orientation.Vertical)
        self.content.addWidget(charts_box)
        self.content.addWidget(self.results_view)
        self.content.setSizes([270, 130])
        # no result: a message in place of empty charts and a table of headers only
        self.stack, self.empty_label = table_or_message(self.content, EMPTY_TEXT, "monitoringEmpty")
        self.empty_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.empty_label.setContentsMargins(24, 12, 24, 12)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(self.stack, 1)
        self.apply_theme()
        self.set_monitoring(None)

    @staticmethod
    def _make_plot(title: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0)})
        plot.setMinimumHeight(150)
        plot.setTitle(title, size="9pt")
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setMenuEnabled(False)
        return plot

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if "quality_curve" in self.__dict__ and event.type() in (QEvent.Type.PaletteChange,
                                                                 QEvent.Type.ApplicationPaletteChange):
            self.apply_theme()  # the theme changed: the charts' colours follow

    def apply_theme(self, _is_dark: bool = False) -> None:
        c = theme.colors()
        for plot in (self.drift_plot, self.quality_plot):
            plot.setBackground(c.plot_background)
            plot.getPlotItem().titleLabel.setText(plot.getPlotItem().titleLabel.text, color=c.plot_foreground)
            for name in ("bottom", "left"):
                axis = plot.getAxis(name)
                axis.enableAutoSIPrefix(False)
                axis.setPen(c.plot_foreground)
                axis.setTextPen(c.plot_foreground)
        self.quality_curve.setPen(pg.mkPen(c.plot_pen, width=2))
        self.quality_curve.setSymbolBrush(pg.mkBrush(c.plot_pen))
        self.quality_curve.setSymbolPen(pg.mkPen(c.plot_pen))
        self._redraw()

    # -- data ------------------------------------------------------------------------

    def set_monitoring(self, monitoring: VersionMonitoring | None, message: str = "") -> None:
        self.monitoring = monitoring
        self.results_model.set_rows(list(monitoring.results) if monitoring else [])
        self._redraw(message)
        if monitoring is None:  # no version, or its results are being linked: the message says which
            self.status.setVisible(False)
            self.empty_label.setText(message or "Select a model version to see its monitoring.")
        else:
            self.status.setVisible(True)
            self.empty_label.setText(EMPTY_TEXT)
        self.stack.setCurrentWidget(self.content if monitoring is not None and monitoring.results
                                    else self.empty_label)

    def is_empty(self) -> bool:
        """Whether the tab shows its message instead of the charts and the results table."""
        return self.stack.currentWidget() is self.empty_label

    def set_approvals(self, approvals: Sequence[ApprovalMark]) -> None:
        self.approvals = sorted(approvals, key=lambda a: a.at)
        self._redraw()

    # -- chart data (what the charts show; tests read these) -----------------------------

    def drift_points(self) -> dict[str, tuple[list[float], list[float]]]:
        """feature -> (epoch seconds, scores) as plotted."""
        return {f: (list(map(float, curve.xData if curve.xData is not None else [])),
                    list(map(float, curve.yData if curve.yData is not None else [])))
                for f, curve in self.feature_curves.items() if curve.isVisible()}

    def threshold_values(self) -> list[float]:
        return [float(line.value()) for line in self.threshold_lines]

    def approval_times(self) -> list[float]:
        return [float(line.value()) for line in self.approval_lines if line in self.drift_plot.items()]

    def approval_labels(self) -> list[tuple[float, str, str]]:
        """(epoch seconds, label, tooltip) of each approval line on the drift chart, by time; the
        label is "" on a line whose approval is counted in the label of the one just before it."""
        return [(float(line.value()), line.label.toPlainText() if getattr(line, "label", None) else "",
                 line.toolTip()) for line in self.approval_lines if line in self.drift_plot.items()]

    def quality_points(self) -> tuple[list[float], list[float]]:
        x, y = self.quality_curve.xData, self.quality_curve.yData
        return ([float(v) for v in x] if x is not None else [], [float(v) for v in y] if y is not None else [])

    # -- drawing ---------------------------------------------------------------------

    def _add_approval_line(self, line: pg.InfiniteLine, tip: str) -> None:
        line.setToolTip(tip)
        self.drift_plot.addItem(line)
        self.approval_lines.append(line)

    @staticmethod
    def _mark_colour(mark: ApprovalMark) -> QColor:
        c = theme.colors()
        return QColor(c.muted if mark.status != "valid" else c.ok if mark.approved else c.phi)

    def _redraw(self, message: str = "") -> None:
        vm = self.monitoring
        c = theme.colors()
        if vm is None:
            self.status.setText(f"<i>{html.escape(message or 'Select a model version to see its monitoring.')}</i>")
        else:
            last = f"last result {iso(vm.last_checked)}" if vm.last_checked else "no result recorded"
            deployed = "deployed" if vm.deployed else "not deployed"
            reasons = "<br>".join(html.escape(r) for r in vm.reasons)
            self.status.setText(
                f"<b style='color:{_status_colour(vm.status)}'>{html.escape(vm.label)}</b> &nbsp;"
                f"<span style='color:{c.muted}'>({deployed}; {last}; window {vm.max_age_days} days)</span>"
                f"<br><span style='font-size:small'>{reasons}</span>")
        series = vm.drift_series() if vm else {}
        palette = feature_colours()
        for i, (feature, points) in enumerate(series.items()):
            curve = self.feature_curves.get(feature)
            colour = palette[i % len(palette)]
            if curve is None:
                curve = self.drift_plot.plot([], [], symbol="o", symbolSize=5)
                curve.setDownsampling(auto=True, method="peak")
                curve.setClipToView(True)
                self.feature_curves[feature] = curve
            curve.setPen(pg.mkPen(colour, width=2))
            curve.setSymbolBrush(pg.mkBrush(colour))
            curve.setSymbolPen(pg.mkPen(colour))
            curve.setData([_epoch(t) for t, *_ in points], [s if math.isfinite(s) else math.nan for _, s, _, _ in points])
            curve.setVisible(True)
        for feature, curve in self.feature_curves.items():
            if feature not in series:
                curve.setData([], [])
                curve.setVisible(False)
        legend = " &nbsp; ".join(
            f"<span style='color:{palette[i % len(palette)]}'>&#9632;</span> {html.escape(f)}"
            for i, f in enumerate(series)) + (f" &nbsp; <span style='color:{DRIFT_MARK}'>&#10005;</span> drift detected"
                                               f" &nbsp; <span style='color:{DRIFT_MARK}'>- - -</span> threshold"
                                               if series else "")
        shown = self.approvals if vm else []
        current = current_results(vm.results) if vm else []
        checks = {id(m): m.evidence(current) for m in shown}
        tips = {id(m): m.tooltip + (f"\nevidence: {check.summary()}" if (check := checks[id(m)]) is not None else "")
                for m in shown}
        if shown:  # who signed what, and when: the line labels name only the decision and target
            legend += ("<br>" if legend else "") + " &nbsp; ".join(
                f"<span style='color:{self._mark_colour(m).name()}'>&#8942;</span> {html.escape(m.label)}, "
                f"{m.at:%Y-%m-%d %H:%M}" + ("" if m.status == "valid" else f" (not counted: {html.escape(m.status)})")
                + (f" <b style='color:{c.phi}'>evidence not as signed</b>"
                   if (check := checks[id(m)]) is not None and not check.as_signed else "")
                for m in shown)
        self.legend.setText(f"<span style='font-size:small'>{legend}</span>" if legend else "")
        marks = [(_epoch(t), s) for pts in series.values() for t, s, _, d in pts if d and math.isfinite(s)]
        self.drift_marks.setData([x for x, _ in marks], [y for _, y in marks])
        for line in self.threshold_lines:
            self.drift_plot.removeItem(line)
        thresholds = sorted({th for pts in series.values() for _, _, th, _ in pts if th is not None})
        self.threshold_lines = []
        for th in thresholds:
            line = pg.InfiniteLine(th, angle=0, pen=pg.mkPen(DRIFT_MARK, width=1, style=Qt.PenStyle.DashLine),
                                   label=f"threshold {th:g}",
                                   labelOpts={"position": 0.99, "color": DRIFT_MARK, "anchors": [(1, 1), (1, 1)]})
            self.drift_plot.addItem(line)
            self.threshold_lines.append(line)
        rates = vm.pass_rate_series() if vm else []
        self.quality_curve.setData([_epoch(t) for t, _, _ in rates], [r for _, r, _ in rates])
        fails = [(_epoch(t), r) for t, r, _ in rates if r < 1.0]
        self.quality_fail_marks.setData([x for x, _ in fails], [y for _, y in fails])
        for line in self.approval_lines:
            for plot in (self.drift_plot, self.quality_plot):
                if line in plot.items():
                    plot.removeItem(line)
        self.approval_lines = []
        label_fill = QColor(c.plot_background)
        label_fill.setAlpha(215)  # labels stay readable over the curves they cross
        times = [_epoch(t) for pts in series.values() for t, *_ in pts] + [_epoch(t) for t, _, _ in rates]
        times += [_epoch(m.at) for m in shown]
        near = (max(times) - min(times)) * 0.08 if times else 0.0
        for group in _clusters(shown, near):
            for i, mark in enumerate(group):
                mark_colour = self._mark_colour(mark)
                pen = pg.mkPen(mark_colour, width=2, style=Qt.PenStyle.DotLine)
                if i == 0:  # one label per cluster of close approvals (they would overlap), on the drift chart
                    labels = {m.short_label for m in group}
                    text = (mark.short_label + (f" \u00d7{len(group)}" if len(group) > 1 else "") if len(labels) == 1
                            else f"{len(group)} decisions")
                    line = pg.InfiniteLine(_epoch(mark.at), angle=90, pen=pen, label=text,
                                           labelOpts={"position": 0.96, "color": mark_colour,
                                                      "fill": pg.mkBrush(label_fill), "anchors": [(0, 0), (0, 0)]})
                    line.label.setToolTip("\n\n".join(tips[id(m)] for m in group))
                else:
                    line = pg.InfiniteLine(_epoch(mark.at), angle=90, pen=pen)
                self._add_approval_line(line, tips[id(mark)])
        for mark in shown:
            line = pg.InfiniteLine(_epoch(mark.at), angle=90,
                                   pen=pg.mkPen(self._mark_colour(mark), width=2, style=Qt.PenStyle.DotLine))
            self.quality_plot.addItem(line)
            line.setToolTip(tips[id(mark)])
            self.approval_lines.append(line)
        if times:  # one time range for both charts (they are linked), covering every point and approval
            lo, hi = min(times), max(times)
            pad = max((hi - lo) * 0.04, 12 * 3600.0)
            self.drift_plot.setXRange(lo - pad, hi + pad, padding=0)
        self.drift_plot.enableAutoRange(axis="y")
        self.quality_plot.setYRange(-0.05, 1.1, padding=0)  # room for the 0 and 1.0 labels


def _clusters(marks: Sequence[ApprovalMark], near: float) -> list[list[ApprovalMark]]:
    """``marks`` (by time) in runs whose neighbours are at most ``near`` seconds apart."""
    out: list[list[ApprovalMark]] = []
    for mark in marks:
        if out and _epoch(mark.at) - _epoch(out[-1][-1].at) <= near:
            out[-1].append(mark)
        else:
            out.append([mark])
    return out


def monitoring_job(catalog: Catalog, as_of: date, max_age_days: int, *, progress: ProgressFn,
                   is_cancelled: CancelledFn) -> MonitoringOverview:
    """Worker function: every version's monitoring (links results, builds the lineage view)."""
    progress(0, 1, "Linking monitoring results")
    check_cancelled(is_cancelled)
    overview = monitoring_overview(catalog, as_of=as_of, max_age_days=max_age_days)
    progress(1, 1, "Monitoring results linked")
    return overview


def deployed_statuses(overview: MonitoringOverview) -> dict[str, list[tuple[str, str, str]]]:
    """model -> its deployed versions as ``(version, status, label)`` (the Models page column)."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for vm in overview.versions:
        if vm.deployed:
            out.setdefault(vm.model_name, []).append((vm.version, vm.status, vm.label))
    return out
