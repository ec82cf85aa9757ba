"""The History tab of a model and of a version: a timeline of who held each stage and alias,
the decisions on it, and the change events the registry journal recorded with their windows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.entities import Catalog
from mlops_desktop.governance.journal import ChangeEvent, Observation
from mlops_desktop.services.governance_status import GovernanceStatus
from mlops_desktop.services.timeline import (
    ALIAS,
    STAGE,
    DecisionMark,
    ModelHistory,
    Segment,
    decision_marks,
    model_history_job,
)
from mlops_desktop.ui.catalog.column_fit import fit_columns
from mlops_desktop.ui.common import theme
from mlops_desktop.ui.common.widgets import make_table
from mlops_desktop.ui.common.workers import ErrorSink, TaskSlot
from mlops_desktop.ui.models.base import Column, EntityTableModel

#: Colours of the bands (stage names first, then cycled for aliases and other stages). A solid bar
#: (SOLID_ALPHA) has a contrast of 3:1 or more on the light and the dark plot, so an alias keeps its
#: colour in both themes.
_STAGE_COLORS = {"production": "#1a8a45", "staging": "#c2620a", "archived": "#737373"}
_ALIAS_COLORS = ("#2a7fa0", "#8b5cf6", "#e0338a", "#4f7be8", "#8f8200")
SOLID_ALPHA = 230
#: where the change lies somewhere in a window: pale on purpose (the solid part shows the stay)
PALE_ALPHA = 70
#: the plate behind a version's label on its band
LABEL_PLATE_ALPHA = 215
_APPROVED = "#16a34a"
_REJECTED = "#dc2626"
_BAR_HEIGHT = 0.7
_STAGES = ("production", "staging", "archived")


def _when(text: str, utc: bool = True) -> str:
    return text.replace("T", " ").split(".")[0].removesuffix("Z") + (" UTC" if utc else "")


def change_words(e: ChangeEvent) -> str:
    """What changed, without the window (the table shows the window in its own column)."""
    v = f"v{e.version}" if e.version else ""
    if e.kind == STAGE:
        return f"{v} stage {e.before or 'None'} → {e.after or 'None'}"
    if e.kind == ALIAS:
        if e.before is None:
            return f"@{e.alias} set to v{e.after}"
        if e.after is None:
            return f"@{e.alias} removed from v{e.before}"
        return f"@{e.alias} moved v{e.before} → v{e.after}"
    if e.kind == "registered":
        return f"{v} registered"
    if e.kind == "removed":
        return f"{v} no longer in the registry"
    return f"{v} {e.kind} changed: {e.before} → {e.after}"


def window_span(e: ChangeEvent) -> str:
    """``after → at or before`` (the date once when both are on one day); one time when exact."""
    lo, hi = _when(e.after_time, False), _when(e.before_time, False)
    if e.exact or lo == hi:
        return hi
    if lo[:10] == hi[:10]:
        return f"{lo} → {hi[11:]}"
    return f"{lo} → {hi}"


class ChangeEventsModel(EntityTableModel[ChangeEvent]):
    """The change events of a model or version, oldest first."""

    columns = (
        Column("When (UTC)", lambda e: window_span(e), lambda e: (e.before_time, e.after_time),
               tooltip=lambda e: e.window_text),
        Column("Change", change_words, tooltip=lambda e: e.text),
        # as the history command's table words it; the whole window in the tooltip
        Column("Window", lambda e: (f"exact: {e.narrowed_by}" if e.exact else e.narrowed_by) or "observations only",
               tooltip=lambda e: e.window_text),
    )


def _ts(value: datetime) -> float:
    return value.timestamp()


class TimelineChart(pg.PlotWidget):
    """One band per stage and alias over time (date axis); each version's stay is a bar, solid
    where the journal is sure and pale where the change lies somewhere in a window; decisions
    are marked on the band of their target (▲ approved, ✕ rejected); observations on the bottom row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, axisItems={"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0)})
        self.setObjectName("historyTimeline")
        self.setAccessibleName("Timeline of stages and aliases")
        self.setMinimumHeight(150)
        self.setMenuEnabled(False)
        self.showGrid(x=True, y=False, alpha=0.15)
        self.getPlotItem().hideButtons()
        self.setMouseEnabled(x=True, y=False)
        self.history: ModelHistory | None = None
        self.decisions: list[DecisionMark] = []
        self.lanes: list[tuple[str, str, str]] = []
        #: the y of every segment's bar (its centre), in the order of ``history.segments``
        self.rows: list[float] = []
        self.decision_item: pg.ScatterPlotItem | None = None
        #: (x from, x to, y from, y to, segment) of every bar drawn, for the hover text
        self.hit_boxes: list[tuple[float, float, float, float, Segment]] = []
        self.setLabel("bottom", "UTC")
        self.scene().sigMouseMoved.connect(self._on_scene_mouse_moved)
        self._items: list[pg.GraphicsObject] = []

    def set_history(self, history: ModelHistory | None, decisions: Sequence[DecisionMark] = ()) -> None:
        self.history = history
        self.decisions = list(decisions)
        self.redraw()

    def lane_of(self, kind: str, target: str) -> int | None:
        for i, (_reg, k, t) in enumerate(self.lanes):
            if k == kind and t == target:
                return i
        return None

    def redraw(self) -> None:
        c = theme.colors()
        plot = self.getPlotItem()
        for item in self._items:
            plot.removeItem(item)
        self._items = []
        self.setBackground(c.plot_background)
        for name in ("bottom", "left"):
            axis = self.getAxis(name)
            axis.setPen(c.plot_foreground)
            axis.setTextPen(c.plot_foreground)
        h = self.history
        self.lanes = h.lanes() if h is not None else []
        # decisions on a target no version held in the journal still get a band
        for d in self.decisions:
            kind = STAGE if d.target.casefold() in _STAGES else ALIAS
            if self.lane_of(kind, d.target) is None and self.lane_of(STAGE if kind == ALIAS else ALIAS,
                                                                      d.target) is None:
                self.lanes.append(("", kind, d.target))
        self.rows = []
        self.hit_boxes = []
        self.decision_item = None
        if h is None:
            self.getAxis("left").setTicks([[]])
            return
        now = h.last_observed or datetime.now(UTC)
        first = h.first_observed
        # rows: lanes top to bottom, then the observations row
        ticks = []
        n = len(self.lanes)
        for i, (reg, kind, target) in enumerate(self.lanes):
            label = target if kind == STAGE else f"@{target}"
            if reg and len({r for r, _k, _t in self.lanes if r}) > 1:
                label += f" ({reg.split(':', 1)[-1][:12]})"
            ticks.append((n - i, label))
        ticks.append((0, "observed"))
        left = self.getAxis("left")
        left.setTicks([ticks])
        # wide enough for the longest band name at once (not only after the next repaint)
        left.setWidth(max(self.fontMetrics().horizontalAdvance(text) for _y, text in ticks) + 18)
        # sub-rows where two versions hold one stage at the same time
        busy: dict[int, list[tuple[float, float, int]]] = {}
        solid: dict[str, list[tuple[float, float, float, float]]] = {}
        pale: dict[str, list[tuple[float, float, float, float]]] = {}
        texts: list[tuple[float, float, str, str]] = []
        for seg in h.segments:
            lane = self.lane_of(seg.kind, seg.target)
            assert lane is not None
            lo, hi = _ts(seg.start_by), _ts(seg.end_after)  # two versions overlap only where both are sure
            taken = {sub for a, b, sub in busy.get(lane, []) if a < hi and lo < b}
            sub = next(k for k in range(len(taken) + 1) if k not in taken)
            busy.setdefault(lane, []).append((lo, hi, sub))
            subs = max(1, len(taken) + 1)
            height = _BAR_HEIGHT / subs if subs > 1 else _BAR_HEIGHT
            y0 = (n - lane) - _BAR_HEIGHT / 2 + sub * height
            self.rows.append(y0 + height / 2)
            self.hit_boxes.append((_ts(seg.start_after or seg.start_by), _ts(seg.end_by or now), y0, y0 + height, seg))
            color = self._color(seg)
            sure_from, sure_to = _ts(seg.start_by), _ts(seg.end_after)
            if sure_to > sure_from:
                solid.setdefault(color, []).append((sure_from, sure_to, y0, height))
            if seg.start_after is not None and _ts(seg.start_after) < sure_from:
                pale.setdefault(color, []).append((_ts(seg.start_after), sure_from, y0, height))
            tail = _ts(seg.end_by) if seg.end_by is not None else _ts(now)
            if tail > sure_to:
                pale.setdefault(color, []).append((sure_to, tail, y0, height))
            # held when the journal began: the label ends where the journal starts (inside the pale part)
            before_journal = seg.start_after is None or seg.start_by == first
            texts.append((sure_from, y0 + height / 2, f"v{seg.version}", "right" if before_journal else "left"))
        for groups, alpha in ((pale, PALE_ALPHA), (solid, SOLID_ALPHA)):
            for color, bars in groups.items():
                brush = pg.mkBrush(pg.mkColor(color).red(), pg.mkColor(color).green(), pg.mkColor(color).blue(),
                                   alpha)
                item = pg.BarGraphItem(x0=[b[0] for b in bars], x1=[b[1] for b in bars],
                                       y0=[b[2] for b in bars], height=[b[3] for b in bars],
                                       brush=brush, pen=pg.mkPen(c.plot_background, width=1))
                self._add(item)
        # a version's name on a plate of the plot's colour: the band below a label has a contrast of
        # about 3:1 with the plot, under the 4.5:1 text needs, whichever theme
        plate = QColor(c.plot_background)
        plate.setAlpha(LABEL_PLATE_ALPHA)
        for x, y, text, side in texts:
            label = pg.TextItem(text, color=c.text, anchor=(1, 0.5) if side == "right" else (0, 0.5),
                                fill=pg.mkBrush(plate))
            label.setPos(x, y)
            self._add(label)
        # observations on the bottom row
        times = sorted({_ts(o.time) for obs in h.observations.values() for o in obs})
        if times:
            obs_item = pg.ScatterPlotItem(times, [0] * len(times), symbol="d", size=9,
                                          brush=pg.mkBrush(c.plot_foreground), pen=None)
            self._add(obs_item)
        # decisions on their target's band
        spots = []
        for d in self.decisions:
            lane = self.lane_of(STAGE, d.target)
            lane = lane if lane is not None else self.lane_of(ALIAS, d.target)
            if lane is None:
                continue
            approved = d.decision.upper().startswith("APPROV")
            spots.append({"pos": (_ts(d.time), n - lane + _BAR_HEIGHT / 2 + 0.08),
                          "symbol": "t1" if approved else "x", "size": 13,
                          "brush": pg.mkBrush(_APPROVED if approved else _REJECTED),
                          "pen": pg.mkPen(c.plot_background, width=1), "data": d.describe()})
        if spots:
            self.decision_item = pg.ScatterPlotItem(spots=spots, hoverable=True,
                                                    tip=lambda x, y, data: str(data))
            self._add(self.decision_item)
        # the journal's span (and the decisions): what came before it is drawn pale off to the left
        xs = list(times) + [_ts(d.time) for d in self.decisions]
        if not xs:
            xs = [_ts(s.start_after or s.start_by) for s in h.segments]
        if xs:
            lo, hi = min(xs), max(max(xs), _ts(now))
            pad = max((hi - lo) * 0.06, 30.0)
            self.setXRange(lo - pad, hi + pad, padding=0)
        self.setYRange(-0.6, n + 0.6, padding=0)

    def bar_colours(self) -> list[QColor]:
        """The brush colour (with its alpha) of every group of bars drawn."""
        return [QColor(item.opts["brush"].color()) for item in self._items if isinstance(item, pg.BarGraphItem)]

    def labels(self) -> list[pg.TextItem]:
        """The version labels drawn on the bands."""
        return [item for item in self._items if isinstance(item, pg.TextItem)]

    def decision_colours(self) -> list[QColor]:
        """The brush colour of every decision mark drawn."""
        if self.decision_item is None:
            return []
        return [QColor(b.color()) for b in self.decision_item.data["brush"]]

    def segment_at(self, x: float, y: float) -> Segment | None:
        """The bar under the point (x: POSIX time, y: band position), if any."""
        for x0, x1, y0, y1, seg in self.hit_boxes:
            if x0 <= x <= x1 and y0 <= y <= y1:
                return seg
        return None

    def _on_scene_mouse_moved(self, pos: QPointF) -> None:
        view_box = self.getPlotItem().getViewBox()
        if not view_box.sceneBoundingRect().contains(pos):
            self.setToolTip("")
            return
        point = view_box.mapSceneToView(pos)
        seg = self.segment_at(point.x(), point.y())
        self.setToolTip(seg.describe() if seg is not None else "")

    def _add(self, item: pg.GraphicsObject) -> None:
        self.addItem(item)
        self._items.append(item)

    def _color(self, seg: Segment) -> str:
        if seg.kind == STAGE and seg.target.casefold() in _STAGE_COLORS:
            return _STAGE_COLORS[seg.target.casefold()]
        # the same colour for an alias on every page (not its position among the bands)
        return _ALIAS_COLORS[sum(seg.target.encode("utf-8")) % len(_ALIAS_COLORS)]

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if "_items" in self.__dict__ and event.type() in (QEvent.Type.PaletteChange,
                                                          QEvent.Type.ApplicationPaletteChange):
            self.redraw()


class HistoryTabWidget(QWidget):
    """The journal's history of a model (``version`` None) or of one version: a summary,
    the timeline and the change events. It loads when shown (in a worker)."""

    def __init__(self, notifier: ErrorSink | None = None, scope: str = "model",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("HistoryTab")
        self.setAccessibleName(f"History of the {scope}")
        self.scope = scope
        self.slot = TaskSlot(f"{scope}-history", notifier, self)
        #: the governance store URL (the Models page sets this source)
        self.url_source: Callable[[], str | None] = lambda: None
        self.catalog: Catalog | None = None
        self.model: str | None = None
        self.version: str | None = None
        self.status: GovernanceStatus | None = None  # of the Models page
        self.history: ModelHistory | None = None  # of the whole model
        self._loaded_key: tuple[int, str, str | None] | None = None

        self.summary = QLabel()
        self.summary.setObjectName("historySummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.installEventFilter(self)  # its wrapped lines keep their height (never cut)
        self.chart = TimelineChart()
        self.events_model = ChangeEventsModel(parent=self)
        self.events_view = make_table(self.events_model)
        self.events_view.setObjectName("historyEvents")
        self.events_view.setAccessibleName("Change events")
        self.events_view.setSortingEnabled(True)
        self.events_view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.events_fitter = fit_columns(self.events_view, ("Change", "Window"), {"Window": 240})
        self.empty = QLabel()
        self.empty.setObjectName("historyEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        #: in place of the empty change list: why the journal records no change
        self.events_empty = QLabel()
        self.events_empty.setObjectName("historyEventsEmpty")
        self.events_empty.setWordWrap(True)
        self.events_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.events_empty.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.events_stack = QStackedWidget()
        self.events_stack.addWidget(self.events_view)
        self.events_stack.addWidget(self.events_empty)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.chart)
        split.addWidget(self.events_stack)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        content = QWidget()
        cl = QVBoxLayout(content)
        cl.setContentsMargins(0, 0, 0, 0)
        self.refresh_button = QPushButton("Reload")
        self.refresh_button.setObjectName("historyReload")
        self.refresh_button.setAccessibleName("Read the registry journal again")
        self.refresh_button.setToolTip("Read the registry journal again (observations recorded since)")
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignTop)
        cl.addWidget(split, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        self._show_message("Select a model to see its history." if scope == "model"
                           else "Select a model version to see its history.")

    # -- filling ---------------------------------------------------------------------

    def set_subject(self, catalog: Catalog | None, model: str | None, version: str | None = None) -> None:
        """The model (and version) to show; the journal is read when the tab is visible."""
        self.catalog, self.model, self.version = catalog, model, version
        if self.isVisible():
            self.refresh()
        elif self._key() != self._loaded_key:
            self.slot.cancel()

    def set_governance_status(self, status: GovernanceStatus | None) -> None:
        """The decisions to mark (the Models page's verified governance status)."""
        self.status = status
        if self.history is not None:
            self._show()

    def _key(self) -> tuple[int, str, str | None] | None:
        if self.catalog is None or self.model is None:
            return None
        return (id(self.catalog), self.model, self.version)

    def refresh(self, force: bool = False) -> None:
        key = self._key()
        if key is None:
            self.slot.cancel()
            self.history = None
            self._loaded_key = None
            self._show_message("Select a model to see its history." if self.scope == "model"
                               else "Select a model version to see its history.")
            return
        if key == self._loaded_key and not force:
            return
        assert self.catalog is not None and self.model is not None
        same_model = self._loaded_key is not None and self._loaded_key[:2] == key[:2] and self.history is not None
        self._loaded_key = key
        if same_model and not force:
            self._show()
            return
        self._show_message(f"Reading the registry journal of {self.model}…")
        self.slot.start(model_history_job, self.url_source(), self.catalog, self.model,
                        label=f"History of {self.model}", on_done=self._on_history_done)

    def _on_history_done(self, history: ModelHistory) -> None:
        if history.model != self.model:
            return
        self.history = history
        self._show()

    def shown_history(self) -> ModelHistory | None:
        h = self.history
        if h is None or self.version is None:
            return h
        return h.for_version(self.version)

    def _show_message(self, text: str) -> None:
        self.summary.setText("")
        self._fit_summary()
        self.refresh_button.setEnabled(self.model is not None)
        self.empty.setText(text)
        self.stack.setCurrentWidget(self.empty)
        self.events_model.set_rows([])
        self.chart.set_history(None)

    def _show(self) -> None:
        h = self.shown_history()
        if h is None:
            return
        if h.empty_reason:
            self._show_message(h.empty_reason)
            return
        m = self.catalog.model(h.model) if self.catalog is not None else None
        versions = [self.version] if self.version is not None else [v.version for v in (m.versions if m else [])]
        marks = decision_marks(self.status, h.model, versions)
        self.refresh_button.setEnabled(True)
        self.events_model.set_rows(h.events)
        self.chart.set_history(h, marks)
        self.stack.setCurrentIndex(1)
        obs = [(label, o) for label, o in h.observations.items() if o]
        self.events_empty.setText(self._no_change_words(h, obs))
        self.events_stack.setCurrentWidget(self.events_view if h.events else self.events_empty)
        parts = [f"{len(o)} observation{'s' if len(o) != 1 else ''} of {label.split(':', 1)[0]} registry "
                 f"{label.split(':', 1)[-1][:19]}…, {_when(o[0].observed_at)} to {_when(o[-1].observed_at)}"
                 for label, o in obs]
        what = f"{h.model} v{self.version}" if self.version else h.model
        n = len(h.events)
        self.summary.setText(
            f"<b>{what}</b>: {n} change{'s' if n != 1 else ''} in the journal; "
            f"{len(marks)} decision{'s' if len(marks) != 1 else ''}. " + "; ".join(parts) + ". "
            + (f"It records no change of {what} and no stage or alias held. " if not h.events and not h.segments
               else "")
            + "<span style='color:gray'>Solid: held for certain; pale: the change lies somewhere in that "
            "window; ▲ approval, ✕ rejection, ♦ observation.</span>")
        self._fit_summary()

    def _no_change_words(self, h: ModelHistory, obs: list[tuple[str, list[Observation]]]) -> str:
        """Why the change list is empty (the journal's observations of the registry)."""
        what = f"{h.model} v{self.version}" if self.version else h.model
        count = sum(len(o) for _label, o in obs)
        if count <= len(obs):  # one observation of each registry: a change needs a second one
            when = ", ".join(_when(o[0].observed_at) for _label, o in obs)
            return (f"No change recorded yet: the journal holds a single observation of the registry ({when}). "
                    f"It shows what {what} holds since then, not when that began. A change is listed here once "
                    "the registry is observed again in another state (mlops-desktop observe, an approval, or "
                    "opening the store after a change).")
        return (f"No change of {what} in the journal's {count} observations "
                f"({_when(min(o[0].observed_at for _l, o in obs))} to {_when(max(o[-1].observed_at for _l, o in obs))}).")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.summary and event.type() == QEvent.Type.Resize:
            self._fit_summary()
        return False

    def _fit_summary(self) -> None:
        """The summary as tall as its text wrapped at its width (a short tab cut its second line)."""
        label = self.summary
        height = max(0, label.heightForWidth(label.width())) if label.text() else 0
        if label.minimumHeight() != height:
            label.setMinimumHeight(height)
            layout = self.layout()
            if layout is not None:
                layout.activate()  # now, so that the next paint already shows every line

    def _on_refresh_button_clicked(self) -> None:
        self.refresh(force=True)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh()

    def shutdown(self) -> None:
        self.slot.shutdown()
