"""Paper trading: orders filled from the live tick stream at the broker's payout, journaled as ``paper``.

Semantics (the backtest's, applied to the live stream):

- entry: the close of the signal candle (its last tick), at the candle's end time ``t``; the runner
  passes both. Without them the last tick seen for the asset is the entry.
- exit: the last tick of the asset *before* ``t + expiry`` (strictly), as seen on the live stream —
  the backtest's exit rule (:mod:`quantumflux.core.backtest.engine`): a tick stamped exactly
  ``t + expiry`` opens the next candle and is not the exit. The trade settles when the first tick at
  or after ``t + expiry`` arrives (only then is the exit final). No tick between entry and expiry:
  the exit is the entry price (a draw).
- call wins if exit > entry, put if exit < entry, equal is a draw (stake back); a win pays
  ``stake × payout / 100``, a loss costs the stake. The payout is the broker's for the asset
  (``updateAssets``) when the order is placed.
- a trade whose exit cannot be known — the capture link or the broker socket dropped, the
  consumer queue dropped items while it was open, or no tick past its expiry arrived within
  ``settle_timeout`` seconds (clock) — becomes ``unknown``: no outcome is ever invented. In the
  journal it stays ``confirmed`` (never closed); :func:`paper_account_state` does not count it
  as open once it is that old.

Every order is journaled (``account="paper"``, ``source`` = the strategy) *before* the risk
guard decides, so refusals are recorded with the rule that refused.

Nothing here waits for the disk: the journal writes (attempt, refusal or confirmation, result) are
deferred (``wait=False``) and committed in order by the journal's writer thread, and the guard's view
of the paper account is an :class:`~quantumflux.storage.journal_ledger.AccountLedger` kept in memory —
loaded from the journal once per account or strategy (:meth:`PaperExecutor.prepare`, else at the first
order), then updated with every order and result as it happens, so the guard counts trades the writer
has not stored yet. It sees the paper trades of this executor and of the journal when loaded, not paper
trades another process adds to the same journal file later.
"""

from __future__ import annotations

import dataclasses
import math
import os
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from quantumflux.core.model import Asset, Direction, Tick
from quantumflux.core.risk import AccountState, OrderIntent, RiskGuard
from quantumflux.services.trading_result import TradeResult
from quantumflux.storage.journal import DuplicateOrderError, TradeJournal, TradeRecord
from quantumflux.storage.journal_ledger import AccountLedger

PAPER = "paper"

# Paper order ids: 128 random bits as 32 hex digits, like ``uuid4().hex``, from a generator seeded once from
# os.urandom (and again in a forked child) instead of a system call per order.
_ids = random.Random()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ids.seed)


def new_client_id() -> str:
    """A fresh client id for a paper order (never a retry of another order)."""
    return f"{_ids.getrandbits(128):032x}"


@dataclass(slots=True)
class PaperTrade:
    """One open (or finished) paper trade. Times of the stream (``entry_time``, ``deadline``) are tick times."""

    client_id: str
    source: str
    asset: str
    direction: Direction
    amount: float
    expiry: int
    payout: float
    entry_time: float
    entry_price: float
    opened_at: float  # clock
    last_time: float = math.nan  # the last tick before the deadline seen so far
    last_price: float = math.nan
    status: str = "open"  # open | closed | unknown
    outcome: str | None = None
    profit: float | None = None
    exit_time: float | None = None
    exit_price: float | None = None
    reason: str | None = None

    @property
    def deadline(self) -> float:
        return self.entry_time + self.expiry

    def to_dict(self) -> dict[str, object]:
        data = dataclasses.asdict(self)
        data["direction"] = self.direction.value
        data["deadline"] = self.deadline
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in data.items()}


def settle(direction: Direction, entry: float, exit_price: float, amount: float, payout: float) -> tuple[str, float]:
    """Outcome and profit exactly as the backtest computes them."""
    move = int(exit_price > entry) - int(exit_price < entry)
    sign = move if direction is Direction.CALL else -move
    if sign > 0:
        return "win", amount * payout / 100.0
    if sign < 0:
        return "loss", -amount
    return "draw", 0.0


def paper_account_state(journal: TradeJournal, now: float, stale_after: float, balance: float | None = None,
                        source: str | None = None) -> AccountState:
    """The guard's view of the paper account (or of one strategy's trades in it, with ``source``): the
    journal's ``account_state``, except trades left unknown (confirmed but past
    ``requested_at + expiry + stale_after``, they will never settle) are not counted as open."""
    return journal.account_state(now, account=PAPER, balance=balance, strategy=source, stale_after=stale_after)


class PaperExecutor:
    """Simulated fills from the live stream. Feed it ``set_assets`` (payouts) and every tick (``on_ticks``).

    Thread-safe; the runner calls it from its worker thread. ``place`` has the signature of
    ``TradingSession.place`` plus the ``entry`` the runner knows (signal candle end time and close).
    ``scope="account"`` (default) applies the guard's limits to the whole paper account, like a real
    account; ``scope="strategy"`` to each strategy's own trades (a live A/B pair: one arm never blocks
    the other).
    """

    account = PAPER

    def __init__(self, journal: TradeJournal, guard: RiskGuard, *, clock: Callable[[], float] = time.time,
                 settle_timeout: float = 30.0, scope: str = "account") -> None:
        if scope not in ("account", "strategy"):
            raise ValueError(f"scope must be account or strategy, got {scope!r}")
        self.journal = journal
        self.scope = scope
        self.guard = guard
        self.settle_timeout = float(settle_timeout)
        self._clock = clock
        self._lock = threading.RLock()
        self._assets: dict[str, Asset] = {}
        self._last_tick: dict[str, tuple[float, float]] = {}
        self._open: dict[str, PaperTrade] = {}
        self._open_by_asset: dict[str, dict[str, PaperTrade]] = {}
        self._ledgers: dict[str | None, AccountLedger] = {}  # None: the whole paper account; else one source
        self.finished: list[PaperTrade] = []

    # ------------------------------------------------------------------ inputs

    def set_assets(self, assets: Iterable[Asset]) -> None:
        """The broker's asset list (payout, open flag)."""
        with self._lock:
            self._assets = {asset.symbol: asset for asset in assets}

    def payout(self, asset: str) -> float | None:
        known = self._assets.get(asset)
        return known.payout if known is not None and known.payout > 0 else None

    def on_ticks(self, ticks: Iterable[Tick]) -> list[PaperTrade]:
        """Advance open trades with live ticks; returns the trades this settled (journaled as closed)."""
        settled: list[PaperTrade] = []
        with self._lock:
            for asset, time, price in ticks:
                self._last_tick[asset] = (time, price)
                trades = self._open_by_asset.get(asset)
                if not trades:
                    continue
                for trade in list(trades.values()):
                    if time < trade.deadline:
                        if not time < trade.last_time:
                            trade.last_time, trade.last_price = time, price
                    else:
                        settled.append(self._close(trade))
        return settled

    def on_gap(self, reason: str) -> list[PaperTrade]:
        """The stream had a hole (link/socket down, dropped items): every open trade becomes unknown."""
        with self._lock:
            return [self._unknown(trade, f"exit not seen: {reason}") for trade in list(self._open.values())]

    def expire(self, now: float | None = None) -> list[PaperTrade]:
        """Open trades whose expiry passed more than ``settle_timeout`` s ago (clock) with no later tick: unknown."""
        now = self._clock() if now is None else now
        with self._lock:
            late = [t for t in self._open.values() if now > t.opened_at + t.expiry + self.settle_timeout]
            return [self._unknown(t, f"no tick after the expiry within {self.settle_timeout:g} s") for t in late]

    # ------------------------------------------------------------------ orders

    def prepare(self, source: str) -> None:
        """Load the guard's view of the paper account (with per-strategy scope: of ``source``'s trades) from the
        journal now, so ``source``'s first order does not read the journal on the tick path."""
        with self._lock:
            self._ledger(source if self.scope == "strategy" else None, self._clock())

    def place(self, asset: str, direction: Direction | str, amount: float, expiry: int, source: str = "manual",
              client_id: str | None = None, real: bool = False,
              entry: tuple[float, float] | None = None) -> TradeResult:
        """Journal the order, ask the guard, and open the paper trade at ``entry`` = (time, price)."""
        direction = Direction.parse(direction)
        drawn = not client_id  # an id drawn here cannot be a retry: the journal need not search for it
        client_id = client_id or new_client_id()
        now = self._clock()
        with self._lock:
            payout = self.payout(asset)
            # the guard's view before this order is journaled, with every trade so far (stored or still queued)
            state = self._ledger(source if self.scope == "strategy" else None, now).state(now, None,
                                                                                          self.settle_timeout)
            try:
                record = self.journal.record_attempt(client_id, asset, direction, amount, int(expiry), payout=payout,
                                                     source=source, account=PAPER, requested_at=now, wait=False,
                                                     drawn=drawn)
            except DuplicateOrderError as exc:
                return _report(exc.existing, duplicate=True)
            known = self._assets.get(asset)
            intent = OrderIntent(asset, direction, float(amount), int(expiry), payout, is_real=False,
                                 asset_open=known.active if known is not None else True)
            decision = self.guard.check(intent, state, now)
            refusal = None if decision.allowed else (decision.rule, f"{decision.rule}: {decision.reason}")
            entry = entry if entry is not None else self._last_tick.get(asset)
            if refusal is None and real:
                refusal = ("real_account", "real_account: the paper executor never trades a real account")
            if refusal is None and payout is None:
                refusal = ("payout_unknown", f"payout_unknown: the broker's payout for {asset} is not known yet")
            if refusal is None and entry is None:
                refusal = ("no_price", f"no_price: no live tick of {asset} seen yet")
            if refusal is not None:
                record = self.journal.mark_refused(client_id, refusal[1], at=now, wait=False)
                return _report(record)
            assert entry is not None and payout is not None
            record = self.journal.mark_confirmed(client_id, f"paper-{client_id}", open_price=entry[1], payout=payout,
                                                 at=now, wait=False)
            for key in (None, source):
                if key in self._ledgers:
                    self._ledgers[key].add(record)
            trade = PaperTrade(client_id, source, asset, direction, float(amount), int(expiry), payout,
                               float(entry[0]), float(entry[1]), now, float(entry[0]), float(entry[1]))
            self._open[client_id] = trade
            self._open_by_asset.setdefault(asset, {})[client_id] = trade
            return _report(record)

    # ----------------------------------------------------------------- reading

    def open_trades(self) -> list[PaperTrade]:
        with self._lock:
            return list(self._open.values())

    # --------------------------------------------------------------- internals

    def _ledger(self, key: str | None, now: float) -> AccountLedger:
        """The guard's view of the paper account (``key`` None) or of one source's trades, pruned to ``now``;
        loaded from the journal the first time (its queued writes included)."""
        ledger = self._ledgers.get(key)
        if ledger is None:
            ledger = self._ledgers[key] = AccountLedger(self.journal.guard_records(now, PAPER, key))
        ledger.prune(now, self.settle_timeout)
        return ledger

    def _close(self, trade: PaperTrade) -> PaperTrade:
        outcome, profit = settle(trade.direction, trade.entry_price, trade.last_price, trade.amount, trade.payout)
        trade.status, trade.outcome, trade.profit = "closed", outcome, profit
        trade.exit_time, trade.exit_price = trade.last_time, trade.last_price
        closed_at = self._clock()
        self.journal.record_result(client_id=trade.client_id, profit=profit, close_price=trade.last_price,
                                   outcome=outcome, closed_at=closed_at, wait=False)
        for key in (None, trade.source):
            if key in self._ledgers:
                self._ledgers[key].close(trade.client_id, trade.opened_at, profit, outcome, closed_at)
        return self._finish(trade)

    def _unknown(self, trade: PaperTrade, reason: str) -> PaperTrade:
        trade.status, trade.outcome, trade.reason = "unknown", "unknown", reason
        return self._finish(trade)

    def _finish(self, trade: PaperTrade) -> PaperTrade:
        self._open.pop(trade.client_id, None)
        same_asset = self._open_by_asset.get(trade.asset)
        if same_asset is not None:
            same_asset.pop(trade.client_id, None)
            if not same_asset:
                del self._open_by_asset[trade.asset]
        self.finished.append(trade)
        if len(self.finished) > 10_000:
            del self.finished[:5_000]
        return trade


def _report(record: TradeRecord, duplicate: bool = False) -> TradeResult:
    """The same result type the trading session returns (the refusal's rule is the reason's prefix)."""
    return TradeResult.from_record(record, duplicate=duplicate)
