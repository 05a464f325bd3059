"""Column arrays of closed candles: what batch strategies and the backtester read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

COLUMNS = ("time", "open", "high", "low", "close", "volume")


@dataclass(frozen=True, slots=True, eq=False)
class CandleArrays:
    """Closed candles as float64 numpy columns, ``time`` = candle open time (UTC seconds), ascending."""

    time: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __post_init__(self) -> None:
        lengths = {len(getattr(self, name)) for name in COLUMNS}
        if len(lengths) != 1:
            raise ValueError(f"candle columns have different lengths: {sorted(lengths)}")
        if len(self.time) > 1 and not bool(np.all(np.diff(self.time) > 0)):
            raise ValueError("candle times must be strictly increasing (sorted, no duplicates)")
        for name in ("open", "high", "low", "close"):
            if not bool(np.all(np.isfinite(getattr(self, name)))):
                raise ValueError(f"candle column {name!r} has missing or non-finite values")

    def __len__(self) -> int:
        return len(self.time)

    @classmethod
    def from_columns(cls, **columns: object) -> CandleArrays:
        """Build from array-likes; ``volume`` defaults to zeros, ``open/high/low`` to ``close``."""
        close = np.ascontiguousarray(columns["close"], dtype=np.float64)
        values = {"close": close}
        for name in ("time", "open", "high", "low", "volume"):
            raw = columns.get(name)
            if raw is None:
                if name == "time":
                    raise ValueError("candle arrays need a time column")
                raw = np.zeros_like(close) if name == "volume" else close
            values[name] = np.ascontiguousarray(raw, dtype=np.float64)
        return cls(**values)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> CandleArrays:
        """From a DataFrame with ``time`` (or ``timestamp``) and OHLC(V) columns (or a time index)."""
        data = frame.reset_index() if "time" not in frame and "timestamp" not in frame else frame
        time_column = "time" if "time" in data else "timestamp"
        times = data[time_column]
        if pd.api.types.is_datetime64_any_dtype(times):
            times = times.astype("int64") / 1e9 if times.dt.tz is None else times.dt.tz_convert("UTC").astype("int64") / 1e9
        columns = {name: data[name].to_numpy() for name in ("open", "high", "low", "close", "volume") if name in data}
        return cls.from_columns(time=np.asarray(times, dtype=np.float64), **columns)

    @classmethod
    def from_candles(cls, candles: Iterable[object]) -> CandleArrays:
        """From objects with ``time, open, high, low, close, volume`` attributes (e.g. model.Candle)."""
        rows = [(c.time, c.open, c.high, c.low, c.close, getattr(c, "volume", 0)) for c in candles]  # type: ignore[attr-defined]
        table = np.array(rows, dtype=np.float64).reshape(-1, 6)
        return cls(*(np.ascontiguousarray(table[:, i]) for i in range(6)))

    def head(self, count: int) -> CandleArrays:
        """The first ``count`` candles (views, no copy)."""
        return CandleArrays(*(getattr(self, name)[:count] for name in COLUMNS))

    def column(self, name: str) -> np.ndarray:
        return getattr(self, name)
