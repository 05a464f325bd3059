"""Pure-numpy data behind the chart: growable candle buffers and the re-aggregation pyramid.

Nothing here knows about Qt. The candle history lives in :class:`CandleBuffer` (amortised O(1)
append); :class:`OhlcPyramid` keeps coarser OHLC levels (factor 2, 4, 8, ... candles per bucket)
built with ``numpy.ufunc.reduceat`` on first use and updated in O(levels) when a candle closes;
:class:`LinePyramid` keeps per-bucket min/max/last of an indicator line for peak drawing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Array = np.ndarray

#: Column names of a candle buffer, in ``set_data`` order.
COLUMNS = ("time", "open", "high", "low", "close", "volume")


class CandleBuffer:
    """Closed candles in growable float64 arrays; ``append`` doubles capacity when full."""

    def __init__(self, capacity: int = 1024) -> None:
        self._data = np.zeros((len(COLUMNS), max(16, capacity)), dtype=np.float64)
        self._size = 0
        self.version = 0

    def __len__(self) -> int:
        return self._size

    @property
    def capacity(self) -> int:
        """Candles that fit before the next reallocation (doubles when full)."""
        return int(self._data.shape[1])

    def set(self, columns: dict[str, Array]) -> None:
        """Replace the whole history; every column must have the same length."""
        arrays = [np.asarray(columns[name]).ravel() for name in COLUMNS]
        size = len(arrays[0])
        if any(len(a) != size for a in arrays):
            raise ValueError("set_data: time/open/high/low/close/volume must have the same length")
        times = arrays[0]
        if size > 1 and not bool((times[1:] > times[:-1]).all()):
            raise ValueError("set_data: candle times must be strictly increasing")
        # np.empty: the spare capacity is not touched (no page faults) until candles are appended
        self._data = np.empty((len(COLUMNS), max(1024, size + max(4096, size // 4))), dtype=np.float64)
        for row, values in enumerate(arrays):
            self._data[row, :size] = values
        self._size = size
        self.version += 1

    def append(self, values: tuple[float, ...]) -> None:
        """Append one candle ``(time, open, high, low, close, volume)``; amortised O(1)."""
        if self._size and values[0] <= self._data[0, self._size - 1]:
            raise ValueError(f"append_closed: time {values[0]} is not after the last candle")
        if self._size == self._data.shape[1]:
            grown = np.empty((len(COLUMNS), self._data.shape[1] * 2), dtype=np.float64)
            grown[:, : self._size] = self._data[:, : self._size]
            self._data = grown
        self._data[:, self._size] = values
        self._size += 1
        self.version += 1

    def column(self, name: str) -> Array:
        """A read-only view of one column (no copy)."""
        view = self._data[COLUMNS.index(name), : self._size]
        view.flags.writeable = False
        return view

    def row(self, index: int) -> tuple[float, ...]:
        return tuple(float(v) for v in self._data[:, index])


class GrowableArray:
    """A float64 array with amortised O(1) appends; ``view()`` is the filled part (no copy)."""

    def __init__(self, values: Array) -> None:
        values = np.asarray(values, dtype=np.float64)
        self._data = np.empty(max(1024, len(values) + max(4096, len(values) // 4)), dtype=np.float64)
        self._data[: len(values)] = values
        self._size = len(values)

    def __len__(self) -> int:
        return self._size

    def extend(self, values: Array) -> None:
        values = np.asarray(values, dtype=np.float64)
        needed = self._size + len(values)
        if needed > len(self._data):
            grown = np.empty(max(needed, len(self._data) * 2), dtype=np.float64)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : needed] = values
        self._size = needed

    def view(self) -> Array:
        return self._data[: self._size]


@dataclass
class Level:
    """One aggregation level: ``factor`` base candles per bucket, in growable arrays."""

    factor: int
    open: Array
    high: Array
    low: Array
    close: Array
    volume: Array
    size: int

    def view(self, name: str, start: int = 0, stop: int | None = None) -> Array:
        stop = self.size if stop is None else min(stop, self.size)
        return getattr(self, name)[start:stop]


def aggregate(open_: Array, high: Array, low: Array, close: Array, volume: Array, factor: int) -> tuple:
    """OHLCV per bucket of ``factor`` consecutive candles: open first, high max, low min, close last,
    volume sum. The last bucket may be partial."""
    n = len(open_)
    starts = np.arange(0, n, factor)
    if n == 0:
        empty = np.zeros(0)
        return empty, empty, empty, empty, empty
    ends = np.minimum(starts + factor, n) - 1
    return (
        open_[starts],
        np.maximum.reduceat(high, starts),
        np.minimum.reduceat(low, starts),
        close[ends],
        np.add.reduceat(volume, starts),
    )


def _grown(values: Array, extra: int = 64) -> Array:
    out = np.zeros(len(values) + max(extra, len(values) // 4), dtype=np.float64)
    out[: len(values)] = values
    return out


class OhlcPyramid:
    """Coarser OHLC levels of a :class:`CandleBuffer`, built lazily and kept current on append."""

    def __init__(self, buffer: CandleBuffer) -> None:
        self._buffer = buffer
        self._levels: dict[int, Level] = {}
        self.builds = 0

    def reset(self) -> None:
        self._levels.clear()

    def level(self, factor: int) -> Level:
        """The level with ``factor`` candles per bucket (``factor`` a power of two, >= 2)."""
        level = self._levels.get(factor)
        if level is None:
            b = self._buffer
            columns = aggregate(b.column("open"), b.column("high"), b.column("low"), b.column("close"),
                                b.column("volume"), factor)
            size = len(columns[0])
            level = Level(factor, *(_grown(c) for c in columns), size=size)
            self._levels[factor] = level
            self.builds += 1
        return level

    def on_appended(self) -> None:
        """Fold the buffer's newest candle into every built level: O(number of levels)."""
        index = len(self._buffer) - 1
        _, o, h, low, c, v = self._buffer.row(index)
        for level in self._levels.values():
            bucket = index // level.factor
            if bucket < level.size:  # the last, partial bucket grows
                level.high[bucket] = max(level.high[bucket], h)
                level.low[bucket] = min(level.low[bucket], low)
                level.close[bucket] = c
                level.volume[bucket] += v
                continue
            if bucket >= len(level.open):
                for name in ("open", "high", "low", "close", "volume"):
                    setattr(level, name, _grown(getattr(level, name)[: level.size], level.size))
            level.open[bucket], level.high[bucket], level.low[bucket] = o, h, low
            level.close[bucket], level.volume[bucket] = c, v
            level.size = bucket + 1


class LinePyramid:
    """Per-bucket min, max and last value of one line (NaN-aware), per factor, built lazily."""

    def __init__(self, values: Array) -> None:
        self.values = values
        self._levels: dict[int, tuple[Array, Array, Array]] = {}

    def level(self, factor: int) -> tuple[Array, Array, Array]:
        cached = self._levels.get(factor)
        if cached is None:
            n = len(self.values)
            starts = np.arange(0, n, factor)
            if n == 0:
                cached = (np.zeros(0), np.zeros(0), np.zeros(0))
            else:
                with np.errstate(invalid="ignore"):
                    cached = (
                        np.fmin.reduceat(self.values, starts),
                        np.fmax.reduceat(self.values, starts),
                        self.values[np.minimum(starts + factor, n) - 1],
                    )
            self._levels[factor] = cached
        return cached


def level_factor(pixels_per_candle: float, minimum_pixels: float = 3.0) -> int:
    """Smallest power-of-two bucket size giving each drawn bucket at least ``minimum_pixels``."""
    if pixels_per_candle <= 0 or not np.isfinite(pixels_per_candle):
        return 1
    if pixels_per_candle >= minimum_pixels:
        return 1
    return int(2 ** int(np.ceil(np.log2(minimum_pixels / pixels_per_candle))))
