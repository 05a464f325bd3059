"""Payload readers for the events around trading: pending orders, favourites, sentiment (``chafor``).

Same contract as :mod:`payloads`: domain values out, :class:`~payloads.PayloadError` with a fixed reason
for a payload of the wrong shape, row problems counted in a returned ``skipped``.
"""

from __future__ import annotations

from typing import Any

from quantumflux.core.model import Direction, PendingOrder
from quantumflux.core.protocol.payloads import (
    PayloadError,
    _list,
    _optional_int,
    _optional_number,
    _utc_text,
    number,
    require_dict,
)

# ---------------------------------------------------------------------- pending orders

_PENDING_KINDS = {0: "time", 1: "price"}


def pending_order(payload: Any) -> PendingOrder:
    """A pending order object (``successopenPendingOrder``, rows of ``successupdatePending``, outgoing
    ``openPendingOrder``): ``openType`` 0 time / 1 price, ``amount``, ``asset`` (or ``symbol``), ``openTime``
    (UTC text), ``openPrice``, ``timeframe``, ``minPayout``, ``command`` 0 call / 1 put, ``ticket``."""
    data = require_dict(payload, "pending order is not an object")
    asset = data.get("asset", data.get("symbol"))
    if not isinstance(asset, str) or not asset:
        raise PayloadError("pending order without asset")
    try:
        direction = Direction.parse(data.get("command", data.get("action")))
    except ValueError as exc:
        raise PayloadError("pending order without direction") from exc
    kind = _PENDING_KINDS.get(_optional_int(data.get("openType")) or 0, "time")
    open_time = data.get("openTime")
    created = data.get("dateCreated")
    open_price = _optional_number(data.get("openPrice"))
    return PendingOrder(
        ticket=str(data.get("ticket") or data.get("id") or ""),
        asset=asset,
        direction=direction,
        amount=number(data.get("amount"), "pending order amount is not a number"),
        kind=kind,
        open_time=_utc_text(open_time) if isinstance(open_time, str) and open_time else _optional_number(open_time),
        open_price=open_price if open_price else None,
        timeframe=_optional_int(data.get("timeframe")),
        min_payout=_optional_number(data.get("minPayout")),
        created=_utc_text(created) if isinstance(created, str) and created else None,
    )


def pending_orders(payload: Any) -> tuple[list[PendingOrder], int]:
    """``successupdatePending``: the list of pending orders; bad entries are skipped and counted."""
    items = payload if isinstance(payload, list) else require_dict(payload, "pending list is not a list").get(
        "pending", [])
    out: list[PendingOrder] = []
    skipped = 0
    for item in _list(items):
        try:
            out.append(pending_order(item))
        except PayloadError:
            skipped += 1
    return out, skipped


def ticket(payload: Any) -> str | None:
    """The pending-order ticket of a cancel request or answer (an object with ``ticket``, or the bare string)."""
    if isinstance(payload, str) and payload:
        return payload
    if isinstance(payload, dict):
        value = payload.get("ticket", payload.get("id"))
        return None if value is None else str(value)
    return None


# ------------------------------------------------------------------ favorites, sentiment


def favorites(payload: Any) -> list[str]:
    """``updateFavorites``: the page's favourite symbols (strings, or objects with ``symbol``/``asset``)."""
    if not isinstance(payload, list):
        raise PayloadError("updateFavorites payload is not a list")
    out: list[str] = []
    for item in payload:
        symbol = item.get("symbol", item.get("asset")) if isinstance(item, dict) else item
        if isinstance(symbol, str) and symbol and symbol not in out:
            out.append(symbol)
    return out


def sentiment(payload: Any) -> tuple[list[tuple[str, float]], int]:
    """``chafor``: ``[[asset, value], …]`` — the traders' sentiment per asset (percent of calls), not payout."""
    if not isinstance(payload, list):
        raise PayloadError("chafor payload is not a list")
    out: list[tuple[str, float]] = []
    skipped = 0
    for row in payload:
        try:
            asset, value = row[0], number(row[1], "")
            if not isinstance(asset, str) or not asset:
                raise PayloadError("")
        except (PayloadError, TypeError, IndexError, KeyError):
            skipped += 1
            continue
        out.append((asset, value))
    return out, skipped
