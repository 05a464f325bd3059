"""Pure-numpy geometry for one visible window: wick segments, body rectangles, peak polylines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quantumflux.gui.chart.series import CandleBuffer, OhlcPyramid

Array = np.ndarray

#: Fraction of a bucket's slot covered by a candle body / volume bar.
BODY_FRACTION = 0.7


@dataclass(frozen=True, slots=True)
class Window:
    """Base-candle index range ``[start, stop)`` drawn at ``factor`` candles per bucket."""

    start: int
    stop: int
    factor: int

    @property
    def bucket_start(self) -> int:
        return self.start // self.factor

    @property
    def bucket_stop(self) -> int:
        return -(-self.stop // self.factor)


def window_for(x_min: float, x_max: float, size: int, factor: int, margin: float = 0.5) -> Window:
    """The window for a view ``[x_min, x_max]`` plus ``margin`` of its span on each side, snapped
    to a grid of half-spans so small pans reuse the same window (no rebuild)."""
    span = max(1.0, x_max - x_min)
    step = max(factor, int(span * margin) // factor * factor or factor)
    start = int(np.floor((x_min - span * margin) / step)) * step
    stop = int(np.ceil((x_max + span * margin) / step)) * step
    return Window(max(0, start), max(0, min(size, stop)), factor)


@dataclass(frozen=True, slots=True)
class Ohlc:
    """OHLCV arrays of a window, with bucket centres ``x`` on the candle-index axis."""

    x: Array
    open: Array
    high: Array
    low: Array
    close: Array
    volume: Array
    width: float


def window_ohlc(buffer: CandleBuffer, pyramid: OhlcPyramid, window: Window) -> Ohlc:
    """OHLCV of the window's buckets (the buffer itself when ``factor`` is 1)."""
    f = window.factor
    if f == 1:
        s, e = window.start, min(window.stop, len(buffer))
        cols = [buffer.column(name)[s:e] for name in ("open", "high", "low", "close", "volume")]
        return Ohlc(np.arange(s, s + len(cols[0]), dtype=np.float64), *cols, width=1.0)
    level = pyramid.level(f)
    s, e = window.bucket_start, min(window.bucket_stop, level.size)
    cols = [level.view(name, s, e) for name in ("open", "high", "low", "close", "volume")]
    x = np.arange(s, s + len(cols[0]), dtype=np.float64) * f + (f - 1) / 2.0
    return Ohlc(x, *cols, width=float(f))


def wick_lines(ohlc: Ohlc) -> Array:
    """``(n, 4)`` segments ``x1, y1, x2, y2`` from low to high at each bucket centre."""
    return np.column_stack((ohlc.x, ohlc.low, ohlc.x, ohlc.high))


def rects(x: Array, bottom: Array, top: Array, width: float) -> Array:
    """``(n, 4)`` rectangles ``x, y, w, h`` centred on ``x`` from ``bottom`` to ``top``."""
    w = width * BODY_FRACTION
    low = np.minimum(bottom, top)
    return np.column_stack((x - w / 2.0, low, np.full(len(x), w), np.abs(top - bottom)))


def body_rects(ohlc: Ohlc) -> tuple[Array, Array]:
    """Bodies of rising (close >= open) and falling buckets as two rectangle arrays."""
    up = ohlc.close >= ohlc.open
    down = ~up
    return (rects(ohlc.x[up], ohlc.open[up], ohlc.close[up], ohlc.width),
            rects(ohlc.x[down], ohlc.open[down], ohlc.close[down], ohlc.width))


def volume_rects(ohlc: Ohlc) -> tuple[Array, Array]:
    """Volume bars from zero, split by the bucket's direction."""
    up = ohlc.close >= ohlc.open
    zero = np.zeros(len(ohlc.x))
    return (rects(ohlc.x[up], zero[up], ohlc.volume[up], ohlc.width),
            rects(ohlc.x[~up], zero[~up], ohlc.volume[~up], ohlc.width))


def peak_line(values: Array, window: Window, levels: tuple[Array, Array, Array] | None) -> tuple[Array, Array]:
    """Polyline points for a line in the window: the values themselves at factor 1, else each
    bucket's min then max at the bucket centre (peaks kept, never subsampled)."""
    f = window.factor
    if f == 1 or levels is None:
        s, e = window.start, min(window.stop, len(values))
        return np.arange(s, e, dtype=np.float64), values[s:e]
    low, high, _ = levels
    s, e = window.bucket_start, min(window.bucket_stop, len(low))
    x = np.arange(s, e, dtype=np.float64) * f + (f - 1) / 2.0
    return np.repeat(x, 2), np.column_stack((low[s:e], high[s:e])).ravel()


def bounds(*arrays: Array) -> tuple[float, float] | None:
    """Finite min and max over arrays, or None when there is nothing finite."""
    low, high = np.inf, -np.inf
    for values in arrays:
        if len(values):
            with np.errstate(invalid="ignore"):
                low = min(low, float(np.nanmin(values)) if not np.all(np.isnan(values)) else np.inf)
                high = max(high, float(np.nanmax(values)) if not np.all(np.isnan(values)) else -np.inf)
    return (low, high) if np.isfinite(low) and np.isfinite(high) else None
