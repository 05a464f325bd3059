"""Streaming indicator update cost per closed candle, after 100 and after 1,000,000 candles of history.

Run: .venv/bin/python bench/bench_indicators.py
Prints microseconds per update() (commit) and per preview() for each indicator (best of 10 runs
of 10,000 calls, since the machine is shared); the target is ≤ 5 µs per indicator and the same
cost at both history lengths (O(1)). The history is fed with seed(): one TA-Lib call.
"""

from __future__ import annotations

import os
import time

import numpy as np

from quantumflux.core.indicators import INDICATORS, native_streaming_available, open_stream

UPDATES = 100_000
REPEATS = 10  # the best of 10 runs of 10,000 updates: the machine is shared, the minimum is the cost


def series(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 1.08 + np.cumsum(rng.normal(0, 2e-4, n))
    return {"close": close, "high": close + rng.uniform(0, 3e-4, n), "low": close - rng.uniform(0, 3e-4, n)}


def per_update(name: str, history: dict[str, np.ndarray], fresh: dict[str, np.ndarray]) -> tuple[float, float]:
    stream = open_stream(name)
    stream.seed(history)
    inputs = [fresh[c].tolist() for c in INDICATORS[name].inputs]
    rows = list(zip(*inputs, strict=True))
    update, preview = stream.update, stream.preview
    chunk = len(rows) // REPEATS
    update_costs, preview_costs = [], []
    for repeat in range(REPEATS):
        part = rows[repeat * chunk:(repeat + 1) * chunk]
        started = time.perf_counter()
        for row in part:
            preview(*row)
        preview_costs.append((time.perf_counter() - started) / len(part))
        started = time.perf_counter()
        for row in part:
            update(*row)
        update_costs.append((time.perf_counter() - started) / len(part))
    return min(update_costs), min(preview_costs)


def python_call_reference(count: int = UPDATES) -> float:
    """Cost of calling an empty Python function with one float: a yardstick for machine load."""
    def noop(value: float) -> float:
        return value

    started = time.perf_counter()
    for value in range(count):
        noop(value)
    return (time.perf_counter() - started) / count


def main() -> None:
    load = open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"
    print(f"load average {load}; empty Python call {python_call_reference() * 1e6:.3f} µs (yardstick)")
    backend = "TA-Lib C streaming handles (ctypes)" if native_streaming_available() else "pure-Python updaters"
    print(f"streaming backend: {backend}; {UPDATES:,} updates per measurement")
    fresh = series(UPDATES, seed=2)
    print(f"{'indicator':<10} {'history':>10} {'update µs':>10} {'preview µs':>11}")
    worst = 0.0
    for history_length in (100, 1_000_000):
        history = series(history_length)
        for name in INDICATORS:
            update_cost, preview_cost = per_update(name, history, fresh)
            worst = max(worst, update_cost)
            print(f"{name:<10} {history_length:>10,} {update_cost * 1e6:>10.2f} {preview_cost * 1e6:>11.2f}")
    print(f"worst update: {worst * 1e6:.2f} µs (target ≤ 5 µs)")


if __name__ == "__main__":
    main()
