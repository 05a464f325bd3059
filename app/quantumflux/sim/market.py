"""What the practice broker does on the socket: client events, the tick stream, deal closing, noise.

``MarketBehaviour`` is a mixin of :class:`quantumflux.sim.server.PracticeBroker`; it runs on the
broker's event loop and uses the broker's state (assets, prices, order desk, clients, faults).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from quantumflux.sim.assets import SimAsset, asset_row
from quantumflux.sim.connection import ClientConnection
from quantumflux.sim.faults import FaultSpec
from quantumflux.sim.orders import UID, Failure, OrderDesk
from quantumflux.sim.pending import PendingBook
from quantumflux.sim.prices import PriceSource
from quantumflux.sim.recorder import TickRecorder
from quantumflux.sim.subscriptions import SUBSCRIPTION_EVENTS, asset_of
from quantumflux.sim.wire import (
    BINARY_SHARE,
    Message,
    charts_payload,
    event,
    history_payload,
    load_history_payload,
    noise_messages,
    sentiment_message,
    tick_messages,
    valid_period,
)

log = logging.getLogger(__name__)

_HOUSEKEEPING_SECONDS = 0.05
_NOISE_SECONDS = 2.0
_QUIET_EVENTS = {"ps", "favorite/change"}


class MarketBehaviour:
    """Event handlers and background loops of the practice broker (see the module docstring)."""

    assets: tuple[SimAsset, ...]
    prices: PriceSource
    desk: OrderDesk
    pending: PendingBook
    faults: FaultSpec
    epoch: float
    tick_rate: float
    history_seconds: float
    min_expiry: int
    clock_offset: float
    _session: str | None
    _by_symbol: dict[str, SimAsset]
    _active: list[str]
    _clients: set[ClientConnection]
    _wire_rng: random.Random
    recorder: TickRecorder
    _background: set[asyncio.Task[None]]
    #: The last chart (asset, period) each account showed (by is_demo); updateCharts reports it on login.
    _charts: dict[bool, tuple[str, int]]

    def note_drop(self) -> None:  # provided by the broker
        raise NotImplementedError

    async def restart_listener(self) -> None:  # provided by the broker
        raise NotImplementedError

    def default_asset(self) -> str:
        return self._active[0] if self._active else self.assets[0].symbol

    # ------------------------------------------------------------------ events

    def _message(self, name: str, payload: Any) -> Message:
        return event(name, payload, binary=self._wire_rng.random() < BINARY_SHARE)

    def _broadcast(self, is_demo: bool, *messages: Message) -> None:
        for client in list(self._clients):
            if client.authenticated and client.is_demo == is_demo:
                for message in messages:
                    client.send(message)

    def _balance_message(self, is_demo: bool) -> Message:
        payload = {"uid": UID, "balance": self.desk.balance(is_demo), "isDemo": 1 if is_demo else 0}
        return self._message("successupdateBalance", payload)

    def on_event(self, client: ClientConnection, name: str, payload: Any) -> None:
        """Handle one client event (called on the loop by the connection)."""
        if name == "auth":
            self._on_auth(client, payload)
        elif name in _QUIET_EVENTS or not client.authenticated:
            return
        elif name == "changeSymbol":
            self._on_change_symbol(client, payload)
        elif name in SUBSCRIPTION_EVENTS:
            asset = asset_of(payload)
            if asset in self._by_symbol:
                client.subscriptions.apply(name, asset)
        elif name in ("loadHistoryPeriod", "loadHistoryPeriodFast"):
            request = payload if isinstance(payload, dict) else {}
            self._answer_in_thread(client, name, load_history_payload, self.prices, request, time.time(), self.epoch,
                                   self.clock_offset, on_error=lambda reason: _history_error(request, reason))
        elif name == "openOrder":
            self._on_open_order(client, payload)
        elif name == "openPendingOrder":
            self._on_open_pending(client, payload)
        elif name == "cancelPendingOrder":
            self._on_cancel_pending(client, payload)

    def _on_auth(self, client: ClientConnection, payload: Any) -> None:
        session = payload.get("session") if isinstance(payload, dict) else None
        valid = isinstance(session, str) and bool(session.strip())
        if valid and self._session is not None:
            valid = session == self._session
        if not valid:
            client.reject()
            return
        demo_flag = payload.get("isDemo", 1)
        client.is_demo = str(demo_flag).strip().lower() not in ("0", "false")
        client.authenticated = True
        exp_time = int(time.time()) // 86400 * 86400 + 86400
        rows = [asset_row(asset, self.min_expiry, exp_time) for asset in self.assets]
        symbol, period = self._charts.get(client.is_demo, (self.default_asset(), 60))
        for message in (
            event("successauth", {"id": client.sid}),
            self._balance_message(client.is_demo),
            self._message("updateAssets", rows),
            event("updateCharts", charts_payload(symbol, period, 10)),  # the saved chart; nothing streams yet
            self._message("updateOpenedDeals", self.desk.opened_deals(client.is_demo)),
            self._message("updateClosedDeals", self.desk.closed_deals(client.is_demo)),
            self._message("successupdatePending", self.pending.listed(client.is_demo)),
        ):
            client.send(message)

    def _on_change_symbol(self, client: ClientConnection, payload: Any) -> None:
        """The client shows another asset: stream it (among its last four) and send its history."""
        if not isinstance(payload, dict) or payload.get("asset") not in self._by_symbol:
            return
        period = payload.get("period", 60)
        if not valid_period(period):
            return
        client.subscriptions.apply("changeSymbol", payload["asset"])
        self._charts[client.is_demo] = (payload["asset"], period)  # the account's chart, as updateCharts reports
        self._answer_in_thread(client, "updateHistoryNewFast", history_payload, self.prices, payload["asset"],
                               period, time.time(), self.history_seconds, self.epoch, self.clock_offset)

    def _answer_in_thread(self, client: ClientConnection, name: str, build: Callable[..., Any], *args: Any,
                          on_error: Callable[[str], Any] | None = None) -> None:
        """Build a (possibly large) history answer off the loop so the tick stream never stalls.

        A request that cannot be answered gets ``on_error(reason)`` as its answer (when given), never a dead task.
        """

        async def answer() -> None:
            try:
                data = await asyncio.to_thread(build, *args)
            except Exception as exc:  # noqa: BLE001 - any bad request (10**400 included) gets its reply
                log.info("sim: bad %s request: %s", name, exc)
                if on_error is None:
                    return
                data = on_error(str(exc) if isinstance(exc, ValueError | KeyError | TypeError)
                                else f"cannot answer this request ({type(exc).__name__})")
            client.send(self._message(name, data))

        self._keep(asyncio.get_running_loop().create_task(answer()))

    def _keep(self, task: asyncio.Task[None]) -> None:
        """Hold a reference to a background task until it ends (cancelled on stop)."""
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _on_open_order(self, client: ClientConnection, payload: Any) -> None:
        result = self.desk.open(payload, client.is_demo, time.time())
        if isinstance(result, Failure):
            client.send(self._message("failopenOrder", result.payload()))
            return
        client.send(self._message("successopenOrder", result))
        self._broadcast(
            client.is_demo,
            self._message("updateOpenedDeals", self.desk.opened_deals(client.is_demo)),
            self._balance_message(client.is_demo),
        )

    def _on_open_pending(self, client: ClientConnection, payload: Any) -> None:
        asset = payload.get("asset") if isinstance(payload, dict) else None
        price = self.prices.price_at(asset, time.time()) if asset in self._by_symbol else None
        result = self.pending.place(payload, client.is_demo, time.time(), price)
        if isinstance(result, Failure):
            client.send(self._message("failopenPendingOrder", result.payload()))
            return
        client.send(self._message("successopenPendingOrder", result))
        self._broadcast(client.is_demo, self._message("successupdatePending", self.pending.listed(client.is_demo)))

    def _on_cancel_pending(self, client: ClientConnection, payload: Any) -> None:
        ticket = payload.get("ticket") if isinstance(payload, dict) else payload
        cancelled = self.pending.cancel(ticket, client.is_demo)
        if cancelled is None:
            client.send(self._message("failcancelPendingOrder", {"error": "Pending order not found", "ticket": ticket}))
            return
        client.send(self._message("successcancelPendingOrder", {"ticket": cancelled["ticket"]}))
        self._broadcast(client.is_demo, self._message("successupdatePending", self.pending.listed(client.is_demo)))

    def _trigger_pending(self, now: float) -> None:
        """Pending orders whose time or price came: open them as deals (or drop them under their min payout)."""
        for is_demo, order in self.pending.due(now, self.prices.price_at):
            asset = self._by_symbol[order["symbol"]]
            if asset.payout >= (order["minPayout"] or 0):
                request = {"asset": order["symbol"], "amount": order["amount"], "action": order["command"],
                           "time": order["timeframe"], "requestId": order["ticket"]}
                deal = self.desk.open(request, is_demo, now)
                if not isinstance(deal, Failure):
                    self._broadcast(is_demo, self._message("successopenOrder", deal),
                                    self._message("updateOpenedDeals", self.desk.opened_deals(is_demo)),
                                    self._balance_message(is_demo))
            self._broadcast(is_demo, self._message("successupdatePending", self.pending.listed(is_demo)))

    # ------------------------------------------------------------------ loops

    async def _tick_loop(self) -> None:
        period = min(0.1, 0.5 / self.tick_rate)
        last = time.time()
        while True:
            await asyncio.sleep(period)
            now = time.time()
            clients = [client for client in list(self._clients) if client.authenticated]
            if clients:
                try:
                    self._emit_ticks(clients, last, now)
                except Exception:  # a bug here must not stop the stream for good
                    log.exception("sim: emitting ticks failed")
            last = now

    def _emit_ticks(self, clients: list[ClientConnection], start: float, end: float) -> None:
        """Send each client the ticks of the assets it subscribed to (nothing for the others)."""
        wanted = {asset for client in clients for asset in client.subscriptions.streams}
        groups: dict[str, list[list[Any]]] = {}
        for symbol in self._active:
            if symbol not in wanted:
                continue
            times, prices = self.prices.ticks(symbol, start, end)
            if len(times):
                groups[symbol] = [[symbol, float(t), float(p)] for t, p in zip(times, prices, strict=True)]
        if not groups:
            return
        flat = [tick for group in groups.values() for tick in group]
        self.recorder.add([tick[0] for tick in flat], [tick[1] for tick in flat], [tick[2] for tick in flat])
        if self.clock_offset:  # the wire carries the broker's clock; the record keeps true UTC
            groups = {s: [[s, round(t + self.clock_offset, 3), p] for _, t, p in group] for s, group in groups.items()}
        for client in clients:
            mine = [groups[asset] for asset in client.subscriptions.streams if asset in groups]
            if not mine:
                continue
            self._wire_rng.shuffle(mine)
            for message in tick_messages(mine, self._wire_rng):
                client.send(message)

    async def _housekeeping(self) -> None:
        """Close expired deals and apply the drop_after and restart_every faults."""
        last_restart = time.time()
        while True:
            await asyncio.sleep(_HOUSEKEEPING_SECONDS)
            try:
                last_restart = self._housekeeping_round(time.time(), last_restart)
            except Exception:  # a bug here must not stop deals from closing for good
                log.exception("sim: housekeeping failed")

    def _housekeeping_round(self, now: float, last_restart: float) -> float:
        """One round of :meth:`_housekeeping`; returns the time of the last restart_every restart."""
        self._close_deals(now)
        self._trigger_pending(now)
        drop_after = self.faults.drop_after
        if drop_after:
            for client in list(self._clients):
                if now - client.connected_at >= drop_after:
                    log.info("sim: fault drop_after=%s drops client %s", drop_after, client.sid)
                    self._clients.discard(client)
                    self.note_drop()
                    client.abort()
        restart_every = self.faults.restart_every
        if not restart_every:
            return now
        if now - last_restart >= restart_every:
            log.info("sim: fault restart_every=%s restarts the server", restart_every)
            self._keep(asyncio.get_running_loop().create_task(self.restart_listener()))
            return now
        return last_restart

    def _close_deals(self, now: float) -> None:
        """Close expired deals and tell every client of the account."""
        closed = self.desk.close_due(now)
        for is_demo in (True, False):
            deals = [deal for deal in closed if bool(deal["isDemo"]) == is_demo]
            if deals:
                # the top-level profit is the gross amount paid back (stake + win; 0 for a loss), as the
                # real broker sends it; the net profit is each deal's own "profit"
                returned = round(sum(deal["amount"] + deal["profit"] for deal in deals), 2)
                self._broadcast(
                    is_demo,
                    self._message("successcloseOrder", {"profit": returned, "deals": deals}),
                    self._message("updateClosedDeals", self.desk.closed_deals(is_demo)),
                    self._message("updateOpenedDeals", self.desk.opened_deals(is_demo)),
                    self._balance_message(is_demo),
                )

    async def _noise(self) -> None:
        while True:
            await asyncio.sleep(_NOISE_SECONDS)
            clients = [client for client in list(self._clients) if client.authenticated]
            if clients:
                messages = noise_messages(self._wire_rng, self._active, time.time() + self.clock_offset)
                for client in clients:
                    for message in messages:
                        client.send(message)
                    watched = sorted(client.subscriptions.sentiment)
                    if watched:
                        client.send(sentiment_message(self._wire_rng, watched))


def _history_error(request: dict[str, Any], reason: str) -> dict[str, Any]:
    """The answer to a ``loadHistoryPeriod`` the broker cannot serve: no data, the reason, ``index`` echoed."""
    asset, period = request.get("asset"), request.get("period")
    return {"asset": asset if isinstance(asset, str) else None, "index": request.get("index"),
            "period": period if valid_period(period) else None, "data": [], "error": reason}
