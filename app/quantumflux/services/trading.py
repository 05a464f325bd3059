"""Trade execution on the attached trading page, confirmed only by the broker's own events.

:class:`TradingSession` is the one trading facade (CLI, GUI, API): ``place()`` runs

    journal attempt (idempotent client id) → risk guard → page (asset, amount, expiry)
    → click CALL/PUT → wait for the broker: successopenOrder (confirmed) | failopenOrder (failed)
    | nothing within ``confirm_timeout`` → checked against updateOpenedDeals → else "unconfirmed"

and records results from ``successcloseOrder``/``updateClosedDeals`` as they arrive (win/draw/loss
with the broker's profit). A retried client id never places a second order: the journal's record
is returned (an unconfirmed one is first checked against the broker's open deals). Demo by
default: a real-account order needs ``Settings.allow_real_trading`` *and* ``real=True``, and the
page must show the account asked for.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from quantumflux.browser import page_actions, page_trade
from quantumflux.browser.page import PAGE_ERRORS, PageError, SelectorError, TradingPage
from quantumflux.config import Settings
from quantumflux.core.model import Deal, Direction, Timeframe
from quantumflux.core.risk import OrderIntent, RiskDecision, RiskGuard, RiskLimits
from quantumflux.services.trading_events import BrokerView, PendingOrder
from quantumflux.services.trading_result import TradeResult, parse_amount, parse_expiry
from quantumflux.storage.journal import (
    AWAITING_RESULT,
    OPEN_STATUSES,
    DuplicateOrderError,
    JournalError,
    TradeJournal,
    TradeRecord,
    default_journal_path,
)

__all__ = ["TradeResult", "TradingSession", "parse_amount", "parse_expiry"]


class TradingSession:
    """Trading on the page of the browser at ``host:port``, confirmed through ``hub``'s capture.

    ``page`` may be given (tests, a GUI that already attached); otherwise it is attached on first use.
    ``hub`` must already be started. ``close()`` detaches the page (the browser keeps running).
    """

    def __init__(self, settings: Settings, hub: Any, host: str, port: int, journal: TradeJournal,
                 guard: RiskGuard, *, page: TradingPage | None = None, confirm_timeout: float = 10.0,
                 clock: Callable[[], float] = time.time, chromedriver: str | None = None) -> None:
        self.settings = settings
        self.hub = hub
        self.host, self.port = host, port
        self.journal = journal
        self.guard = guard
        self.confirm_timeout = confirm_timeout
        self.view = BrokerView(clock)
        self._clock = clock
        self._page = page
        self._owns_page = page is None
        self._chromedriver = chromedriver
        self.page_lock = threading.RLock()  # one order (or page action) at a time on the page
        self._closed = threading.Condition()
        self.view.on_closed.append(self._on_deal_closed)
        self.view.on_late.append(self._on_late_answer)
        self._remove_listener = hub.add_listener(self.view.on_event)
        self._owns_journal = False

    @classmethod
    def create(cls, settings: Settings, hub: Any, host: str | None = None, port: int | None = None,
               limits: RiskLimits | None = None, **options: Any) -> TradingSession:
        """A session with the default journal (``<data_root>/data_output/journal``) and guard.

        ``limits`` default to :class:`RiskLimits` with ``allow_real`` from the config; the journal is
        closed by ``close()``. ``options`` go to the constructor (``page``, ``confirm_timeout`` …).
        """
        journal = TradeJournal(default_journal_path(settings.data_root))
        guard = RiskGuard(limits or RiskLimits(allow_real=settings.allow_real_trading))
        session = cls(settings, hub, host or settings.chrome_host, port or settings.chrome_port, journal, guard,
                      **options)
        session._owns_journal = True
        return session

    # ------------------------------------------------------------------ page

    @property
    def page(self) -> TradingPage:
        """The attached trading page (attached on first use)."""
        if self._page is None:
            self._page = TradingPage.attach(self.host, self.port, chromedriver=self._chromedriver)
        return self._page

    def switch_page(self, asset: str, period: int | str | None = None) -> None:
        """Make the page show ``asset`` (and the chart period, seconds or ``1m``, when given)."""
        with self.page_lock:
            known = self.view.asset(asset)
            page_actions.switch_asset(self.page, known.symbol if known else asset,
                                      label=known.label if known else None)
            if period is not None:
                page_actions.switch_period(self.page, period)

    # ---------------------------------------------------------------- orders

    def place(self, asset: str, direction: Direction | str, amount: float, expiry: int | str,
              source: str = "manual", client_id: str | None = None, real: bool = False,
              dry_run: bool = False) -> TradeResult:
        """Place one order and wait for the broker's answer (see the module docstring)."""
        direction = Direction.parse(direction)
        expiry = parse_expiry(expiry)
        amount = parse_amount(amount)
        client_id = client_id or uuid.uuid4().hex
        account = "real" if real else "demo"
        with self.page_lock:
            existing = self.journal.get(client_id)
            if existing is not None:
                return self._retried(existing)
            symbol, label = self._symbol(asset)
            if dry_run:
                decision = self._decide(symbol, label, direction, amount, expiry, account)
                status = "dry-run" if decision.allowed else "refused"
                reason = "allowed: nothing sent (dry run)" if decision.allowed else f"{decision.rule}: {decision.reason}"
                return TradeResult(client_id, status, symbol, direction.value, float(amount), expiry, account,
                                   reason, decision.rule)
            try:
                record = self.journal.record_attempt(client_id, symbol, direction, amount, expiry,
                                                     source=source, account=account)
            except DuplicateOrderError as exc:
                return self._retried(exc.existing)
            return self._execute(record, label)

    def _execute(self, record: TradeRecord, label: str | None) -> TradeResult:
        client_id, direction = record.client_id, Direction(record.direction)
        try:
            decision = self._decide(record.asset, label, direction, record.amount, record.expiry, record.account,
                                    client_id)
        except PAGE_ERRORS as exc:
            return self._fail(client_id, f"page: {_message(exc)}")
        if not decision.allowed:
            self.journal.mark_refused(client_id, f"{decision.rule}: {decision.reason}")
            return self.result(client_id)
        try:
            shown = page_actions.switch_asset(self.page, record.asset, label=label)
            page_trade.prepare_order(self.page, direction, record.amount, record.expiry, asset_label=shown.label)
        except PAGE_ERRORS as exc:
            return self._fail(client_id, f"page: {_message(exc)}")
        order = self.view.expect(PendingOrder(client_id, record.asset, record.amount, direction, record.expiry,
                                              self._clock(), self.confirm_timeout + record.expiry))
        click_error = ""
        try:
            page_trade.click_direction(self.page, direction)
        except SelectorError as exc:  # the button is gone: nothing was clicked
            self.view.forget(order)
            return self._fail(client_id, f"page: {_message(exc)}")
        except PAGE_ERRORS as exc:  # the click may or may not have happened: only the broker can tell
            click_error = f"the click reported an error ({_message(exc)}); "
        order.done.wait(self.confirm_timeout)
        if not order.done.is_set() and self.view.abandon(order):
            deal = self.view.find_open_deal(order)
            if deal is None:
                self._unconfirmed(client_id, f"{click_error}no broker confirmation within "
                                             f"{self.confirm_timeout:g} s and no matching deal in "
                                             "updateOpenedDeals; not retried")
                return self.result(client_id)
            self.view.forget(order)
            self.view.claim(deal.id)
            order.deal = deal
        self.view.forget(order)
        return self._settle(order)

    def _settle(self, order: PendingOrder) -> TradeResult:
        if order.deal is not None:
            self._confirm(order.client_id, order.deal)
        elif order.error is not None:
            self.journal.mark_failed(order.client_id, f"broker: {order.error}")
        return self.result(order.client_id)

    def _confirm(self, client_id: str, deal: Deal) -> None:
        self.journal.mark_confirmed(client_id, deal.id, open_price=deal.open_price, payout=deal.payout,
                                    at=self._clock(), opened_at=deal.open_time, expires_at=deal.close_time)
        closed = self.view.closed.get(deal.id)
        if closed is not None:
            self._on_deal_closed(closed)

    def _unconfirmed(self, client_id: str, reason: str) -> None:
        try:
            self.journal.mark_unconfirmed(client_id, reason)
        except JournalError:
            pass  # a late answer was journalled first (confirmed or failed): that one stands

    def _fail(self, client_id: str, reason: str) -> TradeResult:
        self.journal.mark_failed(client_id, reason)
        return self.result(client_id)

    def _retried(self, record: TradeRecord) -> TradeResult:
        """A known client id: never placed again. An unconfirmed one is looked up in the broker's deals."""
        if record.status == "unconfirmed":
            self._reconcile(record)
        return TradeResult.from_record(self.journal.get(record.client_id) or record, duplicate=True)

    def _reconcile(self, record: TradeRecord) -> None:
        """Check an unconfirmed order against updateOpenedDeals/updateClosedDeals (fresh ones if needed).

        Found: confirmed (and its result if closed). Not in fresh lists once its expiry is over: failed.
        Otherwise it stays unconfirmed. Nothing is ever sent to the broker here.
        """
        probe = PendingOrder(record.client_id, record.asset, record.amount, Direction(record.direction),
                             record.expiry, record.requested_at, self.confirm_timeout + record.expiry)
        deal = self._unclaimed_match(probe)
        fresh = False
        if deal is None:
            fresh = self._refresh_deal_lists()
            deal = self._unclaimed_match(probe) if fresh else None
        if deal is not None:
            self.view.claim(deal.id)
            self._confirm(record.client_id, deal)
        elif fresh and self._clock() > record.requested_at + record.expiry + self.confirm_timeout:
            self.journal.mark_failed(record.client_id, "the broker has no such deal (updateOpenedDeals and "
                                                       "updateClosedDeals checked); nothing was retried")

    def _unclaimed_match(self, probe: PendingOrder) -> Deal | None:
        while (deal := self.view.find_open_deal(probe)) is not None:
            if self.journal.find_deal(deal.id) is None:
                return deal
            self.view.claim(deal.id)  # another journal order owns it
        return None

    def _refresh_deal_lists(self) -> bool:
        """Reload the page so the broker sends its open and closed deals again; True once both arrived."""
        since = time.time()  # the capture stamps events with wall-clock receive times
        try:
            self.page.reload()
        except PAGE_ERRORS:
            return False
        return self.view.wait_for_lists(since, self.confirm_timeout)

    # ----------------------------------------------------------------- guard

    def _symbol(self, asset: str) -> tuple[str, str | None]:
        known = self.view.asset(asset)
        return (known.symbol, known.label) if known else (asset, None)

    def _decide(self, symbol: str, label: str | None, direction: Direction, amount: float, expiry: int,
                account: str, client_id: str | None = None) -> RiskDecision:
        """The guard's decision, then the account check (the page must show the account asked for)."""
        is_real = account == "real"
        payout, is_open = self._asset_terms(symbol)
        balance = self.view.balance(not is_real)
        if self.view.login_demo is not None:  # the broker login the capture saw is the authority
            page_account = "demo" if self.view.login_demo else "real"
        else:
            page_account = page_actions.account_type(self.page)
        if balance is None and page_account == account:
            balance = page_actions.balance(self.page)
        now = self._clock()
        intent = OrderIntent(symbol, direction, float(amount), expiry, payout=payout, is_real=is_real,
                             asset_open=is_open)
        state = self.journal.account_state(now, account=account, balance=balance, exclude=client_id)
        allow_real = self.settings.allow_real_trading and self.guard.limits.allow_real
        guard = self.guard if allow_real == self.guard.limits.allow_real else RiskGuard(
            _with_allow_real(self.guard, allow_real))
        decision = guard.check(intent, state, now)
        if decision.allowed and page_account != account:
            return RiskDecision(False, "account", f"the page shows the {page_account} account, the order is for "
                                                  f"the {account} account: switch the page first")
        return decision

    def _asset_terms(self, symbol: str) -> tuple[float | None, bool]:
        known = self.view.asset(symbol)
        if known is not None:
            return known.payout, known.active
        row = page_actions.find_asset(self.page, symbol)
        if row is None:
            raise PageError(f"asset {symbol!r} is not in the page's asset list")
        return row.payout, row.open

    # ------------------------------------------------------------- results

    def _on_deal_closed(self, deal: Deal) -> None:
        """A deal closed (capture thread): record the broker's profit for the order it belongs to."""
        record = self.journal.find_deal(deal.id)
        if record is None or record.status not in (*AWAITING_RESULT, "closed"):
            return
        try:
            self.journal.record_result(deal_id=deal.id, profit=float(deal.profit or 0.0),
                                       close_price=deal.close_price, closed_at=deal.close_time)
        except JournalError:
            return
        with self._closed:
            self._closed.notify_all()

    def _on_late_answer(self, order: PendingOrder) -> None:
        """The broker answered after the timeout (capture thread): the journal learns it now."""
        try:
            if order.deal is not None:
                self._confirm(order.client_id, order.deal)
            elif order.error is not None:
                self.journal.mark_failed(order.client_id, f"broker: {order.error}")
        except JournalError:
            pass

    def result(self, client_id: str) -> TradeResult:
        """The order's current state from the journal."""
        record = self.journal.get(client_id)
        if record is None:
            raise KeyError(f"no order with client id {client_id!r}")
        return TradeResult.from_record(record)

    def wait_result(self, client_id: str, timeout: float) -> TradeResult:
        """Wait until the deal's close is seen (outcome win/draw/loss) or ``timeout``: then "unknown"."""
        deadline = time.monotonic() + timeout
        with self._closed:
            while True:
                current = self.result(client_id)
                if current.status not in OPEN_STATUSES:
                    return current
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return current
                self._closed.wait(min(remaining, 0.5))

    # -------------------------------------------------------------- the GUI

    def trade_handler(self, asset: str, direction: str, amount: float, expiry_seconds: int) -> str:
        """GUI entry (worker thread): place a manual order, return a one-line message."""
        try:
            return self.place(asset, direction, amount, expiry_seconds, source="manual").message
        except (ValueError, JournalError, *PAGE_ERRORS) as exc:
            return f"{direction} {asset} {amount:g}: failed — {_message(exc)}"

    def page_switcher(self, asset: str, period_seconds: int) -> None:
        """GUI entry (worker thread): make the page show ``asset`` at ``period_seconds``."""
        self.switch_page(asset, Timeframe(int(period_seconds)).seconds)

    def close(self) -> None:
        """Stop listening and detach the page (the browser keeps running)."""
        self._remove_listener()
        if self._page is not None and self._owns_page:
            self._page.detach()
            self._page = None
        if self._owns_journal:
            self.journal.close()


def _with_allow_real(guard: RiskGuard, allow: bool) -> Any:
    from dataclasses import replace

    return replace(guard.limits, allow_real=allow)


def _message(exc: BaseException) -> str:
    text = getattr(exc, "msg", None) or str(exc)
    return str(text).splitlines()[0] if text else type(exc).__name__
