"""Layers: the items of one series plus the code that fills them for the visible window.

A layer rebuilds its items only when the window (range or aggregation factor) or its data
changed, so a tick that touches neither costs nothing here.
"""

from __future__ import annotations

import numpy as np

from quantumflux.gui.chart import geometry
from quantumflux.gui.chart.geometry import Window
from quantumflux.gui.chart.items import ArrayItem, PolylineItem, RectsItem, SegmentsItem
from quantumflux.gui.chart.series import CandleBuffer, LinePyramid, OhlcPyramid
from quantumflux.gui.theme import Palette

Array = np.ndarray


#: Lines are drawn at a quarter of the candles' bucket size (about one bucket per pixel), so a
#: zoomed-out line reads as its min..max envelope rather than a coarse zigzag.
LINE_DETAIL = 4


def finer(window: Window) -> Window:
    """The same window at the line detail (bucket size divided by ``LINE_DETAIL``, at least 1)."""
    return Window(window.start, window.stop, max(1, window.factor // LINE_DETAIL))


def _visible_slice(x_min: float, x_max: float, factor: int, size: int) -> slice:
    start = max(0, int(np.floor(x_min)) // factor)
    stop = min(size, int(np.ceil(x_max)) // factor + 1)
    return slice(start, max(start, stop))


class Layer:
    """Base layer: owns ``items``; ``refresh`` fills them for a window."""

    def __init__(self) -> None:
        self.items: list[ArrayItem] = []
        self._key: tuple | None = None

    def _needs(self, window: Window, version: int) -> bool:
        key = (window, version)
        if key == self._key:
            return False
        self._key = key
        return True

    def invalidate(self) -> None:
        self._key = None

    def refresh(self, window: Window) -> None:
        raise NotImplementedError

    def y_range(self, x_min: float, x_max: float, factor: int) -> tuple[float, float] | None:
        return None

    def apply_palette(self, palette: Palette) -> None:
        """Recolour the items."""


class CandleLayer(Layer):
    """Closed candles: one wick item, one body item per colour, and the line-mode polyline."""

    def __init__(self, buffer: CandleBuffer, pyramid: OhlcPyramid, palette: Palette) -> None:
        super().__init__()
        self.buffer, self.pyramid = buffer, pyramid
        self.up_wicks = SegmentsItem(palette.up)
        self.down_wicks = SegmentsItem(palette.down)
        self.up = RectsItem(palette.up)
        self.down = RectsItem(palette.down)
        self.line = PolylineItem(palette.series[0], width=1.5)
        self.line.setVisible(False)
        self.mode = "candles"
        self.items = [self.up_wicks, self.down_wicks, self.up, self.down, self.line]
        self.apply_palette(palette)

    def set_mode(self, mode: str) -> None:
        if mode not in ("candles", "line"):
            raise ValueError(f"unknown chart mode {mode!r} (use candles or line)")
        self.mode = mode
        for item in (self.up_wicks, self.down_wicks, self.up, self.down):
            item.setVisible(mode == "candles")
        self.line.setVisible(mode == "line")
        self.invalidate()

    def refresh(self, window: Window) -> None:
        if not self._needs(window, self.buffer.version):
            return
        if self.mode == "line":
            detail = finer(window)
            ohlc = geometry.window_ohlc(self.buffer, self.pyramid, detail)
            if detail.factor == 1:
                self.line.set_points(ohlc.x, ohlc.close)
            else:
                self.line.set_points(np.repeat(ohlc.x, 2), np.column_stack((ohlc.low, ohlc.high)).ravel())
            return
        ohlc = geometry.window_ohlc(self.buffer, self.pyramid, window)
        up, down = geometry.body_rects(ohlc)
        wicks = geometry.wick_lines(ohlc)
        rising = ohlc.close >= ohlc.open
        self.up_wicks.set_segments(wicks[rising])
        self.down_wicks.set_segments(wicks[~rising])
        self.up.set_rects(up)
        self.down.set_rects(down)

    def y_range(self, x_min: float, x_max: float, factor: int) -> tuple[float, float] | None:
        if factor == 1:
            s = _visible_slice(x_min, x_max, 1, len(self.buffer))
            return geometry.bounds(self.buffer.column("low")[s], self.buffer.column("high")[s])
        level = self.pyramid.level(factor)
        s = _visible_slice(x_min, x_max, factor, level.size)
        return geometry.bounds(level.low[s], level.high[s])

    def apply_palette(self, palette: Palette) -> None:
        self.up_wicks.set_color(palette.up)
        self.down_wicks.set_color(palette.down)
        self.up.set_color(palette.up)
        self.down.set_color(palette.down)
        self.line.set_color(palette.series[0])


class VolumeLayer(Layer):
    """Tick volume bars (summed per bucket when zoomed out), coloured by the candle's direction."""

    def __init__(self, buffer: CandleBuffer, pyramid: OhlcPyramid, palette: Palette) -> None:
        super().__init__()
        self.buffer, self.pyramid = buffer, pyramid
        self.up = RectsItem(palette.volume_up)
        self.down = RectsItem(palette.volume_down)
        self.items = [self.up, self.down]

    def refresh(self, window: Window) -> None:
        if not self._needs(window, self.buffer.version):
            return
        up, down = geometry.volume_rects(geometry.window_ohlc(self.buffer, self.pyramid, window))
        self.up.set_rects(up)
        self.down.set_rects(down)

    def y_range(self, x_min: float, x_max: float, factor: int) -> tuple[float, float] | None:
        if factor == 1:
            values = self.buffer.column("volume")[_visible_slice(x_min, x_max, 1, len(self.buffer))]
        else:
            level = self.pyramid.level(factor)
            values = level.volume[_visible_slice(x_min, x_max, factor, level.size)]
        found = geometry.bounds(values)
        return None if found is None else (0.0, max(found[1], 1.0))

    def value_at(self, index: int) -> float | None:
        return float(self.buffer.column("volume")[index]) if 0 <= index < len(self.buffer) else None

    def apply_palette(self, palette: Palette) -> None:
        self.up.set_color(palette.volume_up)
        self.down.set_color(palette.volume_down)


class ValuesLayer(Layer):
    """A layer drawn from one value per candle, with its min/max pyramid for zoomed-out views."""

    def __init__(self) -> None:
        super().__init__()
        self.values = np.zeros(0)
        self._pyramid = LinePyramid(self.values)
        self._version = 0

    def set_values(self, values: Array) -> None:
        self.values = np.asarray(values, dtype=np.float64)
        self._pyramid = LinePyramid(self.values)
        self._version += 1


class LineLayer(ValuesLayer):
    """One indicator output drawn as a polyline (per-bucket min/max when zoomed out)."""

    def __init__(self, color: str, width: float = 1.3) -> None:
        super().__init__()
        self.item = PolylineItem(color, width)
        self.items = [self.item]

    def refresh(self, window: Window) -> None:
        if not self._needs(window, self._version):
            return
        detail = finer(window)
        levels = self._pyramid.level(detail.factor) if detail.factor > 1 else None
        self.item.set_points(*geometry.peak_line(self.values, detail, levels))

    def y_range(self, x_min: float, x_max: float, factor: int) -> tuple[float, float] | None:
        if factor == 1:
            return geometry.bounds(self.values[_visible_slice(x_min, x_max, 1, len(self.values))])
        low, high, _ = self._pyramid.level(factor)
        s = _visible_slice(x_min, x_max, factor, len(low))
        return geometry.bounds(low[s], high[s])

    def value_at(self, index: int) -> float | None:
        return float(self.values[index]) if 0 <= index < len(self.values) else None

    def set_color(self, color: str) -> None:
        self.item.set_color(color)


class HistogramLayer(ValuesLayer):
    """Bars from zero (e.g. the MACD histogram); zoomed out, a bucket spans its min..max."""

    def __init__(self, positive: str, negative: str) -> None:
        super().__init__()
        self.positive = RectsItem(positive)
        self.negative = RectsItem(negative)
        self.items = [self.positive, self.negative]

    def refresh(self, window: Window) -> None:
        if not self._needs(window, self._version):
            return
        f = window.factor
        if f == 1:
            s = slice(window.start, min(window.stop, len(self.values)))
            x = np.arange(s.start, s.start + len(self.values[s]), dtype=np.float64)
            low = high = last = self.values[s]
        else:
            lows, highs, lasts = self._pyramid.level(f)
            s = slice(window.bucket_start, min(window.bucket_stop, len(lows)))
            x = np.arange(s.start, s.start + len(lows[s]), dtype=np.float64) * f + (f - 1) / 2.0
            low, high, last = lows[s], highs[s], lasts[s]
        finite = np.isfinite(low) & np.isfinite(high)
        bottom = np.minimum(low, 0.0)
        top = np.maximum(high, 0.0)
        up = finite & (last >= 0)
        down = finite & ~(last >= 0)
        self.positive.set_rects(geometry.rects(x[up], bottom[up], top[up], float(f)))
        self.negative.set_rects(geometry.rects(x[down], bottom[down], top[down], float(f)))

    def y_range(self, x_min: float, x_max: float, factor: int) -> tuple[float, float] | None:
        if factor == 1:
            found = geometry.bounds(self.values[_visible_slice(x_min, x_max, 1, len(self.values))])
        else:
            low, high, _ = self._pyramid.level(factor)
            s = _visible_slice(x_min, x_max, factor, len(low))
            found = geometry.bounds(low[s], high[s])
        return None if found is None else (min(found[0], 0.0), max(found[1], 0.0))

    def value_at(self, index: int) -> float | None:
        return float(self.values[index]) if 0 <= index < len(self.values) else None

    def set_colors(self, positive: str, negative: str) -> None:
        self.positive.set_color(positive)
        self.negative.set_color(negative)
