"""The strategy runner on a live stream: the practice broker in headless Chromium, captured over CDP.

One ~40 s session feeds two runners through the same capture hub: one paper-trades a live A/B pair
with open limits, the other runs under a strict risk guard. Every paper result is checked against
the ticks the broker itself emitted.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quantumflux.config import Settings
from quantumflux.core.risk import RiskGuard, RiskLimits
from quantumflux.core.strategies import default_registry
from quantumflux.services.paper import settle
from quantumflux.services.strategy_runner import RunnerEvent, StrategyRunner
from quantumflux.services.terminal_session import TerminalSession
from quantumflux.services.trading import TradingSession
from quantumflux.storage.journal import TradeJournal

sys.path.insert(0, str(Path(__file__).resolve().parent))
import momentum_strategy  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RUN_SECONDS = 40.0
OPEN = RiskLimits(max_stake=None, max_open_trades=None, max_trades_per_hour=None, daily_loss_limit=None,
                  max_consecutive_losses=None)


@dataclass
class LiveRun:
    broker_ticks: dict[str, tuple[np.ndarray, np.ndarray]]
    ab: StrategyRunner
    strict: StrategyRunner
    ab_journal: TradeJournal
    strict_journal: TradeJournal
    demo: StrategyRunner
    demo_journal: TradeJournal
    ledger: list[Any]
    events: list[RunnerEvent]
    assets: list[str]
    labels: tuple[str, str]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("runner-live")
    registry = default_registry(momentum_strategy.install(tmp))
    session = TerminalSession(Settings(data_root=tmp / "data"), demo=True,
                              broker_options={"seed": 17, "tick_rate": 4.0, "assets": 4})
    ab_journal = TradeJournal(tmp / "ab.sqlite3")
    strict_journal = TradeJournal(tmp / "strict.sqlite3")
    demo_journal = TradeJournal(tmp / "demo.sqlite3")
    events: list[RunnerEvent] = []
    trading = None
    try:
        session.start()
        capture = session.hub.capture
        demo_guard = RiskGuard(RiskLimits(max_trades_per_hour=3))
        trading = TradingSession(session.settings, session.hub, capture.host, capture.port, demo_journal, demo_guard)
        demo = StrategyRunner(session.hub, demo_journal, demo_guard, trading, registry=registry)
        ab = StrategyRunner(session.hub, ab_journal, RiskGuard(OPEN), registry=registry, listener=events.append)
        strict = StrategyRunner(session.hub, strict_journal, RiskGuard(RiskLimits(max_trades_per_hour=2)),
                                registry=registry)
        ab.start()
        strict.start()
        demo.start()
        assets = [asset.symbol for asset in session.broker.assets][:4]
        deadline = time.monotonic() + 20
        while not session.hub.state.connected:
            assert time.monotonic() < deadline, "the capture never connected to the browser"
            time.sleep(0.1)
        for url in session.broker.tab_urls(assets[1:]):  # the broker streams each page what it shows
            assert session.hub.open_tab(url)
        a = ab.enable("momentum", {}, assets, "5s", "5s").label
        b = ab.enable("sma_cross", {"fast": 2, "slow": 3}, assets, "5s", "10s").label
        strict.enable("momentum", {}, assets, "5s", "5s")
        demo.enable("momentum", {}, assets[:1], "5s", "5s", "demo")
        deadline = time.monotonic() + 20
        while ab.paper.payout(assets[0]) is None:
            assert time.monotonic() < deadline, "the broker's asset list (payouts) never arrived"
            time.sleep(0.2)
        time.sleep(RUN_SECONDS)
        ab.stop()
        strict.stop()
        demo.drain(0)  # no new signals; the demo deals close at the broker and their results come back
        deadline = time.monotonic() + 15
        while demo_journal.list(status=("pending", "confirmed"), account="demo") and time.monotonic() < deadline:
            time.sleep(0.2)
        demo.stop()
        emitted = session.broker.emitted_ticks()
        ticks = {}
        for asset in assets:
            rows = sorted((t.time, t.price) for t in emitted if t.asset == asset)
            ticks[asset] = (np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))
        yield LiveRun(ticks, ab, strict, ab_journal, strict_journal, demo, demo_journal, session.broker.ledger,
                      events, assets, (a, b))
    finally:
        if trading is not None:
            trading.close()
        session.stop()
        demo_journal.close()
        ab_journal.close()
        strict_journal.close()


def test_every_paper_result_follows_the_brokers_own_price_path(live: LiveRun) -> None:
    closed = [t for t in live.ab.paper.finished if t.status == "closed"]
    assert len(closed) >= 10, f"only {len(closed)} paper trades settled"
    assert all(len(live.broker_ticks[asset][0]) > 50 for asset in live.assets)  # every asset streamed (tabs)
    assert {t.asset for t in closed} == set(live.assets)
    for trade in closed:
        times, prices = live.broker_ticks[trade.asset]
        entry = prices[np.searchsorted(times, trade.entry_time, side="left") - 1]  # close of the signal candle
        exit_price = prices[np.searchsorted(times, trade.deadline, side="left") - 1]  # last tick < entry + E
        assert trade.entry_price == entry and trade.exit_price == exit_price, trade
        assert times[-1] > trade.deadline
        outcome, profit = settle(trade.direction, entry, exit_price, trade.amount, trade.payout)
        record = live.ab_journal.get(trade.client_id)
        assert record is not None and record.account == "paper" and record.source == trade.source
        assert (record.status, record.outcome, record.open_price, record.close_price) == (
            "closed", outcome, entry, exit_price)
        assert record.profit == pytest.approx(profit)
    unknown = [t for t in live.ab.paper.finished if t.status == "unknown"]
    # no gap in this run: only trades still open when the runner stopped are unknown (never guessed)
    assert all(t.reason == "exit not seen: the runner stopped before the expiry" for t in unknown)
    for trade in unknown:
        record = live.ab_journal.get(trade.client_id)
        assert record is not None and (record.status, record.outcome) == ("confirmed", None)


def test_signals_come_from_closed_candles_only(live: LiveRun) -> None:
    signals = [e for e in live.events if e.kind == "signal"]
    assert signals
    for event in signals:
        assert event.data["time"] % 5 == 0  # a candle end, never a forming candle's time
        assert event.time >= event.data["time"]  # decided after that candle closed
        times, prices = live.broker_ticks[event.asset]
        assert event.data["close"] == prices[np.searchsorted(times, event.data["time"], side="left") - 1]


def test_live_ab_pair_runs_side_by_side_with_statistics(live: LiveRun) -> None:
    a, b = live.labels
    status = {s.label: s for s in live.ab.status()}
    assert status[a].signals > 0 and status[b].signals > 0
    assert status[a].assets == status[b].assets == tuple(live.assets)
    comparison = live.ab.compare(a, b)
    assert (comparison.baseline, comparison.challenger) == (a, b)
    assert comparison.paired and "trade the same candles" in comparison.verdict  # same assets, same times
    if comparison.p_value != comparison.p_value:  # 40 s of trades: too few time blocks to test, said plainly
        assert comparison.verdict.startswith("cannot compare: too few trades to test")
    else:
        assert 0 <= comparison.p_value <= 1 and "block bootstrap" in comparison.method
    for report in live.ab.performance():
        trades = live.ab_journal.list(status="closed", strategy=report["strategy"])
        assert report["trades"] == report["statistics"]["trades"] == len(trades)
        assert report["pnl"] == pytest.approx(sum(r.profit for r in trades))


def test_the_guard_refuses_what_it_must_and_says_which_rule(live: LiveRun) -> None:
    records = live.strict_journal.list(account="paper")
    placed = [r for r in records if r.status != "refused"]
    refused = [r for r in records if r.status == "refused"]
    assert len(placed) == 2 and refused
    assert all(r.reason.startswith("max_trades_per_hour:") for r in refused)
    assert live.strict.status()[0].refusals == {"max_trades_per_hour": len(refused)}


def test_demo_mode_places_orders_on_the_page_and_journals_the_brokers_results(live: LiveRun) -> None:
    records = live.demo_journal.list(account="demo")
    placed = [r for r in records if r.status in ("confirmed", "closed")]
    assert placed, [(r.status, r.reason) for r in records]
    by_deal = {entry.deal_id: entry for entry in live.ledger if entry.deal_id}
    for record in placed:
        assert record.source == "momentum" and record.deal_id in by_deal
        deal = by_deal[record.deal_id]
        assert deal.is_demo and (deal.asset, deal.amount, deal.direction) == (record.asset, record.amount,
                                                                              record.direction)
    closed = [r for r in placed if r.status == "closed"]
    assert closed, "no demo deal result came back from the broker"
    for record in closed:
        assert record.outcome == ("win" if record.profit > 0 else "loss" if record.profit < 0 else "draw")
    assert all(r.reason.startswith("max_trades_per_hour") for r in records if r.status == "refused")
    assert live.demo.status()[0].mode == "demo"
