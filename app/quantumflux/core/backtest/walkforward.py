"""Out-of-sample evaluation: cut the data into consecutive segments and score choices on data they were not
made on.

- :func:`segment_bounds`: ``K`` boundary times cutting the candles into ``K + 1`` consecutive segments
  ``S0..SK`` of (nearly) equal candle counts.
- :func:`segment_of`: the segment of each trade; a trade whose holding period crosses a boundary belongs to
  no segment (-1), so no trade is scored on data from two sides of a cut.
- :func:`walk_forward` (anchored): for each fold ``k = 1..K`` the variant (e.g. one parameter set of a
  sweep) with the highest net profit over its trades in ``S0..S(k-1)`` is chosen and scored on ``Sk``
  alone. The pooled out-of-sample trades of the chosen variants are an honest estimate of what choosing
  the best variant by backtest delivers: ``out_of_sample`` has the usual :class:`Metrics` of them,
  including the one-sided expectancy test against break-even.

Signals and indicators are computed once over all candles (they only look back), and each trade keeps its
place in time, so a segment's trades are exactly those of a backtest that had the earlier candles as
history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from quantumflux.core.backtest.engine import BacktestConfig, Trades
from quantumflux.core.backtest.metrics import Metrics, compute_metrics


def segment_bounds(times: np.ndarray, folds: int) -> np.ndarray:
    """``folds`` boundary times (candle open times) cutting ``times`` into ``folds + 1`` consecutive segments."""
    n = len(times)
    if folds < 1:
        raise ValueError(f"walk-forward needs at least 1 fold, got {folds}")
    if n < 2 * (folds + 1):
        raise ValueError(f"{n} candles are too few for {folds + 1} walk-forward segments")
    return np.asarray([times[round(k * n / (folds + 1))] for k in range(1, folds + 1)], dtype=np.float64)


def segment_of(trades: Trades, bounds: np.ndarray) -> np.ndarray:
    """Segment index of each trade (entry and exit inside one segment), -1 when it crosses a boundary."""
    entered = np.searchsorted(bounds, trades.entry_time, side="right")
    exited = np.searchsorted(bounds, trades.exit_time, side="left")  # exiting exactly at a boundary is inside
    return np.where(entered == exited, entered, -1)


def concat(parts: list[Trades]) -> Trades:
    """Trades of several runs one after another (the parts must already be in time order)."""
    names = ("signal_index", "exit_index", "entry_time", "exit_time", "direction", "entry_price", "exit_price",
             "outcome", "profit", "rule", "confidence")
    if not parts:
        empty = {name: np.zeros(0, dtype=np.float64) for name in names}
        empty.update(signal_index=np.zeros(0, np.int64), exit_index=np.zeros(0, np.int64),
                     direction=np.zeros(0, np.int8), outcome=np.zeros(0, np.int8), rule=np.zeros(0, np.int16))
        return Trades(**empty)
    return Trades(*(np.concatenate([getattr(p, name) for p in parts]) for name in names))


@dataclass(frozen=True, slots=True)
class Fold:
    """Fold ``index`` (1..K): the variant chosen on ``S0..S(index-1)`` (``chosen``, -1 if none traded) and its
    metrics there (``in_sample``) and on ``S(index)`` (``out_of_sample``)."""

    index: int
    chosen: int
    in_sample: Metrics | None
    out_of_sample: Metrics | None


@dataclass(frozen=True, slots=True)
class WalkForward:
    bounds: np.ndarray
    folds: list[Fold] = field(default_factory=list)
    out_of_sample: Metrics | None = None


def walk_forward(runs: list[Trades | None], config: BacktestConfig, bounds: np.ndarray) -> WalkForward:
    """Anchored walk-forward over the variants ``runs`` (None: a variant that could not run)."""
    segments = [None if trades is None else segment_of(trades, bounds) for trades in runs]
    folds, chosen_parts = [], []
    for k in range(1, len(bounds) + 1):
        best, best_net = -1, -np.inf
        for i, (trades, segment) in enumerate(zip(runs, segments, strict=True)):
            if trades is None or segment is None:
                continue
            inside = (segment >= 0) & (segment < k)
            if inside.any() and float(trades.profit[inside].sum()) > best_net:
                best, best_net = i, float(trades.profit[inside].sum())
        if best < 0:
            folds.append(Fold(k, -1, None, None))
            continue
        trades, segment = runs[best], segments[best]
        assert trades is not None and segment is not None
        tested = trades.subset(segment == k)
        chosen_parts.append(tested)
        folds.append(Fold(k, best, compute_metrics(trades.subset((segment >= 0) & (segment < k)), config),
                          compute_metrics(tested, config)))
    pooled = compute_metrics(concat(chosen_parts), config) if chosen_parts else None
    return WalkForward(bounds, folds, pooled)


def split_metrics(trades: Trades, config: BacktestConfig, bounds: np.ndarray) -> tuple[Metrics, Metrics]:
    """Metrics of the trades inside the first segment (in-sample) and inside the later ones (out-of-sample)."""
    segment = segment_of(trades, bounds)
    return (compute_metrics(trades.subset(segment == 0), config),
            compute_metrics(trades.subset(segment > 0), config))


def segment_metrics(trades: Trades, config: BacktestConfig, bounds: np.ndarray) -> list[Metrics]:
    """Metrics of the trades inside each segment ``S0..SK``."""
    segment = segment_of(trades, bounds)
    return [compute_metrics(trades.subset(segment == s), config) for s in range(len(bounds) + 1)]
