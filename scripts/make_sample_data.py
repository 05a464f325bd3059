"""Generate the sample dataset in data/sample/ deterministically (same bytes on every run).

A few assets, a few days of 1-minute candles, written by the real ChunkedCsvStore in the
project's CSV layout (``1M_candle_data/<ASSET>_1m_<session>_part<NNN>.csv``, one part per day).
Prices are a seeded random walk of ticks with volatility that changes through the day; each
candle is aggregated from its ticks (volume = tick count), so OHLC are always consistent.

    .venv/bin/python scripts/make_sample_data.py [--output data/sample] [--days 3]
"""

from __future__ import annotations

import argparse
import math
import random
from pathlib import Path

from quantumflux.core.model import Candle
from quantumflux.storage.csv_store import ChunkedCsvStore, candle_dir_name

START = 1_767_571_200  # 2026-01-05T00:00:00Z (a Monday)
#: symbol, start price, digits, volatility per sqrt(minute) as a fraction of price
ASSETS = (
    ("EURUSD_otc", 1.08412, 5, 0.00012),
    ("GBPJPY_otc", 198.314, 3, 0.00018),
    ("#AAPL_otc", 187.31, 2, 0.00045),
    ("BTCUSD", 94210.5, 1, 0.0011),
)


def minute_candles(symbol: str, price: float, digits: int, volatility: float, days: int, seed: int) -> list[Candle]:
    """1-minute candles aggregated from a seeded tick walk."""
    rng = random.Random(seed)
    candles = []
    for minute in range(days * 1440):
        hour = (minute // 60) % 24
        activity = 0.6 + 0.8 * math.exp(-((hour - 14) ** 2) / 18)  # busier mid-session
        ticks = rng.randint(int(20 * activity), int(60 * activity))
        step = volatility * activity / math.sqrt(ticks)
        prices = []
        for _ in range(ticks):
            price *= math.exp(rng.gauss(0.0, step))
            prices.append(round(price, digits))
        time = START + minute * 60
        candles.append(Candle(symbol, 60, float(time), prices[0], max(prices), min(prices), prices[-1], ticks))
    return candles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parents[1] / "data" / "sample")
    parser.add_argument("--days", type=int, default=3)
    args = parser.parse_args()
    directory = args.output / candle_dir_name(60)
    for old in directory.glob("*.csv") if directory.is_dir() else []:
        old.unlink()
    with ChunkedCsvStore(args.output, session_start=START, candles_per_file=1440) as store:
        for index, (symbol, price, digits, volatility) in enumerate(ASSETS):
            for candle in minute_candles(symbol, price, digits, volatility, args.days, seed=20260105 + index):
                store.write_candle(candle)
        stats = store.stats
    size = sum(path.stat().st_size for path in directory.glob("*.csv"))
    print(f"{stats.candles_written} candles in {stats.files_written} files under {directory} ({size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
