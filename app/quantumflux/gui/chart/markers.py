"""Markers on the price pane: signal arrows, trades (entry line to expiry), the current price line."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui

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
    """Horizontal line at the current price with a label: price and the time left in the candle."""

    def __init__(self, plot: pg.PlotItem, palette: Palette) -> None:
        self.line = pg.InfiniteLine(angle=0, movable=False, label="",
                                    labelOpts={"position": 0.985, "anchors": [(1, 1), (1, 1)]})
        self.line.setZValue(40)
        self.line.hide()
        plot.addItem(self.line, ignoreBounds=True)
        self.changes = 0
        self._text = ""
        self.apply_palette(palette)

    def set_price(self, price: float | None, text: str) -> None:
        """Move the line; the label is re-laid out only when its text changed."""
        self.changes += 1
        if price is None or not np.isfinite(price):
            self.line.hide()
            return
        self.line.show()
        if self.line.value() != price:
            self.line.setValue(price)
        if text != self._text:
            self._text = text
            self.line.label.setFormat(text)

    def apply_palette(self, palette: Palette) -> None:
        self.line.setPen(pg.mkPen(palette.price_line, width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
        self.line.label.fill = pg.mkBrush(palette.price_line)
        self.line.label.setColor(palette.background)
        self.line.update()
