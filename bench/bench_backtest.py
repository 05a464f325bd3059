"""Confluence backtest on 1,000,000 one-minute candles: vectorised engine vs a plain per-candle loop.

Run: .venv/bin/python bench/bench_backtest.py

- "vectorised": TA-Lib batch indicators + numpy rule + numpy trade resolution + metrics, from
  candle arrays in memory to the metrics (target ≤ 1.5 s). Loading the same candles from a CSV
  file with the storage loader is timed separately.
- "plain loop": the same backtest written as a per-candle Python loop (streaming indicators, the
  score in Python floats, trades resolved as their exit candle closes). It runs on the first
  100,000 candles and the time is extrapolated ×10 (linear: each candle costs the same); its
  trades are checked against the vectorised engine on the same 100,000 candles.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from quantumflux.core.backtest import BacktestConfig, run_backtest
from quantumflux.core.indicators import open_stream
from quantumflux.core.strategies import CandleArrays, Confluence

CANDLES = 1_000_000
LOOP_CANDLES = 100_000


def make_candles(n: int, seed: int = 42) -> CandleArrays:
    rng = np.random.default_rng(seed)
    close = np.round(1.08 + np.cumsum(rng.normal(0, 1e-4, n)), 5)
    opens = np.concatenate(([close[0]], close[:-1]))
    high = np.round(np.maximum(opens, close) + rng.uniform(0, 1e-4, n), 5)
    low = np.round(np.minimum(opens, close) - rng.uniform(0, 1e-4, n), 5)
    return CandleArrays.from_columns(time=1_700_000_000.0 + 60.0 * np.arange(n), open=opens, high=high, low=low,
                                     close=close, volume=rng.integers(1, 100, n))


def clip(value: float) -> float:
    return -1.0 if value < -1.0 else 1.0 if value > 1.0 else value


def plain_loop(arrays: CandleArrays, strategy: Confluence, config: BacktestConfig) -> list[tuple[int, int, float]]:
    """The confluence backtest as a per-candle loop; returns (signal index, outcome, profit) per trade."""
    c = strategy.config
    rsi = open_stream("rsi", period=c.rsi_period)
    macd = open_stream("macd", fast=c.macd_fast, slow=c.macd_slow, signal=c.macd_signal)
    bands = open_stream("bbands", period=c.bb_period, nbdev=c.bb_nbdev)
    ema = open_stream("ema", period=c.ema_period)
    atr = open_stream("atr", period=c.atr_period)
    weights = (c.weight_rsi, c.weight_macd, c.weight_bollinger, c.weight_trend)
    total_weight = sum(weights)
    win = config.stake * config.payout / 100.0
    steps = config.expiry // config.timeframe
    pending: dict[float, list[tuple[int, int, float]]] = {}
    trades = []
    times, highs, lows, closes = (arrays.time.tolist(), arrays.high.tolist(), arrays.low.tolist(),
                                  arrays.close.tolist())
    last_time = times[-1]
    for i in range(len(times)):
        close = closes[i]
        for index, direction, entry in pending.pop(times[i], ()):
            move = (close > entry) - (close < entry)
            outcome = move * direction
            trades.append((index, outcome, win if outcome == 1 else -config.stake if outcome == -1 else 0.0))
        r = rsi.update(close)
        hist = macd.update(close)[2]
        upper, middle, _ = bands.update(close)
        e = ema.update(close)
        a = atr.update(highs[i], lows[i], close)
        if i + 1 < strategy.warmup:
            continue
        width = upper - middle
        parts = ((50.0 - r) / 50.0, clip(hist / a) if a > 0 else 0.0,
                 clip((middle - close) / width) if width > 0 else 0.0, clip((close - e) / a) if a > 0 else 0.0)
        score = sum(w * p for w, p in zip(weights, parts, strict=True)) / total_weight
        direction = 1 if score > c.threshold else -1 if score < -c.threshold else 0
        exit_open_time = times[i] + steps * config.timeframe
        if direction and exit_open_time <= last_time:
            pending.setdefault(exit_open_time, []).append((i, direction, close))
    return sorted(trades)


def main() -> None:
    load = open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"
    print(f"machine load average {load} (2 cores shared); {CANDLES:,} one-minute candles, confluence defaults")
    arrays = make_candles(CANDLES)
    strategy, config = Confluence(), BacktestConfig(timeframe=60, expiry=60, payout=92.0, stake=1.0)
    run_backtest(strategy, arrays.head(10_000), config)  # warm caches
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        result = run_backtest(Confluence(), arrays, config)
        best = min(best, time.perf_counter() - started)
    m = result.metrics
    print(f"vectorised backtest (arrays -> metrics): {best:.3f} s best of 3 (target ≤ 1.5 s); "
          f"{m.trades:,} trades, win rate {m.win_rate:.2%}, net {m.net_profit:+.2f}")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "BENCH_1m.csv"
        frame = pd.DataFrame({name: arrays.column(name) for name in ("time", "open", "high", "low", "close", "volume")})
        frame.rename(columns={"time": "timestamp"}).to_csv(path, index=False)
        from quantumflux.services.backtesting import load_arrays

        started = time.perf_counter()
        loaded, _ = load_arrays(path, None, "1m")
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        run_backtest(Confluence(), loaded, config)
        total = load_seconds + time.perf_counter() - started
        size = path.stat().st_size / 1e6
    print(f"with CSV loading (storage loader, {size:.0f} MB file): load {load_seconds:.2f} s, "
          f"end to end {total:.2f} s")

    subset = arrays.head(LOOP_CANDLES)
    started = time.perf_counter()
    looped = plain_loop(subset, strategy, config)
    loop_seconds = time.perf_counter() - started
    vector = run_backtest(strategy, subset, config).trades
    same = looped == sorted(zip(vector.signal_index.tolist(), vector.outcome.tolist(), vector.profit.tolist(),
                                strict=True))
    print(f"plain per-candle Python loop: {loop_seconds:.2f} s for {LOOP_CANDLES:,} candles -> "
          f"{loop_seconds * CANDLES / LOOP_CANDLES:.1f} s extrapolated to {CANDLES:,} "
          f"({loop_seconds * CANDLES / LOOP_CANDLES / best:.0f}x slower); same trades as the engine: "
          f"{'yes' if same else 'NO'} ({len(looped):,} trades)")


if __name__ == "__main__":
    main()
