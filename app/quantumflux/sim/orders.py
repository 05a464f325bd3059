"""Orders, balances and the ledger of the practice broker (no I/O: the server drives it).

An ``openOrder`` is checked (known asset, open for trading, amount and expiry in range, enough
balance on the account the session authenticated as), then opened at the price of the last tick
at or before the open time; the stake leaves the balance. The deal closes ``expiry`` seconds after
its open *second* (``closeTimestamp = openTimestamp + expiry``, ``closeMs`` 0, as published real
deals show), at the price in force just before that instant, the last tick strictly before it (the
exit rule of docs/backtest.md: a tick stamped exactly at the expiry opens the next candle): a call
wins when the close is above the open, a put when below, equal is a draw. Win: profit = stake ×
payout % (rounded to the cent), balance += stake + profit. Draw: profit 0, stake returned. Loss:
profit = −stake.

Deal times on the wire are true UTC (``openTimestamp`` whole seconds, ``openMs`` its millisecond
part), whatever the broker clock of ticks and history: see docs/practice-broker.md, "Time base".
"""

from __future__ import annotations

import math
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from quantumflux.core.model import Direction, Outcome
from quantumflux.sim.assets import SimAsset
from quantumflux.sim.prices import PriceSource

UID = 1_024_777
CURRENCY = "USD"
_RECENT_CLOSED = 50

NOT_ENOUGH_MONEY = "Not enough money"
ASSET_CLOSED = "Asset is closed"
UNKNOWN_ASSET = "Unknown asset"
BAD_ACTION = "Unknown action (use call or put)"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One order request and what became of it. ``status`` is ``opened`` or ``failed`` (see ``reason``)."""

    request_id: Any
    asset: str
    direction: str
    amount: float
    expiry: float
    is_demo: bool
    status: str
    reason: str | None = None
    deal_id: str | None = None
    payout: int | None = None
    open_time: float | None = None
    open_price: float | None = None
    close_time: float | None = None
    close_price: float | None = None
    profit: float | None = None
    closed: bool = False

    @property
    def outcome(self) -> Outcome:
        return Outcome.from_profit(self.profit, self.closed)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready fields (an unreadable amount or expiry, kept as NaN, becomes None)."""
        data = {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]
        for name in ("amount", "expiry"):
            if isinstance(data[name], float) and math.isnan(data[name]):
                data[name] = None
        data["outcome"] = str(self.outcome)
        return data


@dataclass(frozen=True, slots=True)
class Failure:
    """A refused order: the ``failopenOrder`` payload (no requestId, as on the real broker)."""

    error: str
    amount: Any
    asset: Any

    def payload(self) -> dict[str, Any]:
        return {"error": self.error, "amount": self.amount, "asset": self.asset}


def _utc_text(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


class OrderDesk:
    """Validates, opens and closes orders; keeps balances and the ledger. Thread-safe reads."""

    def __init__(
        self,
        assets: dict[str, SimAsset],
        prices: PriceSource,
        *,
        balance_demo: float,
        balance_real: float,
        min_amount: float = 1.0,
        max_amount: float = 20000.0,
        min_expiry: int = 5,
        max_expiry: int = 14400,
    ) -> None:
        self.assets = assets
        self.prices = prices
        self.min_amount, self.max_amount = min_amount, max_amount
        self.min_expiry, self.max_expiry = min_expiry, max_expiry
        self._balances = {True: round(balance_demo, 2), False: round(balance_real, 2)}
        self._lock = threading.Lock()
        self._ledger: list[LedgerEntry] = []
        self._open: dict[str, tuple[int, dict[str, Any]]] = {}  # deal id → (ledger index, wire deal)
        self._closed: dict[bool, list[dict[str, Any]]] = {True: [], False: []}

    # ------------------------------------------------------------------ reads

    def balance(self, is_demo: bool) -> float:
        with self._lock:
            return self._balances[is_demo]

    @property
    def ledger(self) -> list[LedgerEntry]:
        with self._lock:
            return list(self._ledger)

    def opened_deals(self, is_demo: bool) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(deal) for _, deal in self._open.values() if bool(deal["isDemo"]) == is_demo]

    def closed_deals(self, is_demo: bool) -> list[dict[str, Any]]:
        """The most recent closed deals of one account, newest first."""
        with self._lock:
            return [dict(deal) for deal in reversed(self._closed[is_demo][-_RECENT_CLOSED:])]

    def next_close(self) -> float | None:
        with self._lock:
            return min((self._ledger[index].close_time or 0.0 for index, _ in self._open.values()), default=None)

    # ------------------------------------------------------------------ open

    def open(self, request: Any, is_demo: bool, now: float) -> dict[str, Any] | Failure:
        """Open the order or refuse it; either way the ledger gets an entry."""
        payload = request if isinstance(request, dict) else {}
        asset_name, amount = payload.get("asset"), payload.get("amount")
        entry = LedgerEntry(
            request_id=payload.get("requestId"),
            asset=str(asset_name),
            direction=str(payload.get("action", payload.get("command", ""))),
            amount=_number(amount),
            expiry=_number(payload.get("time")),
            is_demo=is_demo,
            status="failed",
        )
        error = self._check(payload, entry, is_demo)
        price = None if error else self.prices.price_at(entry.asset, now)
        if error is None and price is None:
            error = "No price yet for this asset"
        with self._lock:
            if error is None and self._balances[is_demo] < entry.amount:
                error = NOT_ENOUGH_MONEY
            if error is not None:
                self._ledger.append(replace(entry, reason=error))
                return Failure(error, amount, asset_name)
            return self._open_locked(entry, float(price), now)  # type: ignore[arg-type]

    def _check(self, payload: dict[str, Any], entry: LedgerEntry, is_demo: bool) -> str | None:
        asset = self.assets.get(entry.asset)
        if asset is None:
            return UNKNOWN_ASSET
        if not asset.active:
            return ASSET_CLOSED
        if not self.min_amount <= entry.amount <= self.max_amount:
            return f"Amount must be between {self.min_amount:g} and {self.max_amount:g}"
        if not (self.min_expiry <= entry.expiry <= self.max_expiry and float(entry.expiry).is_integer()):
            return f"Expiration must be a whole number of seconds between {self.min_expiry} and {self.max_expiry}"
        try:
            Direction.parse(entry.direction)
        except ValueError:
            return BAD_ACTION
        return None

    def _open_locked(self, entry: LedgerEntry, price: float, now: float) -> dict[str, Any]:
        asset = self.assets[entry.asset]
        direction = Direction.parse(entry.direction)
        amount = round(float(entry.amount), 2)
        open_ms = int(round(now * 1000))
        open_second, open_part = divmod(open_ms, 1000)
        close_time = float(open_second + int(entry.expiry))
        deal_id = str(uuid.uuid4())
        deal = {
            "id": deal_id,
            "openTime": _utc_text(open_second),
            "closeTime": _utc_text(close_time),
            "openTimestamp": open_second,
            "closeTimestamp": int(close_time),
            "openMs": open_part,
            "uid": UID,
            "requestId": entry.request_id,
            "amount": amount,
            "profit": 0,
            "percentProfit": asset.payout,
            "percentLoss": 100,
            "openPrice": price,
            "closePrice": 0,
            "command": 0 if direction is Direction.CALL else 1,
            "asset": asset.symbol,
            "isDemo": 1 if entry.is_demo else 0,
            "optionType": 100,
            "currency": CURRENCY,
            "isRollover": False,
            "copyTicket": "",
        }
        self._balances[entry.is_demo] = round(self._balances[entry.is_demo] - amount, 2)
        self._ledger.append(
            replace(
                entry,
                direction=str(direction),
                amount=amount,
                status="opened",
                deal_id=deal_id,
                payout=asset.payout,
                open_time=open_ms / 1000.0,
                open_price=price,
                close_time=close_time,
            )
        )
        self._open[deal_id] = (len(self._ledger) - 1, deal)
        return dict(deal)

    # ------------------------------------------------------------------ close

    def close_due(self, now: float) -> list[dict[str, Any]]:
        """Close every deal whose close time has passed; returns the closed wire deals."""
        closed = []
        with self._lock:
            for deal_id, (index, deal) in list(self._open.items()):
                entry = self._ledger[index]
                if entry.close_time is None or entry.close_time > now:
                    continue
                close_price = self.prices.price_before(entry.asset, entry.close_time)
                close_price = entry.open_price if close_price is None else close_price
                profit = _profit(entry, float(close_price))
                self._ledger[index] = replace(entry, close_price=close_price, profit=profit, closed=True)
                self._balances[entry.is_demo] = round(self._balances[entry.is_demo] + entry.amount + profit, 2)
                final = {**deal, "closePrice": close_price, "profit": profit, "closeMs": 0}
                del self._open[deal_id]
                self._closed[entry.is_demo].append(final)
                closed.append(dict(final))
        return closed


def _profit(entry: LedgerEntry, close_price: float) -> float:
    """Win: stake × payout %; draw: 0; loss: −stake (cents)."""
    open_price = float(entry.open_price or 0.0)
    if close_price == open_price:
        return 0.0
    won = close_price > open_price if entry.direction == Direction.CALL else close_price < open_price
    return round(entry.amount * (entry.payout or 0) / 100.0, 2) if won else -round(entry.amount, 2)


def _number(value: Any) -> float:
    """A request number as a float; NaN (refused by the checks) for anything else, ``10**400`` included."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return float("nan")
    return float("nan")
