"""Columnar candle storage: :class:`CandleArrays` (immutable snapshot) and a growable buffer.

``CandleArrays`` holds parallel numpy arrays ``time, open, high, low, close, volume`` (time is the
period start in UTC seconds, volume the tick count). The book keeps one :class:`CandleBuffer` per
asset: appends are amortised O(1) (capacity doubles), and a snapshot is a set of read-only views,
so getting the arrays repeatedly is cheap. Existing rows are never written in place once exposed
(history merges and trimming build new arrays), so a snapshot never changes under its holder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from quantumflux.core.model import Candle

if TYPE_CHECKING:
    import pandas as pd

COLUMNS: tuple[str, ...] = ("time", "open", "high", "low", "close", "volume")


def _readonly(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True, slots=True)
class CandleArrays:
    """Parallel numpy arrays of candles in time order (``volume`` is int64, the rest float64)."""

    time: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return int(self.time.shape[0])

    def column(self, name: str) -> np.ndarray:
        """One column as float64 (what indicators and strategies read)."""
        return np.asarray(getattr(self, name), dtype=np.float64)

    @classmethod
    def empty(cls) -> CandleArrays:
        """Zero candles."""
        floats = np.empty(0, dtype=np.float64)
        return cls(floats, floats, floats, floats, floats, np.empty(0, dtype=np.int64))

    @classmethod
    def from_columns(
        cls,
        time: Sequence[float] | np.ndarray,
        open: Sequence[float] | np.ndarray | None = None,  # noqa: A002 - column name
        high: Sequence[float] | np.ndarray | None = None,
        low: Sequence[float] | np.ndarray | None = None,
        close: Sequence[float] | np.ndarray | None = None,
        volume: Sequence[int] | np.ndarray | None = None,
    ) -> CandleArrays:
        """Build from columns (copied to float64/int64); every column must have the same length.

        ``close`` is required; ``open``/``high``/``low`` default to it (a close-only series), ``volume`` to 0.
        """
        if close is None:
            raise ValueError("candle arrays need a close column")
        closes = np.asarray(close, dtype=np.float64)
        columns = [np.asarray(time, dtype=np.float64)] + [
            closes if column is None else np.asarray(column, dtype=np.float64) for column in (open, high, low)
        ] + [closes]
        volumes = (
            np.zeros(closes.shape[0], dtype=np.int64)
            if volume is None
            else np.asarray(volume, dtype=np.float64).astype(np.int64)
        )
        lengths = {column.shape[0] for column in columns} | {volumes.shape[0]}
        if len(lengths) != 1:
            raise ValueError(f"candle columns differ in length: {sorted(lengths)}")
        return cls(*columns, volumes)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> CandleArrays:
        """From a DataFrame with ``time`` (or ``timestamp``, or a time index) and OHLC(V) columns; validated."""
        import pandas as pd  # local: the hot path never needs pandas

        data = frame.reset_index() if "time" not in frame and "timestamp" not in frame else frame
        time_column = "time" if "time" in data else "timestamp"
        times = data[time_column]
        if pd.api.types.is_datetime64_any_dtype(times):
            utc = times if times.dt.tz is None else times.dt.tz_convert("UTC").dt.tz_localize(None)
            times = utc.astype("datetime64[ns]").astype("int64") / 1e9
        columns = {name: data[name].to_numpy() for name in ("open", "high", "low", "close", "volume") if name in data}
        return cls.from_columns(np.asarray(times, dtype=np.float64), **columns).validate()

    def validate(self) -> CandleArrays:
        """Raise ValueError unless times strictly increase and prices are finite; returns self."""
        if len(self.time) > 1 and not bool(np.all(np.diff(self.time) > 0)):
            raise ValueError("candle times must be strictly increasing (sorted, no duplicates)")
        for name in ("open", "high", "low", "close"):
            if not bool(np.all(np.isfinite(getattr(self, name)))):
                raise ValueError(f"candle column {name!r} has missing or non-finite values")
        return self

    def head(self, count: int) -> CandleArrays:
        """The first ``count`` candles."""
        return self.slice(0, count)

    @classmethod
    def from_candles(cls, candles: Iterable[Candle]) -> CandleArrays:
        """Columns from ``Candle`` objects, in the order given."""
        rows = [(c.time, c.open, c.high, c.low, c.close, c.volume) for c in candles]
        if not rows:
            return cls.empty()
        time, open_, high, low, close, volume = zip(*rows, strict=True)
        return cls.from_columns(time, open_, high, low, close, volume)

    def to_candles(self, asset: str, timeframe: int) -> list[Candle]:
        """``Candle`` objects for ``asset`` (``partial`` is False: arrays do not carry the flag)."""
        return [
            Candle(asset, timeframe, t, o, h, lo, c, int(v))
            for t, o, h, lo, c, v in zip(
                self.time.tolist(), self.open.tolist(), self.high.tolist(),
                self.low.tolist(), self.close.tolist(), self.volume.tolist(), strict=True,
            )
        ]

    def slice(self, start: int | None = None, stop: int | None = None) -> CandleArrays:
        """Rows ``[start:stop]`` (views)."""
        part = slice(start, stop)
        return CandleArrays(*(getattr(self, name)[part] for name in COLUMNS))

    def select(self, index: np.ndarray) -> CandleArrays:
        """Rows picked by an integer or boolean index (copies)."""
        return CandleArrays(*(getattr(self, name)[index] for name in COLUMNS))

    def equals(self, other: CandleArrays) -> bool:
        """Exact equality of every column."""
        return all(np.array_equal(getattr(self, n), getattr(other, n)) for n in COLUMNS)


def concat(parts: Sequence[CandleArrays]) -> CandleArrays:
    """Rows of every part, one after another (no sorting)."""
    if not parts:
        return CandleArrays.empty()
    return CandleArrays(*(np.concatenate([getattr(p, name) for p in parts]) for name in COLUMNS))


class CandleBuffer:
    """Amortised growable columns of closed candles plus two flags per row.

    ``partial`` marks a candle whose period began before its source started watching; ``live``
    marks a candle that live ticks contributed to (live data wins over history in merges).
    """

    __slots__ = ("_columns", "_partial", "_live", "_length", "_snapshot", "_limit")

    def __init__(self, capacity: int = 64, limit: int | None = None) -> None:
        if limit is not None and limit <= 0:
            raise ValueError(f"max_closed must be a positive number of candles, got {limit}")
        self._limit = limit
        self._allocate(max(capacity, 16))
        self._length = 0
        self._snapshot: CandleArrays | None = None

    def _allocate(self, capacity: int) -> None:
        self._columns = [np.empty(capacity, dtype=np.float64) for _ in range(5)]
        self._columns.append(np.empty(capacity, dtype=np.int64))
        self._partial = np.empty(capacity, dtype=np.bool_)
        self._live = np.empty(capacity, dtype=np.bool_)

    def __len__(self) -> int:
        return self._length

    def append(
        self, time: float, open: float, high: float, low: float, close: float,  # noqa: A002
        volume: int, partial: bool, live: bool,
    ) -> None:
        """Add one row at the end (callers keep time order)."""
        n = self._length
        if n == self._columns[0].shape[0]:
            self._grow(n)
            n = self._length
        time_col, open_col, high_col, low_col, close_col, volume_col = self._columns
        time_col[n] = time
        open_col[n] = open
        high_col[n] = high
        low_col[n] = low
        close_col[n] = close
        volume_col[n] = volume
        self._partial[n] = partial
        self._live[n] = live
        self._length = n + 1
        self._snapshot = None

    def _grow(self, length: int) -> None:
        """New, larger arrays (never in place: exposed snapshots stay valid)."""
        keep = length if self._limit is None else min(length, self._limit)
        start = length - keep
        old_columns, old_partial, old_live = self._columns, self._partial, self._live
        self._allocate(max(16, keep * 2))
        for new, old in zip(self._columns, old_columns, strict=True):
            new[:keep] = old[start:length]
        self._partial[:keep] = old_partial[start:length]
        self._live[:keep] = old_live[start:length]
        self._length = keep

    def _start(self) -> int:
        if self._limit is None or self._length <= self._limit:
            return 0
        return self._length - self._limit

    def arrays(self) -> CandleArrays:
        """Read-only views of the kept rows (cached until the next change)."""
        if self._snapshot is None:
            start, stop = self._start(), self._length
            self._snapshot = CandleArrays(*(_readonly(c[start:stop]) for c in self._columns))
        return self._snapshot

    def flags(self) -> tuple[np.ndarray, np.ndarray]:
        """``(partial, live)`` read-only views aligned with :meth:`arrays`."""
        start, stop = self._start(), self._length
        return _readonly(self._partial[start:stop]), _readonly(self._live[start:stop])

    def replace(self, arrays: CandleArrays, partial: np.ndarray, live: np.ndarray) -> None:
        """Replace every row (used by history merges); rows beyond ``limit`` are dropped from the front."""
        length = len(arrays)
        start = 0 if self._limit is None else max(0, length - self._limit)
        keep = length - start
        self._allocate(max(16, keep * 2))
        for new, name in zip(self._columns, COLUMNS, strict=True):
            new[:keep] = getattr(arrays, name)[start:]
        self._partial[:keep] = partial[start:]
        self._live[:keep] = live[start:]
        self._length = keep
        self._snapshot = None

    def last_end(self, timeframe: int) -> float:
        """End of the newest row's period, or -inf when empty."""
        if self._length == 0:
            return float("-inf")
        return float(self._columns[0][self._length - 1]) + timeframe

    def candles(self, asset: str, timeframe: int) -> list[Candle]:
        """Kept rows as ``Candle`` objects (with their ``partial`` flag)."""
        a = self.arrays()
        partial, _ = self.flags()
        return [
            Candle(asset, timeframe, t, o, h, lo, c, int(v), bool(p))
            for t, o, h, lo, c, v, p in zip(
                a.time.tolist(), a.open.tolist(), a.high.tolist(), a.low.tolist(),
                a.close.tolist(), a.volume.tolist(), partial.tolist(), strict=True,
            )
        ]
