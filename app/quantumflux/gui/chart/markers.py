"""Markers on the price pane: signal arrows, trades (entry line to expiry), the current price line."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from quantumflux.core.model import Direction, Outcome
from quantumflux.gui.chart.axis import TimeMapper
from quantumflux.gui.theme import Palette


def _arrow(up: bool) -> QtGui.QPainterPath:
    """Triangle drawn away from its anchor (symbol units span -0.5..0.5, y grows downwards):
    pointing up below a low for calls, pointing down above a high for puts."""
    sign = 1.0 if up else -1.0
    path = QtGui.QPainterPath()
    path.moveTo(0.0, 0.1 * sign)
    path.lineTo(-0.2, 0.48 * sign)
    path.lineTo(0.2, 0.48 * sign)
    path.closeSubpath()
    return path


CALL_SYMBOL = _arrow(True)
PUT_SYMBOL = _arrow(False)


@dataclass(frozen=True, slots=True)
class TradeMark:
    open_time: float
    close_time: float
    price: float
    direction: Direction
    outcome: Outcome | None


class MarkerSet:
    """All markers of the price pane; ``relayout`` re-places them after the history changed."""

    def __init__(self, plot: pg.PlotItem, mapper: TimeMapper, palette: Palette) -> None:
        self._mapper = mapper
        self.signals: list[tuple[float, Direction]] = []
        self.trades: list[TradeMark] = []
        self.call_arrows = pg.ScatterPlotItem(symbol=CALL_SYMBOL, size=30, pxMode=True)
        self.put_arrows = pg.ScatterPlotItem(symbol=PUT_SYMBOL, size=30, pxMode=True)
        self.trade_lines = {key: pg.PlotCurveItem(connect="pairs") for key in ("open", "win", "loss", "draw")}
        self.trade_dots = pg.ScatterPlotItem(size=7, pxMode=True)
        for item in (*self.trade_lines.values(), self.trade_dots, self.call_arrows, self.put_arrows):
            item.setZValue(30)
            plot.addItem(item, ignoreBounds=True)
        self.apply_palette(palette)

    def add_signal(self, time: float, direction: Direction) -> None:
        self.signals.append((time, direction))

    def add_trade(self, trade: TradeMark) -> None:
        self.trades.append(trade)

    def relayout(self, low: np.ndarray, high: np.ndarray, last_price: float | None) -> None:
        """Place arrows at their candle's low/high (calls below, puts above) and trades by time."""
        size = len(low)
        for direction, item in ((Direction.CALL, self.call_arrows), (Direction.PUT, self.put_arrows)):
            points = [(np.floor(self._mapper.index_at(t)), d) for t, d in self.signals if d == direction]
            xs = np.array([x for x, _ in points], dtype=np.float64)
            column = low if direction == Direction.CALL else high
            ys = np.array([column[int(x)] if 0 <= x < size else (last_price or np.nan) for x in xs])
            item.setData(xs, ys)
        dots_x, dots_y = [], []
        for key, item in self.trade_lines.items():
            chosen = [t for t in self.trades if _trade_key(t) == key]
            xs = np.array([[self._mapper.index_at(t.open_time), self._mapper.index_at(t.close_time)]
                           for t in chosen]).ravel()
            ys = np.repeat([t.price for t in chosen], 2).astype(np.float64)
            item.setData(xs, ys) if len(xs) else item.setData([], [])
            dots_x.extend(xs[0::2])
            dots_y.extend(ys[0::2])
        self.trade_dots.setData(dots_x, dots_y)

    def apply_palette(self, palette: Palette) -> None:
        self.call_arrows.setBrush(pg.mkBrush(palette.call_marker))
        self.call_arrows.setPen(pg.mkPen(None))
        self.put_arrows.setBrush(pg.mkBrush(palette.put_marker))
        self.put_arrows.setPen(pg.mkPen(None))
        colors = {"open": palette.trade_open, "win": palette.trade_win, "loss": palette.trade_loss,
                  "draw": palette.trade_draw}
        for key, item in self.trade_lines.items():
            item.setPen(pg.mkPen(colors[key], width=2))
        self.trade_dots.setBrush(pg.mkBrush(palette.trade_open))
        self.trade_dots.setPen(pg.mkPen(palette.foreground))


def _trade_key(trade: TradeMark) -> str:
    if trade.outcome in (None, Outcome.UNKNOWN):
        return "open"
    return trade.outcome.value


class PriceLine:
    """Current price: a dashed line across the price pane and a label on the value axis showing the
    price and the time left in the candle. Both live in pixel coordinates, so a tick only moves
    them (``setPos``): no geometry recomputation, no text layout unless the text changed."""

    def __init__(self, view: pg.ViewBox, axis: pg.AxisItem, palette: Palette) -> None:
        self._view, self._axis = view, axis
        self.line = QtWidgets.QGraphicsLineItem(view)
        self.line.setZValue(40)
        self.box = QtWidgets.QGraphicsRectItem(axis)
        self.box.setZValue(40)
        self.label = QtWidgets.QGraphicsSimpleTextItem(self.box)
        self.price: float | None = None
        self.text = ""
        self.changes = 0
        view.sigYRangeChanged.connect(self._place)
        view.sigResized.connect(self._place)
        self.apply_palette(palette)
        self._place()

    def set_price(self, price: float | None, text: str) -> None:
        """Move the line and label; the label is re-laid out only when its text changed."""
        self.changes += 1
        self.price = price if price is not None and np.isfinite(price) else None
        if text != self.text:
            self.text = text
            self.label.setText(text)
            bounds = self.label.boundingRect()
            self.box.setRect(0, 0, bounds.width() + 8, bounds.height() + 2)
            self.label.setPos(4, 1)
        self._place()

    def _place(self, *args: object) -> None:
        visible = self.price is not None
        self.line.setVisible(visible)
        self.box.setVisible(visible)
        if not visible:
            return
        y = self._view.mapFromView(QtCore.QPointF(0.0, self.price)).y()
        width = self._view.width()
        if self.line.line().x2() != width:
            self.line.setLine(0.0, 0.0, width, 0.0)
        self.line.setPos(0.0, y)
        axis_y = self._axis.mapFromItem(self._view, QtCore.QPointF(0.0, y)).y()
        self.box.setPos(1.0, axis_y - self.box.rect().height() / 2)

    def apply_palette(self, palette: Palette) -> None:
        pen = QtGui.QPen(QtGui.QColor(palette.price_line))
        pen.setCosmetic(True)
        pen.setStyle(QtCore.Qt.PenStyle.DashLine)
        self.line.setPen(pen)
        self.box.setBrush(QtGui.QBrush(QtGui.QColor(palette.price_line)))
        self.box.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))
        self.label.setBrush(QtGui.QBrush(QtGui.QColor(palette.background)))
