"""Strategy runner throughput: decoded ticks → candles → strategies → paper orders → journal.

Prints microseconds per tick (strategies deciding on every closed candle, paper trades opening and
settling in a real SQLite journal) for a synthetic stream of 10 assets. Run:
    .venv/bin/python bench/bench_runner.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from quantumflux.core.model import Asset, Tick
from quantumflux.core.protocol import events as ev
from quantumflux.core.risk import RiskGuard, RiskLimits
from quantumflux.services.strategy_runner import StrategyRunner
from quantumflux.storage.journal import TradeJournal

ASSETS = [f"ASSET{i}_otc" for i in range(10)]


def stream(seconds: int, rate: float = 4.0, seed: int = 1) -> list[ev.TicksReceived]:
    rng = np.random.default_rng(seed)
    count = int(seconds * rate)
    start = 1_800_000_000.0
    frames = []
    paths = {a: np.round(100 + np.cumsum(rng.choice([-0.01, 0.0, 0.01], count)), 2) for a in ASSETS}
    for i in range(count):
        t = start + i / rate
        frames.append(ev.TicksReceived(t, "s", tuple(Tick(a, t + j * 1e-3, float(paths[a][i]))
                                                     for j, a in enumerate(ASSETS))))
    return frames


def run(strategies: list[tuple[str, dict]], frames: list[ev.TicksReceived], folder: Path) -> tuple[float, int, int]:
    clock = [frames[0].t_recv]
    journal = TradeJournal(folder / f"j{time.perf_counter_ns()}.sqlite3", clock=lambda: clock[0])
    limits = RiskLimits(max_stake=None, max_open_trades=None, max_trades_per_hour=None, daily_loss_limit=None,
                        max_consecutive_losses=None)
    runner = StrategyRunner(None, journal, RiskGuard(limits), clock=lambda: clock[0])
    runner.handle(ev.AssetsUpdated(clock[0], "s", tuple(Asset(a, payout=85.0) for a in ASSETS)))
    for name, params in strategies:
        runner.enable(name, params, ASSETS, "5s", "10s")
    began = time.perf_counter()
    for frame in frames:
        clock[0] = frame.t_recv
        runner.handle(frame)
    elapsed = time.perf_counter() - began
    orders = sum(s.orders for s in runner.status())
    ticks = sum(len(f.ticks) for f in frames)
    journal.close()
    return elapsed, ticks, orders


def main() -> None:
    frames = stream(1800)  # 30 min of 10 assets at 4 ticks/s = 72,000 ticks, 3,600 candles of 5 s
    baseline = None
    with tempfile.TemporaryDirectory() as tmp:
        for title, strategies in (
            ("no strategy (candles only)", []),
            ("1 strategy (sma_cross 5/20)", [("sma_cross", {"fast": 5, "slow": 20})]),
            ("4 strategies (built-ins)", [("sma_cross", {"fast": 5, "slow": 20}), ("rsi_reversal", {}),
                                          ("macd_cross", {}), ("confluence", {})]),
        ):
            elapsed, ticks, orders = run(strategies, frames, Path(tmp))
            baseline = elapsed if baseline is None else baseline
            per_order = f"{(elapsed - baseline) / orders * 1e3:6.1f} ms/order (journal, fsync)" if orders else ""
            print(f"{title:<30} {ticks:>7} ticks {orders:>5} paper orders  {elapsed:6.2f} s  "
                  f"{elapsed / ticks * 1e6:7.1f} µs/tick  {per_order}")


if __name__ == "__main__":
    main()
