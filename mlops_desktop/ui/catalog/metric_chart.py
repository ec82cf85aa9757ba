"""Metric history chart: one persistent pyqtgraph curve, x by step or by time."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from mlops_desktop.core.entities import MetricValue
from mlops_desktop.ui.common import theme

X_STEP = "Step"
X_TIME = "Time"


class MetricChartWidget(QWidget):
    """Shows the history of one metric; ``set_series`` feeds the same curve again."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MetricChartWidget")
        self.setAccessibleName("Metric history chart")
        self._values: list[MetricValue] = []
        self._key = ""

        self.title = QLabel("Select a metric to see its history.")
        self.title.setObjectName("chartTitle")
        self.x_combo = QComboBox()
        self.x_combo.addItems([X_STEP, X_TIME])
        self.x_combo.setToolTip("Plot the metric against its step or the time it was logged")
        self.x_combo.currentTextChanged.connect(self._on_x_combo_changed)

        # one persistent plot per x axis kind (swapping axis items in place is fragile)
        self.step_plot = pg.PlotWidget()
        self.time_plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0)})
        self.curves = {}
        for mode, plot in ((X_STEP, self.step_plot), (X_TIME, self.time_plot)):
            plot.setMinimumHeight(160)
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMenuEnabled(False)
            curve = plot.plot([], [])
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            self.curves[mode] = curve
        self.stack = QStackedWidget()
        self.stack.addWidget(self.step_plot)
        self.stack.addWidget(self.time_plot)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(QLabel("x axis:"))
        top.addWidget(self.x_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        self.apply_theme()

    @property
    def x_mode(self) -> str:
        return self.x_combo.currentText()

    def apply_theme(self, _is_dark: bool = False) -> None:
        c = theme.colors()
        for plot in (self.step_plot, self.time_plot):
            plot.setBackground(c.plot_background)
            for name in ("bottom", "left"):
                axis = plot.getAxis(name)
                axis.enableAutoSIPrefix(False)
                axis.setPen(c.plot_foreground)
                axis.setTextPen(c.plot_foreground)
        self._redraw()

    def clear(self, message: str = "Select a metric to see its history.") -> None:
        self._values = []
        self._key = ""
        self.title.setText(message)
        self._redraw()

    def set_loading(self, key: str) -> None:
        self.title.setText(f"Loading the history of {key}…")

    def set_series(self, key: str, values: list[MetricValue]) -> None:
        self._key = key
        self._values = list(values)
        n = len(self._values)
        self.title.setText(f"{key}: {n} value{'s' if n != 1 else ''}" if n else f"{key}: no history recorded")
        self._redraw()

    def xy(self) -> tuple[list[float], list[float]]:
        """The plotted points (NaN values are left out)."""
        xs: list[float] = []
        ys: list[float] = []
        for v in self._values:
            if math.isnan(v.value):
                continue
            if self.x_mode == X_TIME:
                if v.timestamp is None:
                    continue
                xs.append(v.timestamp.timestamp())
            else:
                xs.append(float(v.step))
            ys.append(v.value)
        return xs, ys

    @property
    def plot(self) -> pg.PlotWidget:
        """The plot currently shown."""
        return self.time_plot if self.x_mode == X_TIME else self.step_plot

    @property
    def curve(self) -> pg.PlotDataItem:
        return self.curves[self.x_mode]

    def _redraw(self) -> None:
        c = theme.colors()
        xs, ys = self.xy()
        few = len(xs) <= 60
        self.curve.setData(
            xs, ys, pen=pg.mkPen(c.plot_pen, width=2),
            symbol="o" if few else None, symbolSize=6, symbolBrush=c.plot_pen, symbolPen=None,
        )
        self.plot.setLabel("left", self._key or "value")
        self.plot.setLabel("bottom", "time (UTC)" if self.x_mode == X_TIME else "step")
        if xs:
            self.plot.enableAutoRange()

    def _on_x_combo_changed(self, mode: str) -> None:
        self.stack.setCurrentWidget(self.time_plot if mode == X_TIME else self.step_plot)
        self._redraw()
