"""The broker's side of trading, from the capture: what it said about orders, deals, balance, assets.

:class:`BrokerView` is a hub listener (``hub.add_listener(view.on_event)``, capture thread). It
keeps the latest broker picture (balance per account, asset catalog, open deals, the page's
asset/period, which account the page logged into) and matches the broker's order events to the
orders the terminal is waiting for (:class:`PendingOrder`):

1. the page's outgoing ``openOrder`` (OrderRequested) for the pending order's asset, amount,
   direction and expiry binds the page's ``requestId`` to it;
2. ``successopenOrder`` (OrderOpened) with that request id confirms it — or, when the outgoing
   frame was not seen, the first deal of that asset/amount/direction opened within the
   pending order's time window that no other order claimed;
3. ``failopenOrder`` (OrderFailed, no request id) fails the oldest pending order of that asset
   and amount, with the broker's reason;
4. an ``updateOpenedDeals`` listing the bound request id confirms it too (a lost
   ``successopenOrder``).

Only events decide: nothing is inferred from the DOM.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from quantumflux.core.model import Asset, Balance, Deal, Direction, PageChoice
from quantumflux.core.protocol import events as ev

#: Seconds before the click a deal may be stamped and still match (clock differences).
EARLY_SLACK = 3.0


def asset_key(text: str) -> str:
    """Loose key for asset names: ``EUR/USD OTC`` and ``EURUSD_otc`` → ``eurusdotc``."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


@dataclass
class PendingOrder:
    """An order the terminal clicked and waits to hear about."""

    client_id: str
    asset: str
    amount: float
    direction: Direction
    expiry: int
    clicked_at: float
    window: float
    request_id: str | None = None
    symbol: str | None = None
    deal: Deal | None = None
    error: str | None = None
    abandoned: bool = False  # the waiter timed out: a later answer goes to ``on_late``
    done: threading.Event = field(default_factory=threading.Event)

    def accepts(self, asset: str, amount: float | None, direction: Direction | None = None,
                expiry: int | None = None) -> bool:
        same_asset = asset_key(asset) in (asset_key(self.asset), asset_key(self.symbol or ""))
        return (same_asset and amount is not None and abs(amount - self.amount) < 0.005
                and (direction is None or direction == self.direction)
                and (expiry is None or expiry == self.expiry))

    def in_window(self, t: float | None) -> bool:
        return t is None or self.clicked_at - EARLY_SLACK <= t <= self.clicked_at + self.window


class BrokerView:
    """Latest broker picture plus order matching; fed on the capture thread, read anywhere."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: list[PendingOrder] = []
        self._claimed: set[str] = set()  # deal ids already matched to an order
        self.balances: dict[bool, Balance] = {}
        self.assets: dict[str, Asset] = {}
        self.open_deals: tuple[Deal, ...] | None = None
        self.open_deals_at: float | None = None
        self.closed_deals_at: float | None = None
        self.changed = threading.Condition()  # notified after every deal list from the broker
        self.closed: dict[str, Deal] = {}
        self.page_choice: PageChoice | None = None
        self.login_demo: bool | None = None
        self.logged_in = False
        self.events_seen = 0
        self.on_closed: list[Callable[[Deal], None]] = []
        self.on_late: list[Callable[[PendingOrder], None]] = []

    # ------------------------------------------------------------------ orders

    def expect(self, order: PendingOrder) -> PendingOrder:
        """Start waiting for ``order`` (call *before* clicking)."""
        with self._lock:
            self._pending.append(order)
        return order

    def abandon(self, order: PendingOrder) -> bool:
        """Give up waiting; True when no answer came (a later one then goes to ``on_late``)."""
        with self._lock:
            if order.deal is not None or order.error is not None:
                return False
            order.abandoned = True
            return True

    def forget(self, order: PendingOrder) -> None:
        with self._lock:
            self._pending = [p for p in self._pending if p is not order]

    def claim(self, deal_id: str) -> None:
        """Mark a deal as belonging to a known order (it will never match another)."""
        with self._lock:
            self._claimed.add(deal_id)

    def find_open_deal(self, order: PendingOrder) -> Deal | None:
        """A deal of the last ``updateOpenedDeals`` (or a close seen) that is this order's and unclaimed."""
        with self._lock:
            deals = list(self.open_deals or ()) + list(self.closed.values())
            return self._match_deal(order, deals)

    def _match_deal(self, order: PendingOrder, deals: list[Deal]) -> Deal | None:
        for deal in deals:
            if deal.id in self._claimed:
                continue
            if order.request_id is not None and deal.request_id == order.request_id:
                return deal
        if order.request_id is not None:
            return None  # the page's request id is known: only that one counts
        for deal in deals:
            if (deal.id not in self._claimed and order.accepts(deal.asset, deal.amount, deal.direction)
                    and order.in_window(deal.open_time)):
                return deal
        return None

    # ------------------------------------------------------------ capture side

    def on_event(self, event: Any) -> None:
        """Hub listener (capture thread)."""
        handler = _HANDLERS.get(type(event))
        if handler is None:
            return
        self.events_seen += 1
        handler(self, event)

    def _requested(self, event: ev.OrderRequested) -> None:
        with self._lock:
            for order in self._pending:
                if order.request_id is None and not order.done.is_set() and order.accepts(
                        event.asset, event.amount, event.direction, event.expiry):
                    order.request_id, order.symbol = event.request_id, event.asset
                    return

    def _opened(self, event: ev.OrderOpened) -> None:
        deal = event.deal
        with self._lock:
            waiting = [o for o in self._pending if o.deal is None and o.error is None]
            order = next((o for o in waiting if o.request_id and o.request_id == deal.request_id), None)
            if order is None and not any(o.request_id and o.request_id == deal.request_id for o in self._pending):
                order = next((o for o in waiting if o.request_id is None and o.accepts(
                    deal.asset, deal.amount, deal.direction) and o.in_window(deal.open_time)), None)
            if order is None or deal.id in self._claimed:
                return
            self._claimed.add(deal.id)
            order.deal, order.symbol = deal, deal.asset
        self._finish(order)

    def _failed(self, event: ev.OrderFailed) -> None:
        with self._lock:
            waiting = [o for o in self._pending if o.deal is None and o.error is None
                       and o.accepts(event.asset or "", event.amount)]
            waiting.sort(key=lambda o: (o.request_id is None, o.clicked_at))
            if not waiting:
                return
            order = waiting[0]
            order.error = event.error or "the broker refused the order (no reason given)"
        self._finish(order)

    def _deals_opened(self, event: ev.DealsOpened) -> None:
        matched: list[PendingOrder] = []
        with self._lock:
            self.open_deals, self.open_deals_at = event.deals, event.t_recv
            for order in self._pending:
                if order.deal is None and order.error is None and order.request_id is not None:
                    deal = self._match_deal(order, list(event.deals))
                    if deal is not None:
                        self._claimed.add(deal.id)
                        order.deal = deal
                        matched.append(order)
        for order in matched:
            self._finish(order)
        self._notify()

    def _notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def wait_for_lists(self, since: float, timeout: float) -> bool:
        """Wait until both ``updateOpenedDeals`` and ``updateClosedDeals`` arrived after ``since``."""
        def fresh() -> bool:
            return (self.open_deals_at or 0.0) >= since and (self.closed_deals_at or 0.0) >= since

        with self.changed:
            return self.changed.wait_for(fresh, timeout)

    def _deals_closed(self, event: ev.DealsClosed) -> None:
        fresh = []
        with self._lock:
            self.closed_deals_at = event.t_recv
            for deal in event.deals:
                if deal.closed and deal.profit is not None and deal.id not in self.closed:
                    self.closed[deal.id] = deal
                    fresh.append(deal)
        for deal in fresh:
            for callback in self.on_closed:
                callback(deal)
        self._notify()

    def _finish(self, order: PendingOrder) -> None:
        with self._lock:
            late = order.abandoned  # the waiter gave up: tell the late listeners
            if late:
                self._pending = [p for p in self._pending if p is not order]
        order.done.set()
        if late:
            for callback in self.on_late:
                callback(order)

    def _balance(self, event: ev.BalanceUpdated) -> None:
        self.balances[event.balance.is_demo] = event.balance

    def _assets(self, event: ev.AssetsUpdated) -> None:
        self.assets = {asset.symbol: asset for asset in event.assets}

    def _choice(self, event: ev.PageChoiceChanged) -> None:
        self.page_choice = event.choice

    def _login(self, event: ev.LoginAttempted) -> None:
        self.login_demo = event.is_demo

    def _login_ok(self, event: ev.LoginSucceeded) -> None:
        self.logged_in = True

    # ------------------------------------------------------------------ lookup

    def asset(self, name: str) -> Asset | None:
        """The broker's asset for a symbol or label in any spelling (None when the catalog was not seen)."""
        key = asset_key(name)
        for asset in list(self.assets.values()):
            if key in (asset_key(asset.symbol), asset_key(asset.label)):
                return asset
        return None

    def balance(self, is_demo: bool) -> float | None:
        found = self.balances.get(is_demo)
        return None if found is None else found.amount


_HANDLERS: dict[type, Callable[[BrokerView, Any], None]] = {
    ev.OrderRequested: BrokerView._requested,
    ev.OrderOpened: BrokerView._opened,
    ev.OrderFailed: BrokerView._failed,
    ev.DealsOpened: BrokerView._deals_opened,
    ev.DealsClosed: BrokerView._deals_closed,
    ev.BalanceUpdated: BrokerView._balance,
    ev.AssetsUpdated: BrokerView._assets,
    ev.PageChoiceChanged: BrokerView._choice,
    ev.LoginAttempted: BrokerView._login,
    ev.LoginSucceeded: BrokerView._login_ok,
}
