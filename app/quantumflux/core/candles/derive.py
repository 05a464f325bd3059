"""Vectorised candle aggregation: ticks → candles and candles → a higher timeframe.

Periods are aligned to ``floor(t/P)*P`` in UTC seconds (so 1d starts at UTC midnight), computed
with the same floor division as :meth:`Timeframe.floor` and the live :class:`CandleBook`, so
``derive(aggregate_ticks(ticks, 1m), 5m)`` equals ``aggregate_ticks(ticks, 5m)`` exactly.
No per-candle Python loop: grouping uses ``np.maximum.reduceat`` and friends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from quantumflux.core.candles.arrays import CandleArrays
from quantumflux.core.model import Candle, Tick, Timeframe


def _seconds(timeframe: Timeframe | int | str) -> int:
    return Timeframe.parse(timeframe).seconds


def period_starts(times: np.ndarray, timeframe: Timeframe | int | str) -> np.ndarray:
    """``floor(t/P)*P`` for every time (float64)."""
    period = _seconds(timeframe)
    return np.floor_divide(np.asarray(times, dtype=np.float64), period) * period


def group_bounds(buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop index of each run of equal values in a sorted array."""
    starts = np.flatnonzero(np.diff(buckets) != 0) + 1
    starts = np.concatenate(([0], starts))
    stops = np.concatenate((starts[1:], [buckets.shape[0]]))
    return starts, stops


def aggregate_tick_arrays(
    times: np.ndarray | Sequence[float], prices: np.ndarray | Sequence[float],
    timeframe: Timeframe | int | str,
) -> CandleArrays:
    """Candles from parallel tick time/price arrays of ONE asset.

    Ticks are ordered by time (a stable sort: equal times keep their given order); open is the
    first tick, close the last, volume the tick count. Periods without ticks get no candle.
    """
    t = np.asarray(times, dtype=np.float64)
    p = np.asarray(prices, dtype=np.float64)
    if t.shape != p.shape or t.ndim != 1:
        raise ValueError(f"tick times and prices must be 1-d arrays of one length, got {t.shape} and {p.shape}")
    if t.shape[0] == 0:
        return CandleArrays.empty()
    if not (np.isfinite(t).all() and np.isfinite(p).all()):
        raise ValueError("tick times and prices must be finite numbers")
    if np.any(t[1:] < t[:-1]):
        order = np.argsort(t, kind="stable")
        t, p = t[order], p[order]
    buckets = period_starts(t, timeframe)
    starts, stops = group_bounds(buckets)
    return CandleArrays(
        buckets[starts],
        p[starts],
        np.maximum.reduceat(p, starts),
        np.minimum.reduceat(p, starts),
        p[stops - 1],
        (stops - starts).astype(np.int64),
    )


def aggregate_ticks(ticks: Iterable[Tick], timeframe: Timeframe | int | str) -> CandleArrays:
    """Candles from ticks of one asset (see :func:`aggregate_tick_arrays`); mixed assets raise ValueError."""
    ticks = list(ticks)
    if not ticks:
        return CandleArrays.empty()
    assets = {tick[0] for tick in ticks}
    if len(assets) > 1:
        raise ValueError(f"aggregate_ticks takes one asset's ticks, got {sorted(assets)}")
    times = np.fromiter((tick[1] for tick in ticks), dtype=np.float64, count=len(ticks))
    prices = np.fromiter((tick[2] for tick in ticks), dtype=np.float64, count=len(ticks))
    return aggregate_tick_arrays(times, prices, timeframe)


def tick_candles(ticks: Iterable[Tick], timeframe: Timeframe | int | str) -> list[Candle]:
    """``aggregate_ticks`` as ``Candle`` objects (empty list for no ticks)."""
    ticks = list(ticks)
    if not ticks:
        return []
    return aggregate_ticks(ticks, timeframe).to_candles(ticks[0][0], _seconds(timeframe))


def derive(
    arrays: CandleArrays, to: Timeframe | int | str, *, source: Timeframe | int | str | None = None,
) -> CandleArrays:
    """Candles of timeframe ``to`` from candles of a smaller timeframe that divides it.

    Open is the first candle's open, close the last one's close, high/low the extremes, volume
    the sum. Input is sorted by time if it is not already. Pass ``source`` to have the
    divisibility checked (a 2m series cannot make 5m candles without mixing periods).
    """
    period = _seconds(to)
    if source is not None and period % _seconds(source) != 0:
        raise ValueError(f"cannot derive {Timeframe(period)} from {Timeframe.parse(source)}: it does not divide")
    if len(arrays) == 0:
        return CandleArrays.empty()
    if np.any(arrays.time[1:] < arrays.time[:-1]):
        arrays = arrays.select(np.argsort(arrays.time, kind="stable"))
    buckets = period_starts(arrays.time, period)
    starts, stops = group_bounds(buckets)
    return CandleArrays(
        buckets[starts],
        arrays.open[starts],
        np.maximum.reduceat(arrays.high, starts),
        np.minimum.reduceat(arrays.low, starts),
        arrays.close[stops - 1],
        np.add.reduceat(arrays.volume, starts).astype(np.int64),
    )
