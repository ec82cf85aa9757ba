"""Report sections on monitoring evidence, in every edition: post-market monitoring (EU AI Act
Art. 72, SR 11-7 ongoing monitoring), accuracy (GDPR Art. 5(1)(d)) and the integrity of the
monitoring evidence, with drift and data-quality charts per deployed version.

Everything comes from :mod:`mlops_desktop.core.monitoring`. The sections appear when the stores
in scope hold monitoring evidence; where they hold none, the gap is in the findings register
(F24 for each deployed version). Within the sections, what is not recorded is named as a gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from mlops_desktop.core.entities import iso
from mlops_desktop.core.monitoring import (
    DATA_QUALITY,
    MonitoringOverview,
    VersionMonitoring,
    check_evidence,
    current_results,
    is_monitoring_run,
    monitoring_overview,
    signed_monitoring,
)
from mlops_desktop.crypto.dsse import EnvelopeError, parse_envelope, parse_statement
from mlops_desktop.reports.charts import fit_text
from mlops_desktop.reports.document import FRAME_W, Figure, ReportBuilder, esc
from mlops_desktop.reports.fonts import SANS, SANS_BOLD

FEATURE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999", "#F0E442")
DRIFT_RED = colors.HexColor("#c0392b")
APPROVAL_GREEN = colors.HexColor("#1e7b34")


def overview_of(b: ReportBuilder) -> MonitoringOverview:
    s = b.settings
    return monitoring_overview(b.d.catalog, as_of=s.current_date(), max_age_days=s.monitoring_max_age_days,
                               models=[m.name for m in b.d.models], production_stages=s.production_stages,
                               production_aliases=s.production_aliases, lineage=b.d.lineage)


def _day(when: datetime) -> float:
    return when.timestamp() / 86400.0


def _date_label(value: float) -> str:
    return datetime.fromtimestamp(value * 86400.0, tz=UTC).strftime("%Y-%m-%d")


def _date_hour_label(value: float) -> str:
    return datetime.fromtimestamp(value * 86400.0, tz=UTC).strftime("%m-%d %H:%M")


def time_chart(
    title: str,
    series: Sequence[tuple[str, list[tuple[datetime, float]]]],
    *,
    thresholds: Sequence[float] = (),
    approvals: Sequence[tuple[datetime, str]] = (),
    y_range: tuple[float, float] | None = None,
    width: float = FRAME_W,
    height: float = 170,
) -> Drawing:
    """Values over time, one line per series, thresholds dashed, approvals as vertical lines."""
    d = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y = 40, 42
    plot.width, plot.height = width - 60, height - 70
    data = [[(_day(t), v) for t, v in pts] for _, pts in series if pts]
    xs = [x for line in data for x, _ in line] + [_day(t) for t, _ in approvals]
    lo, hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if hi - lo < 1:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.04
    lo, hi = lo - pad, hi + pad
    ys = [y for line in data for _, y in line] + list(thresholds)
    ylo, yhi = y_range or ((min(ys + [0.0]), max(ys + [1.0])) if ys else (0.0, 1.0))
    for th in thresholds:
        data.append([(lo, th), (hi, th)])
    plot.data = data or [[(lo, ylo)]]
    n_real = len([pts for _, pts in series if pts])
    for i in range(len(plot.data)):
        if i < n_real:
            colour = colors.HexColor(FEATURE_COLOURS[i % len(FEATURE_COLOURS)])
            plot.lines[i].strokeColor = colour
            plot.lines[i].strokeWidth = 1.2
            plot.lines[i].symbol = makeMarker("FilledCircle", size=3.5, fillColor=colour, strokeColor=colour)
            # a series of one result is its dot alone
        else:
            plot.lines[i].strokeColor = DRIFT_RED
            plot.lines[i].strokeWidth = 0.8
            plot.lines[i].strokeDashArray = [3, 2]
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = lo, hi
    plot.xValueAxis.labelTextFormat = _date_label if hi - lo > 4 else _date_hour_label  # no repeated labels
    plot.xValueAxis.valueSteps = [lo + (hi - lo) * k / 4 for k in range(5)]
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = ylo, yhi if yhi > ylo else ylo + 1
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName = SANS
        axis.labels.fontSize = 6.5
    d.add(plot)
    for i, (when, label) in enumerate(sorted(approvals)):
        x = plot.x + (_day(when) - lo) / (hi - lo) * plot.width
        d.add(Line(x, plot.y, x, plot.y + plot.height, strokeColor=APPROVAL_GREEN, strokeWidth=1,
                   strokeDashArray=[1, 2]))
        # labels staggered down the line (close approvals do not overlap), left of it in the right half
        text = fit_text(label, SANS, 6.5, min(170.0, plot.width / 2))
        y = plot.y + plot.height - 8 - 9 * (i % 4)
        right_half = x > plot.x + plot.width / 2
        text_w = stringWidth(text, SANS, 6.5)
        left = x - 2 - text_w if right_half else x + 2
        d.add(Rect(left - 1, y - 2, text_w + 2, 8.5, fillColor=colors.white, fillOpacity=0.85, strokeColor=None))
        d.add(String(x - 2 if right_half else x + 2, y, text, fontName=SANS, fontSize=6.5, fillColor=APPROVAL_GREEN,
                     textAnchor="end" if right_half else "start"))
    d.add(String(0, height - 10, fit_text(title, SANS_BOLD, 9, width), fontName=SANS_BOLD, fontSize=9))
    legend_x = 0.0
    for i, (name, _pts) in enumerate(s for s in series if s[1]):
        colour = colors.HexColor(FEATURE_COLOURS[i % len(FEATURE_COLOURS)])
        text = fit_text(name, SANS, 6.5, 110)
        d.add(Line(legend_x, 8, legend_x + 10, 8, strokeColor=colour, strokeWidth=2))
        d.add(String(legend_x + 13, 5.5, text, fontName=SANS, fontSize=6.5))
        legend_x += 22 + stringWidth(text, SANS, 6.5)
    if thresholds:
        d.add(String(legend_x, 5.5, "- - threshold", fontName=SANS, fontSize=6.5, fillColor=DRIFT_RED))
    return d


def approval_marks(b: ReportBuilder, vm: VersionMonitoring) -> list[tuple[datetime, str]]:
    """The version's decisions to mark on its charts: time signed, and decision, target and signer."""
    out = []
    for a in b.d.facts.approvals_for(vm.model_name, vm.version):
        if a.signed_at is None:
            continue
        label = f"{a.decision.lower()} {a.target} by {a.signer_identity or a.key_id[:16]}"
        out.append((a.signed_at, label if a.valid else f"{label} (not counted: {a.status})"))
    return sorted(out)


def version_charts(b: ReportBuilder, vm: VersionMonitoring) -> None:
    """The drift and pass-rate charts of one version (only the kinds it has results of)."""
    approvals = approval_marks(b, vm)
    drift = vm.drift_series()
    if drift:
        thresholds = sorted({th for pts in drift.values() for _, _, th, _ in pts if th is not None})
        b.add(Figure(time_chart(f"models:/{vm.model_name}/{vm.version}: drift score per feature",
                                [(f, [(t, s) for t, s, _, _ in pts]) for f, pts in drift.items()],
                                thresholds=thresholds, approvals=approvals)))
    rates = vm.pass_rate_series()
    if rates:
        b.add(Figure(time_chart(f"models:/{vm.model_name}/{vm.version}: data-quality pass rate",
                                [("pass rate", [(t, r) for t, r, _ in rates])], thresholds=[1.0],
                                approvals=approvals, y_range=(0.0, 1.05), height=140)))


def monitoring_sections(b: ReportBuilder, n: int) -> int:
    """Append the three sections from number ``n``; returns the next free number."""
    catalog = b.d.catalog
    if not catalog.monitoring and not any(is_monitoring_run(r) for r in catalog.runs.values()):
        # no monitoring evidence in the stores: the gap is in the findings register, one F24 per
        # deployed version (no monitoring result within the window)
        return n
    overview = overview_of(b)
    deployed = [vm for vm in overview.versions if vm.deployed]
    results = overview.index.results
    window = f"{overview.max_age_days} days before {overview.as_of.isoformat()}"

    b.h1(f"{n}. Post-market monitoring (EU AI Act Art. 72; SR 11-7 ongoing monitoring)")
    b.para(f"Monitoring results read from the stores: {len(results)} ({len(overview.unlinked)} name nothing the "
           f"stores hold and are listed as unlinked). A deployed version counts as monitored when a drift or "
           f"data-quality result for it or its training data falls within the window ({esc(window)}).")
    rows = [[f"models:/{vm.model_name}/{vm.version}", vm.label, iso(vm.last_checked) or "never",
             str(len(vm.results)), "; ".join(vm.reasons)] for vm in deployed]
    b.table(["Deployed version", "Status", "Last result", "Results", "Reason"], rows, [2.2, 1.4, 1.5, 0.7, 4.2],
            empty="No deployed version in scope.")
    for vm in deployed:
        if vm.drift_series() or vm.pass_rate_series():
            b.h2(f"models:/{vm.model_name}/{vm.version} — {vm.label}")
            version_charts(b, vm)
    if overview.unlinked:
        b.table(["Unlinked result", "Tool", "Time", "Why"],
                [[r.id, r.tool, iso(r.at) or "not recorded", r.link] for r in overview.unlinked],
                [3.0, 1.4, 1.5, 4.1])
    b.findings_note("F24", "F25")
    n += 1

    b.h1(f"{n}. Accuracy of the data (GDPR Art. 5(1)(d))")
    b.para("Data-quality checks (Great Expectations, OpenLineage assertions, Model Monitor constraints, MLflow "
           "monitoring runs) on the datasets that train the deployed versions: the latest result per dataset.")
    rows = []
    for vm in deployed:
        quality = [r for r in current_results(vm.results) if r.kind == DATA_QUALITY]
        for r in quality:
            rate = r.pass_rate
            rows.append([f"models:/{vm.model_name}/{vm.version}",
                         (r.linked_dataset or "").removeprefix("dataset:") or "(the version)", r.tool,
                         iso(r.at) or "not recorded", "—" if rate is None else f"{rate:.0%}", r.summary()])
    b.table(["Deployed version", "Dataset", "Tool", "Time", "Pass rate", "Result"], rows,
            [2.0, 2.2, 1.3, 1.4, 0.8, 2.3],
            empty="No data-quality result is recorded for the training data of the deployed versions: "
                  "accuracy checks are not recorded (gap).")
    b.findings_note("F26")
    n += 1

    b.h1(f"{n}. Integrity of the monitoring evidence")
    b.para("The SHA-256 digest of each monitoring result current for a deployed version (of the file as read; of "
           "the canonical record for MLflow runs and OpenLineage facets). Approvals signed here carry the digests "
           "current when they were signed in their evidence, so a later result is visibly not what the approver saw.")
    rows = [[f"models:/{vm.model_name}/{vm.version}", r.id, r.tool, iso(r.at) or "not recorded", r.digest]
            for vm in deployed for r in current_results(vm.results)]
    b.table(["Deployed version", "Result", "Tool", "Time", "Digest"], rows, [1.8, 2.6, 1.2, 1.3, 3.1],
            empty="No monitoring result to list.")
    b.para("Each decision on a deployed version against the monitoring evidence it was signed on (the digests in "
           "its signed evidence compared with those of the results current now): a result changed or newer since "
           "signing is named; the decision's evidence is then not the current one.")
    rows = []
    for vm in deployed:
        current = current_results(vm.results)
        for a in b.d.facts.approvals_for(vm.model_name, vm.version):
            check = check_evidence(signed_evidence(b, a.envelope_id), current)
            who = a.signer_identity or a.key_id[:16]
            rows.append([f"models:/{vm.model_name}/{vm.version}",
                         f"{a.decision.lower()} {a.target} by {who}" + ("" if a.valid else f" (not counted: {a.status})"),
                         iso(a.signed_at) or "not recorded",
                         ("as signed" if check.signed else "none signed") if check.as_signed else "not as signed",
                         check.summary()])
    b.table(["Deployed version", "Decision", "Signed", "Evidence", "Compared with now"], rows,
            [1.8, 2.2, 1.4, 1.0, 3.6], empty="No decision on a deployed version is recorded.")
    return n + 1


def signed_evidence(b: ReportBuilder, envelope_id: str) -> list[dict[str, Any]] | None:
    """``evidence.monitoring`` of a decision's signed statement (as the governance store verified
    it); None when the envelope is not at hand or records no monitoring evidence."""
    raw = b.d.governance.envelopes.get(envelope_id) if b.d.governance is not None else None
    if raw is None:
        return None
    try:
        return signed_monitoring(parse_statement(parse_envelope(raw).payload).predicate)
    except EnvelopeError:
        return None
