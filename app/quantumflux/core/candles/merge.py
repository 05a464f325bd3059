"""Merging broker history (ticks and candles) into a book's per-asset series.

One candle per period, chosen by this precedence (see ``docs/candles.md``):
live (a live tick touched it) > complete (not partial) > newer merge > older. Within one merge,
history candles of the book's own period beat longer ones, longer beat shorter, and any candle
beats ticks. A history row becomes the forming candle only when it is the newest row and its
period has not ended at the book's known time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from quantumflux.core.candles.arrays import COLUMNS, CandleArrays
from quantumflux.core.candles.derive import aggregate_tick_arrays, derive
from quantumflux.core.model import Candle, Tick

if TYPE_CHECKING:
    from quantumflux.core.candles.book import _Series


class _Rows:
    """Candle columns plus per-row flags and a precedence score."""

    def __init__(
        self, arrays: CandleArrays, partial: np.ndarray, live: np.ndarray, score: np.ndarray,
        origin: np.ndarray | None = None,
    ) -> None:
        self.arrays, self.partial, self.live, self.score = arrays, partial, live, score
        self.origin = np.zeros(len(arrays), np.int8) if origin is None else origin

    def __len__(self) -> int:
        return len(self.arrays)

    @staticmethod
    def concat(parts: Sequence[_Rows]) -> _Rows:
        return _Rows(
            CandleArrays(*(np.concatenate([getattr(p.arrays, n) for p in parts]) for n in COLUMNS)),
            np.concatenate([p.partial for p in parts]),
            np.concatenate([p.live for p in parts]),
            np.concatenate([p.score for p in parts]),
            np.concatenate([p.origin for p in parts]),
        )

    def best_per_period(self) -> _Rows:
        """One row per time: the highest score wins (ties: the earlier row)."""
        order = np.lexsort((-self.score, self.arrays.time))
        times = self.arrays.time[order]
        keep = order[np.concatenate(([True], times[1:] != times[:-1]))]
        return _Rows(
            self.arrays.select(keep), self.partial[keep], self.live[keep], self.score[keep], self.origin[keep],
        )


def _validate_ticks(asset: str, ticks: Sequence[Tick]) -> tuple[np.ndarray, np.ndarray]:
    for tick in ticks:
        if tick[0] != asset:
            raise ValueError(f"history tick for {tick[0]!r} given to merge_history({asset!r}): {tick!r}")
        if not (math.isfinite(tick[1]) and math.isfinite(tick[2])):
            raise ValueError(f"history tick time and price must be finite numbers: {tick!r}")
    times = np.fromiter((float(t[1]) for t in ticks), dtype=np.float64, count=len(ticks))
    prices = np.fromiter((float(t[2]) for t in ticks), dtype=np.float64, count=len(ticks))
    return times, prices


def _validate_candle(asset: str, period: int, candle: Candle) -> None:
    if candle.asset and candle.asset != asset:
        raise ValueError(f"history candle for {candle.asset!r} given to merge_history({asset!r}): {candle!r}")
    if candle.timeframe <= 0 or period % candle.timeframe != 0:
        raise ValueError(
            f"history candle period {candle.timeframe}s does not divide the book's {period}s: {candle!r}"
        )
    values = (candle.time, candle.open, candle.high, candle.low, candle.close)
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"history candle has a non-finite value: {candle!r}")
    if candle.time % candle.timeframe != 0:
        raise ValueError(f"history candle time is not aligned to its {candle.timeframe}s period: {candle!r}")
    if not (candle.low <= min(candle.open, candle.close) and candle.high >= max(candle.open, candle.close)):
        raise ValueError(f"history candle has low/high outside open/close: {candle!r}")


def _first_partial(first_time: float, derived: CandleArrays) -> np.ndarray:
    """Only the first derived row can be incomplete: when its source began after the period start."""
    partial = np.zeros(len(derived), dtype=np.bool_)
    if len(derived):
        partial[0] = first_time > derived.time[0]
    return partial


def validate_arrays(period: int, timeframe: int, arrays: CandleArrays) -> None:
    """Vectorised checks of a history candle source (ValueError names the first bad row)."""
    if timeframe <= 0 or period % timeframe != 0:
        raise ValueError(f"history candle period {timeframe}s does not divide the book's {period}s")
    a = arrays
    finite = np.isfinite(a.time) & np.isfinite(a.open) & np.isfinite(a.high) & np.isfinite(a.low)
    finite &= np.isfinite(a.close)
    checks = (
        (finite, "a non-finite value"),
        (np.mod(np.where(finite, a.time, 0.0), timeframe) == 0, f"a time not aligned to its {timeframe}s period"),
        ((a.low <= np.minimum(a.open, a.close)) & (a.high >= np.maximum(a.open, a.close)),
         "low/high outside open/close"),
        (a.volume >= 0, "a negative volume"),
    )
    for ok, problem in checks:
        if not ok.all():
            row = int(np.flatnonzero(~ok)[0])
            values = {name: getattr(a, name)[row].item() for name in COLUMNS}
            raise ValueError(f"history candle row {row} has {problem}: {values}")


def _unique_sorted(arrays: CandleArrays, flagged: np.ndarray) -> tuple[CandleArrays, np.ndarray]:
    """Sorted by time; on duplicate times the later entry wins."""
    order = np.argsort(arrays.time, kind="stable")
    times = arrays.time[order]
    keep = order[np.concatenate((times[1:] != times[:-1], [True]))]
    return arrays.select(keep), flagged[keep]


def _candle_source(period: int, timeframe: int, arrays: CandleArrays, flagged: np.ndarray) -> _Rows:
    source, flagged = _unique_sorted(arrays, flagged)
    derived = derive(source, period, source=timeframe)
    partial = _first_partial(float(source.time[0]), derived)
    if flagged.any():  # a derived period containing a partial history candle is partial too
        bucket_of = np.searchsorted(derived.time, np.floor_divide(source.time, period) * period)
        partial[bucket_of[flagged]] = True
    # own period beats longer-from-shorter; coarser sources need fewer pieces to be complete
    score = 1 + timeframe if timeframe != period else 1 + period * 2
    size = len(derived)
    return _Rows(derived, partial, np.zeros(size, np.bool_), np.full(size, score, np.int64))


def history_rows(
    asset: str, period: int, ticks: Sequence[Tick], candles: Sequence[Candle],
    sources: Sequence[tuple[int, CandleArrays]] = (),
) -> _Rows:
    """History converted to the book's period, one row per period (raises ValueError on bad input).

    ``sources`` are extra candle series given as ``(timeframe_seconds, CandleArrays)``.
    """
    for candle in candles:
        _validate_candle(asset, period, candle)
    for timeframe, arrays in sources:
        validate_arrays(period, timeframe, arrays)
    times, prices = _validate_ticks(asset, ticks)
    parts: list[_Rows] = []
    if times.shape[0]:
        derived = aggregate_tick_arrays(times, prices, period)
        size = len(derived)
        parts.append(_Rows(derived, _first_partial(float(times.min()), derived),
                           np.zeros(size, np.bool_), np.zeros(size, np.int64)))
    by_timeframe: dict[int, list[Candle]] = {}
    for candle in candles:
        by_timeframe.setdefault(candle.timeframe, []).append(candle)
    for timeframe, group in by_timeframe.items():
        flagged = np.array([c.partial for c in group], dtype=np.bool_)
        parts.append(_candle_source(period, timeframe, CandleArrays.from_candles(group), flagged))
    for timeframe, arrays in sources:
        if len(arrays):
            parts.append(_candle_source(period, timeframe, arrays, np.zeros(len(arrays), np.bool_)))
    if not parts:
        empty = CandleArrays.empty()
        return _Rows(empty, np.zeros(0, np.bool_), np.zeros(0, np.bool_), np.zeros(0, np.int64))
    rows = _Rows.concat(parts)
    # complete beats partial inside one merge too
    rows.score = rows.score + np.where(rows.partial, 0, 4 * period)
    return rows.best_per_period()


ORIGIN_CLOSED, ORIGIN_FORMING, ORIGIN_NEW = 0, 1, 2


def _existing_rows(series: _Series) -> _Rows:
    """The series' closed rows plus its forming row (last), scored live 4 + complete 2."""
    closed = series.buffer.arrays()
    partial, live = series.buffer.flags()
    parts = [_Rows(closed, np.asarray(partial), np.asarray(live), np.zeros(len(closed), np.int64),
                   np.full(len(closed), ORIGIN_CLOSED, np.int8))]
    if series.has_forming:
        forming = CandleArrays.from_columns(
            [series.start], [series.open], [series.high], [series.low], [series.close], [series.volume],
        )
        parts.append(_Rows(forming, np.array([series.partial]), np.array([series.live]),
                           np.zeros(1, np.int64), np.full(1, ORIGIN_FORMING, np.int8)))
    rows = _Rows.concat(parts)
    rows.score = np.where(rows.live, 4, 0) + np.where(rows.partial, 0, 2)
    return rows


def merge_into(
    series: _Series, asset: str, period: int, ticks: Sequence[Tick], candles: Sequence[Candle],
    known_time: float, sources: Sequence[tuple[int, CandleArrays]] = (),
) -> Candle | None:
    """Merge history into ``series``; return the forming candle if the merge closed it (for on_closed).

    All validation happens before anything changes, so bad input leaves the series untouched.
    """
    new = history_rows(asset, period, ticks, candles, sources)
    if len(new) == 0:
        return None
    new.score = np.where(new.partial, 0, 2) + 1  # newer merge beats older history at equal completeness
    new.origin = np.full(len(new), ORIGIN_NEW, np.int8)
    union = _Rows.concat([_existing_rows(series), new]).best_per_period()
    last_origin = int(union.origin[-1])
    last_time = float(union.arrays.time[-1])
    if last_origin == ORIGIN_NEW:  # history reaches the present: a live candle right after is complete
        series.history_end = max(series.history_end, last_time + period)
    if last_origin == ORIGIN_FORMING:  # nothing newer arrived: the forming candle stays as it is
        _replace_closed(series, _drop_last(union))
        return None
    closed_forming: Candle | None = None
    if series.has_forming and bool(np.any(union.origin == ORIGIN_FORMING)):
        closed_forming = series.forming_candle(asset, period)  # history shows its period is over
    series.clear_forming()
    if last_origin == ORIGIN_NEW and last_time + period > known_time:
        a = union.arrays
        series.set_forming(
            last_time, period, float(a.open[-1]), float(a.high[-1]), float(a.low[-1]), float(a.close[-1]),
            int(a.volume[-1]), bool(union.partial[-1]), False, last_time, last_time,
        )
        union = _drop_last(union)
    _replace_closed(series, union)
    return closed_forming


def _drop_last(rows: _Rows) -> _Rows:
    n = len(rows) - 1
    return _Rows(rows.arrays.slice(0, n), rows.partial[:n], rows.live[:n], rows.score[:n], rows.origin[:n])


def _replace_closed(series: _Series, rows: _Rows) -> None:
    series.buffer.replace(rows.arrays, rows.partial, rows.live)
