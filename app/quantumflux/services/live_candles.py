"""Candles of one asset from a live browser session, merged with the stored history.

Used by ``quantumflux signal`` when a browser is attached: the capture is watched for a short
while; broker history and live ticks seen in that time are merged with the CSV store through
the same :class:`~quantumflux.services.market_state.MarketState` the terminal uses.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from quantumflux.browser.chrome import devtools_version
from quantumflux.config import Settings
from quantumflux.core.candles import CandleArrays
from quantumflux.core.protocol import events as ev
from quantumflux.services.capture_hub import CaptureHub
from quantumflux.services.market_state import MarketState
from quantumflux.services.stored_history import StoredHistory


@dataclass(frozen=True)
class LiveCandles:
    arrays: CandleArrays
    ticks_seen: int
    history_seen: bool
    source: str


def live_candles(settings: Settings, asset: str, timeframe: int, *, host: str, port: int, wait: float = 8.0,
                 clock: Callable[[], float] = time.time) -> LiveCandles | None:
    """Closed candles of ``asset`` from the live session at ``host:port`` plus stored history.

    Returns None when no browser answers there or no tick of ``asset`` arrives within ``wait`` seconds
    (the caller then says it used the CSV history instead).
    """
    if devtools_version(host, port, timeout=1.0) is None:
        return None
    state = MarketState(clock=clock, stored_history=StoredHistory.from_settings(settings))
    hub = CaptureHub(host, port)
    seen = {"ticks": 0, "history": False}
    batch: list[Any] = []

    def collect(item: Any) -> None:
        batch.append(item)
        if isinstance(item, ev.TicksReceived):
            seen["ticks"] += sum(1 for t in item.ticks if t.asset == asset)
        elif isinstance(item, ev.HistoryReceived) and item.asset == asset:
            seen["history"] = True

    remove = hub.add_listener(collect)
    hub.start()
    try:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and not (seen["ticks"] >= 3 and (seen["history"] or wait <= 0)):
            time.sleep(0.1)
    finally:
        remove()
        hub.stop()
    if not seen["ticks"]:
        return None
    state.apply(list(batch))
    arrays = state.view_for(asset, timeframe).arrays()
    what = "broker history, " if seen["history"] else ""
    return LiveCandles(arrays, seen["ticks"], seen["history"],
                       f"live session {host}:{port} ({what}{seen['ticks']} live ticks) + CSV history")
