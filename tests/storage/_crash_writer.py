"""Child process for the crash-safety test: writes a fixed, endless sequence of candles and ticks.

Usage: python _crash_writer.py ROOT SESSION_START COUNT (prints ``ready`` once the store is open). Row i is the same in every run, so a
restarted writer re-produces rows that are already on disk; the store must skip them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from quantumflux.core.model import Candle, Tick
from quantumflux.storage.csv_store import ChunkedCsvStore

BASE = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def candle(index: int) -> Candle:
    price = 1.1 + (index % 97) * 0.00001
    return Candle("#AAPL_otc", 60, BASE + index * 60, price, price + 0.0002, price - 0.0001, price + 0.00005, index % 7 + 1)


def tick(index: int) -> Tick:
    return Tick("EURUSD_otc", BASE + index * 0.25, 1.05 + (index % 89) * 0.00001)


def main() -> None:
    root, session, count = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    with ChunkedCsvStore(root, session_start=session, candles_per_file=37, ticks_per_file=101) as store:
        print("ready", flush=True)
        for index in range(count):
            store.write_candle(candle(index))
            store.write_tick(tick(index))
            if index % 50 == 0:
                time.sleep(0.002)  # keep the stream going long enough to be killed mid-way
    print("done", flush=True)


if __name__ == "__main__":
    main()
