"""The risk guard's view of one account (or one strategy's trades in it), kept up to date in memory.

:class:`AccountLedger` is the one definition of :class:`~quantumflux.core.risk.AccountState` from journal
records: :meth:`TradeJournal.account_state` builds one from the records that can still matter and asks it
once; the paper executor keeps one per account and strategy, adds each order and result as it happens (before
the journal's writer thread has stored them), and asks it on every order without reading the journal.

What counts (the journal's rules):

- open: status ``pending``/``confirmed``/``unconfirmed``, and, with ``stale_after``, not older than
  ``requested_at + expiry + stale_after`` (such a trade will never settle: its result is unknown);
- recent placements: ``requested_at`` of every order not refused or failed, within the last hour;
- today's P&L: the profit of closed trades whose ``closed_at`` is on ``now``'s UTC day or later;
- the loss streak: losses among closed trades after the latest win, by close time (ties in request order),
  draws skipped.

Everything kept is bounded by what can still count: :meth:`prune` forgets placements older than an hour, days
before today, open trades past going stale and closed trades before the latest win.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import count

from quantumflux.core.risk import HOUR, AccountState
from quantumflux.storage.journal_records import NOT_PLACED, OPEN_STATUSES, TradeRecord

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class _Open:
    requested_at: float
    expiry: int
    amount: float
    seq: int  # the order's place among those added (the journal's order: a tie in close time goes by it)


def _day(t: float) -> int:
    return math.floor(t / DAY)


class AccountLedger:
    """Open trades, recent placements, P&L per day and the loss streak of one account (see the module docstring).

    Not thread-safe: its owner (the journal call, the paper executor under its lock) serialises access.
    """

    def __init__(self, records: Iterable[TradeRecord] = ()) -> None:
        """Start from ``records`` in request order (``requested_at``, then journal order), as ``list()`` gives."""
        self._open: dict[str, _Open] = {}
        self._stale: dict[str, int] = {}  # open orders past going stale (uncounted): their place, should they close
        self._placed: list[float] = []  # requested_at of placed orders, sorted
        self._pnl: dict[int, float] = {}  # UTC day → profit of trades closed that day
        # closed trades from the latest win on, sorted by (closed_at, requested_at, order added)
        self._tail: list[tuple[float, float, int, str]] = []
        self._losses = 0  # losses in the tail
        self._seq = count()
        for record in records:
            self.add(record)

    def add(self, record: TradeRecord) -> None:
        """Count an order in the status it has now (an order seen for the first time)."""
        if record.status in NOT_PLACED:
            return
        bisect.insort(self._placed, record.requested_at)
        seq = next(self._seq)
        if record.status in OPEN_STATUSES:
            self._open[record.client_id] = _Open(record.requested_at, record.expiry, record.amount, seq)
        elif record.status == "closed":
            self._closed(record.requested_at, seq, record.profit or 0.0, record.outcome, record.closed_at or 0.0)

    def close(self, client_id: str, requested_at: float, profit: float, outcome: str, closed_at: float) -> None:
        """An order already counted (open) closed with ``profit`` and ``outcome`` at ``closed_at``."""
        known = self._open.pop(client_id, None)
        seq = known.seq if known is not None else self._stale.pop(client_id, None)
        self._closed(requested_at, next(self._seq) if seq is None else seq, profit, outcome, closed_at)

    def _closed(self, requested_at: float, seq: int, profit: float, outcome: str | None, closed_at: float) -> None:
        day = _day(closed_at)
        self._pnl[day] = self._pnl.get(day, 0.0) + profit
        key = (closed_at, requested_at, seq, outcome or "")
        tail = self._tail
        if tail and tail[0][3] == "win" and key < tail[0]:
            return  # closed before the latest win: it cannot change the streak
        index = bisect.bisect(tail, key)
        tail.insert(index, key)
        if key[3] == "win":
            del tail[:index]
            self._losses = sum(1 for entry in tail if entry[3] == "loss")
        elif key[3] == "loss":
            self._losses += 1

    def state(self, now: float, balance: float | None = None, stale_after: float | None = None) -> AccountState:
        """The guard's :class:`AccountState` at ``now`` (open trades older than ``stale_after`` left out)."""
        still_open = [t for t in self._open.values()
                      if stale_after is None or t.requested_at + t.expiry + stale_after >= now]
        today = _day(now)
        return AccountState(
            open_trades=len(still_open),
            recent_trade_times=tuple(self._placed[bisect.bisect_right(self._placed, now - HOUR):]),
            today_pnl=sum(profit for day, profit in self._pnl.items() if day >= today),
            consecutive_losses=self._losses,
            balance=balance,
            open_stakes=sum(t.amount for t in still_open),
        )

    def prune(self, now: float, stale_after: float | None = None) -> None:
        """Forget what can no longer count at ``now`` or later (the clock does not go back)."""
        del self._placed[:bisect.bisect_right(self._placed, now - HOUR)]
        today = _day(now)
        for day in [day for day in self._pnl if day < today]:
            del self._pnl[day]
        if stale_after is not None:
            for client_id in [c for c, t in self._open.items() if t.requested_at + t.expiry + stale_after < now]:
                self._stale[client_id] = self._open.pop(client_id).seq
