"""A/B comparison of strategies on what a trader cares about — the expectancy per trade — with a plain verdict.

Each strategy after the first (the baseline) is compared with it: the difference of expectancies (net profit
per trade, draws counted) by a block bootstrap, paired when the two trade the same candles (dependent
samples), independent otherwise (:func:`~quantumflux.core.backtest.expectancy.compare_expectancy`); two-sided
p-values, Holm-adjusted over the comparisons made. The verdict also says whether the better strategy makes
money at all (its one-sided expectancy test against break-even, Holm-adjusted over the strategies), and
whether the arms overlap. The old test of win rates (decided trades only) is kept as ``win_rate_p_value``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from quantumflux.core.backtest.expectancy import (
    RESAMPLES,
    SEED,
    ExpectancyDifference,
    TradeSample,
    compare_expectancy,
)
from quantumflux.core.backtest.metrics import Metrics
from quantumflux.core.backtest.stats import holm, normal_quantile, two_proportion_test


@dataclass(frozen=True, slots=True, eq=False)
class Arm:
    """One strategy of an A/B test: its label, metrics and trades."""

    name: str
    metrics: Metrics
    sample: TradeSample


@dataclass(frozen=True, slots=True)
class Comparison:
    """``challenger`` against ``baseline``. ``p_value``: two-sided test of equal expectancies;
    ``p_value_adjusted``: Holm over the ``comparisons`` made against the baseline; ``difference``:
    challenger's expectancy minus baseline's, with a 95 % bootstrap interval."""

    baseline: str
    challenger: str
    p_value: float
    p_value_adjusted: float
    comparisons: int
    method: str
    verdict: str
    needed_more: int | None
    expectancy_baseline: float
    expectancy_challenger: float
    difference: float
    difference_low: float
    difference_high: float
    paired: bool
    overlap_baseline: float
    overlap_challenger: float
    win_rate_p_value: float
    win_rate_method: str

    def to_dict(self) -> dict[str, object]:
        return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in asdict(self).items()}


def format_p(p: float) -> str:
    return "-" if math.isnan(p) else f"{p:.2g}" if p >= 0.0001 else "<0.0001"


def compare_all(arms: list[Arm], alpha: float = 0.05, power: float = 0.8, resamples: int = RESAMPLES,
                seed: int = SEED) -> list[Comparison]:
    """Each arm after the first against the first (the baseline), Holm-adjusted over those comparisons."""
    if len(arms) < 2:
        return []
    base = arms[0]
    tests = [compare_expectancy(base.sample, arm.sample, resamples=resamples, seed=seed) for arm in arms[1:]]
    adjusted = holm([t.p_value for t in tests])
    break_even = dict(zip([a.name for a in arms], holm([a.metrics.expectancy_p_value for a in arms]), strict=True))
    return [_comparison(base, arm, test, p_adjusted, len(tests), break_even, len(arms), alpha, power)
            for arm, test, p_adjusted in zip(arms[1:], tests, adjusted, strict=True)]


def compare(a: Arm, b: Arm, alpha: float = 0.05, power: float = 0.8, resamples: int = RESAMPLES,
            seed: int = SEED) -> Comparison:
    """``b`` against ``a`` alone (a family of one comparison)."""
    return compare_all([a, b], alpha, power, resamples, seed)[0]


def _comparison(a: Arm, b: Arm, test: ExpectancyDifference, p_adjusted: float, comparisons: int,
                break_even: dict[str, float], strategies: int, alpha: float, power: float) -> Comparison:
    decided_a, decided_b = a.metrics.wins + a.metrics.losses, b.metrics.wins + b.metrics.losses
    win_rate = two_proportion_test(a.metrics.wins, decided_a, b.metrics.wins, decided_b)
    verdict, more = _verdict(a, b, test, p_adjusted, comparisons, break_even, strategies, alpha, power)
    return Comparison(a.name, b.name, test.p_value, p_adjusted, comparisons, test.method, verdict, more,
                      test.expectancy_a, test.expectancy_b, test.difference, test.low, test.high, test.paired,
                      test.overlap_a, test.overlap_b, win_rate.p_value, win_rate.method)


def _verdict(a: Arm, b: Arm, test: ExpectancyDifference, p: float, comparisons: int, break_even: dict[str, float],
             strategies: int, alpha: float, power: float) -> tuple[str, int | None]:
    if len(a.sample) == 0 or len(b.sample) == 0:
        return f"cannot compare: {a.name if len(a.sample) == 0 else b.name} has no trades", None
    if test.paired:
        dependence = (f"the arms trade the same candles ({test.overlap_a:.0%} of {a.name}'s and {test.overlap_b:.0%} "
                      f"of {b.name}'s trades overlap): dependent samples, paired block bootstrap")
    else:
        dependence = "the arms share no candles: independent block bootstrap"
    if math.isnan(p):
        return f"cannot compare: {test.method}; {dependence}", None
    family = f", Holm-adjusted over {comparisons} comparisons" if comparisons > 1 else ""
    figures = (f"expectancy per trade {test.expectancy_b:+.4f} vs {test.expectancy_a:+.4f}, difference "
               f"{test.difference:+.4f} (95% CI {test.low:+.4f}..{test.high:+.4f})")
    total = len(a.sample) + len(b.sample)
    more: int | None
    if p < alpha:
        better = b if test.difference > 0 else a
        head, more = f"{better.name} better at p={format_p(p)}{family}: {figures}", 0
        money = [_money(better, break_even, strategies, alpha)]
    else:
        head, more = _undecided(test, p, family, figures, total, comparisons, alpha, power)
        money = [_money(arm, break_even, strategies, alpha) for arm in (b, a)]
    return "; ".join([head, *money, dependence]), more


def _undecided(test: ExpectancyDifference, p: float, family: str, figures: str, total: int, comparisons: int,
               alpha: float, power: float) -> tuple[str, int | None]:
    head = f"no detectable difference in expectancy after {total} trades (p={format_p(p)}{family}; {figures})"
    if test.difference == 0 or test.se == 0:
        return f"{head}: the expectancies are equal, so more trades would not separate them", None
    z = normal_quantile(1 - alpha / comparisons / 2) + normal_quantile(power)
    needed = total * (z * test.se / abs(test.difference)) ** 2
    more = max(1, int(math.ceil(needed - total)))
    return f"{head}; need about {more} more", more


def _money(arm: Arm, break_even: dict[str, float], strategies: int, alpha: float) -> str:
    expectancy, p = arm.metrics.expectancy, break_even.get(arm.name, math.nan)
    family = f", Holm over {strategies} strategies" if strategies > 1 else ""
    if math.isnan(expectancy):
        return f"{arm.name} has no trades"
    if expectancy <= 0:
        return f"{arm.name} loses money ({expectancy:+.4f} per trade)"
    if p < alpha:
        return f"{arm.name} beats break-even (one-sided p={format_p(p)}{family})"
    return f"{arm.name} is not shown to beat break-even (one-sided p={format_p(p)}{family})"


def table(results: list[tuple[str, Metrics]], adjusted: list[float] | None = None) -> str:
    """Plain-text comparison table. ``adjusted``: Holm-adjusted expectancy p-values, one per row."""
    header = f"{'strategy':<34} {'trades':>7} {'wins':>6} {'draws':>6} {'losses':>6} {'win rate':>9} " \
             f"{'95% CI':>15} {'expectancy':>11} {'p(E>0)':>8} {'Holm p':>8} {'net':>10} {'max DD':>9}"
    lines = [header, "-" * len(header)]
    for k, (name, m) in enumerate(results):
        rate = "-" if math.isnan(m.win_rate) else f"{m.win_rate:.2%}"
        ci = "-" if math.isnan(m.win_rate_low) else f"{m.win_rate_low:.1%}-{m.win_rate_high:.1%}"
        expectancy = "-" if math.isnan(m.expectancy) else f"{m.expectancy:+.4f}"
        holm_p = format_p(adjusted[k]) if adjusted is not None else "-"
        lines.append(f"{name[:34]:<34} {m.trades:>7} {m.wins:>6} {m.draws:>6} {m.losses:>6} {rate:>9} "
                     f"{ci:>15} {expectancy:>11} {format_p(m.expectancy_p_value):>8} {holm_p:>8} "
                     f"{m.net_profit:>10.2f} {m.max_drawdown:>9.2f}")
    return "\n".join(lines)
