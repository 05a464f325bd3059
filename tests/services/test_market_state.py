"""The terminal's Qt-free state: isolation, local timeframe recomputation, source sensing."""

from __future__ import annotations

import numpy as np

from quantumflux.core.candles import CandleArrays, aggregate_tick_arrays, derive
from quantumflux.core.model import Asset, Balance, Candle, Deal, Direction, Tick
from quantumflux.core.protocol import events as ev
from quantumflux.core.source import SourceState
from quantumflux.services.market_state import MarketState, StoredHistoryLoaded


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _ticks(asset: str, start: float, n: int, step: float = 0.5, base: float = 1.1) -> tuple[Tick, ...]:
    rng = np.random.default_rng(7)
    prices = base + np.cumsum(rng.normal(0, 1e-4, n))
    return tuple(Tick(asset, start + i * step, round(float(p), 5)) for i, p in enumerate(prices))


def test_a_view_never_sees_another_assets_ticks():
    clock = Clock(3_600_000.0)
    state = MarketState(clock=clock)
    state.apply([ev.SocketOpened(clock.now, "s1", "wss://demo-api-eu.po.market/socket.io/", True)])
    view = state.open_view("EURUSD_otc", "1m")
    eur = _ticks("EURUSD_otc", 3_600_000.0, 100)
    btc = _ticks("BTCUSD_otc", 3_600_000.0, 100, base=60000.0)
    clock.now = 3_600_050.0
    changes = state.apply([ev.TicksReceived(clock.now, "s1", eur[i : i + 1] + btc[i : i + 1]) for i in range(100)])
    assert changes.ticks_for == {"EURUSD_otc", "BTCUSD_otc"}
    prices = [c.close for c in view.arrays().to_candles("EURUSD_otc", 60)] + [view.forming().close]
    assert all(p < 2 for p in prices), "a BTC price reached the EUR chart"
    assert view.forming().volume + int(view.arrays().volume.sum()) == 100
    btc_view = state.open_view("BTCUSD_otc", "1m")
    assert float(btc_view.arrays().close.min() if len(btc_view.arrays()) else btc_view.forming().close) > 1000


def test_timeframe_change_is_a_local_recomputation_equal_to_direct_aggregation():
    clock = Clock(7_200_000.0)
    state = MarketState(clock=clock)
    ticks = _ticks("EURUSD_otc", 7_200_000.0, 3000, step=0.7)
    clock.now = ticks[-1].time + 400  # every candle (also 5m) has ended
    state.apply([ev.TicksReceived(clock.now, "s", ticks)])
    times = np.array([t.time for t in ticks])
    prices = np.array([t.price for t in ticks])
    for tf in (5, 60, 300):
        view = state.open_view("EURUSD_otc", tf)
        view.advance(clock.now)
        got = view.arrays()
        want = aggregate_tick_arrays(times, prices, tf)
        assert np.array_equal(got.time, want.time), tf
        assert np.allclose(got.close, want.close) and np.allclose(got.high, want.high) and np.allclose(got.low, want.low)
    one_minute = state.open_view("EURUSD_otc", 60).arrays()
    five = state.open_view("EURUSD_otc", 300)
    five.advance(clock.now)
    assert np.allclose(derive(one_minute, 300).close, five.arrays().close)


def test_stored_history_seeds_the_chart_and_live_ticks_extend_it():
    clock = Clock(10_800_000.0)
    start = 10_800_000.0 - 3600
    t = start + 60 * np.arange(60)
    stored = CandleArrays.from_columns(t, np.full(60, 1.0), np.full(60, 1.2), np.full(60, 0.9), np.full(60, 1.1), np.ones(60))
    state = MarketState(clock=clock, stored_history=lambda asset: stored if asset == "EURUSD_otc" else None,
                        close_delay=0.0)
    assert state.finest_period("EURUSD_otc") == 60
    assert state.finest_period("NOPE") is None
    view = state.open_view("EURUSD_otc", "5m")
    assert len(view.arrays()) == 12
    assert state.status("EURUSD_otc").state is SourceState.HISTORICAL
    assert state.history_range("EURUSD_otc") == (start, float(t[-1]))
    state.apply([ev.SocketOpened(clock.now, "s", "wss://x/socket.io/", True)])
    assert state.status("EURUSD_otc").state is SourceState.CONNECTING
    state.apply([ev.TicksReceived(clock.now, "s", (Tick("EURUSD_otc", clock.now + 1, 1.15),))])
    assert state.status("EURUSD_otc").state is SourceState.LIVE
    assert view.forming().close == 1.15
    clock.now += 400
    state.apply([])
    closed = view.take_closed()
    assert [c.close for c in closed] == [1.15]
    assert state.status("EURUSD_otc").state is SourceState.HISTORICAL  # quiet for 400 s, socket still open


def test_deferred_stored_history_is_read_by_a_worker_and_applied_as_an_event():
    clock = Clock(10_800_000.0)
    t = 10_800_000.0 - 3600 + 60 * np.arange(60)
    stored = CandleArrays.from_columns(t, np.full(60, 1.0), np.full(60, 1.2), np.full(60, 0.9), np.full(60, 1.1), np.ones(60))
    reads: list[str] = []

    def source(asset: str) -> CandleArrays | None:
        reads.append(asset)
        if asset == "BROKEN":
            raise OSError("disk on fire")
        return stored if asset == "EURUSD_otc" else None

    state = MarketState(clock=clock, stored_history=source, close_delay=0.0, defer_stored=True)
    state.apply([ev.TicksReceived(clock.now, "s", (Tick("EURUSD_otc", clock.now + 1, 1.15),))])
    view = state.open_view("EURUSD_otc", "5m")
    assert reads == [] and len(view.arrays()) == 0, "nothing is read on the caller's (GUI) thread"
    state.finest_period("EURUSD_otc")
    assert state.take_stored_requests() == ["EURUSD_otc"]
    assert state.take_stored_requests() == [], "each asset is asked for once"
    loaded = state.read_stored("EURUSD_otc")
    assert reads == ["EURUSD_otc"] and loaded.arrays is stored
    changes = state.apply([loaded])
    assert changes.history_for == {"EURUSD_otc"} and state.view is not view
    assert len(state.view.arrays()) == 12 and state.view.forming().close == 1.15, "stored history + the live tick"
    assert state.apply([loaded]).history_for == frozenset(), "the same history again changes nothing"
    state.open_view("BROKEN", "1m")
    assert state.take_stored_requests() == ["BROKEN"]
    failed = state.read_stored("BROKEN")
    assert failed == StoredHistoryLoaded("BROKEN", None, "disk on fire")
    assert state.apply([failed]).messages == ("stored history of BROKEN unavailable: disk on fire",)
    state.open_view("BROKEN", "1m")
    assert state.take_stored_requests() == [], "a failed read is not retried in a loop"


def test_broker_history_and_account_events():
    clock = Clock(14_400_000.0)
    state = MarketState(clock=clock, close_delay=0.0)
    candles = tuple(Candle("EURUSD_otc", 60, 14_400_000.0 - 600 + 60 * i, 1, 2, 0.5, 1.5) for i in range(10))
    deal = Deal("d1", "EURUSD_otc", Direction.CALL, 5.0, open_time=clock.now, close_time=clock.now + 60)
    changes = state.apply([
        ev.AssetsUpdated(clock.now, "s", (Asset("EURUSD_otc", payout=92),)),
        ev.BalanceUpdated(clock.now, "s", Balance(100.0, True)),
        ev.HistoryReceived(clock.now, "s", "EURUSD_otc", 60, (), candles, None, "updateHistoryNewFast"),
        ev.OrderOpened(clock.now, "s", deal),
        ev.OrderFailed(clock.now, "s", "Not enough money", "EURUSD_otc", 1e6),
    ])
    assert changes.assets and changes.balance and changes.deals and changes.history_for == {"EURUSD_otc"}
    assert any("Not enough money" in m for m in changes.messages)
    assert state.open_view("EURUSD_otc", "1m").arrays().close.tolist() == [1.5] * 10
    closed = Deal("d1", "EURUSD_otc", Direction.CALL, 5.0, profit=4.6, closed=True)
    state.apply([ev.DealsClosed(clock.now, "s", (closed,), 4.6)])
    assert "d1" not in state.open_deals and state.closed_deals["d1"].profit == 4.6
    state.apply([ev.LoginRejected(clock.now, "s", "NotAuthorized")])
    assert state.login == "rejected"


def test_a_tick_that_arrives_just_after_its_period_still_counts():
    clock = Clock(18_000_000.0 + 30)
    state = MarketState(clock=clock)  # default grace: 2 s
    view = state.open_view("EURUSD_otc", "1m")
    state.apply([ev.TicksReceived(clock.now, "s", (Tick("EURUSD_otc", 18_000_000.0 + 30, 1.1),))])
    clock.now = 18_000_060.0 + 1.0  # the period ended a second ago; its last tick is still in flight
    state.apply([ev.TicksReceived(clock.now, "s", (Tick("EURUSD_otc", 18_000_059.9, 1.2),))])
    assert view.take_closed() == []
    clock.now = 18_000_060.0 + 2.5
    state.apply([])
    closed = view.take_closed()
    assert [(c.close, c.volume) for c in closed] == [(1.2, 2)]


def test_history_the_state_already_holds_does_not_rebuild_the_chart():
    clock = Clock(21_600_000.0)
    state = MarketState(clock=clock, close_delay=0.0)
    candles = tuple(Candle("EURUSD_otc", 60, 21_600_000.0 - 600 + 60 * i, 1, 2, 0.5, 1.5) for i in range(10))
    history = ev.HistoryReceived(clock.now, "s", "EURUSD_otc", 60, (), candles, None, "updateHistoryNewFast")
    assert state.apply([history]).history_for == {"EURUSD_otc"}
    view = state.open_view("EURUSD_otc", "1m")
    assert state.apply([history]).history_for == frozenset()
    assert state.view is view, "the same history again must not rebuild the view"
    newer = candles[1:] + (Candle("EURUSD_otc", 60, 21_600_000.0, 1, 3, 0.5, 2.5),)
    clock.now += 60
    assert state.apply([ev.HistoryReceived(clock.now, "s", "EURUSD_otc", 60, (), newer, None, "x")]).history_for
    assert state.view is not view


def test_history_of_a_period_the_chart_is_not_made_of_leaves_the_chart_alone():
    clock = Clock(21_600_000.0)
    state = MarketState(clock=clock, close_delay=0.0)
    state.apply([ev.TicksReceived(clock.now, "s", _ticks("EURUSD_otc", clock.now - 30, 40))])
    minute = state.view_for("EURUSD_otc", "1m")
    five = state.open_view("EURUSD_otc", "5s")
    candles = tuple(Candle("EURUSD_otc", 60, 21_600_000.0 - 600 + 60 * i, 1, 2, 0.5, 1.5) for i in range(5))
    changes = state.apply([ev.HistoryReceived(clock.now, "s", "EURUSD_otc", 60, (), candles, None, "x")])
    assert changes.history_for == frozenset(), "1 m candles cannot change a 5 s chart: no rebuild"
    assert state.view is five
    rebuilt = state.view_for("EURUSD_otc", "1m")
    assert rebuilt is not minute, "the cached 1 m view is made of that history: rebuilt on next use"
    assert [float(t) for t in rebuilt.arrays().time[:5]] == [c.time for c in candles]
    history_5s = tuple(Candle("EURUSD_otc", 5, 21_600_000.0 - 300 + 5 * i, 1, 2, 0.5, 1.5) for i in range(10))
    state.open_view("EURUSD_otc", "5s")
    five = state.view
    assert state.apply([ev.HistoryReceived(clock.now, "s", "EURUSD_otc", 5, (), history_5s, None, "x")]).history_for
    assert state.view is not five and state.view.timeframe == 5
