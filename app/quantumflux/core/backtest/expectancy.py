"""What a trader cares about: the expectancy (net profit per trade, draws counted as 0) — against break-even
and between two strategies — with the dependence between trades taken into account.

- :class:`TradeSample`: per trade its net profit, what a win would have paid and a loss cost, its holding
  period ``[entry, exit)`` and its asset.
- :func:`expectancy_test`: one-sided test of ``H0: expectancy <= 0`` (break-even) against ``> 0``.
  With one win amount and one loss amount (a backtest: one stake, one payout) and trades that do not
  overlap each other in time, the expectancy is above 0 exactly when the win rate of the decided trades
  is above ``loss / (win + loss)`` (the break-even win rate), so the test is the exact one-sided binomial
  test of the decided trades against it (conditional on their number; draws return the stake and carry
  no information on the sign). Otherwise (payouts or stakes that vary, or trades on the same asset whose
  holding periods overlap, so their outcomes are dependent) it is a normal test of the mean profit with a
  heteroskedasticity-and-autocorrelation-consistent (HAC) standard error over the trades in entry order:
  the autocovariances up to lag ``L`` summed unweighted (Hansen–Hodrick; Newey–West weights if that sum is
  negative), ``L`` being the most later trades that start while one is still open.
- :func:`overlap`: which trades of one sample share candles with the other's (same asset, intersecting
  holding periods): when any do, two strategies' results are dependent samples.
- :func:`compare_expectancy`: the difference of expectancies (``b - a``) by a studentized block bootstrap
  over time (:mod:`quantumflux.core.backtest.bootstrap`): *paired* (one partition of time, the same resampled
  blocks for both samples) when the samples overlap, *independent* (each sample its own blocks) otherwise.
  Two-sided p-value, 95 % interval and standard error. Deterministic: the generator is seeded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quantumflux.core.backtest.bootstrap import MIN_BLOCKS, studentized, time_blocks
from quantumflux.core.backtest.stats import EXACT_LIMIT, TestResult, binomial_upper_tail, normal_cdf

#: Default number of bootstrap resamples and seed (results are reproducible).
RESAMPLES = 10_000
SEED = 20_240_601


@dataclass(frozen=True, slots=True, eq=False)
class TradeSample:
    """One strategy's trades (any order). ``win``/``loss``: what a win would pay / a loss would cost (> 0)."""

    profit: np.ndarray
    win: np.ndarray
    loss: np.ndarray
    entry: np.ndarray
    exit: np.ndarray
    key: np.ndarray

    @classmethod
    def of(cls, profit: object, win: object, loss: object, entry: object, exit_: object,
           key: object = "") -> TradeSample:
        """Arrays from sequences; a scalar ``win``, ``loss`` or ``key`` (asset) applies to every trade."""
        profits = np.asarray(profit, dtype=np.float64)
        n = len(profits)

        def column(value: object, dtype: type) -> np.ndarray:
            array = np.asarray(value, dtype=dtype)
            return np.full(n, array.item(), dtype=array.dtype) if array.ndim == 0 else array

        sample = cls(profits, column(win, float), column(loss, float), column(entry, float), column(exit_, float),
                     column(key, str))
        if not all(len(c) == n for c in (sample.win, sample.loss, sample.entry, sample.exit, sample.key)):
            raise ValueError("trade sample columns must have one length")
        return sample

    def __len__(self) -> int:
        return len(self.profit)

    @property
    def expectancy(self) -> float:
        """Net profit per trade (draws count, as 0); NaN without trades."""
        return float(self.profit.mean()) if len(self.profit) else math.nan

    def overlap_lag(self) -> int:
        """Most later trades (entry order) on the same asset that start before one of them ends (0: none)."""
        lag = 0
        for key in np.unique(self.key):
            index = np.flatnonzero(self.key == key)
            order = index[np.argsort(self.entry[index], kind="stable")]
            entries, exits = self.entry[order], self.exit[order]
            later = np.searchsorted(entries, exits, side="left") - np.arange(len(order)) - 1
            lag = max(lag, int(later.max(initial=0)))
        return lag


def expectancy_test(sample: TradeSample) -> TestResult:
    """One-sided ``H0: expectancy <= 0`` against ``> 0`` (see the module docstring for the method)."""
    n = len(sample)
    if n == 0:
        return TestResult(math.nan, "no trades")
    lag = sample.overlap_lag()
    constant = np.ptp(sample.win) == 0 and np.ptp(sample.loss) == 0
    if lag == 0 and constant and n <= EXACT_LIMIT and sample.win[0] > 0 and sample.loss[0] > 0:
        wins, losses = int((sample.profit > 0).sum()), int((sample.profit < 0).sum())
        if wins + losses == 0:
            return TestResult(1.0, "exact binomial on decided trades (one-sided): only draws")
        break_even = float(sample.loss[0] / (sample.win[0] + sample.loss[0]))
        test = binomial_upper_tail(wins, wins + losses, break_even)
        return TestResult(test.p_value, "exact binomial on decided trades vs break-even (one-sided)")
    mean = float(sample.profit.mean())
    se = _hac_se(sample.profit[np.argsort(sample.entry, kind="stable")], lag)
    why = f"overlapping trades, HAC lag {lag}" if lag else "payouts vary"
    if se == 0:
        return TestResult(0.0 if mean > 0 else 1.0, f"normal test of the mean profit ({why}; no variation)")
    z = mean / se
    return TestResult(1 - normal_cdf(z), f"normal test of the mean profit, HAC SE ({why}; one-sided)", z)


def _hac_se(values: np.ndarray, lag: int) -> float:
    """Standard error of the mean from the long-run variance over ``lag`` autocovariances: the truncated
    (Hansen–Hodrick) sum, right for overlapping trades whose dependence ends after ``lag`` trades; the
    Newey–West (Bartlett) weights when that sum comes out negative."""
    n = len(values)
    if n < 2:
        return 0.0
    centred = values - values.mean()
    gamma = [float(centred[k:] @ centred[:n - k]) / n for k in range(min(lag, n - 1) + 1)]
    variance = gamma[0] + 2 * sum(gamma[1:])
    if variance <= 0:
        variance = gamma[0] + 2 * sum((1 - k / (lag + 1)) * g for k, g in enumerate(gamma[1:], 1))
    return math.sqrt(max(variance, 0.0) / n)


def overlap(a: TradeSample, b: TradeSample) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks: the trades of ``a`` that overlap a trade of ``b`` (same asset, intersecting
    ``[entry, exit)``), and those of ``b`` that overlap one of ``a``."""
    return _overlapping(a, b), _overlapping(b, a)


def _overlapping(x: TradeSample, y: TradeSample) -> np.ndarray:
    mask = np.zeros(len(x), dtype=bool)
    for key in np.unique(x.key):
        ix, iy = np.flatnonzero(x.key == key), np.flatnonzero(y.key == key)
        if not len(iy):
            continue
        order = iy[np.argsort(y.entry[iy], kind="stable")]
        entries, latest_exit = y.entry[order], np.maximum.accumulate(y.exit[order])
        before = np.searchsorted(entries, x.exit[ix], side="left")  # y trades entering before x ends
        some = before > 0
        mask[ix[some]] = latest_exit[before[some] - 1] > x.entry[ix[some]]
    return mask


@dataclass(frozen=True, slots=True)
class ExpectancyDifference:
    """``b``'s expectancy minus ``a``'s, with its bootstrap test (``p_value`` two-sided)."""

    expectancy_a: float
    expectancy_b: float
    difference: float
    low: float
    high: float
    se: float
    p_value: float
    paired: bool
    overlap_a: float  # share of a's trades that overlap one of b's
    overlap_b: float
    method: str


def compare_expectancy(a: TradeSample, b: TradeSample, *, resamples: int = RESAMPLES, seed: int = SEED,
                       confidence: float = 0.95) -> ExpectancyDifference:
    """Studentized block bootstrap of the difference of expectancies (module docstring; :mod:`.bootstrap`)."""
    ea, eb = a.expectancy, b.expectancy
    if len(a) == 0 or len(b) == 0:
        return ExpectancyDifference(ea, eb, math.nan, math.nan, math.nan, math.nan, math.nan, False, 0.0, 0.0,
                                    "no trades")
    over_a, over_b = overlap(a, b)
    paired = bool(over_a.any() or over_b.any())
    share_a, share_b = float(over_a.mean()), float(over_b.mean())
    hold = float(max((a.exit - a.entry).max(), (b.exit - b.entry).max(), 0.0))
    if paired:
        ids, positions = time_blocks(np.concatenate((a.entry, b.entry)), hold, np.concatenate((a.key, b.key)))
        (ids_a, pos_a), (ids_b, pos_b) = (ids[:len(a)], positions), (ids[len(a):], positions)
    else:
        (ids_a, pos_a), (ids_b, pos_b) = time_blocks(a.entry, hold, a.key), time_blocks(b.entry, hold, b.key)
    difference = eb - ea
    blocks = min(len(pos_a), len(pos_b))
    kind = "paired" if paired else "independent"
    method = f"{kind} studentized block bootstrap of the expectancy difference, {resamples} resamples, seed {seed}"
    if blocks < MIN_BLOCKS:
        return ExpectancyDifference(ea, eb, difference, math.nan, math.nan, math.nan, math.nan, paired, share_a,
                                    share_b, f"too few trades to test ({blocks} time block{'s' * (blocks != 1)}; "
                                    f"need {MIN_BLOCKS})")
    se, p_value, low, high, _ = studentized(a.profit, ids_a, pos_a, b.profit, ids_b, pos_b, paired, resamples,
                                            seed, confidence)
    if math.isnan(p_value):
        method = f"too few trades to test ({method})"
    return ExpectancyDifference(ea, eb, difference, low, high, se, p_value, paired, share_a, share_b, method)
