"""Strategy runner on decoded events fed synchronously (no browser): signals on closed candles only, paper
results from the tick path, the guard's refusals, stream gaps, live A/B statistics, set-up errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from quantumflux.core.candles import aggregate_tick_arrays
from quantumflux.core.model import Asset, Direction, Tick
from quantumflux.core.protocol import events as ev
from quantumflux.core.protocol.events import LinkChanged
from quantumflux.core.risk import RiskGuard, RiskLimits
from quantumflux.core.strategies import default_registry
from quantumflux.services.paper import paper_account_state, settle
from quantumflux.services.strategy_performance import parse_label, strategy_label
from quantumflux.services.strategy_runner import StrategyRunner
from quantumflux.storage.journal import TradeJournal

ASSET = "EURUSD_otc"
OPEN = RiskLimits(max_stake=None, max_open_trades=None, max_trades_per_hour=None, daily_loss_limit=None,
                  max_consecutive_losses=None)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def price_path(count: int, seed: int = 7, start: float = 1_800_000_001.3) -> tuple[np.ndarray, np.ndarray]:
    """A random walk of ``count`` ticks about every 0.7 s (prices on a 0.001 grid, so draws happen)."""
    rng = np.random.default_rng(seed)
    times = start + np.cumsum(rng.uniform(0.3, 1.1, count))
    prices = np.round(1.1 + np.cumsum(rng.choice([-0.001, 0.0, 0.001], count)), 3)
    return np.round(times, 3), prices


def feed_ticks(runner: StrategyRunner, clock: Clock, times: np.ndarray, prices: np.ndarray, per_frame: int = 3) -> None:
    for i in range(0, len(times), per_frame):
        ticks = tuple(Tick(ASSET, float(t), float(p)) for t, p in zip(times[i:i + per_frame], prices[i:i + per_frame],
                                                                       strict=True))
        clock.now = ticks[-1].time + 0.2
        runner.handle(ev.TicksReceived(clock.now, "s1", ticks))


def make_runner(tmp_path: Path, limits: RiskLimits = OPEN, payout: float = 80.0,
                start: float = 1_800_000_000.0) -> tuple[StrategyRunner, TradeJournal, Clock]:
    clock = Clock(start)
    journal = TradeJournal(tmp_path / "journal.sqlite3", clock=clock)
    runner = StrategyRunner(None, journal, RiskGuard(limits), clock=clock)
    runner.handle(ev.AssetsUpdated(start, "s1", (Asset(ASSET, payout=payout), Asset("BTCUSD", payout=70.0))))
    return runner, journal, clock


def test_live_signals_equal_batch_signals_and_paper_results_follow_the_tick_path(tmp_path: Path) -> None:
    runner, journal, clock = make_runner(tmp_path)
    runner.enable("sma_cross", {"fast": "2", "slow": "3"}, [ASSET], "5s", "10s")
    times, prices = price_path(900)
    feed_ticks(runner, clock, times, prices)
    label = "sma_cross(fast=2,slow=3)"

    # batch signals over the same closed candles (the first, partial one and the forming last one left out)
    candles = aggregate_tick_arrays(times, prices, 5)
    closed = candles.head(len(candles) - 1)
    closed = type(closed)(*(getattr(closed, c)[1:] for c in ("time", "open", "high", "low", "close", "volume")))
    batch = default_registry().create("sma_cross", {"fast": 2, "slow": 3}).signals(closed, ASSET, 5, 10)
    records = journal.list(strategy=label, account="paper")
    assert len(batch) > 20
    assert [(r.requested_at > 0, r.direction) for r in records] == [(True, s.direction.value) for s in batch]

    settled = 0
    for signal, record in zip(batch, records, strict=True):
        entry = prices[np.searchsorted(times, signal.time, side="left") - 1]  # last tick before the candle end
        assert record.open_price == entry
        assert record.requested_at >= signal.time  # decided after the candle closed, never from the forming one
        deadline = signal.time + 10
        if times[-1] <= deadline:
            assert record.status == "confirmed"  # no tick after the expiry yet: not settled
            continue
        exit_price = prices[np.searchsorted(times, deadline, side="left") - 1]  # last tick before t + E
        outcome, profit = settle(Direction(record.direction), entry, exit_price, 1.0, 80.0)
        assert (record.status, record.close_price, record.outcome) == ("closed", exit_price, outcome)
        assert record.profit == pytest.approx(profit)
        settled += 1
    assert settled >= len(batch) - 2
    outcomes = {r.outcome for r in records if r.status == "closed"}
    assert {"win", "loss"} <= outcomes
    status = runner.status()[0]
    assert (status.label, status.signals, status.closed, status.waiting) == (label, len(batch), settled, None)
    assert status.pnl == pytest.approx(sum(r.profit for r in records if r.status == "closed"))


def test_no_signal_from_the_forming_candle(tmp_path: Path) -> None:
    runner, journal, clock = make_runner(tmp_path)
    runner.enable("sma_cross", {"fast": "2", "slow": "3"}, [ASSET], "5s", "5s")
    times, prices = price_path(400, seed=11)
    signal_count = 0
    for i in range(len(times)):
        before = runner.status()[0].signals
        feed_ticks(runner, clock, times[i:i + 1], prices[i:i + 1])
        after = runner.status()[0].signals
        if after > before:  # only a tick that opens a new period (closing the previous candle) may signal
            signal_count += 1
            assert i > 0 and times[i] // 5 != times[i - 1] // 5
            last = runner.status()[0].last_signal
            assert last is not None and last["time"] == (times[i - 1] // 5 + 1) * 5
            assert last["close"] == prices[i - 1]
    assert signal_count > 5


def test_the_guard_refuses_and_says_which_rule(tmp_path: Path) -> None:
    runner, journal, clock = make_runner(tmp_path, RiskLimits(max_trades_per_hour=3, max_consecutive_losses=None,
                                                             max_open_trades=None))
    runner.enable("sma_cross", {"fast": "2", "slow": "3"}, [ASSET], "5s", "5s")
    times, prices = price_path(400, seed=3)
    feed_ticks(runner, clock, times, prices)
    records = journal.list(account="paper")
    placed = [r for r in records if r.status != "refused"]
    refused = [r for r in records if r.status == "refused"]
    assert len(placed) == 3 and len(refused) > 3
    assert all(r.reason.startswith("max_trades_per_hour: 3 trades in the last hour") for r in refused)
    status = runner.status()[0]
    assert status.refusals == {"max_trades_per_hour": len(refused)} and status.orders == len(records)


def test_unknown_payout_is_refused_not_guessed(tmp_path: Path) -> None:
    runner, journal, clock = make_runner(tmp_path)
    runner.enable("sma_cross", {"fast": "2", "slow": "3"}, ["GBPUSD"], "5s", "5s")
    times, prices = price_path(200)
    for i in range(0, len(times)):
        clock.now = times[i] + 0.1
        runner.handle(ev.TicksReceived(clock.now, "s1", (Tick("GBPUSD", float(times[i]), float(prices[i])),)))
    records = journal.list(account="paper")
    assert records and all(r.status == "refused" and r.reason.startswith("payout_unknown") for r in records)


def test_a_stream_gap_leaves_open_trades_unknown(tmp_path: Path) -> None:
    runner, journal, clock = make_runner(tmp_path)
    runner.enable("sma_cross", {"fast": "2", "slow": "3"}, [ASSET], "5s", "60s")
    times, prices = price_path(300, seed=5)
    feed_ticks(runner, clock, times[:150], prices[:150])
    open_before = [r for r in journal.list(account="paper") if r.status == "confirmed"]
    assert open_before
    runner.handle(LinkChanged(clock.now, False, "test: browser went away"))
    feed_ticks(runner, clock, times[150:], prices[150:])
    for record in open_before:  # never settled, never given an invented outcome
        after = journal.get(record.client_id)
        assert after is not None and after.status == "confirmed" and after.outcome is None
    status = runner.status()[0]
    assert status.unknown == len(open_before)
    unknown = [t for t in runner.paper.finished if t.status == "unknown"]
    assert {t.client_id for t in unknown} == {r.client_id for r in open_before}
    assert all("capture link down" in t.reason for t in unknown)
    # once past expiry + settle timeout they no longer count as open trades for the guard
    later = clock.now + 60 + runner.paper.settle_timeout + 1
    assert journal.account_state(later, account="paper").open_trades >= len(open_before)
    assert paper_account_state(journal, later, runner.paper.settle_timeout).open_trades == 0


def test_live_ab_pair_tracked_with_the_backtest_statistics(tmp_path: Path) -> None:
    runner, journal, clock = make_runner(tmp_path)
    a = runner.enable("sma_cross", {"fast": "2", "slow": "3"}, [ASSET], "5s", "10s").label
    b = runner.enable("sma_cross", {"fast": "3", "slow": "6"}, [ASSET], "5s", "10s").label
    times, prices = price_path(900, seed=21)
    feed_ticks(runner, clock, times, prices)
    comparison = runner.compare(a, b)
    reports = {r["strategy"]: r for r in runner.performance(window=10)}
    for label in (a, b):
        stats = reports[label]["statistics"]
        assert stats["trades"] == reports[label]["trades"] > 5
        decided = stats["wins"] + stats["losses"]
        assert stats["win_rate"] == pytest.approx(stats["wins"] / decided)
        assert stats["break_even_win_rate"] == pytest.approx(1 / 1.8)
        assert 0 <= stats["p_value"] <= 1
        rolling = reports[label]["rolling_win_rate"]
        closed = sorted((r for r in journal.list(status="closed", strategy=label) if r.outcome != "draw"),
                        key=lambda r: r.closed_at)
        assert rolling == pytest.approx(sum(r.outcome == "win" for r in closed[-10:]) / len(closed[-10:]))
    assert comparison.baseline == a and comparison.challenger == b
    assert 0 <= comparison.p_value <= 1 and comparison.verdict
    # the same asset at the same times: dependent samples, tested paired, and the verdict says so
    assert comparison.paired and comparison.overlap_baseline > 0.5 and "trade the same candles" in comparison.verdict
    assert comparison.comparisons == 1 and comparison.p_value_adjusted == comparison.p_value
    live = {label: [r.profit for r in journal.list(status="closed", strategy=label)] for label in (a, b)}
    assert comparison.expectancy_baseline == pytest.approx(sum(live[a]) / len(live[a]))
    assert comparison.difference == pytest.approx(sum(live[b]) / len(live[b]) - sum(live[a]) / len(live[a]))
    for label in (a, b):  # 10 s trades on 5 s candles overlap each other: the HAC test, not the binomial
        assert "overlapping trades" in reports[label]["statistics"]["expectancy_p_value_method"]
    # a third strategy in the runner is one more variant tried: Holm over the two comparisons with the baseline
    c = runner.enable("sma_cross", {"fast": "2", "slow": "6"}, [ASSET], "5s", "10s").label
    feed_ticks(runner, clock, times[-1] + 0.4 + times[:300] - times[0], prices[:300])
    with_b, with_c = runner.compare(a, b), runner.compare(a, c)
    assert with_b.comparisons == with_c.comparisons == 2
    smaller, larger = sorted((with_b.p_value, with_c.p_value))
    expected = {smaller: min(1.0, 2 * smaller), larger: min(1.0, max(2 * smaller, larger))}
    assert (with_b.p_value_adjusted, with_c.p_value_adjusted) == pytest.approx(
        (expected[with_b.p_value], expected[with_c.p_value]))


def test_set_up_errors_are_clear(tmp_path: Path) -> None:
    runner, _, _ = make_runner(tmp_path)
    with pytest.raises(ValueError, match="real-account trading is off"):
        runner.enable("sma_cross", {}, [ASSET], "1m", mode="real")
    with pytest.raises(ValueError, match="needs an attached trading session"):
        runner.enable("sma_cross", {}, [ASSET], "1m", mode="demo")
    with pytest.raises(ValueError, match="at least one asset"):
        runner.enable("sma_cross", {}, [], "1m")
    with pytest.raises(ValueError, match="slow"):
        runner.enable("sma_cross", {"fast": "5", "slow": "3"}, [ASSET], "1m")
    with pytest.raises(KeyError):
        runner.enable("no_such_strategy", {}, [ASSET], "1m")
    runner.enable("sma_cross", {}, [ASSET], "1m")
    with pytest.raises(ValueError, match="already running"):
        runner.enable("sma_cross", {}, [ASSET], "1m")
    assert runner.disable("sma_cross") and not runner.disable("sma_cross")


def test_labels_round_trip() -> None:
    label = strategy_label("confluence", {"threshold": 0.25, "ema_period": 30})
    assert label == "confluence(threshold=0.25,ema_period=30)"
    assert parse_label(label) == ("confluence", {"threshold": "0.25", "ema_period": "30"})
    assert parse_label("rsi_reversal") == ("rsi_reversal", {})
    with pytest.raises(ValueError):
        parse_label("bad label(")
    assert math.isfinite(float(parse_label(label)[1]["threshold"]))


def test_paper_guard_scope_per_strategy_keeps_ab_arms_independent(tmp_path: Path) -> None:
    clock = Clock(1_800_000_000.0)
    journal = TradeJournal(tmp_path / "journal.sqlite3", clock=clock)
    limits = RiskLimits(max_trades_per_hour=2, max_consecutive_losses=None, max_open_trades=None)
    runner = StrategyRunner(None, journal, RiskGuard(limits), clock=clock, paper_scope="strategy")
    runner.handle(ev.AssetsUpdated(clock.now, "s1", (Asset(ASSET, payout=80.0),)))
    a = runner.enable("sma_cross", {"fast": "2", "slow": "3"}, [ASSET], "5s", "5s").label
    b = runner.enable("sma_cross", {"fast": "3", "slow": "5"}, [ASSET], "5s", "5s").label
    times, prices = price_path(400, seed=3)
    feed_ticks(runner, clock, times, prices)
    for label in (a, b):  # each arm had its own two trades per hour; the other arm's trades did not count
        records = journal.list(strategy=label)
        assert len([r for r in records if r.status != "refused"]) == 2
        assert {r.reason.split(":")[0] for r in records if r.status == "refused"} == {"max_trades_per_hour"}


def test_a_strategy_starts_warm_from_the_broker_history_on_the_stream(tmp_path: Path) -> None:
    runner, journal, clock = make_runner(tmp_path)
    runner.enable("sma_cross", {"fast": "3", "slow": "8"}, [ASSET], "5s", "10s")
    times, prices = price_path(900, seed=29)
    split = 300
    history = tuple(Tick(ASSET, float(t), float(p)) for t, p in zip(times[:split], prices[:split], strict=True))
    runner.handle(ev.HistoryReceived(times[split - 1], "s1", ASSET, 5, history, (), None, "updateHistoryNewFast"))
    feed_ticks(runner, clock, times[split:], prices[split:])
    # batch over every candle (history + live); the runner decides from the first full live candle on
    candles = aggregate_tick_arrays(times, prices, 5)
    candles = candles.head(len(candles) - 1)
    batch = default_registry().create("sma_cross", {"fast": 3, "slow": 8}).signals(candles, ASSET, 5, 10)
    first_live = (times[split] // 5) * 5  # the first live candle (partial) is the first one decided on
    expected = [(s.time, s.direction.value) for s in batch if s.time - 5 >= first_live]
    records = journal.list(account="paper")
    assert len(expected) > 10
    assert [r.direction for r in records] == [d for _, d in expected]
    assert [r.open_price for r in records] == [prices[np.searchsorted(times, t) - 1] for t, _ in expected]
    status = runner.status()[0]
    assert status.candles == len(candles) - int(first_live // 5 - candles.time[0] // 5)
    assert status.waiting is None
