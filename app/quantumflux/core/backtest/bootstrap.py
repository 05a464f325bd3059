"""The studentized block bootstrap behind :func:`~quantumflux.core.backtest.expectancy.compare_expectancy`.

Time is cut into blocks (by trade entry) of about ``n^(1/3)`` trades and at least :data:`HOLD_BLOCKS` times
as long as the longest trade, so trades that overlap (dependent outcomes) mostly share a block and only
neighbouring blocks can be dependent; each asset's trades have their own blocks (trades on different
assets do not overlap); blocks without trades are dropped. *Paired*: one partition for both
samples, and a resample draws the same blocks for both (their dependence is kept). *Independent*: each
sample its own blocks and draws.

The statistic is ``d = mean(b) - mean(a)`` (expectancies: ratios of block profit sums to block trade counts).
Its standard error comes from the blocks' linearised contributions ``u_k``: the sum of ``u_k^2`` plus twice
the (positive) covariance of neighbouring blocks — never narrower than the blocks alone say. Each resample
gives ``t* = (d* - d) / se*`` (``se*`` from its own blocks); the two-sided p-value is the share of ``|t*|`` at
least ``|d| / se`` (bootstrap-t: the resamples also carry how uncertain the standard error itself is, which
matters with few blocks), and the 95 % interval is ``d - q(t*) · se``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Most blocks a bootstrap uses (longer blocks beyond that), and the fewest it needs to say anything.
MAX_BLOCKS = 2_000
MIN_BLOCKS = 8
#: A block lasts at least this many times the longest trade, so that most dependent trades share a block.
HOLD_BLOCKS = 4
_CHUNK = 250


def time_blocks(entries: np.ndarray, hold: float, keys: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Block of each trade (0..count-1, empty blocks dropped) and each block's position (to tell neighbours:
    positions differing by 1). With ``keys`` (assets) a block is one asset's stretch of time: trades on
    different assets never share price moves, so they need not share a block."""
    start, span, n = float(entries.min()), float(entries.max() - entries.min()), len(entries)
    wanted = max(1, min(MAX_BLOCKS, n // max(1, math.ceil(n ** (1 / 3)))))
    length = max(HOLD_BLOCKS * hold, span / wanted, 1e-9)
    raw = ((entries - start) // length).astype(np.int64)
    if keys is not None:
        codes = np.unique(keys, return_inverse=True)[1].reshape(n)
        raw = raw + codes * (int(raw.max()) + 2)  # the assets' stretches never sit next to each other
    positions, ids = np.unique(raw, return_inverse=True)
    return ids.astype(np.int64).reshape(n), positions


@dataclass(frozen=True, slots=True)
class _Side:
    """Per-block profit sums ``s`` and trade counts ``c`` of one sample."""

    s: np.ndarray
    c: np.ndarray

    @classmethod
    def of(cls, profit: np.ndarray, ids: np.ndarray, count: int) -> _Side:
        return cls(np.bincount(ids, profit, count), np.bincount(ids, minlength=count).astype(np.float64))

    def features(self) -> np.ndarray:
        return np.column_stack((self.s, self.c, self.s * self.s, self.s * self.c, self.c * self.c))

    def contributions(self) -> np.ndarray:
        """``(s_k - mean · c_k) / total``: each block's share of the deviation of the mean."""
        total = self.c.sum()
        return (self.s - self.s.sum() / total * self.c) / total


def _neighbour_variance(u: np.ndarray, positions: np.ndarray) -> float:
    """``sum u^2`` plus twice the positive covariance of blocks next to each other in time."""
    adjacent = np.flatnonzero(np.diff(positions) == 1)
    return float(u @ u) + 2 * max(0.0, float(u[adjacent] @ u[adjacent + 1]))


def _counts(rng: np.random.Generator, size: int, blocks: int) -> np.ndarray:
    """``size`` resamples of ``blocks`` blocks drawn with replacement, as draw counts per block."""
    picks = rng.integers(0, blocks, size=(size, blocks)) + blocks * np.arange(size)[:, None]
    return np.bincount(picks.ravel(), minlength=size * blocks).reshape(size, blocks).astype(np.float64)


def _moments(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From resampled sums (columns as in ``_Side.features``): mean, and the sum of squared contributions."""
    s, c, ss, sc, cc = (m[:, k] for k in range(5))
    mean = s / c
    return mean, (ss - 2 * mean * sc + mean * mean * cc) / (c * c), c


def studentized(profit_a: np.ndarray, ids_a: np.ndarray, positions_a: np.ndarray, profit_b: np.ndarray,
                ids_b: np.ndarray, positions_b: np.ndarray, paired: bool, resamples: int, seed: int,
                confidence: float) -> tuple[float, float, float, float, float]:
    """``(se, p_value, low, high, t)`` of ``d = mean(b) - mean(a)`` (see the module docstring)."""
    a = _Side.of(profit_a, ids_a, len(positions_a))
    b = _Side.of(profit_b, ids_b, len(positions_b))
    difference = b.s.sum() / b.c.sum() - a.s.sum() / a.c.sum()
    if paired:
        variance = _neighbour_variance(b.contributions() - a.contributions(), positions_a)
    else:
        variance = _neighbour_variance(a.contributions(), positions_a) + _neighbour_variance(b.contributions(),
                                                                                             positions_b)
    se = math.sqrt(max(variance, 0.0))
    features_a, features_b = a.features(), b.features()
    cross = np.column_stack((a.s * b.s, a.s * b.c, a.c * b.s, a.c * b.c)) if paired else None
    rng = np.random.default_rng(seed)
    ts = []
    for start in range(0, resamples, _CHUNK):
        size = min(_CHUNK, resamples - start)
        counts_a = _counts(rng, size, len(positions_a))
        counts_b = counts_a if paired else _counts(rng, size, len(positions_b))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_a, var_a, total_a = _moments(counts_a @ features_a)
            mean_b, var_b, total_b = _moments(counts_b @ features_b)
            var = var_a + var_b
            if cross is not None:
                ab, a_b, b_a, cc = (counts_a @ cross).T  # sums of s_a s_b, s_a c_b, c_a s_b, c_a c_b
                covariance = (ab - mean_b * a_b - mean_a * b_a + mean_a * mean_b * cc) / (total_a * total_b)
                var = var - 2 * covariance
            deviation = (mean_b - mean_a) - difference
            t = np.where(var > 0, deviation / np.sqrt(np.maximum(var, 0.0)),
                         np.where(np.abs(deviation) < 1e-12, 0.0, np.inf * np.sign(deviation)))
        ts.append(t[np.isfinite(mean_a) & np.isfinite(mean_b)])
    t_star = np.concatenate(ts)
    if len(t_star) < resamples // 2:
        return math.nan, math.nan, math.nan, math.nan, math.nan
    observed = difference / se if se > 0 else (0.0 if difference == 0 else math.inf)
    p_value = float((1 + (np.abs(t_star) >= abs(observed) * (1 - 1e-12)).sum()) / (1 + len(t_star)))
    finite = t_star[np.isfinite(t_star)]
    tail = (1 - confidence) / 2
    q_low, q_high = (float(v) for v in np.quantile(finite, [tail, 1 - tail])) if len(finite) else (0.0, 0.0)
    return se, min(1.0, p_value), difference - q_high * se, difference - q_low * se, observed
