"""Helpers for the decoder's less common paths.

- :func:`classify`: names the event a binary payload without a pending placeholder most
  likely belongs to, by its shape (a last resort; the decoder counts every use).
- :func:`substitute_placeholders`: fills ``{"_placeholder": true, "num": i}`` with attachments.
- :func:`shift_times`: subtracts the server offset from every broker timestamp in an event.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from quantumflux.core.model import Tick
from quantumflux.core.protocol.events import Event, HistoryReceived, HistoryRequested

_NUMBER = (int, float)


def classify(payload: Any, outgoing: bool) -> str | None:
    """The event name a payload's shape suggests, or ``None``."""
    if outgoing:
        return _classify_outgoing(payload)
    if isinstance(payload, list):
        return _classify_list(payload)
    if not isinstance(payload, dict):
        return None
    if "balance" in payload:
        return "successupdateBalance"
    if "asset" in payload and ("candles" in payload or "history" in payload):
        return "updateHistoryNewFast"
    if "asset" in payload and "data" in payload:
        return "loadHistoryPeriodFast"
    if "deals" in payload:
        return "successcloseOrder"
    if "id" in payload and "asset" in payload and ("requestId" in payload or "openTimestamp" in payload):
        return "successopenOrder"
    if "error" in payload:
        return "failopenOrder"
    return None


def _classify_list(payload: list[Any]) -> str | None:
    if not payload:
        return None
    first = payload[0]
    if isinstance(first, list):
        if len(first) == 3 and isinstance(first[0], str) and isinstance(first[1], _NUMBER):
            return "updateStream"
        if len(first) >= 10 and len(first) > 1 and isinstance(first[1], str):
            return "updateAssets"
        return None
    if isinstance(first, dict):
        if "chart_id" in first or "settings" in first:
            return "updateCharts"
        if "asset" in first and ("openTimestamp" in first or "openTime" in first):
            return "updateClosedDeals" if first.get("closePrice") else "updateOpenedDeals"
    return None


def _classify_outgoing(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    if "session" in payload:
        return "auth"
    if "action" in payload and "amount" in payload:
        return "openOrder"
    if "asset" in payload and "index" in payload:
        return "loadHistoryPeriodFast"
    if "asset" in payload and "period" in payload:
        return "changeSymbol"
    return None


def substitute_placeholders(template: Any, attachments: list[Any]) -> Any:
    """Replace every ``{"_placeholder": true, "num": i}`` in ``template`` with ``attachments[i]``."""
    if isinstance(template, dict):
        if template.get("_placeholder") is True and isinstance(template.get("num"), int):
            number = template["num"]
            if 0 <= number < len(attachments):
                return attachments[number]
            raise ValueError("placeholder number out of range")
        return {key: substitute_placeholders(value, attachments) for key, value in template.items()}
    if isinstance(template, list):
        return [substitute_placeholders(value, attachments) for value in template]
    return template


def shift_times(event: Event, offset: float) -> Event:
    """The event with ``offset`` subtracted from its broker-clock timestamps (itself when offset is 0).

    Only history and history requests carry broker-clock times here (ticks are corrected on the hot
    path); deal times are true UTC on the wire and are never shifted.
    """
    if not offset:
        return event
    if isinstance(event, HistoryReceived):
        return replace(
            event,
            ticks=tuple(Tick(tick.asset, tick.time - offset, tick.price) for tick in event.ticks),
            candles=tuple(replace(candle, time=candle.time - offset) for candle in event.candles),
        )
    if isinstance(event, HistoryRequested) and event.time is not None:
        return replace(event, time=event.time - offset)
    return event

