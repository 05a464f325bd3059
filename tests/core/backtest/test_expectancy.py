"""Expectancy tests, Holm, overlap and the block bootstrap against plain per-trade Python loops; their error
rates on data where nothing differs; and A/B verdicts on what a trader cares about (net profit per trade)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantumflux.core.backtest import (
    Arm,
    BacktestConfig,
    TradeSample,
    compare,
    compare_all,
    compare_expectancy,
    compute_metrics,
    expectancy_test,
    holm,
    simulate,
    stats,
)
from quantumflux.core.backtest.bootstrap import time_blocks
from quantumflux.core.backtest.expectancy import overlap
from quantumflux.core.strategies import CandleArrays, SignalArrays

# ----------------------------------------------------------------- plain references


def plain_upper_tail(k: int, n: int, p: float) -> float:
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1))


def plain_holm(p_values: list[float]) -> list[float]:
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    m, running, out = len(p_values), 0.0, [0.0] * len(p_values)
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * p_values[i])
        out[i] = min(1.0, running)
    return out


def plain_hac_z(values: list[float], lag: int) -> float:
    """Mean over its HAC standard error: autocovariances summed unweighted (Hansen-Hodrick), Bartlett weights
    (Newey-West) when that sum is negative."""
    n = len(values)
    mean = sum(values) / n
    gamma = [sum((values[t] - mean) * (values[t - k] - mean) for t in range(k, n)) / n for k in range(lag + 1)]
    long_run = gamma[0] + 2 * sum(gamma[1:])
    if long_run <= 0:
        long_run = gamma[0] + 2 * sum((1 - k / (lag + 1)) * gamma[k] for k in range(1, lag + 1))
    return mean / math.sqrt(long_run / n)


def plain_overlap(a: TradeSample, b: TradeSample) -> list[bool]:
    return [any(a.key[i] == b.key[j] and b.entry[j] < a.exit[i] and b.exit[j] > a.entry[i] for j in range(len(b)))
            for i in range(len(a))]


def plain_bootstrap(a: TradeSample, b: TradeSample, resamples: int, seed: int, paired: bool) -> tuple[float, float]:
    """The studentized block bootstrap as loops over trades: the same partition and generator draws, every sum,
    mean and standard error by hand. Returns (p-value, standard error)."""
    hold = max(float((a.exit - a.entry).max()), float((b.exit - b.entry).max()))
    if paired:
        ids, positions = time_blocks(np.concatenate((a.entry, b.entry)), hold, np.concatenate((a.key, b.key)))
        parts = ((a, ids[:len(a)], positions), (b, ids[len(a):], positions))
    else:
        parts = ((a, *time_blocks(a.entry, hold, a.key)), (b, *time_blocks(b.entry, hold, b.key)))
    members = [[[t for t in range(len(x)) if ids[t] == k] for k in range(len(pos))] for x, ids, pos in parts]

    def side(which: int, picks: list[int]) -> tuple[float, list[float]]:
        sample_, blocks = parts[which][0], members[which]
        trades = [t for k in picks for t in blocks[k]]
        if not trades:
            return math.nan, []
        mean = sum(sample_.profit[t] for t in trades) / len(trades)
        shares = [(sum(sample_.profit[t] for t in blocks[k]) - mean * len(blocks[k])) / len(trades) for k in picks]
        return mean, shares

    def statistic(picks_a: list[int], picks_b: list[int], neighbours: bool) -> tuple[float, float]:
        mean_a, u_a = side(0, picks_a)
        mean_b, u_b = side(1, picks_b)
        if math.isnan(mean_a) or math.isnan(mean_b):
            return math.nan, math.nan
        pieces = [[ub - ua for ua, ub in zip(u_a, u_b, strict=True)]] if paired else [u_a, u_b]
        variance = 0.0
        for u, pos in zip(pieces, (parts[0][2], parts[1][2]), strict=False):
            variance += sum(x * x for x in u)
            if neighbours:
                variance += 2 * max(0.0, sum(u[k] * u[k + 1] for k in range(len(u) - 1) if pos[k + 1] - pos[k] == 1))
        return mean_b - mean_a, math.sqrt(variance)

    observed, se = statistic(list(range(len(parts[0][2]))), list(range(len(parts[1][2]))), neighbours=True)
    rng = np.random.default_rng(seed)
    t_stars = []
    for start in range(0, resamples, 250):
        size = min(250, resamples - start)
        picks_a = rng.integers(0, len(parts[0][2]), size=(size, len(parts[0][2])))
        picks_b = picks_a if paired else rng.integers(0, len(parts[1][2]), size=(size, len(parts[1][2])))
        for r in range(size):
            d, se_r = statistic(picks_a[r].tolist(), picks_b[r].tolist(), neighbours=False)
            if not math.isnan(d):
                t_stars.append((d - observed) / se_r)
    far = sum(abs(t) >= abs(observed / se) * (1 - 1e-12) for t in t_stars)
    return (1 + far) / (1 + len(t_stars)), se


def sample(outcomes: np.ndarray, entry: np.ndarray, hold: float, payout: float = 92.0, stake: float = 1.0,
           key: object = "") -> TradeSample:
    profit = np.where(outcomes > 0, stake * payout / 100, np.where(outcomes < 0, -stake, 0.0))
    return TradeSample.of(profit, stake * payout / 100, stake, entry, entry + hold, key)


def arm(name: str, s: TradeSample, payout: float = 92.0) -> Arm:
    """An arm whose metrics come from the sample's trades (via the backtest's compute_metrics)."""
    n = len(s)
    outcome = np.sign(s.profit).astype(np.int8)
    from quantumflux.core.backtest.engine import Trades

    trades = Trades(np.arange(n), np.full(n, -1), s.entry, s.exit, np.ones(n, np.int8), np.ones(n), np.ones(n),
                    outcome, s.profit, np.zeros(n, np.int16), np.ones(n))
    return Arm(name, compute_metrics(trades, BacktestConfig(60, 60, payout, 1.0)), s)


# ------------------------------------------------------------------------- tests


def test_holm_matches_a_plain_loop_and_a_textbook_example() -> None:
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    rng = np.random.default_rng(4)
    for _ in range(50):
        p = rng.uniform(0, 0.2, rng.integers(1, 30)).tolist()
        assert holm(p) == pytest.approx(plain_holm(p))
    assert np.isnan(holm([0.01, math.nan, 0.02])[1]) and holm([0.01, math.nan, 0.02])[0] == pytest.approx(0.02)


def test_holm_keeps_the_family_wise_error_rate_on_true_nulls() -> None:
    rng = np.random.default_rng(11)
    raw = adjusted = 0
    for _ in range(2000):
        p = rng.uniform(size=20)
        raw += bool((p < 0.05).any())
        adjusted += bool((np.array(holm(p)) < 0.05).any())
    assert raw / 2000 > 0.5  # 20 untouched p-values: "something significant" most of the time
    assert adjusted / 2000 < 0.065  # after Holm: at most about alpha


def test_one_sided_binomial_tail_matches_a_plain_sum() -> None:
    for k, n, p in [(7, 10, 0.5), (60, 100, 1 / 1.92), (0, 5, 0.3), (5, 5, 0.3), (130, 240, 0.52)]:
        assert stats.binomial_upper_tail(k, n, p).p_value == pytest.approx(plain_upper_tail(k, n, p), rel=1e-9)
    big = stats.binomial_upper_tail(150_600, 300_000, 0.5)
    assert big.method.startswith("normal") and 0.01 < big.p_value < 0.02


def test_exact_expectancy_test_is_the_binomial_of_decided_trades_against_break_even() -> None:
    rng = np.random.default_rng(5)
    outcomes = rng.choice([1, -1, 0], 300, p=[0.55, 0.42, 0.03])
    s = sample(outcomes, 60.0 * np.arange(300), 60.0)
    result = expectancy_test(s)
    wins, losses = int((outcomes == 1).sum()), int((outcomes == -1).sum())
    assert result.method.startswith("exact binomial")
    assert result.p_value == pytest.approx(plain_upper_tail(wins, wins + losses, 1 / 1.92), rel=1e-9)
    # the sign of the expectancy flips exactly at the break-even win rate of the decided trades
    assert (s.expectancy > 0) == (wins / (wins + losses) > 1 / 1.92)
    assert expectancy_test(sample(np.zeros(5), 60.0 * np.arange(5), 60.0)).p_value == 1.0  # only draws
    assert math.isnan(expectancy_test(sample(np.zeros(0), np.zeros(0), 60.0)).p_value)


def test_overlapping_trades_use_a_hac_standard_error() -> None:
    rng = np.random.default_rng(6)
    outcomes = rng.choice([1, -1], 400, p=[0.56, 0.44])
    s = sample(outcomes, 60.0 * np.arange(400), 180.0)  # three-candle trades on every candle: 2 later overlap
    assert s.overlap_lag() == 2
    result = expectancy_test(s)
    assert "HAC SE" in result.method and "lag 2" in result.method
    z = plain_hac_z(s.profit.tolist(), 2)
    assert result.statistic == pytest.approx(z, rel=1e-9)
    assert result.p_value == pytest.approx(1 - stats.normal_cdf(z), rel=1e-9)
    cycle = sample(np.tile([1, 1, -1, -1], 100), 60.0 * np.arange(400), 180.0)  # unweighted sum < 0: Bartlett
    assert expectancy_test(cycle).statistic == pytest.approx(plain_hac_z(cycle.profit.tolist(), 2), rel=1e-9)
    varying = TradeSample.of(s.profit * 0.9, rng.uniform(0.6, 0.9, 400), 1.0, 60.0 * np.arange(400),
                             60.0 * np.arange(400) + 60)
    assert "payouts vary" in expectancy_test(varying).method


def test_overlap_matches_a_plain_loop() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        a = TradeSample.of(np.zeros(40), 0.9, 1.0, rng.uniform(0, 3000, 40), 0, rng.choice(["X", "Y"], 40))
        a = TradeSample.of(a.profit, 0.9, 1.0, a.entry, a.entry + rng.choice([30.0, 60.0, 300.0], 40), a.key)
        b = TradeSample.of(np.zeros(30), 0.9, 1.0, rng.uniform(0, 3000, 30), 0, rng.choice(["X", "Z"], 30))
        b = TradeSample.of(b.profit, 0.9, 1.0, b.entry, b.entry + 60.0, b.key)
        mask_a, mask_b = overlap(a, b)
        assert mask_a.tolist() == plain_overlap(a, b) and mask_b.tolist() == plain_overlap(b, a)


def test_time_blocks_keep_each_asset_apart_and_last_at_least_four_trades() -> None:
    rng = np.random.default_rng(14)
    entries = np.sort(rng.uniform(0, 36_000, 900))
    keys = rng.choice(["X", "Y", "Z"], 900)
    ids, positions = time_blocks(entries, 120.0, keys)
    for block in range(len(positions)):
        members = np.flatnonzero(ids == block)
        assert len(set(keys[members])) == 1 and np.ptp(entries[members]) < 36_000 / 5
    for k in np.flatnonzero(np.diff(positions) == 1):  # neighbours: the same asset, consecutive stretches
        assert keys[ids == k][0] == keys[ids == k + 1][0]
        assert entries[ids == k].max() < entries[ids == k + 1].min()
    single, _ = time_blocks(entries, 120.0)
    assert len(np.unique(single)) < len(positions)


@pytest.mark.parametrize(("shared", "assets"), [(True, 1), (False, 1), (True, 2)])
def test_block_bootstrap_matches_a_plain_loop(shared: bool, assets: int) -> None:
    rng = np.random.default_rng(8)
    entries = 60.0 * np.arange(120)
    keys = np.array(["X", "Y"])[np.arange(120) % assets]
    a = sample(rng.choice([1, -1, 0], 120, p=[0.5, 0.47, 0.03]), entries, 120.0, key=keys)
    other = entries + (0.0 if shared else 1e6)  # the same candles, or a disjoint stretch of time
    b = sample(rng.choice([1, -1, 0], 120, p=[0.55, 0.42, 0.03]), other, 120.0, key=keys)
    result = compare_expectancy(a, b, resamples=300, seed=3)
    assert result.paired is shared and result.method.startswith("paired" if shared else "independent")
    p, se = plain_bootstrap(a, b, 300, 3, shared)
    assert result.p_value == pytest.approx(p) and result.se == pytest.approx(se)
    assert result.difference == pytest.approx(b.profit.mean() - a.profit.mean())
    again = compare_expectancy(a, b, resamples=300, seed=3)
    assert (again.p_value, again.low, again.high) == (result.p_value, result.low, result.high)  # reproducible


def test_bootstrap_rejects_about_alpha_when_nothing_differs_and_finds_a_real_difference() -> None:
    """Same expectancy in both arms: paired (the same candles, correlated outcomes) and independent."""
    rng = np.random.default_rng(9)
    entries = 60.0 * np.arange(300)
    false_alarms = {True: 0, False: 0}
    runs = 150
    for _ in range(runs):
        for shared in (True, False):
            base = rng.choice([1, -1], 300)
            same_way = rng.random(300) < 0.6  # the second arm often takes the same side of the same move
            other = np.where(same_way, base, rng.choice([1, -1], 300)) if shared else rng.choice([1, -1], 300)
            a = sample(base, entries, 60.0, payout=100.0)
            b = sample(other, entries if shared else entries + 1e6, 60.0, payout=100.0)
            false_alarms[shared] += compare_expectancy(a, b, resamples=400, seed=1).p_value < 0.05
    for shared in (True, False):
        assert false_alarms[shared] / runs < 0.11, false_alarms
    better = sample(rng.choice([1, -1], 600, p=[0.62, 0.38]), 60.0 * np.arange(600), 60.0)
    worse = sample(rng.choice([1, -1], 600, p=[0.45, 0.55]), 60.0 * np.arange(600), 60.0)
    assert compare_expectancy(worse, better, resamples=2000).p_value < 0.001


def test_a_higher_win_rate_at_a_lower_payout_is_not_called_better() -> None:
    """The issue's trap: B wins more often (its win rate 'better at p<0.05') but earns less per trade and loses
    money; the verdict is about expectancy and says B loses money."""
    rng = np.random.default_rng(10)
    n = 3000
    entries = 60.0 * np.arange(n)
    a = sample(rng.choice([1, -1], n, p=[0.56, 0.44]), entries, 60.0, payout=92.0, key="EURUSD_otc")
    b = sample(rng.choice([1, -1], n, p=[0.61, 0.39]), entries + 30, 60.0, payout=55.0, key="GBPUSD_otc")
    comparison = compare(arm("A", a, 92.0), arm("B", b, 55.0), resamples=2000)
    assert comparison.win_rate_p_value < 0.05  # the old test: B's win rate is higher
    assert a.expectancy > 0 > b.expectancy
    assert comparison.verdict.startswith("A better at p=")
    assert "B loses money" not in comparison.verdict  # only the better arm's money is mentioned when decided
    assert "A beats break-even" in comparison.verdict and "share no candles" in comparison.verdict
    both_lose = compare(arm("A", sample(rng.choice([1, -1], n, p=[0.40, 0.60]), entries, 60.0)),
                        arm("B", sample(rng.choice([1, -1], n, p=[0.47, 0.53]), entries, 60.0)), resamples=2000)
    assert both_lose.verdict.startswith("B better at p=") and "B loses money" in both_lose.verdict
    assert "trade the same candles (100% of A's and 100% of B's trades overlap)" in both_lose.verdict


def test_compare_all_adjusts_over_the_comparisons_and_says_how_many_more_trades() -> None:
    rng = np.random.default_rng(12)
    entries = 60.0 * np.arange(200)
    arms = [arm(name, sample(rng.choice([1, -1], 200, p=[p, 1 - p]), entries + k * 1e6, 60.0))
            for k, (name, p) in enumerate([("base", 0.52), ("x", 0.54), ("y", 0.5), ("z", 0.7)])]
    comparisons = compare_all(arms, resamples=2000)
    raw = [c.p_value for c in comparisons]
    assert [c.p_value_adjusted for c in comparisons] == pytest.approx(plain_holm(raw))
    assert all(c.comparisons == 3 for c in comparisons)
    assert comparisons[2].verdict.startswith("z better at p=") and "Holm-adjusted over 3 comparisons" in \
        comparisons[2].verdict
    undecided = comparisons[0]
    assert undecided.verdict.startswith("no detectable difference in expectancy after 400 trades")
    assert undecided.needed_more is not None and undecided.needed_more > 0
    same = compare(arms[0], Arm("copy", arms[0].metrics, arms[0].sample))
    assert "equal" in same.verdict and same.needed_more is None
    short = [arm(name, sample(rng.choice([1, -1], 12), 5.0 * np.arange(12), 10.0)) for name in ("s1", "s2")]
    few = compare(*short)  # 12 ten-second trades in a minute: blocks of 40 s, two of them
    assert math.isnan(few.p_value) and few.verdict.startswith("cannot compare: too few trades to test (2 time blocks")
    assert few.verdict.endswith("dependent samples, paired block bootstrap")
    empty = arm("none", sample(np.zeros(0), np.zeros(0), 60.0))
    assert compare(arms[0], empty).verdict == "cannot compare: none has no trades"


def test_metrics_carry_the_expectancy_test_of_a_backtest() -> None:
    rng = np.random.default_rng(13)
    closes = np.round(1 + np.cumsum(rng.choice([-1, 0, 1], 2000)) * 1e-4, 6)
    data = CandleArrays.from_columns(time=60.0 * np.arange(2000), close=closes)
    idx = np.sort(rng.choice(1990, 600, replace=False))
    sig = SignalArrays(idx, rng.choice([-1, 1], 600).astype(np.int8), np.zeros(600, np.int16), np.ones(600))
    for expiry in (60, 180):
        config = BacktestConfig(60, expiry, 85.0, 2.0)
        trades = simulate(data, sig, config)
        m = compute_metrics(trades, config)
        direct = expectancy_test(TradeSample.of(trades.profit, 1.7, 2.0, trades.entry_time, trades.exit_time))
        assert (m.expectancy_p_value, m.expectancy_p_value_method) == (direct.p_value, direct.method)
        assert m.expectancy_p_value_method.startswith("exact" if expiry == 60 else "normal")  # 180 s trades overlap
