"""Turns live events into stream topics: ticks, candles (forming and closed), trades, status.

Topics: ``ticks:<ASSET>``, ``candles:<ASSET>:<TF>`` (``{"closed": …}`` when a candle closes,
``{"forming": …}`` as it forms), ``trades`` (deals opened/closed, orders failed),
``status`` (login, sockets). A candle topic is computed only once some client watches it.
"""

from __future__ import annotations

import threading
from typing import Any

from quantumflux.api.stream import StreamHub
from quantumflux.core.model import Timeframe
from quantumflux.core.protocol import events as ev
from quantumflux.services.facade import QuantumFluxService

#: The name the stream takes closed candles under (the terminal's chart takes them under its own).
CONSUMER = "api-stream"


class StreamBridge:
    def __init__(self, service: QuantumFluxService, hub: StreamHub) -> None:
        self._service = service
        self._hub = hub
        self._watched: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        service.add_listener(self.on_item)

    def watch(self, topics: list[str]) -> None:
        """Start computing candle topics that a client subscribed to (may read stored candles: call off the loop)."""
        for series in filter(None, map(_candle_series, topics)):
            with self._lock:
                self._watched.add(series)
            self._service.take_candles(*series, CONSUMER)  # from now on: what closed before is not news

    def prune(self, topics: set[str]) -> None:
        """Stop computing candle series that no topic in ``topics`` (every subscriber's) asks for."""
        wanted = set(filter(None, map(_candle_series, topics)))
        with self._lock:
            self._watched &= wanted

    @property
    def watched_count(self) -> int:
        """Candle series (asset, timeframe) computed for subscribers."""
        with self._lock:
            return len(self._watched)

    def on_item(self, item: Any) -> None:
        hub = self._hub
        if isinstance(item, ev.TicksReceived):
            assets = set()
            for tick in item.ticks:
                hub.publish(f"ticks:{tick.asset}", {"asset": tick.asset, "time": tick.time, "price": tick.price})
                assets.add(tick.asset)
            self._publish_candles(assets)
        elif isinstance(item, ev.OrderOpened):
            hub.publish("trades", {"event": "opened", "deal_id": item.deal.id, "asset": item.deal.asset,
                                   "amount": item.deal.amount, "request_id": item.deal.request_id})
        elif isinstance(item, ev.DealsClosed):
            for deal in item.deals:
                hub.publish("trades", {"event": "closed", "deal_id": deal.id, "asset": deal.asset,
                                       "profit": deal.profit, "outcome": deal.outcome.value})
        elif isinstance(item, ev.OrderFailed):
            hub.publish("trades", {"event": "failed", "asset": item.asset, "amount": item.amount, "error": item.error})
        elif isinstance(item, ev.LoginSucceeded | ev.LoginRejected | ev.SocketOpened | ev.SocketClosed
                        | ev.SessionDisconnected):
            hub.publish("status", {"event": type(item).__name__})

    def _publish_candles(self, assets: set[str]) -> None:
        with self._lock:
            watched = [w for w in self._watched if w[0] in assets]
        for asset, seconds in watched:
            closed, forming = self._service.take_candles(asset, seconds, CONSUMER)
            topic = f"candles:{asset}:{Timeframe(seconds)}"
            for candle in closed:
                self._hub.publish(topic, {"closed": candle})
            if forming is not None:
                self._hub.publish(topic, {"forming": forming})


def _candle_series(topic: str) -> tuple[str, int] | None:
    """``candles:ASSET:TF`` → ``(ASSET, seconds)``; None for any other topic."""
    parts = topic.split(":")
    if parts[0] != "candles" or len(parts) != 3:
        return None
    try:
        return parts[1], Timeframe.parse(parts[2]).seconds
    except ValueError:
        return None
