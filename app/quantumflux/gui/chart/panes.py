"""A pane: one pyqtgraph PlotItem with layers, a crosshair, optional guides and its own Y fit."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from quantumflux.gui.chart.axis import TimeAxisItem, TimeMapper
from quantumflux.gui.chart.geometry import Window
from quantumflux.gui.chart.items import SegmentsItem
from quantumflux.gui.chart.layers import Layer
from quantumflux.gui.theme import Palette

#: Width of the right-hand value axis, equal in every pane so the panes line up.
AXIS_WIDTH = 76


class ChartViewBox(pg.ViewBox):
    """A ViewBox whose wheel zoom keeps the right edge fixed while ``right_anchored()`` says so
    (following live), instead of zooming around the mouse pointer."""

    def __init__(self) -> None:
        super().__init__()
        self.right_anchored: Callable[[], bool] = lambda: False

    def wheelEvent(self, event: object, axis: int | None = None) -> None:  # noqa: N802 (Qt API)
        if not self.right_anchored():
            super().wheelEvent(event, axis)
            return
        (x_min, x_max), _ = self.viewRange()
        scale = 1.02 ** (event.delta() * self.state["wheelScaleFactor"])
        self.setXRange(x_max - max(8.0, (x_max - x_min) * scale), x_max, padding=0)
        event.accept()
        self.sigRangeChangedManually.emit([True, False])


class Pane:
    """One horizontal strip of the chart. ``fixed_range`` pins the Y axis (e.g. RSI 0..100)."""

    def __init__(self, name: str, mapper: TimeMapper, palette: Palette, tz: object = None,
                 fixed_range: tuple[float, float] | None = None, guides: tuple[float, ...] = ()) -> None:
        self.name = name
        self.fixed_range = fixed_range
        self.layers: list[Layer] = []
        self.time_axis = TimeAxisItem(mapper, tz=tz)
        self.plot = pg.PlotItem(viewBox=ChartViewBox(), axisItems={"bottom": self.time_axis})
        self.view: ChartViewBox = self.plot.getViewBox()
        self.view.disableAutoRange()
        self.view.setMouseEnabled(x=True, y=False)
        self.view.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.showAxis("right")
        self.plot.hideAxis("left")
        self.plot.getAxis("right").setWidth(AXIS_WIDTH)
        for side in ("left", "right", "top", "bottom"):  # prices carry no unit: no SI label to re-render on each scroll
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        # Our own grid: one segments item of major lines (pyqtgraph's axis grid costs ~10 ms a frame).
        self.grid = SegmentsItem(palette.grid)
        self.grid.setZValue(-10)
        self.plot.addItem(self.grid, ignoreBounds=True)
        self.title = pg.TextItem(name, anchor=(0, 0))
        self.title.setParentItem(self.view)
        self.title.setPos(4, 2)
        self.vline = pg.InfiniteLine(angle=90, movable=False)
        self.hline = pg.InfiniteLine(angle=0, movable=False)
        self.guides = [pg.InfiniteLine(pos=value, angle=0, movable=False) for value in guides]
        for line in (self.vline, self.hline, *self.guides):
            line.setZValue(50 if line in (self.vline, self.hline) else -5)
            self.plot.addItem(line, ignoreBounds=True)
        self.vline.hide()
        self.hline.hide()
        self.apply_palette(palette)

    def add_layer(self, layer: Layer, z: float = 0) -> None:
        self.layers.append(layer)
        for item in layer.items:
            item.setZValue(z)
            self.plot.addItem(item, ignoreBounds=True)

    def remove_layer(self, layer: Layer) -> None:
        self.layers.remove(layer)
        for item in layer.items:
            self.plot.removeItem(item)

    def show_time_labels(self, visible: bool) -> None:
        """Only the bottom pane shows the time axis (the grid is drawn by ``update_grid``)."""
        if visible:
            self.plot.showAxis("bottom")
        else:
            self.plot.hideAxis("bottom")

    def refresh(self, window: Window) -> None:
        for layer in self.layers:
            layer.refresh(window)

    def fit_y(self, x_min: float, x_max: float, factor: int,
              extra: tuple[float, float] | None = None) -> tuple[float, float] | None:
        """Scale Y to the visible values (plus ``extra``) with an 8 % margin; a range that still holds
        them and is at most 1.3 times their span is kept, so panning rarely rescales. Returns the range."""
        if self.fixed_range is not None:
            low, high = self.fixed_range
            pad = (high - low) * 0.05
            low, high = low - pad, high + pad
        else:
            found = [r for r in (layer.y_range(x_min, x_max, factor) for layer in self.layers) if r]
            if extra is not None:
                found.append(extra)
            if not found:
                return None
            low, high = min(r[0] for r in found), max(r[1] for r in found)
            _, (current_low, current_high) = self.view.viewRange()
            if current_low < low and current_high > high and current_high - current_low <= (high - low) * 1.3:
                return current_low, current_high  # still a snug fit: keep it (no axis re-layout this frame)
            pad = (high - low) * 0.08 or abs(high) * 0.001 or 1.0
            low, high = low - pad, high + pad
        self.view.setYRange(low, high, padding=0)
        return low, high

    def update_grid(self, x_ticks: list[float]) -> None:
        """Redraw the grid: vertical lines at ``x_ticks``, horizontal at the value axis' major ticks."""
        (x_min, x_max), (y_min, y_max) = self.view.viewRange()
        height = max(1.0, self.view.height())
        levels = self.plot.getAxis("right").tickValues(y_min, y_max, height)
        y_ticks = [v for v in (levels[0][1] if levels else []) if y_min <= v <= y_max]
        if levels and len(levels) > 1 and len(y_ticks) < 3:
            y_ticks = [v for v in levels[1][1] if y_min <= v <= y_max]
        rows = [(x, y_min, x, y_max) for x in x_ticks] + [(x_min, y, x_max, y) for y in y_ticks]
        self.grid.set_segments(np.array(rows, dtype=np.float64).reshape(-1, 4))

    def contains_scene_point(self, point: QtCore.QPointF) -> bool:
        return self.view.sceneBoundingRect().contains(point)

    def apply_palette(self, palette: Palette) -> None:
        axis_pen = pg.mkPen(palette.grid)
        self.grid.set_color(palette.grid)
        for name in ("bottom", "right"):
            axis = self.plot.getAxis(name)
            axis.setPen(axis_pen)
            axis.setTextPen(pg.mkPen(palette.axis))
        self.title.setColor(palette.axis)
        dash = pg.mkPen(palette.crosshair, width=1, style=QtCore.Qt.PenStyle.DashLine)
        self.vline.setPen(dash)
        self.hline.setPen(dash)
        for guide in self.guides:
            guide.setPen(pg.mkPen(palette.guide, width=1, style=QtCore.Qt.PenStyle.DotLine))
        for layer in self.layers:
            layer.apply_palette(palette)
