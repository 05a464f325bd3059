"""Backtest semantics: entry/exit prices, draws, payout, beyond-data signals, gaps, concurrency cap."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantumflux.core.backtest import DRAW, LOSS, WIN, BacktestConfig, run_backtest, simulate
from quantumflux.core.candles import aggregate_tick_arrays
from quantumflux.core.strategies import CandleArrays, SignalArrays, SmaCross


def candles(closes: list[float], times: list[float] | None = None) -> CandleArrays:
    times = times if times is not None else [60.0 * i for i in range(len(closes))]
    return CandleArrays.from_columns(time=times, close=closes)


def signals(index: list[int], direction: list[int]) -> SignalArrays:
    n = len(index)
    return SignalArrays(np.array(index, dtype=np.int64), np.array(direction, dtype=np.int8),
                        np.zeros(n, dtype=np.int16), np.ones(n))


def test_entry_at_signal_close_exit_at_close_ending_at_t_plus_expiry() -> None:
    data = candles([1.0, 1.1, 1.2, 1.1, 1.1, 1.0, 1.3])
    trades = simulate(data, signals([0, 1, 2, 3, 5], [1, -1, 1, -1, 1]), BacktestConfig(60, 120, 80.0, 10.0))
    # signal on candle i enters at close[i]; the candle ending at t + 120 s is i + 2
    np.testing.assert_array_equal(trades.entry_price, [1.0, 1.1, 1.2, 1.1])
    np.testing.assert_array_equal(trades.exit_price, [1.2, 1.1, 1.1, 1.0])
    np.testing.assert_array_equal(trades.outcome, [WIN, DRAW, LOSS, WIN])
    np.testing.assert_array_equal(trades.profit, [8.0, 0.0, -10.0, 8.0])
    np.testing.assert_array_equal(trades.entry_time, [60, 120, 180, 240])
    np.testing.assert_array_equal(trades.exit_time, [180, 240, 300, 360])
    assert trades.beyond_data == 1  # the signal on candle 5 would exit after the last candle


def test_gap_uses_last_candle_ending_before_exit_time() -> None:
    data = candles([1.0, 1.2, 1.5], times=[0.0, 60.0, 240.0])
    trades = simulate(data, signals([0], [1]), BacktestConfig(60, 180, 92.0, 1.0))
    assert trades.exit_index.tolist() == [1] and trades.outcome.tolist() == [WIN]


def test_expiry_must_be_a_multiple_of_the_period() -> None:
    with pytest.raises(ValueError, match="multiple"):
        BacktestConfig(60, 90)
    with pytest.raises(ValueError, match="stake"):
        BacktestConfig(60, 60, stake=0)


def reference_loop(data: CandleArrays, sig: SignalArrays, config: BacktestConfig) -> list[tuple[int, int, float]]:
    """The same semantics as a plain per-signal Python loop, for comparison."""
    out, open_exits = [], []
    for i, d in zip(sig.index.tolist(), sig.direction.tolist(), strict=True):
        target = data.time[i] + config.expiry
        if target > data.time[-1]:
            continue
        entry_t = data.time[i] + config.timeframe
        open_exits = [e for e in open_exits if e > entry_t]
        if config.max_concurrent is not None and len(open_exits) >= config.max_concurrent:
            continue
        j = max(k for k in range(len(data)) if data.time[k] <= target)
        move = data.close[j] - data.close[i]
        outcome = 0 if move == 0 else (1 if (move > 0) == (d > 0) else -1)
        profit = config.stake * config.payout / 100 if outcome == 1 else (-config.stake if outcome == -1 else 0.0)
        open_exits.append(target + config.timeframe)
        out.append((i, outcome, profit))
    return out


@pytest.mark.parametrize("cap", [None, 1, 3])
def test_vectorised_matches_plain_loop(cap: int | None) -> None:
    rng = np.random.default_rng(cap or 0)
    n = 600
    closes = np.round(1 + np.cumsum(rng.choice([-1, 0, 1], n)) * 1e-4, 6)
    times = np.cumsum(rng.choice([60.0, 60.0, 60.0, 120.0], n))
    data = candles(closes.tolist(), times.tolist())
    idx = np.sort(rng.choice(n, 200, replace=False))
    sig = signals(idx.tolist(), rng.choice([-1, 1], 200).tolist())
    config = BacktestConfig(60, 300, 85.0, 2.0, cap)
    trades = simulate(data, sig, config)
    expected = reference_loop(data, sig, config)
    got = list(zip(trades.signal_index.tolist(), trades.outcome.tolist(), trades.profit.tolist(), strict=True))
    assert got == expected
    if cap == 1:
        assert trades.skipped_concurrent > 0


def test_run_backtest_every_signal_is_a_trade_without_cap() -> None:
    rng = np.random.default_rng(3)
    close = 1 + np.cumsum(rng.normal(0, 1e-3, 3000))
    data = candles(close.tolist())
    strategy = SmaCross(fast=3, slow=8)
    found, _, _ = strategy.evaluate(data)
    result = run_backtest(strategy, data, BacktestConfig(60, 60))
    assert result.metrics.trades == len(found) - result.trades.beyond_data
    assert result.metrics.wins + result.metrics.draws + result.metrics.losses == result.metrics.trades
    assert result.strategy == "sma_cross(fast=3, slow=8)"


def test_tick_exits_use_the_last_tick_before_expiry() -> None:
    data = candles([1.0, 1.1, 1.2, 1.3])
    ticks = (np.array([60.0, 100.0, 149.0, 150.0, 151.0, 200.0, 230.0]),
             np.array([1.0, 1.05, 0.9, 1.2, 0.5, 1.1, 1.0]))
    config = BacktestConfig(60, 90, 80.0, 1.0, tick_exits=True)  # any expiry in seconds with ticks
    trades = simulate(data, signals([0, 1, 2], [1, -1, 1]), config, ticks)
    # signal 0: entry 1.0 at t=60, t+E=150: the tick at exactly 150 opens the next period; exit = 0.9 (loss)
    # signal 1: entry 1.1 at t=120, exit = last tick before 210 -> 1.1 (draw)
    # signal 2: t=180, t+E=270 is after the last tick (230): not counted
    np.testing.assert_array_equal(trades.exit_price, [0.9, 1.1])
    np.testing.assert_array_equal(trades.outcome, [LOSS, DRAW])
    assert trades.beyond_data == 1 and trades.exit_index.tolist() == [-1, -1]
    with pytest.raises(ValueError, match="multiple"):
        BacktestConfig(60, 90)


def test_tick_exits_need_a_tick_before_the_expiry() -> None:
    data = candles([1.0, 1.1, 1.2, 1.3])
    ticks = (np.array([150.0, 151.0, 200.0, 230.0]), np.array([1.2, 0.5, 1.1, 1.0]))
    trades = simulate(data, signals([0, 1], [1, 1]), BacktestConfig(60, 90, tick_exits=True), ticks)
    # signal 0 expires at 150: no tick before it (the first is at 150 exactly), so its exit is unknown
    assert trades.beyond_data == 1 and trades.exit_price.tolist() == [1.1]  # signal 1: last tick before 210


def _ticks_on_grid(grid: str, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A price walk on a time grid: whole seconds, half seconds, or millisecond fractions."""
    rng = np.random.default_rng(seed)
    if grid == "whole":
        times = 1_800_000_000.0 + np.cumsum(rng.integers(1, 3, count)).astype(float)
    elif grid == "half":
        times = 1_800_000_000.0 + np.cumsum(rng.integers(1, 4, count)) * 0.5
    else:
        times = np.round(1_800_000_000.0 + np.cumsum(rng.uniform(0.05, 1.9, count)), 3)
    prices = np.round(1.1 + np.cumsum(rng.choice([-1, 0, 1], count)) * 1e-3, 3)
    return times, prices


def _reference_exit(times: np.ndarray, prices: np.ndarray, deadline: float) -> float:
    """The exit rule as a plain loop: the last tick strictly before the deadline."""
    price = math.nan
    for t, p in zip(times.tolist(), prices.tolist(), strict=True):
        if t >= deadline:
            break
        price = p
    return price


@pytest.mark.parametrize("grid", ["whole", "half", "fractional"])
@pytest.mark.parametrize("expiry", [5, 15])
def test_candle_exits_equal_tick_exits_on_every_tick_time_grid(grid: str, expiry: int) -> None:
    """On candles built from the ticks, the candle close at t + E is the last tick before t + E: the candle
    backtest and the tick-exit backtest are the same trades, and both follow the plain-loop rule."""
    times, prices = _ticks_on_grid(grid, 4000, seed=expiry)
    data = aggregate_tick_arrays(times, prices, 5)
    rng = np.random.default_rng(1)
    index = np.sort(rng.choice(len(data) - 1, 300, replace=False))
    sig = signals(index.tolist(), rng.choice([-1, 1], 300).tolist())
    by_candle = simulate(data, sig, BacktestConfig(5, expiry, 80.0))
    by_tick = simulate(data, sig, BacktestConfig(5, expiry, 80.0, tick_exits=True), (times, prices))
    assert len(by_candle) > 250
    on_boundary = int(np.isin(by_candle.exit_time, times).sum())
    if grid != "fractional":
        assert on_boundary > 50  # many ticks land exactly on an expiry instant: the case that differed
    np.testing.assert_array_equal(by_tick.signal_index, by_candle.signal_index)
    np.testing.assert_array_equal(by_tick.exit_price, by_candle.exit_price)
    np.testing.assert_array_equal(by_tick.outcome, by_candle.outcome)
    expected = [_reference_exit(times, prices, float(deadline)) for deadline in by_candle.exit_time]
    np.testing.assert_array_equal(by_candle.exit_price, expected)
