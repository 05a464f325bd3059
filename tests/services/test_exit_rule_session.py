"""The exit rule on real practice-broker sessions: paper trades = candle backtest = ``--tick-exits`` backtest =
the broker's own settlement, trade for trade, with ticks on whole seconds, half seconds and millisecond fractions.

Three practice brokers run at once over real sockets (ticks at 1 Hz on whole seconds, 2 Hz on half seconds,
4 Hz with millisecond jitter). A plain Socket.IO client reads each one's frames; the project's decoder turns
them into events that feed a real :class:`StrategyRunner` (paper executor, candle store) as they arrive. On
the grids, every expiry instant has a tick stamped exactly on it: the case where "at or before" and "before"
give different exits.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quantumflux.core.backtest import DRAW, LOSS, WIN, BacktestConfig
from quantumflux.core.protocol.decoder import Decoder
from quantumflux.core.risk import RiskGuard, RiskLimits
from quantumflux.core.strategies import default_registry
from quantumflux.services.backtesting import StrategySpec, load_arrays, load_tick_arrays, run_one
from quantumflux.services.paper import PaperTrade
from quantumflux.services.strategy_runner import StrategyRunner
from quantumflux.sim import PracticeBroker
from quantumflux.storage.csv_store import ChunkedCsvStore
from quantumflux.storage.journal import TradeJournal

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim"))
from sim_wire_client import WireClient  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import momentum_strategy  # noqa: E402

pytestmark = pytest.mark.slow

RUN_SECONDS = 30.0
ASSETS = 4
OPEN = RiskLimits(max_stake=None, max_open_trades=None, max_trades_per_hour=None, daily_loss_limit=None,
                  max_consecutive_losses=None)
GRIDS = {"whole": (1.0, 0.0), "half": (2.0, 0.0), "fractional": (4.0, 0.8)}  # tick rate (Hz), jitter
#: label -> expiry (s) on 2 s candles: one candle, three candles (trades overlap), 3 s (ticks only)
ARMS = {"momentum": 2, "momentum(3 candles)": 6, "momentum(3 s)": 3}


@dataclass
class Session:
    grid: str
    broker: PracticeBroker
    runner: StrategyRunner
    data: Path
    folders: tuple[Path, ...]
    ticks: dict[str, tuple[np.ndarray, np.ndarray]]
    errors: list[str]


def _run(session: Session, client: WireClient, deadline: float) -> None:
    """Read frames until ``deadline``; decode each and hand the events to the runner as they arrive."""
    decoder, seen = Decoder(), 0
    try:
        while time.time() < deadline:
            client.read()
            for frame in client.capture[seen:]:
                for event in decoder.feed(frame):
                    session.runner.handle(event)
            seen = len(client.capture)
    except Exception as exc:  # reported by the test, never swallowed
        session.errors.append(repr(exc))
    finally:
        client.close()


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("exit-rule")
    folders = momentum_strategy.install(tmp)
    registry = default_registry(folders)
    started: list[Session] = []
    stores, journals, threads = [], [], []
    try:
        for seed, (grid, (rate, jitter)) in enumerate(GRIDS.items(), 31):
            broker = PracticeBroker(seed=seed, assets=ASSETS, tick_rate=rate, tick_jitter=jitter).start()
            journal = TradeJournal(tmp / f"{grid}.sqlite3")
            store = ChunkedCsvStore(tmp / grid, session_start=time.time())
            runner = StrategyRunner(None, journal, RiskGuard(OPEN), registry=registry, store=store,
                                    seed_from_stream=False)
            assets = [asset.symbol for asset in broker.assets if asset.active]
            for label, expiry in ARMS.items():
                runner.enable("momentum", {}, assets, "2s", expiry, label=label)
            session = Session(grid, broker, runner, tmp / grid, folders, {}, [])
            started.append(session)
            stores.append(store)
            journals.append(journal)
            client = WireClient(broker.ws_url)
            client.login()
            client.subscribe(*assets)  # the broker streams only what a client shows (up to four assets)
            threads.append(threading.Thread(target=_run, args=(session, client, time.time() + RUN_SECONDS)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(RUN_SECONDS + 30)
        for session, store, journal in zip(started, stores, journals, strict=True):
            store.close()
            journal.close()
            for asset in {t.asset for t in session.runner.paper.finished}:
                rows = sorted((t.time, t.price) for t in session.broker.emitted_ticks() if t.asset == asset)
                session.ticks[asset] = (np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))
        yield {session.grid: session for session in started}
    finally:
        for session in started:
            session.broker.stop()


def _closed(session: Session, label: str, asset: str | None = None) -> list[PaperTrade]:
    return [t for t in session.runner.paper.finished
            if t.status == "closed" and t.source == label and (asset is None or t.asset == asset)]


NAMES = {WIN: "win", LOSS: "loss", DRAW: "draw"}


def _rows(trades: Any) -> list[tuple[float, float, float, str, float]]:
    return [(float(t), float(e), float(x), NAMES[int(o)], float(p)) for t, e, x, o, p in
            zip(trades.entry_time, trades.entry_price, trades.exit_price, trades.outcome, trades.profit, strict=True)]


@pytest.mark.parametrize("grid", list(GRIDS))
def test_paper_exits_are_the_brokers_own_settlement_prices(sessions: dict[str, Session], grid: str) -> None:
    session = sessions[grid]
    assert not session.errors and not session.runner.errors
    on_tick = 0
    for label in ARMS:
        closed = _closed(session, label)
        assert len(closed) >= 20, (grid, label, len(closed))
        for trade in closed:
            times, _ = session.ticks[trade.asset]
            # a deal expiring at the deadline closes, at the broker, at the last tick strictly before it
            assert trade.exit_price == session.broker.price_before(trade.asset, trade.deadline), trade
            assert trade.entry_price == session.broker.price_before(trade.asset, trade.entry_time), trade
            on_tick += int(np.isin(trade.deadline, times))
    if grid != "fractional":
        assert on_tick >= 60  # ticks stamped exactly at the expiry instant: the boundary case


@pytest.mark.parametrize("grid", list(GRIDS))
def test_paper_trades_equal_the_candle_and_tick_backtests_trade_for_trade(sessions: dict[str, Session],
                                                                         grid: str) -> None:
    session = sessions[grid]
    spec = StrategySpec("momentum")
    compared = 0
    for asset in session.ticks:
        arrays, _ = load_arrays(session.data, asset, "2s")
        ticks = load_tick_arrays(session.data, asset)
        for label, expiry in ARMS.items():
            live = [(t.entry_time, t.entry_price, t.exit_price, t.outcome, t.profit)
                    for t in _closed(session, label, asset)]
            if not live:
                continue
            payout = _closed(session, label, asset)[0].payout
            by_tick = run_one(arrays, spec, BacktestConfig(2, expiry, payout, tick_exits=True), session.folders,
                              ticks).trades
            assert _rows(by_tick)[:len(live)] == live, (grid, asset, label)
            assert len(by_tick) - len(live) <= 1 + expiry // 2  # signals whose trades were open at the end
            if expiry % 2 == 0:
                by_candle = run_one(arrays, spec, BacktestConfig(2, expiry, payout), session.folders).trades
                assert _rows(by_candle)[:len(live)] == live, (grid, asset, label)
            compared += len(live)
    assert compared >= 100
