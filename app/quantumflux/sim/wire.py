"""Building the broker's outgoing messages (pure functions; the server sends them).

A *message* is a tuple of frames sent back to back: one text frame for the single-frame form
``42[...]``, or the placeholder text frame plus its binary attachment for the two-frame form.
"""

from __future__ import annotations

import json
import random
from typing import Any

import numpy as np

from quantumflux.core.protocol.framing import encode_binary_event, encode_event
from quantumflux.core.protocol.payloads import CHART_PERIOD_SECONDS
from quantumflux.sim.prices import PriceSource, candles_from_ticks

Frame = str | bytes
Message = tuple[Frame, ...]

#: Share of events (other than ticks) sent in the two-frame binary form.
BINARY_SHARE = 0.75
#: Shares of tick messages sent as the single-frame form and merged across several assets.
TICK_SINGLE_FRAME_SHARE = 0.1
TICK_MERGE_SHARE = 0.15
#: Seconds of history ticks sent in ``updateHistoryNewFast``.
HISTORY_TICK_SECONDS = 300.0
#: Largest span a ``loadHistoryPeriod`` request may ask for (seconds).
MAX_LOAD_SPAN = 2 * 86400.0
#: Longest candle period a history request may ask for (seconds): a week.
MAX_PERIOD = 7 * 86400


def event(name: str, payload: Any = None, binary: bool = False) -> Message:
    """One event in the single-frame or two-frame form."""
    if binary and payload is not None:
        return encode_binary_event(name, payload)
    return (encode_event(name, payload),)


def tick_messages(groups: list[list[list[Any]]], rng: random.Random) -> list[Message]:
    """``updateStream`` messages for per-asset groups of ``[asset, time, price]`` ticks.

    Mostly one two-frame message per asset; some messages merge the ticks of several assets,
    some use the single-frame form.
    """
    messages: list[Message] = []
    index = 0
    while index < len(groups):
        roll = rng.random()
        if roll < TICK_MERGE_SHARE and index + 1 < len(groups):
            take = rng.randint(2, 4)
            payload = [tick for group in groups[index : index + take] for tick in group]
            index += take
        else:
            payload = groups[index]
            index += 1
        single = rng.random() < TICK_SINGLE_FRAME_SHARE
        messages.append(event("updateStream", payload, binary=not single))
    return messages


def history_payload(
    prices: PriceSource,
    asset: str,
    period: int,
    now: float,
    history_seconds: float,
    floor_time: float,
    clock_offset: float = 0.0,
) -> dict[str, Any]:
    """``updateHistoryNewFast``: recent ticks and candles of ``period``, both newest first.

    Candles cover ``history_seconds`` (at least 30 periods), never before ``floor_time``; the last
    candle is the one still forming at ``now``. Times are on the broker's clock (true time +
    ``clock_offset``) and candles are aligned on that clock, as a server-local clock would.
    """
    span = max(history_seconds, 30.0 * period)
    start = max(floor_time + clock_offset, (now + clock_offset - span) // period * period)
    times, values = _broker_ticks(prices, asset, start, now + clock_offset, clock_offset)
    candles = candles_from_ticks(times, values, period)
    recent = times > now + clock_offset - HISTORY_TICK_SECONDS
    history = [[float(t), float(p)] for t, p in zip(times[recent], values[recent], strict=True)]
    history.reverse()
    candles.reverse()
    return {"asset": asset, "period": period, "history": history, "candles": candles}


def load_history_payload(
    prices: PriceSource, request: dict[str, Any], now: float, floor_time: float, clock_offset: float = 0.0
) -> dict[str, Any]:
    """``loadHistoryPeriod(Fast)``: candles of ``period`` in ``[time - offset, time]`` (oldest first).

    ``time`` is on the broker's clock (true time + ``clock_offset``), like every time it sends.
    Raises ValueError (with the reason) for an unusable request.
    """
    asset = request.get("asset")
    period = request.get("period")
    if not isinstance(asset, str) or not valid_period(period):
        raise ValueError(f"loadHistoryPeriod needs an asset name and a whole period of 1 to {MAX_PERIOD} seconds")
    end = _finite(request.get("time", now + clock_offset), "time")
    end = min(end / 1000.0 if end > 1e12 else end, now + clock_offset)
    offset = request.get("offset")
    span = _finite(offset, "offset") if isinstance(offset, int | float) and offset > 0 else 100.0 * period
    start = max(floor_time + clock_offset, (end - min(span, MAX_LOAD_SPAN)) // period * period)
    times, values = _broker_ticks(prices, asset, start, end, clock_offset)
    data = [
        {"symbol_id": 0, "time": int(t), "open": o, "close": c, "high": h, "low": lo, "asset": asset}
        for t, o, c, h, lo in candles_from_ticks(times, values, period)
    ]
    return {"asset": asset, "index": request.get("index"), "period": period, "data": data}


def valid_period(period: Any) -> bool:
    """A candle period a history request may ask for: a whole number of seconds, 1 to :data:`MAX_PERIOD`."""
    return isinstance(period, int) and not isinstance(period, bool) and 0 < period <= MAX_PERIOD


def _finite(value: Any, name: str) -> float:
    """A request number as a finite float; ValueError (not OverflowError) for ``10**400``, NaN or text."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be a number of seconds, got {str(value)[:40]}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be a finite number of seconds")
    return number


def _broker_ticks(
    prices: PriceSource, asset: str, start: float, end: float, clock_offset: float
) -> tuple[np.ndarray, np.ndarray]:
    """Ticks with broker-clock times in ``[start, end]`` (broker clock)."""
    times, values = prices.ticks(asset, start - clock_offset - 1e-9, end - clock_offset)
    return (np.round(times + clock_offset, 3) if clock_offset else times), values


def charts_payload(symbol: str, period: int, amount: float) -> list[dict[str, str]]:
    """``updateCharts``: UI settings as a JSON string inside the object; ``chartPeriod`` is the page's
    timeframe id (``CHART_PERIOD_SECONDS``), not seconds, as on the real page."""
    settings = {"chartId": "graph", "chartType": 2, "symbol": symbol, "chartPeriod": chart_period_id(period),
                "demoDealAmount": amount}
    return [{"chart_id": "chart-1", "settings": json.dumps(settings)}]


def chart_period_id(seconds: int) -> int:
    """The page's timeframe id for a candle period (60 s when the period has no id)."""
    for period_id, period in CHART_PERIOD_SECONDS.items():
        if period == seconds:
            return period_id
    return chart_period_id(60)


def noise_messages(rng: random.Random, symbols: list[str], now: float) -> list[Message]:
    """Events the terminal must skip: ``updateTime``, ``signals/update``."""
    messages = [event("updateTime", int(now))]
    if symbols and rng.random() < 0.5:
        signal = {"asset": rng.choice(symbols), "signal": rng.choice(["up", "down"]), "time": int(now)}
        messages.append(event("signals/update", [signal], binary=rng.random() < BINARY_SHARE))
    return messages


def sentiment_message(rng: random.Random, symbols: list[str]) -> Message:
    """``chafor`` for the assets a client asked with ``subfor``: ``[[asset, percent of calls], …]``."""
    return event("chafor", [[symbol, rng.randint(20, 80)] for symbol in symbols], binary=True)


def malformed_frame(rng: random.Random) -> Frame:
    """A frame that breaks the framing rules in one of several ways."""
    choices: list[Frame] = [
        '42["updateStream",[["EURUSD_otc",1',  # truncated JSON
        "9garbage",  # unknown engine.io type
        "42{not json}",
        b"\xff\xfe not json",  # binary without a placeholder and not JSON
        '451-["updateStream"',  # truncated placeholder
        "",
    ]
    return rng.choice(choices)
