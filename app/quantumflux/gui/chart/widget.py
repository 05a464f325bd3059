"""``CandleChart``: the live candlestick chart widget (price pane, indicator panes, markers).

Hot path: ``update_forming`` only stores the candle and marks the chart dirty; one frame timer
(about 30 Hz) applies everything pending in ``flush``. A tick touches only the forming-candle item
and the price line; closed history changes only in ``append_closed`` / ``set_data``.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from datetime import tzinfo

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from quantumflux.core.model import Direction, Outcome
from quantumflux.gui.chart import indicators as chart_indicators
from quantumflux.gui.chart.axis import TimeMapper
from quantumflux.gui.chart.geometry import window_for
from quantumflux.gui.chart.items import FormingCandleItem
from quantumflux.gui.chart.layers import CandleLayer, VolumeLayer
from quantumflux.gui.chart.markers import MarkerSet, PriceLine, TradeMark
from quantumflux.gui.chart.navigation import RIGHT_MARGIN, ChartNavigation
from quantumflux.gui.chart.panes import Pane
from quantumflux.gui.chart.readout import countdown
from quantumflux.gui.chart.series import COLUMNS, CandleBuffer, OhlcPyramid, level_factor
from quantumflux.gui.theme import palette as find_palette

#: Candles shown after ``set_data``.
INITIAL_CANDLES = 120


def _candle_values(candle: object) -> tuple[float, ...]:
    """``(time, open, high, low, close, volume)`` from a Candle (or any object with those fields)."""
    try:
        return tuple(float(getattr(candle, name, 0.0) if name == "volume" else getattr(candle, name))
                     for name in COLUMNS)
    except AttributeError as error:
        raise TypeError(f"not a candle: {candle!r}") from error


class CandleChart(ChartNavigation, QtWidgets.QWidget):
    """Live candlestick chart. See docs/chart.md for behaviour and performance notes."""

    follow_live_changed = QtCore.Signal(bool)
    crosshair_moved = QtCore.Signal(str)
    FRAME_INTERVAL_MS = 33

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, timeframe: int = 60, theme: str = "dark",
                 digits: int = 5, tz: tzinfo | None = None, clock: Callable[[], float] = _time.time,
                 show_volume: bool = True) -> None:
        super().__init__(parent)
        self._palette = find_palette(theme)
        self._timeframe, self._digits, self._tz, self._clock = int(timeframe), digits, tz, clock
        self._buffer = CandleBuffer()
        self._pyramid = OhlcPyramid(self._buffer)
        self._mapper = TimeMapper(lambda: self._buffer.column("time"), lambda: self._timeframe)
        self._forming: tuple[float, ...] | None = None
        self._indicators: dict[int, chart_indicators.ChartIndicator] = {}
        self._next_id = 1
        self._dirty: set[str] = set()
        self._follow_live = True
        self._factor = 1
        self._price_range: tuple[float, float] | None = None
        self._crosshair: float | None = None
        self._readout = ""
        self.frames = 0
        self._window_refreshes = 0  # lets a frame skip a second refresh after scrolling did one
        self._laying_out = False  # panes being (re)placed: one window refresh afterwards, not one per resize
        self._spare_panes: dict[tuple[str, str], Pane] = {}  # removed indicator panes, kept for re-use
        self._build_ui()
        self._volume_layer = VolumeLayer(self._buffer, self._pyramid, self._palette)
        if show_volume:
            self.add_indicator("volume")
        self.set_theme(theme)

    # ----------------------------------------------------------------- construction
    def _build_ui(self) -> None:
        self.readout_label = QtWidgets.QLabel()
        self.readout_label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                                         QtWidgets.QSizePolicy.Policy.Preferred)
        self.readout_label.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        self.live_button = QtWidgets.QToolButton()
        self.live_button.setText("Live")
        self.live_button.setCheckable(True)
        self.live_button.setChecked(True)
        self.live_button.setToolTip("Follow the live candle (End)")
        self.live_button.clicked.connect(lambda: self.set_follow_live(True))
        header = QtWidgets.QHBoxLayout()
        header.setContentsMargins(6, 2, 6, 2)
        header.addWidget(self.readout_label, 1)
        header.addWidget(self.live_button)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setSpacing(0)
        self.graphics.ci.setContentsMargins(0, 0, 0, 0)
        self.graphics.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self.graphics.installEventFilter(self)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.graphics, 1)
        self.price_pane = Pane("", self._mapper, self._palette, tz=self._tz)
        self.candle_layer = CandleLayer(self._buffer, self._pyramid, self._palette)
        self.price_pane.add_layer(self.candle_layer, z=10)
        self.forming_item = FormingCandleItem(self._palette.up, self._palette.down)
        self.forming_item.setZValue(11)
        self.price_pane.plot.addItem(self.forming_item, ignoreBounds=True)
        self.markers = MarkerSet(self.price_pane.plot, self._mapper, self._palette)
        self.price_line = PriceLine(self.price_pane.view, self.price_pane.plot.getAxis("right"), self._palette)
        self.panes: list[Pane] = [self.price_pane]
        view = self.price_pane.view
        view.setLimits(minXRange=8)
        view.sigXRangeChanged.connect(self._on_x_range_changed)
        view.sigResized.connect(self._on_x_range_changed)
        view.sigRangeChangedManually.connect(self._on_range_changed_manually)
        view.right_anchored = lambda: self._follow_live
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._frame_timer = QtCore.QTimer(self)
        self._frame_timer.setSingleShot(True)
        self._frame_timer.setInterval(self.FRAME_INTERVAL_MS)
        self._frame_timer.timeout.connect(self.flush)
        self._clock_timer = QtCore.QTimer(self)
        self._clock_timer.setInterval(1000)
        self._clock_timer.timeout.connect(lambda: self._mark("price"))
        self._clock_timer.start()
        self._relayout_panes()

    # ----------------------------------------------------------------- data
    def set_data(self, time: np.ndarray, open: np.ndarray, high: np.ndarray, low: np.ndarray,  # noqa: A002
                 close: np.ndarray, volume: np.ndarray) -> None:
        """Replace the closed candles (equal-length arrays, strictly increasing times); resets the
        aggregation cache, recomputes indicators and shows the latest candles."""
        self._buffer.set(dict(zip(COLUMNS, (time, open, high, low, close, volume), strict=True)))
        self._pyramid.reset()
        self._forming = None
        self._recompute_indicators()
        self._relayout_markers()
        n = len(self._buffer)
        self._laying_out = True  # one window refresh below, not one more from the range signal
        try:
            self.price_pane.view.setXRange(n - INITIAL_CANDLES, n + RIGHT_MARGIN, padding=0)
        finally:
            self._laying_out = False
        self._set_following(True)
        self._refresh_window()
        self._dirty -= {"history", "view"}  # just refreshed for the new data (a timeframe change marked "view")
        self._mark("forming", "price", "readout")
        self.flush()

    def append_closed(self, candle: object) -> None:
        """A candle closed: history grows by one (amortised O(1); drawn on the next frame)."""
        values = _candle_values(candle)
        self._buffer.append(values)
        self._pyramid.on_appended()
        if self._forming is not None and self._forming[0] <= values[0]:
            self._forming = None
        self._mark("history", "forming", "price", "readout")

    def update_forming(self, candle: object | None) -> None:
        """The candle still forming (or None); called on every tick, drawn on the next frame."""
        self._forming = None if candle is None else _candle_values(candle)
        self._mark("forming", "price")

    def set_timeframe(self, seconds: int) -> None:
        """Seconds per candle (time axis extrapolation and the countdown); call set_data after."""
        if int(seconds) <= 0:
            raise ValueError(f"timeframe must be positive, got {seconds}")
        self._timeframe = int(seconds)
        self._mark("price", "view")

    def set_mode(self, mode: str) -> None:
        """``"candles"`` or ``"line"`` (close line; per-bucket low/high when zoomed out)."""
        self.candle_layer.set_mode(mode)
        self.forming_item.setVisible(mode == "candles")
        self._refresh_window()

    # ----------------------------------------------------------------- frame
    def _mark(self, *what: str) -> None:
        self._dirty.update(what)
        if not self._frame_timer.isActive():
            self._frame_timer.start()

    def flush(self) -> None:
        """Apply everything pending now (the frame timer calls this about 30 times a second)."""
        self._frame_timer.stop()
        dirty, self._dirty = self._dirty, set()
        if not dirty:
            return
        self.frames += 1
        refreshes = self._window_refreshes
        if "history" in dirty:
            self._recompute_indicators(full=False)
            self._relayout_markers()
            if self._follow_live:
                self._scroll_to_live()
        if "markers" in dirty:
            self._relayout_markers()
        if dirty & {"history", "view"} and self._window_refreshes == refreshes:
            self._refresh_window()  # unless scrolling to the live edge just refreshed the window
        if "forming" in dirty:
            self._update_forming_item()
        if "price" in dirty:
            self._update_price_line()
        if self._crosshair is None and dirty & {"history", "readout"}:
            self._set_readout(self._readout_for(len(self._buffer) - 1))

    def _update_forming_item(self) -> None:
        forming, n = self._forming, len(self._buffer)
        if forming is None or (n and forming[0] <= self._buffer.column("time")[-1]):
            if self.forming_item.candle is not None:
                self.forming_item.set_candle(None)
            return
        _, open_, high, low, close, _ = forming
        self.forming_item.set_candle((float(n), open_, high, low, close))
        (x_min, x_max), _ = self.price_pane.view.viewRange()
        if self._follow_live and n > x_max - 1:
            self._scroll_to_live()
        elif x_min <= n <= x_max and self._price_range and (
                high > self._price_range[1] or low < self._price_range[0]):
            self._fit_y()

    def _update_price_line(self) -> None:
        if self._forming is not None:
            price = self._forming[4]
            left = self._forming[0] + self._timeframe - self._clock()
            text = f"{price:.{self._digits}f}\n{countdown(left)}"
        elif len(self._buffer):
            price = float(self._buffer.column("close")[-1])
            text = f"{price:.{self._digits}f}"
        else:
            price, text = None, ""
        self.price_line.set_price(price, text)

    # ----------------------------------------------------------------- view
    def _on_x_range_changed(self, *args: object) -> None:
        if not self._laying_out:
            self._refresh_window()

    def _refresh_window(self) -> None:
        self._window_refreshes += 1
        view = self.price_pane.view
        (x_min, x_max), _ = view.viewRange()
        self._factor = level_factor(max(1.0, view.width()) / max(1e-9, x_max - x_min))
        window = window_for(x_min, x_max, len(self._buffer), self._factor)
        for pane in self.panes:
            if pane is not self.price_pane:  # follow the X link now, not after this handler
                pane.view.linkedViewChanged(view, pg.ViewBox.XAxis)
            pane.refresh(window)
        self._fit_y()

    def _fit_y(self) -> None:
        (x_min, x_max), _ = self.price_pane.view.viewRange()
        extra = None
        candle = self.forming_item.candle
        if candle is not None and x_min <= candle[0] <= x_max:
            extra = (candle[3], candle[2])
        width = max(1.0, self.price_pane.view.width())
        x_ticks = [v for level in self.price_pane.time_axis.tickValues(x_min, x_max, width) for v in level[1]]
        for pane in self.panes:
            found = pane.fit_y(x_min, x_max, self._factor, extra if pane is self.price_pane else None)
            if pane is self.price_pane:
                self._price_range = found
            pane.update_grid(x_ticks)
            # Apply the new range now: pyqtgraph would do it while preparing the paint, which
            # moves every item again and costs a second full repaint per frame.
            pane.view.updateMatrix()

    @property
    def candle_count(self) -> int:
        """Closed candles in the history."""
        return len(self._buffer)

    def candles(self) -> dict[str, np.ndarray]:
        """Read-only views of the closed candles' columns (time, open, high, low, close, volume)."""
        return self._columns()


    # ----------------------------------------------------------------- indicators
    def _columns(self) -> dict[str, np.ndarray]:
        return {name: self._buffer.column(name) for name in COLUMNS}

    def _recompute_indicators(self, full: bool = True) -> None:
        columns = self._columns()
        for indicator in self._indicators.values():
            indicator.recompute(columns, full=full)

    def add_indicator(self, name: str, **params: float) -> int:
        """Add ``name`` (a ``quantumflux.core.indicators.INDICATORS`` key or ``"volume"``); returns its id."""
        indicator = chart_indicators.build(self._next_id, name, params, self._palette, len(self._indicators),
                                           self._columns(), self._volume_layer)
        self._next_id += 1
        if indicator.separate:
            pane = self._spare_panes.pop((name, indicator.label), None) or self._new_pane(name, indicator.label)
            indicator.pane = pane
            self.panes.append(pane)
            self._relayout_panes()
        target = indicator.pane or self.price_pane
        for layer in indicator.layers.values():
            layer.invalidate()
            target.add_layer(layer, z=20 if target is self.price_pane else 0)
        self._indicators[indicator.id] = indicator
        self._refresh_window()
        self._mark("readout")
        return indicator.id

    def _new_pane(self, name: str, label: str) -> Pane:
        """A pane under the price pane, X-linked to it (building one takes ~15 ms: removed panes are kept)."""
        pane = Pane(label, self._mapper, self._palette, tz=self._tz,
                    fixed_range=chart_indicators.FIXED_RANGES.get(name), guides=chart_indicators.GUIDES.get(name, ()))
        pane.plot.setXLink(self.price_pane.plot)
        pane.view.sigRangeChangedManually.connect(self._on_range_changed_manually)
        pane.view.right_anchored = lambda: self._follow_live
        return pane

    def remove_indicator(self, indicator_id: int) -> None:
        """Remove an indicator added with ``add_indicator``."""
        indicator = self._indicators.pop(indicator_id, None)
        if indicator is None:
            raise ValueError(f"no indicator with id {indicator_id}")
        target = indicator.pane or self.price_pane
        for layer in indicator.layers.values():
            target.remove_layer(layer)
        if indicator.pane is not None:
            self.panes.remove(indicator.pane)
            self.graphics.ci.removeItem(indicator.pane.plot)
            self._spare_panes[(indicator.name, indicator.label)] = indicator.pane  # a pane is slow to build
            self._relayout_panes()
        self._mark("readout", "view")

    def indicator_ids(self) -> list[int]:
        return list(self._indicators)

    def _relayout_panes(self) -> None:
        """Place the panes top to bottom. Panes already in their row stay: re-adding a pane makes
        the layout resize every view again (about 10 ms per pane)."""
        layout = self.graphics.ci
        keep = 0
        while keep < len(self.panes) and layout.items.get(self.panes[keep].plot) == [(keep, 0)]:
            keep += 1
        self._laying_out = True
        try:
            for pane in self.panes[keep:]:
                if pane.plot in layout.items:
                    layout.removeItem(pane.plot)
            for row, pane in enumerate(self.panes):
                if row >= keep:
                    layout.addItem(pane.plot, row=row, col=0)
                layout.layout.setRowStretchFactor(row, 3 if row == 0 else 1)
                pane.show_time_labels(row == len(self.panes) - 1)
            for row in range(len(self.panes), len(self.panes) + 4):
                layout.layout.setRowStretchFactor(row, 0)
            layout.layout.activate()  # resize the panes now, while their resize signals are muted: the caller
            # refreshes the window once, instead of once more per resized view on the next event round
        finally:
            self._laying_out = False

    # ----------------------------------------------------------------- markers and theme
    def add_signal_marker(self, time: float, direction: Direction | str) -> None:
        """An arrow at the candle containing ``time``: calls below the low, puts above the high."""
        self.markers.add_signal(float(time), Direction.parse(direction))
        self._mark("markers")

    def add_trade_marker(self, open_time: float, close_time: float, price: float,
                         direction: Direction | str, outcome: Outcome | str | None = None) -> None:
        """A trade: a line at ``price`` from entry to expiry, coloured by outcome when known."""
        if close_time < open_time:
            raise ValueError("add_trade_marker: close_time is before open_time")
        result = None if outcome is None else Outcome(str(outcome).lower())
        self.markers.add_trade(TradeMark(float(open_time), float(close_time), float(price),
                                         Direction.parse(direction), result))
        self._mark("markers")

    def _relayout_markers(self) -> None:
        last = float(self._buffer.column("close")[-1]) if len(self._buffer) else None
        self.markers.relayout(self._buffer.column("low"), self._buffer.column("high"), last)

    def set_theme(self, name: str) -> None:
        """Switch to the ``"dark"`` or ``"light"`` palette."""
        palette = find_palette(name)
        self._palette = palette
        self.graphics.setBackground(palette.background)
        self.setStyleSheet(f"background: {palette.background}; color: {palette.foreground};")
        for pane in self.panes:
            pane.apply_palette(palette)
        for indicator in self._indicators.values():
            indicator.apply_palette(palette)
        self.forming_item.set_colors(palette.up, palette.down)
        self.markers.apply_palette(palette)
        self.price_line.apply_palette(palette)

    @property
    def theme(self) -> str:
        return self._palette.name
