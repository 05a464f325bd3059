"""Strategy runner throughput: decoded ticks → candles → strategies → paper orders → journal.

A synthetic stream of 10 assets (30 min at 4 ticks/s each) through the runner with no strategy, one, and the
four built-ins, paper trading with a real SQLite journal. Per configuration (median of ``--repeat`` runs):

- per tick: wall-clock µs and the tick thread's CPU µs (what the runner itself spends; the machine's other
  load inflates the wall figure);
- per paper order, on the tick path: the time in ``PaperExecutor.place`` (guard, journal attempt and
  confirmation) plus the time its settlement spends writing the result — the journal commits (fsync) run on
  the journal's writer thread, so this is the cost of queueing them; beside it, what one synchronous journal
  commit (with its fsync) costs on this disk, and a whole synchronous paper order (3 commits, the tick path's
  cost before the writer thread);
- durability: after ``journal.close()`` every order and result is read back from the file.

Floors (issue 18): 4 strategies ≤ 20 µs per tick (wall); journal writes off the tick path: a paper order costs
the tick path less than one synchronous commit; every order and result on disk after close. Run:
    .venv/bin/python bench/bench_runner.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from quantumflux.core.model import Asset, Tick
from quantumflux.core.protocol import events as ev
from quantumflux.core.risk import RiskGuard, RiskLimits
from quantumflux.services.strategy_runner import StrategyRunner
from quantumflux.storage.journal import TradeJournal

ASSETS = [f"ASSET{i}_otc" for i in range(10)]
FLOOR_TICK_US = 20.0
FOUR = [("sma_cross", {"fast": 5, "slow": 20}), ("rsi_reversal", {}), ("macd_cross", {}), ("confluence", {})]


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


def _timed(function: Callable[..., Any], spent: list[float]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - began
    return call


def run(strategies: list[tuple[str, dict]], frames: list[ev.TicksReceived], folder: Path) -> dict[str, float]:
    """One pass; returns wall and tick-thread CPU seconds, ticks, orders, tick-path seconds in orders, and what
    the journal file holds after close."""
    clock = [frames[0].t_recv]
    path = folder / f"j{time.perf_counter_ns()}.sqlite3"
    journal = TradeJournal(path, clock=lambda: clock[0])
    limits = RiskLimits(max_stake=None, max_open_trades=None, max_trades_per_hour=None, daily_loss_limit=None,
                        max_consecutive_losses=None)
    runner = StrategyRunner(None, journal, RiskGuard(limits), clock=lambda: clock[0])
    runner.handle(ev.AssetsUpdated(clock[0], "s", tuple(Asset(a, payout=85.0) for a in ASSETS)))
    for name, params in strategies:
        runner.enable(name, params, ASSETS, "5s", "10s")
    in_orders = [0.0]  # placing (guard, journal attempt + confirmation) and settling (journal result)
    runner.paper.place = _timed(runner.paper.place, in_orders)  # type: ignore[method-assign]
    journal.record_result = _timed(journal.record_result, in_orders)  # type: ignore[method-assign]
    began, cpu = time.perf_counter(), time.thread_time()
    for frame in frames:
        clock[0] = frame.t_recv
        runner.handle(frame)
    elapsed, cpu = time.perf_counter() - began, time.thread_time() - cpu
    orders = sum(s.orders for s in runner.status())
    settled = sum(1 for t in runner.paper.finished if t.status == "closed")
    journal.close()
    with sqlite3.connect(path) as db:  # what a fresh reader finds on disk after close
        stored = db.execute("SELECT COUNT(*), TOTAL(status = 'closed') FROM trades").fetchone()
    return {"wall": elapsed, "cpu": cpu, "ticks": sum(len(f.ticks) for f in frames), "orders": orders,
            "in_orders": in_orders[0], "settled": settled, "stored": stored[0], "stored_closed": stored[1]}


def synchronous_order(folder: Path, count: int = 30) -> float:
    """Median seconds of one synchronous paper order in the journal (attempt, confirmation, result: 3 commits)."""
    spent = []
    with TradeJournal(folder / f"sync{time.perf_counter_ns()}.sqlite3") as journal:
        for index in range(count):
            began = time.perf_counter()
            journal.record_attempt(f"c{index}", ASSETS[0], "call", 1.0, 10, account="paper", source="sync")
            journal.mark_confirmed(f"c{index}", f"paper-c{index}", open_price=1.0, payout=85.0)
            journal.record_result(client_id=f"c{index}", profit=0.85, close_price=1.1)
            spent.append(time.perf_counter() - began)
    return statistics.median(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration (the median is shown)")
    args = parser.parse_args()
    frames = stream(1800)  # 30 min of 10 assets at 4 ticks/s = 72,000 ticks, 3,600 candles of 5 s
    print("per tick: wall µs [tick thread CPU µs]; per paper order: µs on the tick path (place + settle); "
          f"median of {args.repeat} runs")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        sync_order = synchronous_order(Path(tmp)) * 1e6
        commit = sync_order / 3
        for title, strategies in (
            ("no strategy (no asset followed)", []),
            ("1 strategy (sma_cross 5/20)", FOUR[:1]),
            ("4 strategies (built-ins)", FOUR),
        ):
            runs = [run(strategies, frames, Path(tmp)) for _ in range(args.repeat)]
            ticks, orders = runs[0]["ticks"], runs[0]["orders"]
            wall = statistics.median(r["wall"] for r in runs) / ticks * 1e6
            cpu = statistics.median(r["cpu"] for r in runs) / ticks * 1e6
            line = f"{title:<32} {ticks:>6} ticks {orders:>4} orders  {wall:6.1f} µs/tick [{cpu:5.1f}]"
            if orders:
                per_order = statistics.median(r["in_orders"] for r in runs) / orders * 1e6
                line += f"  {per_order:6.1f} µs/order"
                durable = all(r["stored"] == r["orders"] and r["stored_closed"] == r["settled"] for r in runs)
                line += f"  after close: {runs[-1]['stored']:.0f}/{orders} orders, " \
                        f"{runs[-1]['stored_closed']:.0f}/{runs[-1]['settled']} results on disk"
                ok = ok and durable and per_order < commit
            print(line)
            if strategies is FOUR:
                ok = ok and wall <= FLOOR_TICK_US
                print(f"one synchronous journal commit (fsync) here: {commit:.0f} µs; a synchronous paper order "
                      f"(3 commits, the tick path's cost before): {sync_order / 1e3:.2f} ms")
                print(f"floors: 4 strategies {wall:.1f} µs/tick (tick thread CPU {cpu:.1f}) <= {FLOOR_TICK_US:g} "
                      f"µs/tick; a paper order costs the tick path {per_order:.0f} µs < one synchronous commit "
                      f"{commit:.0f} µs (commits and fsyncs on the writer thread); every order and result on "
                      "disk after close")
    print("floors: " + ("MET" if ok else "NOT MET"))


if __name__ == "__main__":
    main()
