"""Statistics for win rates, in plain Python/numpy (no scipy).

- :func:`wilson_interval`: 95% (or other) Wilson score interval for a proportion.
- :func:`binomial_test`: two-sided exact binomial test (R's ``binom.test`` rule: sum of the
  probabilities of outcomes no more likely than the observed one) for n ≤ 200,000 decided
  trades, else the normal approximation with continuity correction; it says which it used.
- :func:`two_proportion_test`: pooled two-proportion z-test, or Fisher's exact test when an
  expected cell count is below 5.
- :func:`sample_size_per_group`: trades per strategy needed to detect a difference (power).
- :func:`binomial_upper_tail`: exact one-sided ``P(X >= k)`` for ``X ~ Binomial(n, p)``.
- :func:`holm`: Holm–Bonferroni adjusted p-values for a family of tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EXACT_LIMIT = 200_000


def normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def normal_quantile(p: float) -> float:
    """Inverse standard normal CDF (bisection on ``erfc``; accurate to ~1e-12)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"quantile needs 0 < p < 1, got {p}")
    low, high = -40.0, 40.0
    for _ in range(200):
        middle = (low + high) / 2
        if normal_cdf(middle) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval; ``(nan, nan)`` with no trials."""
    if trials == 0:
        return math.nan, math.nan
    z = normal_quantile(0.5 + confidence / 2)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class TestResult:
    p_value: float
    method: str
    statistic: float = math.nan


def _log_binomial_pmf(n: int, p: float) -> np.ndarray:
    k = np.arange(n + 1, dtype=np.float64)
    lgamma = np.frompyfunc(math.lgamma, 1, 1)
    log_choose = math.lgamma(n + 1) - lgamma(k + 1).astype(np.float64) - lgamma(n - k + 1).astype(np.float64)
    with np.errstate(divide="ignore"):
        return log_choose + k * np.log(p) + (n - k) * np.log1p(-p)


def binomial_test(successes: int, trials: int, p: float) -> TestResult:
    """Two-sided test of ``successes/trials`` against probability ``p``."""
    if trials == 0:
        return TestResult(math.nan, "no trades")
    if not 0.0 < p < 1.0:
        raise ValueError(f"binomial test needs 0 < p < 1, got {p}")
    if trials <= EXACT_LIMIT:
        log_pmf = _log_binomial_pmf(trials, p)
        observed = log_pmf[successes]
        tolerance = math.log1p(1e-7)
        total = float(np.exp(log_pmf[log_pmf <= observed + tolerance]).sum())
        return TestResult(min(1.0, total), "exact binomial (two-sided)")
    mean, sd = trials * p, math.sqrt(trials * p * (1 - p))
    z = (abs(successes - mean) - 0.5) / sd
    return TestResult(min(1.0, 2 * (1 - normal_cdf(max(z, 0.0)))), "normal approximation (two-sided)", z)


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher exact p-value for the table ``[[a, b], [c, d]]``."""
    row1, row2, col1 = a + b, c + d, a + c
    total = row1 + row2
    low, high = max(0, col1 - row2), min(row1, col1)

    def log_p(x: int) -> float:
        return _log_choose(row1, x) + _log_choose(row2, col1 - x) - _log_choose(total, col1)

    observed = log_p(a) + math.log1p(1e-7)
    return min(1.0, sum(math.exp(log_p(x)) for x in range(low, high + 1) if log_p(x) <= observed))


def two_proportion_test(wins_a: int, trials_a: int, wins_b: int, trials_b: int) -> TestResult:
    """Compare two win rates: Fisher's exact test when an expected count < 5, else pooled z-test."""
    if trials_a == 0 or trials_b == 0:
        return TestResult(math.nan, "no trades")
    pooled = (wins_a + wins_b) / (trials_a + trials_b)
    expected = [trials_a * pooled, trials_a * (1 - pooled), trials_b * pooled, trials_b * (1 - pooled)]
    if min(expected) < 5:
        p = fisher_exact(wins_a, trials_a - wins_a, wins_b, trials_b - wins_b)
        return TestResult(p, "Fisher exact (two-sided)")
    se = math.sqrt(pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b))
    z = (wins_b / trials_b - wins_a / trials_a) / se
    return TestResult(2 * (1 - normal_cdf(abs(z))), "two-proportion z-test (two-sided)", z)


def sample_size_per_group(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Decided trades per strategy to detect ``p1`` vs ``p2`` (two-sided ``alpha``); inf if equal."""
    if p1 == p2:
        return math.inf
    z_alpha, z_beta = normal_quantile(1 - alpha / 2), normal_quantile(power)
    mean = (p1 + p2) / 2
    numerator = z_alpha * math.sqrt(2 * mean * (1 - mean)) + z_beta * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return numerator * numerator / ((p1 - p2) ** 2)


def binomial_upper_tail(successes: int, trials: int, p: float) -> TestResult:
    """One-sided test of ``H0: probability <= p`` against ``> p``: ``P(X >= successes)``.

    Exact (summed binomial probabilities) up to :data:`EXACT_LIMIT` trials, else the normal
    approximation with continuity correction; the method says which.
    """
    if trials == 0:
        return TestResult(math.nan, "no trials")
    if not 0.0 < p < 1.0:
        raise ValueError(f"binomial test needs 0 < p < 1, got {p}")
    if successes <= 0:
        return TestResult(1.0, "exact binomial (one-sided)")
    if trials <= EXACT_LIMIT:
        log_pmf = _log_binomial_pmf(trials, p)[successes:]
        top = float(log_pmf.max())
        total = math.exp(top) * float(np.exp(log_pmf - top).sum())
        return TestResult(min(1.0, total), "exact binomial (one-sided)")
    mean, sd = trials * p, math.sqrt(trials * p * (1 - p))
    z = (successes - 0.5 - mean) / sd
    return TestResult(1 - normal_cdf(z), "normal approximation (one-sided)", z)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the given order.

    The family is the non-NaN p-values (``m`` of them); NaN stays NaN. The ``i``-th smallest p is
    multiplied by ``m - i`` (``i`` from 0), made non-decreasing along the sorted order and capped at 1:
    rejecting every hypothesis whose adjusted p is below alpha keeps the chance of any false rejection
    in the family at most alpha.
    """
    values = np.asarray(p_values, dtype=np.float64)
    adjusted = np.full(len(values), math.nan)
    valid = np.flatnonzero(~np.isnan(values))
    if len(valid) == 0:
        return adjusted.tolist()
    order = valid[np.argsort(values[valid], kind="stable")]
    m = len(order)
    scaled = values[order] * (m - np.arange(m))
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted.tolist()
