"""The per-asset base data of :class:`~quantumflux.services.market_state.MarketState` and its chart views.

:class:`TickColumns` holds one asset's live ticks, :class:`AssetData` those and the history candles
by period; a :class:`ChartView` follows one asset at one timeframe for any number of consumers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from quantumflux.core.candles import CandleArrays, CandleBook
from quantumflux.core.model import Candle, Tick


class TickColumns:
    """Append-only, amortised O(1) time/price columns of one asset's live ticks (bounded)."""

    def __init__(self, limit: int = 2_000_000) -> None:
        self._time = np.empty(1024, dtype=np.float64)
        self._price = np.empty(1024, dtype=np.float64)
        self._size = 0
        self._limit = limit

    def __len__(self) -> int:
        return self._size

    def append(self, t: float, price: float) -> None:
        if self._size == self._time.shape[0]:
            if self._size >= self._limit:  # drop the oldest half, keep memory bounded
                keep = self._size // 2
                self._time[:keep] = self._time[self._size - keep : self._size]
                self._price[:keep] = self._price[self._size - keep : self._size]
                self._size = keep
            else:
                self._time = np.resize(self._time, self._size * 2)
                self._price = np.resize(self._price, self._size * 2)
        self._time[self._size] = t
        self._price[self._size] = price
        self._size += 1

    def first_time(self) -> float:
        return float(self._time[0]) if self._size else float("nan")

    def columns(self) -> tuple[np.ndarray, np.ndarray]:
        return self._time[: self._size].copy(), self._price[: self._size].copy()


@dataclass
class AssetData:
    """The base data of one asset: live ticks and history candles by period."""

    ticks: TickColumns = field(default_factory=TickColumns)
    history: dict[int, CandleBook] = field(default_factory=dict)
    stored_loaded: bool = False

    def history_book(self, period: int) -> CandleBook:
        book = self.history.get(period)
        if book is None:
            book = self.history[period] = CandleBook(period)
        return book


class ChartView:
    """One asset at one timeframe: closed candles, the forming one, and what closed since each consumer asked.

    A view is shared (the terminal's chart, the API's stream, the API's reads of the same asset and
    timeframe), so every consumer names itself in :meth:`take_closed` and gets every candle once."""

    #: Closed candles kept for consumers that have not taken them yet (bounded: a consumer that never
    #: comes back must not hold memory).
    LOG_LIMIT = 4096

    def __init__(self, asset: str, timeframe: int) -> None:
        self.asset = asset
        self.timeframe = timeframe
        self._log: list[Candle] = []  # closed since the view was built, from absolute index _log_start
        self._log_start = 0
        self._cursors: dict[str, int] = {}
        self._book = CandleBook(timeframe, on_closed=self._on_closed)

    def arrays(self) -> CandleArrays:
        return self._book.arrays(self.asset)

    def forming(self) -> Candle | None:
        return self._book.forming(self.asset)

    def add_tick(self, tick: Tick) -> None:
        if tick.asset == self.asset:  # isolation: nothing else ever reaches this view
            self._book.add_tick(tick)

    def advance(self, now: float) -> None:
        self._book.advance(now)

    def take_closed(self, consumer: str = "chart") -> list[Candle]:
        """The candles closed since ``consumer`` last asked (since the view was built, the first time)."""
        end = self._log_start + len(self._log)
        start = max(self._cursors.get(consumer, 0), self._log_start)
        self._cursors[consumer] = end
        taken = self._log[start - self._log_start:]
        self._trim()
        return taken

    def _forget_seeding(self) -> None:
        """Candles closed while the view was seeded are not news to anyone."""
        self._log_start += len(self._log)
        self._log.clear()

    def _on_closed(self, candle: Candle) -> None:
        self._log.append(candle)
        if len(self._log) > 64:
            self._trim()

    def _trim(self) -> None:
        """Drop what every consumer has taken; beyond LOG_LIMIT drop the oldest half regardless."""
        taken = min(self._cursors.values(), default=self._log_start) - self._log_start
        if len(self._log) - taken > self.LOG_LIMIT:
            taken = len(self._log) - self.LOG_LIMIT // 2
        if taken > 0:
            del self._log[:taken]
            self._log_start += taken
