"""A tick's processing cost must not grow with the length of the history."""

from __future__ import annotations

import time

import numpy as np

from quantumflux.core.candles import CandleArrays, CandleBook
from quantumflux.core.model import Tick

T0 = 1_764_000_000.0
ASSET = "EURUSD_otc"


def book_with_history(length: int) -> CandleBook:
    """A 1m book holding ``length`` closed history candles that end just before T0."""
    times = T0 - 60.0 * np.arange(length, 0, -1)
    prices = 1 + 0.001 * np.sin(np.arange(length))
    book = CandleBook("1m")
    book.merge_history_arrays(
        ASSET, CandleArrays.from_columns(times, prices, prices + 1e-4, prices - 1e-4, prices), "1m",
    )
    book.advance(T0)
    assert len(book.arrays(ASSET)) == length
    return book


def seconds_per_tick(book: CandleBook, start: float, count: int = 20_000) -> float:
    """Ticks 0.5 s apart: most update the forming candle, every 120th closes one."""
    ticks = [Tick(ASSET, start + 0.5 * i, 1.0 + (i % 13) * 1e-5) for i in range(count)]
    began = time.perf_counter()
    book.add_ticks(ticks)
    return (time.perf_counter() - began) / count


def test_add_tick_cost_does_not_grow_with_history_length():
    small, large = book_with_history(1_000), book_with_history(1_000_000)
    small_times, large_times = [], []
    for repeat in range(7):  # interleaved, min over repeats: robust to a busy machine
        start = T0 + repeat * 10_000
        small_times.append(seconds_per_tick(small, start))
        large_times.append(seconds_per_tick(large, start))
    ratio = min(large_times) / min(small_times)
    assert ratio < 3.0, f"per-tick cost at 1M history is {ratio:.2f}x the cost at 1k"
    assert min(small_times) < 20e-6  # sanity: far from a per-tick rebuild (which would be ~ms)
    assert len(large.arrays(ASSET)) > 1_000_000 and large.late_ticks() == 0
