"""Payload readers: PocketOption JSON payloads → domain values (see docs/protocol.md).

Each reader takes the decoded JSON of one event and returns domain values with broker
timestamps normalised to seconds but NOT yet offset-corrected (the decoder does that).
A payload that cannot be read raises :class:`PayloadError` whose message is a short,
fixed reason (never the payload itself, which may hold secrets). Row-level problems in
list payloads skip the row and are reported through the returned ``skipped`` count.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from quantumflux.core.model import (
    Asset,
    AssetType,
    Balance,
    Candle,
    Deal,
    Direction,
    PageChoice,
    Tick,
)

_NUMBER = (int, float)


class PayloadError(ValueError):
    """A payload that does not have the shape its event promises. ``str()`` is a fixed reason."""


#: Broker times are Unix seconds in ``(0, MAX_SECONDS)`` (2200-01-01) once milliseconds are converted.
MAX_SECONDS = 7_258_118_400.0


def seconds(value: Any) -> float:
    """A broker timestamp as float seconds (values above 1e12 are milliseconds); PayloadError if absurd."""
    if isinstance(value, bool) or not isinstance(value, _NUMBER):
        if isinstance(value, str):
            value = float(value)
        else:
            raise PayloadError("timestamp is not a number")
    try:
        v = float(value)
    except OverflowError:  # an integer like 10**400
        raise PayloadError("timestamp out of range") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise PayloadError("timestamp is not finite")
    v = v / 1000.0 if v > 1e12 else v
    if not 0.0 < v < MAX_SECONDS:  # negative, or 1e300 "milliseconds": no tick or candle can be there
        raise PayloadError("timestamp out of range")
    return v


def number(value: Any, reason: str) -> float:
    """A finite float from a JSON number or numeric string."""
    if isinstance(value, bool):
        raise PayloadError(reason)
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise PayloadError(reason) from exc
    if v != v or v in (float("inf"), float("-inf")):
        raise PayloadError(reason)
    return v


def _optional_number(value: Any) -> float | None:
    try:
        return None if value is None else number(value, "")
    except PayloadError:
        return None


def _optional_int(value: Any) -> int | None:
    v = _optional_number(value)
    return None if v is None else int(v)


def require_dict(payload: Any, reason: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise PayloadError(reason)
    return payload


# ------------------------------------------------------------------------- history


def history(payload: Any, event: str) -> tuple[str, int, list[Tick], list[Candle], int | None, int]:
    """``updateHistoryNew(Fast)`` and ``loadHistoryPeriod(Fast)`` answers.

    Returns ``(asset, period, ticks, candles, index, skipped_rows)`` with ticks/candles ascending.
    """
    data = require_dict(payload, "history payload is not an object")
    asset = data.get("asset")
    if not isinstance(asset, str) or not asset:  # loadHistoryPeriod entries may carry it
        entries = _list(data.get("data"))
        asset = entries[0].get("asset") if entries and isinstance(entries[0], dict) else None
    if not isinstance(asset, str) or not asset:
        raise PayloadError("history without asset")
    period = _optional_int(data.get("period")) or 0
    index = _optional_int(data.get("index"))
    ticks: dict[float, Tick] = {}
    candles: dict[float, Candle] = {}
    skipped = 0
    for row in _list(data.get("history")):
        try:
            t = seconds(row[0])
            ticks.setdefault(t, Tick(asset, t, number(row[1], "")))
        except (PayloadError, TypeError, IndexError, KeyError, ValueError):
            skipped += 1
    for row in _list(data.get("candles")):
        try:
            candle = _candle_row(asset, period, row)
            candles.setdefault(candle.time, candle)
        except (PayloadError, TypeError, IndexError, KeyError, ValueError):
            skipped += 1
    for entry in _list(data.get("data")):
        try:
            _data_entry(asset, period, entry, ticks, candles)
        except (PayloadError, TypeError, IndexError, KeyError, ValueError):
            skipped += 1
    return (
        asset,
        period,
        [ticks[t] for t in sorted(ticks)],
        [candles[t] for t in sorted(candles)],
        index,
        skipped,
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _candle_row(asset: str, period: int, row: Any) -> Candle:
    """Broker candle array ``[t, open, close, high, low(, volume)]`` → Candle."""
    if not isinstance(row, list) or len(row) < 5:
        raise PayloadError("candle row too short")
    volume = int(number(row[5], "")) if len(row) > 5 and row[5] is not None else 0
    return Candle(
        asset, period, seconds(row[0]),
        open=number(row[1], ""), high=number(row[3], ""), low=number(row[4], ""), close=number(row[2], ""),
        volume=volume,
    )


def _data_entry(asset: str, period: int, entry: Any, ticks: dict, candles: dict) -> None:
    """One ``loadHistoryPeriod`` data entry: a candle dict or a tick-like ``{time, price}``."""
    if not isinstance(entry, dict):
        raise PayloadError("history entry is not an object")
    t = seconds(entry["time"])
    if "open" in entry:
        volume = entry.get("volume")
        candle = Candle(
            asset, period, t,
            open=number(entry["open"], ""), high=number(entry["high"], ""),
            low=number(entry["low"], ""), close=number(entry["close"], ""),
            volume=int(number(volume, "")) if volume is not None else 0,
        )
        candles.setdefault(t, candle)
    else:
        ticks.setdefault(t, Tick(asset, t, number(entry["price"], "")))


# -------------------------------------------------------------------------- assets


def assets(payload: Any) -> tuple[list[Asset], int]:
    """``updateAssets`` rows read by index, defensively. Returns ``(assets, skipped_rows)``."""
    if not isinstance(payload, list):
        raise PayloadError("updateAssets payload is not a list")
    out: list[Asset] = []
    skipped = 0
    for row in payload:
        try:
            out.append(asset_row(row))
        except (PayloadError, TypeError, ValueError):
            skipped += 1
    return out, skipped


def asset_row(row: Any) -> Asset:
    """One ``updateAssets`` row (19 fields today; shorter and longer rows are accepted)."""
    if not isinstance(row, list) or len(row) < 2 or not isinstance(row[1], str) or not row[1]:
        raise PayloadError("asset row without symbol")

    def at(index: int) -> Any:
        return row[index] if len(row) > index else None

    symbol = row[1]
    label = at(2) if isinstance(at(2), str) else ""
    otc_flag = at(9)
    active_flag = at(14)
    digits = _optional_int(at(4))
    return Asset(
        symbol=symbol,
        label=label,
        type=AssetType.parse(at(3)),
        payout=_optional_number(at(5)) or 0.0,
        otc=bool(otc_flag) if isinstance(otc_flag, bool | int) else symbol.lower().endswith("_otc"),
        active=bool(active_flag) if isinstance(active_flag, bool | int) else True,
        digits=digits if digits is not None and 0 <= digits <= 12 else 5,
        allowed_timeframes=_timeframes(at(15)),
        id=_optional_int(at(0)),
        min_expiry=_optional_int(at(7)),
        default_expiry=_optional_int(at(6)),
    )


def _timeframes(value: Any) -> tuple[int, ...]:
    out: list[int] = []
    for item in _list(value):
        seconds_value = item.get("time") if isinstance(item, dict) else item
        v = _optional_int(seconds_value)
        if v is not None and v > 0:
            out.append(v)
    return tuple(out)


# ------------------------------------------------------------------------- account


def balance(payload: Any) -> Balance:
    data = require_dict(payload, "balance payload is not an object")
    return Balance(
        amount=number(data.get("balance"), "balance is not a number"),
        is_demo=bool(data.get("isDemo")),
        currency=str(data.get("currency") or ""),
    )


def request_id(value: Any) -> str | None:
    """``requestId`` may be a uuid string, a number or null."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def deal(payload: Any, closed: bool) -> Deal:
    """A broker Deal object → Deal (times in raw broker seconds)."""
    data = require_dict(payload, "deal is not an object")
    asset = data.get("asset")
    if not isinstance(asset, str) or not asset:
        raise PayloadError("deal without asset")
    command = data.get("command", data.get("action"))
    try:
        direction = Direction.parse(command)
    except ValueError as exc:
        raise PayloadError("deal without direction") from exc
    close_price = _optional_number(data.get("closePrice"))
    if not closed and close_price == 0:
        close_price = None
    return Deal(
        id=str(data.get("id") or ""),
        asset=asset,
        direction=direction,
        amount=number(data.get("amount"), "deal amount is not a number"),
        open_time=_deal_time(data, "openTimestamp", "openMs", "openTime"),
        close_time=_deal_time(data, "closeTimestamp", "closeMs", "closeTime"),
        open_price=_optional_number(data.get("openPrice")),
        close_price=close_price,
        profit=_optional_number(data.get("profit")),
        payout=_optional_number(data.get("percentProfit")),
        is_demo=bool(data.get("isDemo", True)),
        request_id=request_id(data.get("requestId")),
        closed=closed,
        currency=str(data.get("currency") or ""),
    )


def _deal_time(data: dict[str, Any], stamp_key: str, ms_key: str, text_key: str) -> float | None:
    """A deal time in float seconds: ``openTimestamp`` (whole seconds) plus ``openMs`` (its millisecond part).

    Real deals carry ``openTimestamp``/``closeTimestamp`` in whole seconds and ``openMs``/``closeMs`` as the
    0–999 millisecond part of the same instant (published payloads); a millisecond timestamp in either
    field (above 1e12) is read as such; without a number the ``openTime``/``closeTime`` string (UTC) is used.
    """
    ms = data.get(ms_key)
    ms = ms if isinstance(ms, _NUMBER) and not isinstance(ms, bool) and ms == ms else None
    value = data.get(stamp_key)
    if isinstance(value, _NUMBER) and not isinstance(value, bool) and 0 < value < float("inf"):
        if value > 1e12:
            return value / 1000.0
        seconds_value = float(value)
        if ms is not None and 0 <= ms < 1000 and seconds_value.is_integer():
            return seconds_value + int(ms) / 1000.0
        return seconds_value
    if ms is not None and 1e12 < ms < float("inf"):  # a full millisecond timestamp (older clients)
        return ms / 1000.0
    text = data.get(text_key)
    if isinstance(text, str) and text:
        parsed = _utc_text(text)
        if parsed is not None:
            ms_part = int(ms) / 1000.0 if ms is not None and 0 <= ms < 1000 else 0.0
            return parsed + ms_part
    return None


def _utc_text(text: str) -> float | None:
    """``2025-03-21 19:03:25`` (the broker's UTC strings) or ISO text → Unix seconds; None when unreadable."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def deals(payload: Any, closed: bool) -> tuple[list[Deal], int]:
    """A list of Deal objects; bad entries are skipped and counted."""
    if not isinstance(payload, list):
        raise PayloadError("deals payload is not a list")
    out: list[Deal] = []
    skipped = 0
    for item in payload:
        try:
            out.append(deal(item, closed))
        except PayloadError:
            skipped += 1
    return out, skipped


def close_order(payload: Any) -> tuple[list[Deal], float | None, int]:
    """``successcloseOrder``: ``{"profit": returned, "deals": [...]}``.

    The top-level ``profit`` is the gross amount the closed deals returned to the balance (stake plus win:
    1.92 for a won 1.00 stake at 92 %, 0 for a loss), not the net profit; net profit is each deal's
    ``profit``. Returns ``(deals, returned, skipped_rows)``.
    """
    data = require_dict(payload, "successcloseOrder payload is not an object")
    found, skipped = deals(data.get("deals") or [], closed=True)
    return found, _optional_number(data.get("profit")), skipped


def fail_order(payload: Any) -> tuple[str, str | None, float | None]:
    """``failopenOrder``: ``(error, asset, amount)``; a bare string payload is the error."""
    if isinstance(payload, str):
        return payload, None, None
    data = require_dict(payload, "failopenOrder payload is not an object")
    asset = data.get("asset")
    error = data.get("error", data.get("message", "order failed"))
    return str(error), asset if isinstance(asset, str) else None, _optional_number(data.get("amount"))


# ----------------------------------------------------------------------- page/outgoing


def change_symbol(payload: Any) -> PageChoice:
    data = require_dict(payload, "changeSymbol payload is not an object")
    asset = data.get("asset")
    period = _optional_int(data.get("period"))
    if not isinstance(asset, str) or not asset or period is None or period <= 0:
        raise PayloadError("changeSymbol without asset or period")
    return PageChoice(asset, period)


#: ``updateCharts`` ``chartPeriod`` is the page's timeframe *id*, not seconds (a public capture shows
#: ``chartPeriod: 6`` beside ``changeSymbol`` period 300). Id → seconds, from the page's own table as
#: published by lordralinc/pocket_option (reverse/emit_events.md, "Period mapping"); see docs/protocol.md.
CHART_PERIOD_SECONDS: dict[int, int] = {
    15: 1, 0: 5, 1: 10, 2: 15, 3: 30, 4: 60, 13: 120, 14: 180, 6: 300, 7: 600, 8: 900, 9: 1800, 10: 3600,
    11: 14400, 12: 86400,
}


def chart_period_seconds(value: Any) -> int | None:
    """The candle period in seconds for a ``chartPeriod`` id; None for an id not in the page's table."""
    if isinstance(value, bool):
        return None
    number = _optional_number(value)
    if number is None or not float(number).is_integer():
        return None
    return CHART_PERIOD_SECONDS.get(int(number))


def chart_choice(payload: Any) -> PageChoice | None:
    """``updateCharts``: the first chart whose settings JSON string holds ``symbol`` and a known ``chartPeriod`` id."""
    charts = payload if isinstance(payload, list) else [payload]
    for chart in charts:
        if not isinstance(chart, dict):
            continue
        settings = chart.get("settings")
        if isinstance(settings, str):
            try:
                settings = json.loads(settings)
            except ValueError:
                continue
        if not isinstance(settings, dict):
            continue
        asset = settings.get("symbol")
        period = chart_period_seconds(settings.get("chartPeriod"))
        if isinstance(asset, str) and asset and period:
            return PageChoice(asset, period)
    return None


def history_request(payload: Any) -> tuple[str, int, int | None, float | None, int | None]:
    """Outgoing ``loadHistoryPeriod(Fast)``: ``(asset, period, index, time, offset)``."""
    data = require_dict(payload, "loadHistoryPeriod request is not an object")
    asset = data.get("asset")
    if not isinstance(asset, str) or not asset:
        raise PayloadError("loadHistoryPeriod request without asset")
    time_value = data.get("time")
    return (
        asset,
        _optional_int(data.get("period")) or 0,
        _optional_int(data.get("index")),
        seconds(time_value) if time_value is not None else None,
        _optional_int(data.get("offset")),
    )


def open_order(payload: Any) -> tuple[str, float, Direction, int, str | None, bool]:
    """Outgoing ``openOrder``: ``(asset, amount, direction, expiry, request_id, is_demo)``."""
    data = require_dict(payload, "openOrder payload is not an object")
    asset = data.get("asset")
    if not isinstance(asset, str) or not asset:
        raise PayloadError("openOrder without asset")
    try:
        direction = Direction.parse(data.get("action", data.get("command")))
    except ValueError as exc:
        raise PayloadError("openOrder without direction") from exc
    return (
        asset,
        number(data.get("amount"), "openOrder amount is not a number"),
        direction,
        _optional_int(data.get("time")) or 0,
        request_id(data.get("requestId")),
        bool(data.get("isDemo")),
    )


def login(payload: Any) -> tuple[bool, int | None]:
    """Outgoing ``auth``: only ``(is_demo, uid)``; the session value is not read."""
    data = require_dict(payload, "auth payload is not an object")
    return bool(data.get("isDemo")), _optional_int(data.get("uid"))


def rejection(payload: Any, event: str) -> str:
    """The reason text of a rejected login."""
    if isinstance(payload, str) and payload:
        return payload
    if isinstance(payload, dict):
        for key in ("message", "error", "reason"):
            if isinstance(payload.get(key), str):
                return payload[key]
    return event

