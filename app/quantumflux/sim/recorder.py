"""A compact, thread-safe record of the ticks the broker sent (for soak tests)."""

from __future__ import annotations

import collections
import threading
from array import array

from quantumflux.core.model import Tick

#: Ticks kept before the oldest are forgotten (about 24 bytes each: ~3 h at 48 assets × 4 Hz).
MAX_RECORDED_TICKS = 2_000_000


class TickRecorder:
    """Stores ticks in rounds of parallel arrays; ``ticks()`` rebuilds ``Tick`` values on demand."""

    def __init__(self, limit: int = MAX_RECORDED_TICKS) -> None:
        self.limit = limit
        self._rounds: collections.deque[tuple[list[str], array, array]] = collections.deque()
        self._count = 0
        self._lock = threading.Lock()

    def add(self, symbols: list[str], times: list[float], prices: list[float]) -> None:
        if not symbols:
            return
        with self._lock:
            self._rounds.append((symbols, array("d", times), array("d", prices)))
            self._count += len(symbols)
            while self._count > self.limit and len(self._rounds) > 1:
                self._count -= len(self._rounds.popleft()[0])

    def ticks(self, since: float | None = None) -> list[Tick]:
        """Recorded ticks in sending order, those with ``time >= since`` when given."""
        with self._lock:
            rounds = list(self._rounds)
        out = []
        for symbols, times, prices in rounds:
            out.extend(
                Tick(symbol, t, p)
                for symbol, t, p in zip(symbols, times, prices, strict=True)
                if since is None or t >= since
            )
        return out

    def __len__(self) -> int:
        return self._count
