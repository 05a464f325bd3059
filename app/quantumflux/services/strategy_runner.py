"""Automated trading: enabled strategies on live closed candles → risk guard → executor.

:class:`StrategyRunner` consumes a :class:`~quantumflux.services.capture_hub.CaptureHub`
subscription on its own worker thread (``start()`` / ``stop()``), forms candles of the followed
assets from live ticks (one :class:`~quantumflux.core.candles.CandleBook` per timeframe), and runs
every enabled strategy on each *closed* candle (the forming candle never produces a signal; the
first, partial candle of a session is skipped). A strategy starting on an asset is seeded with the
closed candles known before it: the ``history`` callable's, else the broker history and ticks the
stream carried for that asset. A signal becomes one order of ``stake`` for the
strategy's expiry, sent to the strategy's executor:

``paper`` (default)  :class:`~quantumflux.services.paper.PaperExecutor`: fills from the live
                     stream at the broker's payout; journaled as account ``paper``.
``demo``             the trading session's ``place(..., real=False)`` (the page's demo account).
``real``             ``place(..., real=True)``, only when the runner was built with
                     ``allow_real=True`` (``Settings.allow_real_trading`` *and* the user's ``--real``).

Every order goes through the risk guard (the paper executor applies the runner's guard; the
trading session applies its own) and into the journal with ``source`` = the strategy's label
(``name`` or ``name(k=v,...)``). Demo/real orders are placed on a separate thread, so waiting
for the broker's confirmation never stalls the candles. Paper orders never wait for the disk:
their journal writes are committed in order by the journal's writer thread; :meth:`status`,
:meth:`performance` and :meth:`compare` (every journal read) see them, and :meth:`drain` and
:meth:`stop` return only once they are stored. Without a hub, :meth:`feed` processes decoded
events synchronously (replays, tests).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from quantumflux.core.backtest import Arm, Comparison, compare_all
from quantumflux.core.candles import CandleArrays, CandleBook
from quantumflux.core.model import Candle, Signal, Tick, Timeframe, normalise_symbol
from quantumflux.core.protocol import events as ev
from quantumflux.core.risk import RiskGuard
from quantumflux.core.strategies import NotReady, Strategy, StrategyRegistry, StrategyState, default_registry
from quantumflux.services.market_state import MarketState
from quantumflux.services.paper import PaperExecutor, PaperTrade
from quantumflux.services.strategy_performance import (
    live_metrics,
    live_sample,
    strategy_label,
    strategy_report,
)
from quantumflux.services.strategy_runner_types import (
    MODES,
    Executor,
    RunnerEvent,
    StrategyStatus,
    account_of,
    check_setup,
    seconds_of,
)
from quantumflux.storage.journal import OPEN_STATUSES, JournalError, TradeJournal

__all__ = ["MODES", "Executor", "RunnerEvent", "StrategyRunner", "StrategyStatus"]

log = logging.getLogger(__name__)
#: Followed ticks queued before they are applied to the runner's own market picture in one batch.
SEED_BATCH = 2048
HistoryProvider = Callable[[str, int], CandleArrays | None]


@dataclass(eq=False)
class _Running:
    label: str
    strategy: Strategy
    params: dict[str, Any]
    assets: tuple[str, ...]
    keys: frozenset[str]
    timeframe: int
    expiry: int
    mode: str
    stake: float
    states: dict[str, StrategyState] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    waiting: dict[str, str] = field(default_factory=dict)  # asset -> why it cannot decide yet
    last_signal: dict[str, Any] | None = None


class StrategyRunner:
    """Runs enabled strategies on live closed candles (see the module docstring)."""

    def __init__(self, hub: Any, journal: TradeJournal, guard: RiskGuard, executor: Executor | None = None, *,
                 clock: Callable[[], float] = time.time, registry: StrategyRegistry | None = None,
                 allow_real: bool = False, history: HistoryProvider | None = None, seed_from_stream: bool = True,
                 store: Any = None,
                 paper: PaperExecutor | None = None, settle_timeout: float = 30.0, paper_scope: str = "account",
                 listener: Callable[[RunnerEvent], None] | None = None) -> None:
        self.hub = hub
        self.journal = journal
        self.guard = guard
        self.executor = executor  # demo/real orders (a TradingSession); None: paper only
        self.paper = paper or PaperExecutor(journal, guard, clock=clock, settle_timeout=settle_timeout,
                                            scope=paper_scope)
        self.allow_real = allow_real
        self.registry = registry or default_registry()
        self.history = history
        # the followed assets' broker history and ticks, to seed a strategy when it starts on an asset
        self._market = MarketState(clock=clock) if history is None and seed_from_stream else None
        self._unseeded: list[ev.TicksReceived] = []  # followed ticks not yet applied to _market (done in batches)
        self._unseeded_ticks = 0
        self.store = store
        self._clock = clock
        self._listeners: list[Callable[[RunnerEvent], None]] = [listener] if listener else []
        self._lock = threading.RLock()
        self._running: dict[str, _Running] = {}
        self._books: dict[int, CandleBook] = {}
        self._keys: dict[str, str] = {}
        self._subscription: Any = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._orders = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qf-runner-orders")
        self._dropped = 0
        self.ticks = 0
        self.paused = False  # True: candles are still formed and trades settled, but no strategy decides
        self.errors: list[str] = []

    # ------------------------------------------------------------- lifecycle

    def start(self) -> StrategyRunner:
        """Subscribe to the hub and start the worker thread."""
        if self.hub is None:
            raise RuntimeError("no capture hub: use feed() to process events")
        if self._thread is not None:
            return self
        self._subscription = self.hub.subscribe()
        self._thread = threading.Thread(target=self._run, name="qf-strategy-runner", daemon=True)
        self._thread.start()
        return self

    def drain(self, timeout: float) -> int:
        """Take no new signals, and wait up to ``timeout`` s for open paper trades to settle on the stream, then
        for their journal writes to be stored. Returns how many are still open."""
        self.paused = True
        end = time.monotonic() + timeout
        while self.paper.open_trades() and time.monotonic() < end and self.running:
            time.sleep(0.1)
        self._store_journal(max(1.0, end - time.monotonic()))
        return len(self.paper.open_trades())

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker, close the subscription, wait for demo/real orders in flight and for the paper orders'
        journal writes to be stored. Paper trades still open become unknown (their exit was not seen), never
        guessed."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        self._orders.shutdown(wait=True)
        with self._lock:
            self._gap("the runner stopped before the expiry")
        self._store_journal(timeout)

    def _store_journal(self, timeout: float) -> None:
        """Wait for the journal writes made so far (paper orders and results) to be on disk."""
        try:
            self.journal.flush(timeout)
        except JournalError as exc:  # the disk is full: say so; the journal keeps retrying until it closes
            self._error(f"journal: {exc}")

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def add_listener(self, callback: Callable[[RunnerEvent], None]) -> None:
        """``callback(event)`` on the worker thread for every signal, order, settlement (keep it fast)."""
        self._listeners.append(callback)

    # ------------------------------------------------------------ strategies

    def enable(self, name: str, params: Mapping[str, Any] | None = None, assets: Iterable[str] = (),
               timeframe: int | str = "1m", expiry: int | str | None = None, mode: str = "paper", *,
               stake: float = 1.0, label: str | None = None) -> StrategyStatus:
        """Start running strategy ``name`` with ``params`` on ``assets``. Returns its status.

        ``label`` (default ``name`` or ``name(k=v,...)``) names it in the journal and in
        :meth:`disable`. Raises KeyError (unknown strategy), ValueError (bad parameters, mode,
        timeframe, expiry or stake; a label already running; demo/real without an executor; real
        without ``allow_real``).
        """
        params = dict(params or {})
        strategy = self.registry.create(name, params)
        seconds = Timeframe.parse(timeframe).seconds
        expiry_seconds = seconds_of(expiry) if expiry is not None else seconds
        assets = tuple(dict.fromkeys(a.strip() for a in assets if a and a.strip()))
        check_setup(mode, assets, stake, expiry_seconds, self.executor is not None, self.allow_real)
        label = label or strategy_label(name, {key: getattr(strategy.config, key) for key in params})
        parsed = {key: getattr(strategy.config, key) for key in params}
        running = _Running(label, strategy, parsed, assets, frozenset(normalise_symbol(a) for a in assets),
                           seconds, expiry_seconds, mode, float(stake))
        if mode == "paper":
            self.paper.prepare(label)  # the guard's view of the paper account, read now rather than on a tick
        with self._lock:
            if label in self._running:
                raise ValueError(f"{label} is already running; disable it first or give another label")
            self._running[label] = running
            self._book(seconds)
            self._keys.clear()
        log.info("runner: %s enabled on %s at %s, expiry %s s, %s", label, ",".join(assets), seconds,
                 expiry_seconds, mode)
        return self._status(running)

    def disable(self, label: str) -> bool:
        """Stop running ``label`` (open paper trades still settle). False when it was not running."""
        with self._lock:
            running = self._running.pop(label, None)
            self._keys.clear()
        return running is not None

    def status(self) -> list[StrategyStatus]:
        """Every enabled strategy's set-up and counters (the journal is read outside the runner's lock, so a
        status request never holds up the ticks)."""
        with self._lock:
            runs = list(self._running.values())
        return [self._status(running) for running in runs]

    def performance(self, window: int = 20) -> list[dict[str, Any]]:
        """Per enabled strategy, from the journal: trades, win rate (with rolling ``window``), P&L, drawdown,
        trades per day and the backtest statistics of the live trades."""
        with self._lock:
            runs = list(self._running.values())
        return [strategy_report(self.journal, r.label, account=account_of(r.mode), window=window) for r in runs]

    def compare(self, baseline: str, challenger: str) -> Comparison:
        """Live A/B: two strategies' closed trades compared on expectancy with the backtest's A/B test and verdict
        (block bootstrap, paired when they trade the same assets at the same time). The p-value is Holm-adjusted
        over every enabled strategy compared with ``baseline`` (the variants tried), the break-even tests over
        all of them."""
        with self._lock:
            modes = {label: running.mode for label, running in self._running.items()}
        labels = [baseline, challenger, *(label for label in modes if label not in (baseline, challenger))]
        arms = []
        for label in labels:
            records = self.journal.list(status="closed", strategy=label, account=account_of(modes.get(label)))
            arms.append(Arm(label, live_metrics(records), live_sample(records)))
        return compare_all(arms)[0]

    # ---------------------------------------------------------------- events

    def feed(self, items: Iterable[Any]) -> None:
        """Process decoded events (and link notices) synchronously, in order."""
        for item in items:
            self.handle(item)

    def handle(self, item: Any) -> None:
        """One decoded event: ticks form candles and settle paper trades; the asset list sets payouts;
        a dropped link or broker socket makes open paper trades unknown."""
        with self._lock:
            if isinstance(item, ev.TicksReceived):
                if self._market is not None:
                    self._keep_for_seeding(item)
                self._on_ticks(item.ticks)
            elif isinstance(item, ev.HistoryReceived):
                if self._market is not None and self._wanted(item.asset):
                    self._seed_market()
                    self._market.apply((item,))
            elif isinstance(item, ev.AssetsUpdated):
                self.paper.set_assets(item.assets)
            elif isinstance(item, ev.SocketClosed | ev.SessionDisconnected):
                self._gap(f"broker socket {type(item).__name__}")
            elif isinstance(item, ev.LinkChanged) and not item.connected:
                self._gap(f"capture link down ({item.detail})")

    def _on_ticks(self, ticks: tuple[Tick, ...]) -> None:
        keys, books, settle, store = self._keys, tuple(self._books.values()), self.paper.on_ticks, self.store
        for tick in ticks:
            wanted = keys.get(tick.asset)
            if wanted == "y" or (wanted is None and self._wanted(tick.asset)):
                if store is not None:
                    self._persist(store.write_tick, tick)
                for book in books:
                    book.add_tick(tick)  # may close a candle → strategies → orders at its close
            for trade in settle((tick,)):
                self._emit("settled", trade)
        self.ticks += len(ticks)

    def _keep_for_seeding(self, item: ev.TicksReceived) -> None:
        """Queue the followed ticks of ``item`` for the runner's market picture (read only to seed a strategy)."""
        followed = tuple(tick for tick in item.ticks if self._wanted(tick.asset))
        if followed:
            self._unseeded.append(ev.TicksReceived(item.t_recv, item.socket, followed))
            self._unseeded_ticks += len(followed)
            if self._unseeded_ticks >= SEED_BATCH:
                self._seed_market()

    def _seed_market(self) -> None:
        """Apply the queued followed ticks to the runner's market picture, in order, in one batch."""
        if self._unseeded and self._market is not None:
            self._market.apply(self._unseeded)
        self._unseeded, self._unseeded_ticks = [], 0

    def _wanted(self, asset: str) -> bool:
        key = self._keys.get(asset)
        if key is None:
            normal = normalise_symbol(asset)
            key = self._keys[asset] = "y" if any(normal in r.keys for r in self._running.values()) else "n"
        return key == "y"

    def _on_closed(self, candle: Candle) -> None:
        if self.store is not None:
            self._persist(self.store.write_candle, candle)
        if self.paused:
            return
        normal = normalise_symbol(candle.asset)
        for running in list(self._running.values()):
            if running.timeframe == candle.timeframe and normal in running.keys:
                self._decide(running, candle)

    def _decide(self, running: _Running, candle: Candle) -> None:
        state = running.states.get(candle.asset)
        if state is None:
            state = running.states[candle.asset] = self._new_state(running, candle.asset, candle.time)
            if candle.partial and state.count:
                # seeded: skipping this first live candle would leave a hole in the indicators; its close is
                # exact (the period's last tick), only its open/high/low may miss ticks from before the start
                candle = dataclasses.replace(candle, partial=False)
        if state.last_time is not None and candle.time <= state.last_time:
            return  # already in the seeded history
        result = state.on_closed(candle)
        running.counts["candles"] += 1
        if isinstance(result, NotReady):
            running.waiting[candle.asset] = result.reason
            return
        running.waiting.pop(candle.asset, None)
        if isinstance(result, Signal):
            self._signal(running, result, candle)

    def _new_state(self, running: _Running, asset: str, before: float) -> StrategyState:
        """A live state for ``asset``, seeded with the closed candles before ``before`` that are known: from the
        ``history`` callable, else from the broker history and ticks seen on the stream."""
        history = None
        try:
            if self.history is not None:
                history = self.history(asset, running.timeframe)
            elif self._market is not None:
                self._seed_market()  # every tick so far, the current frame's included
                history = self._market.view_for(asset, running.timeframe).arrays()
            if history is not None:
                history = history.head(int(np.searchsorted(history.time, before, side="left")))
        except Exception as exc:  # a broken history source must not stop live trading
            self._error(f"history of {asset} for {running.label}: {exc}")
            history = None
        return running.strategy.live(asset, running.timeframe, running.expiry, history)

    def _signal(self, running: _Running, signal: Signal, candle: Candle) -> None:
        running.counts["signals"] += 1
        running.last_signal = {"asset": signal.asset, "direction": signal.direction.value, "time": signal.time,
                               "rule": signal.rule, "confidence": signal.confidence, "close": candle.close}
        self._emit("signal", None, running, signal.asset, running.last_signal)
        if running.mode == "paper":  # the executor draws the client id
            report = self.paper.place(signal.asset, signal.direction, running.stake, running.expiry,
                                      source=running.label, entry=(signal.time, candle.close))
            self._order_done(running, report)
            return
        client_id = uuid.uuid4().hex
        future = self._orders.submit(self.executor.place, signal.asset, signal.direction,  # type: ignore[union-attr]
                                     running.stake, running.expiry, source=running.label, client_id=client_id,
                                     real=running.mode == "real")
        future.add_done_callback(lambda done: self._order_finished(running, done))

    def _order_finished(self, running: _Running, future: Future[Any]) -> None:
        with self._lock:
            try:
                report = future.result()
            except Exception as exc:
                running.counts["failed"] += 1
                self._error(f"{running.label}: order failed: {exc}")
                self._emit("error", None, running, "", {"reason": str(exc)})
                return
            self._order_done(running, report)

    def _order_done(self, running: _Running, report: Any) -> None:
        running.counts["orders"] += 1
        status = getattr(report, "status", "?")
        if status == "refused":
            running.counts["refused"] += 1
            running.refusals[getattr(report, "rule", None) or "?"] += 1
        elif status == "failed":
            running.counts["failed"] += 1
        data = {"client_id": report.client_id, "status": status, "rule": getattr(report, "rule", None),
                "reason": getattr(report, "reason", None), "direction": report.direction,
                "amount": report.amount, "payout": getattr(report, "payout", None),
                "open_price": getattr(report, "open_price", None)}
        self._emit("order", None, running, report.asset, data)

    def _gap(self, reason: str) -> None:
        for trade in self.paper.on_gap(reason):
            self._emit("unknown", trade)

    def _emit(self, kind: str, trade: PaperTrade | None, running: _Running | None = None, asset: str = "",
              data: Mapping[str, Any] | None = None) -> None:
        if trade is not None:
            running = self._running.get(trade.source)
            if running is not None:
                running.counts[trade.status] += 1
            event = RunnerEvent(kind, trade.source, trade.asset, self._clock(), trade.to_dict())
        else:
            event = RunnerEvent(kind, running.label if running else "", asset, self._clock(), dict(data or {}))
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception as exc:  # a listener never breaks the runner
                self._error(f"listener: {exc}")

    def _persist(self, write: Callable[[Any], Any], item: Any) -> None:
        try:
            write(item)
        except Exception as exc:  # a full disk must not stop trading: report it, keep going
            self._error(f"persist: {exc}")

    def _error(self, message: str) -> None:
        """Remember a problem (the last 100) and log it; the runner goes on."""
        log.warning("runner: %s", message)
        self.errors.append(message)
        del self.errors[:-100]

    def _book(self, seconds: int) -> CandleBook:
        book = self._books.get(seconds)
        if book is None:
            book = self._books[seconds] = CandleBook(seconds, on_closed=self._on_closed, max_closed=512)
        return book

    # ---------------------------------------------------------------- worker

    def _run(self) -> None:
        subscription = self._subscription
        while not self._stop.is_set():
            item = subscription.get(timeout=0.2)
            try:
                if item is not None:
                    self.handle(item)
                elif self._unseeded:
                    with self._lock:
                        self._seed_market()  # idle: catch the market picture up
                if subscription.dropped != self._dropped:
                    self._dropped = subscription.dropped
                    with self._lock:
                        self._gap(f"the runner fell behind and {self._dropped} stream items were dropped")
                with self._lock:
                    for trade in self.paper.expire():
                        self._emit("unknown", trade)
            except Exception as exc:  # one bad item never stops the runner
                log.exception("runner: %s", exc)
                self._error(str(exc))

    # --------------------------------------------------------------- status

    def _status(self, running: _Running) -> StrategyStatus:
        with self._lock:  # the counters first: the journal read after them holds at least these orders
            c = Counter(running.counts)
            refusals, last_signal, waiting = dict(running.refusals), running.last_signal, _waiting(running)
        counts = self.journal.status_counts(strategy=running.label, account=account_of(running.mode))
        closed, pnl = counts.get("closed", (0, 0.0))
        still_open = sum(counts.get(status, (0, 0.0))[0] for status in OPEN_STATUSES)
        unknown = c["unknown"]
        return StrategyStatus(
            running.label, running.strategy.name, dict(running.params), running.assets, running.timeframe,
            running.expiry, running.mode, running.stake, c["candles"], waiting, c["signals"], c["orders"],
            c["refused"], refusals, c["failed"], max(0, still_open - unknown), closed, unknown, round(pnl, 10),
            last_signal,
        )


def _waiting(running: _Running) -> str | None:
    if not running.states:
        return "no closed candle yet"
    return "; ".join(f"{asset}: {reason}" for asset, reason in sorted(running.waiting.items())) or None
