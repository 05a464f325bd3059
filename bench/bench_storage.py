"""Storage throughput: chunked CSV writes (flushed per row), the loader, the trade journal.

Run: .venv/bin/python bench/bench_storage.py

- write: 200,000 ticks and 50,000 1m candles through ChunkedCsvStore with its defaults
  (1,000 ticks / 100 candles per part, one flush per row, no fsync).
- load: the same files back with load_ticks / load_candles (all parts, sorted, de-duplicated).
- journal: 500 orders through attempt → confirm → result (each a committed SQLite
  transaction with synchronous=FULL), then performance() over them.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from quantumflux.core.model import Candle, Tick
from quantumflux.storage.csv_store import ChunkedCsvStore
from quantumflux.storage.journal import TradeJournal
from quantumflux.storage.loader import load_candles, load_ticks

TICKS = 200_000
CANDLES = 50_000
ORDERS = 500
BASE = 1_767_225_600.0


def bench_csv(root: Path) -> None:
    ticks = [Tick("EURUSD_otc", BASE + i * 0.25, round(1.08 + (i % 997) * 1e-5, 5)) for i in range(TICKS)]
    candles = [Candle("EURUSD_otc", 60, BASE + i * 60, 1.08, 1.081, 1.079, 1.0805, 30) for i in range(CANDLES)]
    with ChunkedCsvStore(root, session_start=BASE) as store:
        start = time.perf_counter()
        store.write_ticks(ticks)
        tick_seconds = time.perf_counter() - start
        start = time.perf_counter()
        for candle in candles:
            store.write_candle(candle)
        candle_seconds = time.perf_counter() - start
        files = store.stats.files_written
    print(f"write ticks:    {TICKS / tick_seconds:12,.0f} rows/s  ({tick_seconds:.2f} s, flush per row)")
    print(f"write candles:  {CANDLES / candle_seconds:12,.0f} rows/s  ({candle_seconds:.2f} s, {files} files in all)")
    start = time.perf_counter()
    frame = load_ticks(root, "EURUSD_otc")
    seconds = time.perf_counter() - start
    assert len(frame) == TICKS
    print(f"load ticks:     {TICKS / seconds:12,.0f} rows/s  ({seconds:.2f} s, {len(frame.attrs['files'])} files)")
    start = time.perf_counter()
    frame = load_candles(root, "EURUSD_otc", "1m")
    seconds = time.perf_counter() - start
    assert len(frame) == CANDLES
    print(f"load candles:   {CANDLES / seconds:12,.0f} rows/s  ({seconds:.2f} s, {len(frame.attrs['files'])} files)")
    start = time.perf_counter()
    with ChunkedCsvStore(root, session_start=BASE + 1) as store:
        store.write_candle(candles[-1])  # restart: scan, learn the watermark, skip the duplicate
    print(f"restart scan:   {time.perf_counter() - start:12.3f} s for {files} existing files")


def bench_journal(path: Path) -> None:
    with TradeJournal(path) as journal:
        start = time.perf_counter()
        for index in range(ORDERS):
            client = f"c{index}"
            journal.record_attempt(client, "EURUSD_otc", "call", 10, 60, source="bench", requested_at=BASE + index * 60)
            journal.mark_confirmed(client, f"d{index}", at=BASE + index * 60 + 1)
            journal.record_result(deal_id=f"d{index}", profit=9.0 if index % 3 else -10.0,
                                  closed_at=BASE + index * 60 + 61)
        seconds = time.perf_counter() - start
        print(f"journal:        {ORDERS / seconds:12,.0f} orders/s (3 commits each, {seconds:.2f} s)")
        start = time.perf_counter()
        performance = journal.performance()
        print(f"performance():  {time.perf_counter() - start:12.3f} s over {performance.trades} closed trades")


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        bench_csv(Path(directory) / "realtime")
        bench_journal(Path(directory) / "trades.sqlite3")


if __name__ == "__main__":
    main()
