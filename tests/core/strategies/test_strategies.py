"""Built-in strategies: exact rules, warm-up, batch == live, no look-ahead, preview."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quantumflux.core import indicators as ind
from quantumflux.core.model import Candle, Direction
from quantumflux.core.strategies import (
    BUILTIN,
    CandleArrays,
    Confluence,
    MacdCross,
    NotEnoughData,
    NotReady,
    RsiReversal,
    SmaCross,
)


def random_candles(n: int, seed: int, step: float = 2e-4) -> CandleArrays:
    rng = np.random.default_rng(seed)
    close = 1.08 + np.cumsum(rng.normal(0, step, n))
    opens = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(opens, close) + rng.uniform(0, step, n)
    low = np.minimum(opens, close) - rng.uniform(0, step, n)
    return CandleArrays.from_columns(time=1_700_000_000.0 + 60.0 * np.arange(n), open=opens, high=high,
                                     low=low, close=close, volume=rng.integers(1, 50, n))


def as_candles(arrays: CandleArrays, asset: str = "EURUSD_otc") -> list[Candle]:
    return [Candle(asset, 60, float(arrays.time[i]), float(arrays.open[i]), float(arrays.high[i]),
                   float(arrays.low[i]), float(arrays.close[i]), int(arrays.volume[i])) for i in range(len(arrays))]


STRATEGIES = [SmaCross(), SmaCross(fast=3, slow=7), RsiReversal(), RsiReversal(period=5, lower=35, upper=65),
              MacdCross(), Confluence(), Confluence(threshold=0.15, weight_trend=0.0)]


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: s.describe())
def test_batch_and_live_agree_exactly(strategy) -> None:
    arrays = random_candles(1500, seed=7)
    batch = strategy.signals(arrays, "EURUSD_otc", 60, expiry=120)
    state = strategy.live("EURUSD_otc", 60, expiry=120)
    live = []
    for index, candle in enumerate(as_candles(arrays)):
        result = state.on_closed(candle)
        if index < strategy.warmup - 1:
            assert isinstance(result, NotReady) and "needs" in result.reason
        elif result is not None:
            assert not isinstance(result, NotReady)
            live.append(result)
    assert len(batch) > 0
    assert live == batch


def test_sma_cross_fires_exactly_on_crosses() -> None:
    arrays = random_candles(3000, seed=11)
    fast, slow = ind.sma(arrays.close, 10), ind.sma(arrays.close, 20)
    expected_up = [t for t in range(1, 3000) if fast[t - 1] <= slow[t - 1] and fast[t] > slow[t]]
    expected_down = [t for t in range(1, 3000) if fast[t - 1] >= slow[t - 1] and fast[t] < slow[t]]
    found, _, _ = SmaCross().evaluate(arrays)
    assert list(found.index[found.direction == 1]) == expected_up
    assert list(found.index[found.direction == -1]) == expected_down


def test_rsi_reversal_rule_and_signal_contents() -> None:
    arrays = random_candles(3000, seed=12)
    rsi = ind.rsi(arrays.close, 14)
    signals = RsiReversal().signals(arrays, "A", 60)
    calls = {s.time for s in signals if s.direction is Direction.CALL}
    puts = {s.time for s in signals if s.direction is Direction.PUT}
    times = arrays.time + 60
    assert calls == {times[t] for t in range(1, 3000) if rsi[t - 1] < 30 <= rsi[t]}
    assert puts == {times[t] for t in range(1, 3000) if rsi[t - 1] > 70 >= rsi[t]}
    first = signals[0]
    assert first.strategy == "rsi_reversal" and first.rule in RsiReversal.rules
    assert set(first.values) >= {"rsi", "rsi_prev", "close"} and first.expiry == 60


def test_macd_cross_uses_signal_line() -> None:
    arrays = random_candles(2000, seed=13)
    line, signal, _ = ind.macd(arrays.close)
    found, _, _ = MacdCross().evaluate(arrays)
    for t, d in zip(found.index, found.direction, strict=True):
        assert (line[t] > signal[t]) == (d == 1) and (line[t - 1] <= signal[t - 1]) == (d == 1)


def test_confluence_score_threshold_and_confidence() -> None:
    arrays = random_candles(5000, seed=14)
    strategy = Confluence()
    found, _, decision = strategy.evaluate(arrays)
    score = decision.values["score"]
    assert len(found) > 0
    assert np.all(np.abs(score[found.index]) > strategy.config.threshold)
    assert np.all(np.sign(score[found.index]) == found.direction)
    np.testing.assert_array_equal(found.confidence, np.abs(score[found.index]))
    assert np.nanmax(np.abs(score)) <= 1.0


@pytest.mark.parametrize("strategy_class", BUILTIN)
def test_declared_warmup_is_first_decidable_candle(strategy_class) -> None:
    strategy = strategy_class()
    arrays = random_candles(400, seed=3)
    now = strategy.compute(arrays)
    defined = np.all([~np.isnan(v) for v in now.values()], axis=0)
    first = int(np.argmax(defined)) + (1 if strategy.uses_previous else 0)
    assert strategy.warmup == first + 1
    with pytest.raises(NotEnoughData, match=f"needs at least {strategy.warmup}"):
        strategy.evaluate(arrays.head(strategy.warmup - 1))


def test_preview_matches_commit_and_commits_nothing() -> None:
    arrays = random_candles(600, seed=5)
    candles = as_candles(arrays)
    strategy = RsiReversal(period=5, lower=40, upper=60)
    state, fresh = strategy.live("A", 60), strategy.live("A", 60)
    matched = 0
    for candle in candles:
        preview = state.preview(candle)
        assert state.preview(candle) == preview
        result = state.on_closed(candle)
        assert preview == result
        matched += result is not None and not isinstance(result, NotReady)
        fresh.on_closed(candle)
    assert matched > 0 and state.count == fresh.count == len(candles)


def test_live_rejects_out_of_order_and_skips_partial() -> None:
    candles = as_candles(random_candles(5, seed=1))
    state = SmaCross().live("A", 60)
    partial = Candle("A", 60, candles[0].time - 60, 1, 1, 1, 1, partial=True)
    assert isinstance(state.on_closed(partial), NotReady) and state.count == 0
    state.on_closed(candles[1])
    with pytest.raises(ValueError, match="time order"):
        state.on_closed(candles[0])


def test_bad_parameters_are_explained() -> None:
    with pytest.raises(ValueError, match="slow .* must be longer"):
        SmaCross(fast=20, slow=10)
    with pytest.raises(ValueError, match="unknown parameter"):
        SmaCross.parse_params({"length": "3"})
    with pytest.raises(ValueError, match="whole number"):
        SmaCross.parse_params({"fast": "2.5"})
    assert SmaCross.parse_params({"fast": "5", "slow": "9"}) == SmaCross.Config(5, 9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), cut=st.integers(60, 400), extra=st.integers(1, 300),
       which=st.integers(0, len(STRATEGIES) - 1))
def test_appending_candles_never_changes_earlier_signals(seed: int, cut: int, extra: int, which: int) -> None:
    strategy = STRATEGIES[which]
    full = random_candles(cut + extra, seed)
    prefix = full.head(cut)
    if cut < strategy.warmup:
        return
    before = strategy.signals(prefix, "A", 60)
    after = [s for s in strategy.signals(full, "A", 60) if s.time <= prefix.time[-1] + 60]
    assert after == before


@pytest.mark.parametrize("cut", [3, 40, 700])
def test_live_seeded_with_history_continues_exactly(cut: int) -> None:
    arrays = random_candles(1500, seed=21)
    strategy = Confluence(threshold=0.2)
    batch = [s for s in strategy.signals(arrays, "A", 60) if s.time > arrays.time[cut - 1] + 60]
    state = strategy.live("A", 60, history=arrays.head(cut))
    assert state.count == cut
    live = [r for r in map(state.on_closed, as_candles(arrays, "A")[cut:]) if r and not isinstance(r, NotReady)]
    assert live == batch and len(live) > 5
