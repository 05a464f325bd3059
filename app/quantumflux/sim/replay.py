"""Replay recorded tick or candle CSV files as the practice broker's live prices.

Reads the project's layouts (candles ``timestamp,open,high,low,close,volume``, ticks
``timestamp,asset,price``) and the older ones (``timestamp,open,close,high,low``, ``time,price``).
Timestamps may be Unix seconds, milliseconds or ISO-8601 text. A candle becomes four ticks
(open, the nearer extreme, the other extreme, close) spread over its period. The asset of a file
without an ``asset`` column comes from its name (``<ASSET>_<tf>_…csv`` or ``<ASSET>_ticks_…csv``,
percent-decoded; otherwise the whole stem).

The recording is shifted so that it plays from the broker's start at ``speed`` times real time;
its first tenth (at most ``history_seconds``) lies before the start and serves as history. When the
recording ends its assets go quiet (the last price stays the price of every later instant).
"""

from __future__ import annotations

import csv
import logging
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

_NAME_RE = re.compile(r"^(?P<asset>.+?)_(?:\d+[smhdwSMHDW]|ticks)(?:_|$)")
_TIME_COLUMNS = ("timestamp", "time", "datetime", "date")


class ReplayError(ValueError):
    """The replay path holds no readable recording."""


def parse_time(text: str) -> float:
    """Unix seconds from ``1764000000.5``, ``1764000000500`` (ms) or ISO text (UTC when naive)."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    return value / 1000.0 if value > 1e12 else value


def asset_from_file_name(path: Path) -> str:
    """``EURUSD_otc_1m_2026-01-02_03-04-05_part001.csv`` → ``EURUSD_otc`` (percent-decoded)."""
    match = _NAME_RE.match(path.stem)
    name = match.group("asset") if match else path.stem
    data = bytearray()
    index = 0
    while index < len(name):
        if name[index] == "%" and re.fullmatch(r"[0-9A-Fa-f]{2}", name[index + 1 : index + 3]):
            data.append(int(name[index + 1 : index + 3], 16))
            index += 3
        else:
            data.extend(name[index].encode("utf-8"))
            index += 1
    return data.decode("utf-8", errors="replace")


def _decimals(text: str) -> int:
    text = text.strip()
    return len(text) - text.index(".") - 1 if "." in text else 0


def _candle_ticks(rows: list[tuple[float, float, float, float, float]]) -> list[tuple[float, float]]:
    """Four ticks per candle; the period is the smallest gap between candle times (60 s if unknown)."""
    rows.sort()
    gaps = [b[0] - a[0] for a, b in zip(rows, rows[1:], strict=False) if b[0] > a[0]]
    period = min(gaps) if gaps else 60.0
    ticks = []
    for start, open_, high, low, close in rows:
        first, second = (low, high) if close >= open_ else (high, low)
        for fraction, price in ((0.0, open_), (0.3, first), (0.6, second), (0.999, close)):
            ticks.append((start + fraction * period, price))
    return ticks


def read_recording(path: Path) -> tuple[dict[str, list[tuple[float, float]]], dict[str, int]]:
    """All ticks per asset (time, price) found in a CSV file or a folder of them, and price digits.

    Raises ReplayError when nothing readable is found; bad rows are skipped and counted in the log.
    """
    if not path.exists():
        raise ReplayError(f"replay path not found: {path}")
    files = sorted(path.rglob("*.csv")) if path.is_dir() else [path]
    ticks: dict[str, list[tuple[float, float]]] = defaultdict(list)
    digits: dict[str, int] = defaultdict(int)
    for file in files:
        try:
            _read_file(file, ticks, digits)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise ReplayError(f"cannot read {file}: {exc}") from exc
    if not any(ticks.values()):
        raise ReplayError(f"no tick or candle rows found in {path}")
    return dict(ticks), dict(digits)


def _read_file(file: Path, ticks: dict[str, list[tuple[float, float]]], digits: dict[str, int]) -> None:
    with file.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = [name.strip().lower() for name in next(reader, [])]
        time_column = next((header.index(name) for name in _TIME_COLUMNS if name in header), None)
        if time_column is None:
            log.warning("replay: %s has no time column in its header %s; skipped", file, header)
            return
        candle = all(name in header for name in ("open", "high", "low", "close"))
        if not candle and "price" not in header:
            log.warning("replay: %s is neither a tick nor a candle file; skipped", file)
            return
        default_asset = asset_from_file_name(file)
        asset_column = header.index("asset") if "asset" in header else None
        candles: dict[str, list[tuple[float, float, float, float, float]]] = defaultdict(list)
        skipped = 0
        for row in reader:
            try:
                asset = row[asset_column].strip() if asset_column is not None else default_asset
                t = parse_time(row[time_column])
                if candle:
                    values = [row[header.index(name)] for name in ("open", "high", "low", "close")]
                    candles[asset].append((t, *(float(value) for value in values)))
                    price_text = values[3]
                else:
                    price_text = row[header.index("price")]
                    ticks[asset].append((t, float(price_text)))
                digits[asset] = max(digits[asset], min(6, _decimals(price_text)))
            except (ValueError, IndexError):
                skipped += 1
        for asset, rows in candles.items():
            ticks[asset].extend(_candle_ticks(rows))
        if skipped:
            log.warning("replay: skipped %d unreadable rows in %s", skipped, file)


class ReplayPrices:
    """Recorded ticks shifted to play from ``start`` at ``speed`` (see the module docstring)."""

    def __init__(self, path: Path, start: float, speed: float = 1.0, history_seconds: float = 7200.0) -> None:
        if speed <= 0:
            raise ValueError(f"replay speed must be positive, got {speed}")
        recorded, self.digits = read_recording(Path(path))
        first = min(min(t for t, _ in rows) for rows in recorded.values() if rows)
        last = max(max(t for t, _ in rows) for rows in recorded.values() if rows)
        warm = min(history_seconds * speed, (last - first) * 0.1)
        cursor = first + warm
        self._series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for asset, rows in recorded.items():
            if not rows:
                continue
            rows.sort()
            times = np.round(start + (np.array([t for t, _ in rows]) - cursor) / speed, 3)
            self._series[asset] = (times, np.array([p for _, p in rows], dtype=float))
        self.end = start + (last - cursor) / speed

    @property
    def symbols(self) -> list[str]:
        return sorted(self._series)

    def first_price(self, symbol: str) -> float:
        return float(self._series[symbol][1][0])

    def ticks(self, symbol: str, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
        times, prices = self._series[symbol]
        low = int(np.searchsorted(times, start, side="right"))
        high = int(np.searchsorted(times, end, side="right"))
        return times[low:high], prices[low:high]

    def price_at(self, symbol: str, t: float) -> float | None:
        times, prices = self._series[symbol]
        index = int(np.searchsorted(times, t, side="right")) - 1
        return float(prices[index]) if index >= 0 else None

    def price_before(self, symbol: str, t: float) -> float | None:
        """The last tick strictly before ``t`` (what a deal expiring at ``t`` closes at)."""
        times, prices = self._series[symbol]
        index = int(np.searchsorted(times, t, side="left")) - 1
        return float(prices[index]) if index >= 0 else None
