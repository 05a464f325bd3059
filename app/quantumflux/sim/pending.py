"""Pending orders of the practice broker: trades the broker opens later, at a time or at a price.

``openPendingOrder {"openType": 0|1, "amount", "asset", "openTime": "YYYY-MM-DD HH:MM:SS" (UTC),
"openPrice", "timeframe", "minPayout", "command": 0|1}`` — the request as published
(lordralinc/pocket_option, reverse/emit_events.md). ``openType`` 0 opens at ``openTime``, 1 when the
price reaches ``openPrice`` (from the side it was on when the order was placed). The order answers
and the list use the fields of the public BinaryOptionsTools-v2 ``PendingOrder`` model (``ticket``,
``symbol``, ``dateCreated``, ``id``, …). What the real broker does at the trigger is not published:
here the order becomes a normal deal of ``timeframe`` seconds, unless the asset's payout fell below
``minPayout`` (then it is dropped). No I/O: the server drives it.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from quantumflux.sim.assets import SimAsset
from quantumflux.sim.orders import ASSET_CLOSED, UNKNOWN_ASSET, Failure


def _utc_text(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _utc_seconds(text: Any) -> float | None:
    try:
        return datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class PendingBook:
    """Accepts, lists, cancels and triggers pending orders (thread-safe)."""

    def __init__(self, assets: dict[str, SimAsset], *, min_amount: float, max_amount: float, min_expiry: int,
                 max_expiry: int) -> None:
        self.assets = assets
        self.min_amount, self.max_amount = min_amount, max_amount
        self.min_expiry, self.max_expiry = min_expiry, max_expiry
        self._lock = threading.Lock()
        self._orders: dict[str, tuple[bool, dict[str, Any], dict[str, Any]]] = {}  # ticket → (is_demo, wire, trigger)
        self._next_id = 1

    def place(self, request: Any, is_demo: bool, now: float, price: float | None) -> dict[str, Any] | Failure:
        """Accept the order (its wire form) or refuse it (``failopenPendingOrder`` payload)."""
        data = request if isinstance(request, dict) else {}
        error, trigger = self._check(data, now, price)
        if error is not None:
            return Failure(error, data.get("amount"), data.get("asset"))
        with self._lock:
            order = {
                "ticket": str(uuid.uuid4()), "openType": data["openType"], "amount": round(float(data["amount"]), 2),
                "symbol": data["asset"], "openTime": str(data.get("openTime") or ""),
                "openPrice": data.get("openPrice") or 0, "timeframe": int(data["timeframe"]),
                "minPayout": data.get("minPayout") or 0, "command": data["command"],
                "dateCreated": _utc_text(now), "id": self._next_id,
            }
            self._next_id += 1
            self._orders[order["ticket"]] = (is_demo, order, trigger)
        return dict(order)

    def _check(self, data: dict[str, Any], now: float, price: float | None) -> tuple[str | None, dict[str, Any]]:
        asset = self.assets.get(data.get("asset"))  # type: ignore[arg-type]
        if asset is None:
            return UNKNOWN_ASSET, {}
        if not asset.active:
            return ASSET_CLOSED, {}
        amount, timeframe = _number(data.get("amount")), _number(data.get("timeframe"))
        if amount is None or not self.min_amount <= amount <= self.max_amount:
            return f"Amount must be between {self.min_amount:g} and {self.max_amount:g}", {}
        if timeframe is None or not (self.min_expiry <= timeframe <= self.max_expiry and timeframe.is_integer()):
            return f"Timeframe must be a whole number of seconds between {self.min_expiry} and {self.max_expiry}", {}
        if data.get("command") not in (0, 1):
            return "Unknown command (use 0 for call, 1 for put)", {}
        if data.get("openType") == 0:
            at = _utc_seconds(data.get("openTime"))
            if at is None or at <= now:
                return "Open time must be a future UTC time as YYYY-MM-DD HH:MM:SS", {}
            return None, {"at": at}
        if data.get("openType") == 1:
            level = _number(data.get("openPrice"))
            if not level or level <= 0 or price is None:
                return "Open price must be a positive price", {}
            return None, {"level": level, "above": price < level}
        return "Unknown open type (use 0 for time, 1 for price)", {}

    def cancel(self, ticket: Any, is_demo: bool) -> dict[str, Any] | None:
        """Remove the account's order ``ticket``; returns it, or None when there is no such order."""
        with self._lock:
            held = self._orders.get(str(ticket))
            if held is None or held[0] != is_demo:
                return None
            del self._orders[str(ticket)]
            return dict(held[1])

    def listed(self, is_demo: bool) -> list[dict[str, Any]]:
        """The account's pending orders (``successupdatePending``), oldest first."""
        with self._lock:
            return [dict(order) for demo, order, _ in self._orders.values() if demo == is_demo]

    def due(self, now: float, price_of: Any) -> list[tuple[bool, dict[str, Any]]]:
        """Remove and return the orders whose trigger fired: the time passed, or the price reached the level."""
        fired = []
        with self._lock:
            for ticket, (is_demo, order, trigger) in list(self._orders.items()):
                if "at" in trigger:
                    hit = now >= trigger["at"]
                else:
                    price = price_of(order["symbol"], now)
                    hit = price is not None and (price >= trigger["level"] if trigger["above"]
                                                 else price <= trigger["level"])
                if hit:
                    del self._orders[ticket]
                    fired.append((is_demo, dict(order)))
        return fired
