"""Offline A/B comparison of strategies' win rates on the same data, with a plain verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass

from quantumflux.core.backtest.metrics import Metrics
from quantumflux.core.backtest.stats import sample_size_per_group, two_proportion_test


@dataclass(frozen=True, slots=True)
class Comparison:
    """Strategy ``challenger`` against ``baseline``: test, p-value and verdict."""

    baseline: str
    challenger: str
    p_value: float
    method: str
    verdict: str
    needed_more: int | None

    def to_dict(self) -> dict[str, object]:
        return {"baseline": self.baseline, "challenger": self.challenger,
                "p_value": None if math.isnan(self.p_value) else self.p_value, "method": self.method,
                "verdict": self.verdict, "needed_more": self.needed_more}


def _format_p(p: float) -> str:
    return f"{p:.2g}" if p >= 0.0001 else "<0.0001"


def compare(name_a: str, a: Metrics, name_b: str, b: Metrics, alpha: float = 0.05, power: float = 0.8) -> Comparison:
    """Compare win rates (decided trades) of ``b`` against ``a``."""
    trials_a, trials_b = a.wins + a.losses, b.wins + b.losses
    test = two_proportion_test(a.wins, trials_a, b.wins, trials_b)
    total = trials_a + trials_b
    if math.isnan(test.p_value):
        return Comparison(name_a, name_b, math.nan, test.method,
                          f"cannot compare: {name_a if trials_a == 0 else name_b} has no decided trades", None)
    if test.p_value < alpha:
        better = name_b if b.win_rate > a.win_rate else name_a
        return Comparison(name_a, name_b, test.p_value, test.method,
                          f"{better} better at p={_format_p(test.p_value)}", 0)
    per_group = sample_size_per_group(a.win_rate, b.win_rate, alpha, power)
    if math.isinf(per_group):
        return Comparison(name_a, name_b, test.p_value, test.method,
                          f"no detectable difference after {total} trades; the win rates are equal, "
                          "so more trades would not separate them", None)
    more = int(math.ceil(max(0.0, per_group - trials_a) + max(0.0, per_group - trials_b)))
    return Comparison(name_a, name_b, test.p_value, test.method,
                      f"no detectable difference after {total} trades; need about {more} more", more)


def compare_all(results: list[tuple[str, Metrics]], alpha: float = 0.05) -> list[Comparison]:
    """Each strategy after the first against the first (the baseline)."""
    if len(results) < 2:
        return []
    base_name, base = results[0]
    return [compare(base_name, base, name, metrics, alpha) for name, metrics in results[1:]]


def table(results: list[tuple[str, Metrics]]) -> str:
    """Plain-text comparison table."""
    header = f"{'strategy':<34} {'trades':>7} {'wins':>6} {'draws':>6} {'losses':>6} {'win rate':>9} " \
             f"{'95% CI':>15} {'net':>10} {'max DD':>9}"
    lines = [header, "-" * len(header)]
    for name, m in results:
        rate = "-" if math.isnan(m.win_rate) else f"{m.win_rate:.2%}"
        ci = "-" if math.isnan(m.win_rate_low) else f"{m.win_rate_low:.1%}-{m.win_rate_high:.1%}"
        lines.append(f"{name[:34]:<34} {m.trades:>7} {m.wins:>6} {m.draws:>6} {m.losses:>6} {rate:>9} "
                     f"{ci:>15} {m.net_profit:>10.2f} {m.max_drawdown:>9.2f}")
    return "\n".join(lines)
