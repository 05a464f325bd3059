"""JSON shapes for the API and CLI: candles (serialised once and cached), signals, plain values."""

from __future__ import annotations

import dataclasses
import json
import math
import threading
from typing import Any

import numpy as np

from quantumflux.core.candles import CandleArrays
from quantumflux.core.model import Candle, iso_utc

_COMPACT = (",", ":")


def finite(value: float | None) -> float | None:
    """``None`` for NaN/inf (JSON has no NaN), else the float."""
    return None if value is None or not math.isfinite(value) else float(value)


def plain(value: Any) -> Any:
    """Dataclasses, numpy scalars, tuples → JSON-able values (NaN → None)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float):
        return finite(value)
    if isinstance(value, np.generic):
        return plain(value.item())
    return value


def candle_rows(arrays: CandleArrays) -> list[dict[str, Any]]:
    return [
        {"time": float(t), "iso": iso_utc(float(t)), "open": float(o), "high": float(h), "low": float(lo),
         "close": float(c), "volume": int(v)}
        for t, o, h, lo, c, v in zip(arrays.time, arrays.open, arrays.high, arrays.low, arrays.close,
                                     arrays.volume, strict=True)
    ]


def candle_dict(candle: Candle) -> dict[str, Any]:
    return {"time": candle.time, "open": candle.open, "high": candle.high, "low": candle.low,
            "close": candle.close, "volume": candle.volume}


def signal_dict(signal: Any) -> dict[str, Any]:
    return {"asset": signal.asset, "direction": signal.direction.value, "time": signal.time,
            "iso": iso_utc(signal.time), "timeframe": signal.timeframe, "expiry": signal.expiry,
            "strategy": signal.strategy, "rule": signal.rule, "confidence": signal.confidence,
            "values": {k: finite(v) for k, v in signal.values.items()}}


class CandleJsonCache:
    """Per-candle JSON strings per (asset, timeframe), extended as candles close, rebuilt when history changes."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], tuple[float, float, list[str]]] = {}
        self._lock = threading.Lock()

    def rows(self, asset: str, timeframe: str, arrays: CandleArrays) -> list[str]:
        key, n = (asset, timeframe), len(arrays)
        with self._lock:
            cached = self._rows.get(key)
        rows: list[str] = []
        if cached is not None:
            first, last, old = cached
            same_prefix = n >= len(old) and (not old or (float(arrays.time[0]) == first
                                                         and float(arrays.time[len(old) - 1]) == last))
            if same_prefix:
                rows = old
        if len(rows) < n:
            rows = rows + [json.dumps(r, separators=_COMPACT) for r in candle_rows(arrays.slice(len(rows), n))]
        with self._lock:
            self._rows[key] = (float(arrays.time[0]) if n else 0.0, float(arrays.time[-1]) if n else 0.0, rows)
        return rows

    def document(self, asset: str, timeframe: str, source: str, arrays: CandleArrays, forming: Candle | None,
                 count: int, since: float | None) -> bytes:
        """The ``/candles`` body: the last ``count`` closed candles (from ``since``) and the forming one."""
        rows = self.rows(asset, timeframe, arrays)
        start = 0 if since is None else int(np.searchsorted(arrays.time, since, side="left"))
        start = max(start, len(rows) - count)
        forming_json = "null" if forming is None else json.dumps(candle_dict(forming), separators=_COMPACT)
        head = json.dumps({"asset": asset, "timeframe": timeframe, "source": source}, separators=_COMPACT)[:-1]
        return f'{head},"candles":[{",".join(rows[start:])}],"forming":{forming_json}}}'.encode()
