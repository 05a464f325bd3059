"""GUI-thread stalls of the live terminal while 20 assets stream 10 ticks/s each.

The terminal runs offscreen on the practice broker through headless Chromium and CDP, on the
5 s timeframe (a candle closes every 5 s) with SMA, Bollinger, RSI and MACD on the chart.
A 5 ms heartbeat timer on the GUI thread records the gap between its firings: a gap well over
5 ms is time the GUI thread could not react.

Two phases, both while the broker streams:

1. streaming (the issue's floor, no stall over 50 ms): nothing but the stream, after the set-up
   above has been applied and drawn (a 2 s settle);
2. user actions: every 1.5 s the user switches asset, timeframe or an indicator pane the way the
   widgets do; printed is the longest gap within 1 s of each kind of action (it includes the
   action itself: rebuilding the chart from the base series). Every asset has two weeks of
   1-minute candles in the CSV store (20,160 rows in 202 files each), read when it is first shown.

Also printed: the longest event-batch handler call and how many events it coalesced.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui_stall.py [--seconds 30] [--actions 24]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class Heartbeat:
    """A 5 ms QTimer on the GUI thread; ``gaps`` holds (end time, gap ms) of every firing."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[tuple[float, float]] = []
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now, (now - self._last) * 1000.0))
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def worst_between(self, start: float, end: float) -> float:
        """The longest gap that ended in [start, end] (a gap that ends there began at most that long before)."""
        return max((gap for at, gap in self.gaps if start <= at <= end), default=0.0)


def run_loop(app: object, seconds: float) -> None:
    """Pump Qt events for ``seconds``, every ~1 ms (Terminal.wait_until polls every 20 ms: too coarse
    for a 5 ms heartbeat)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)


def summary(values: list[float]) -> str:
    values = sorted(values)
    return f"median {values[len(values) // 2]:.1f} ms, max {values[-1]:.1f} ms ({len(values)} times)"


STORED_MINUTES = 14 * 24 * 60
#: Floors (issue 18): no stall over 50 ms while streaming or switching asset; a timeframe switch or an
#: indicator pane toggle within two frames (33 ms).
STREAMING_FLOOR_MS = 50.0
ACTION_FLOORS_MS = {"switch asset": 50.0, "timeframe 5s <-> 1m": 33.0, "RSI pane off/on": 33.0}


def write_stored_history(settings: object, assets: int, seed: int) -> int:
    """Two weeks of 1-minute candles per broker asset in the realtime CSV store; returns the files written."""
    import numpy as np

    from quantumflux.core.model import Candle
    from quantumflux.sim.assets import build_catalog
    from quantumflux.storage.csv_store import ChunkedCsvStore

    end = (time.time() // 60 - 60 * 24) * 60  # ends a day ago: older than anything the broker sends
    start = end - STORED_MINUTES * 60
    rng = np.random.default_rng(seed)
    with ChunkedCsvStore(settings.realtime_dir, session_start=start) as store:
        for asset in build_catalog(assets, seed):
            closes = asset.start_price * np.exp(np.cumsum(rng.normal(0, 2e-4, STORED_MINUTES)))
            for i, close in enumerate(closes):
                open_ = closes[i - 1] if i else close
                store.write_candle(Candle(asset.symbol, 60, start + 60 * i, open_, max(open_, close) * 1.0001,
                                          min(open_, close) * 0.9999, close, 10))
        return store.stats.files_written


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the streaming phase")
    parser.add_argument("--actions", type=int, default=24, help="user actions in the second phase (0: skip)")
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    from quantumflux.config import Settings
    from quantumflux.gui.app import Terminal

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as home:
        os.environ["QF_HOME"] = home
        settings = Settings(data_root=Path(home) / "data")
        files = write_stored_history(settings, 20, 2)
        print(f"stored history: {files} CSV files ({STORED_MINUTES:,} 1-minute candles per asset)")
        term = Terminal.build(settings, demo=True, settings_file=Path(home) / "t.ini",
                              broker_options={"seed": 2, "assets": 20, "tick_rate": 10.0})
        term.window.resize(1600, 950)
        term.start()
        try:
            if not term.wait_until(term.live, 60):
                print("the terminal did not reach LIVE", file=sys.stderr)
                return 1
            # the broker streams each page the assets it shows (four per socket): tabs for the other 19
            broker = term.session.broker
            symbols = [asset.symbol for asset in broker.assets if asset.active and asset.symbol != term.controller.asset]
            for url in broker.tab_urls(symbols):
                term.session.hub.open_tab(url)
            window, pump = term.window, term.controller.pump
            window.timeframes.buttons[5].click()
            for name in ("sma", "bbands", "rsi", "macd"):
                window.indicator_actions[name].setChecked(True)
            run_loop(app, 2.0)  # the set-up above is applied and drawn; not part of the streaming figure

            heartbeat = Heartbeat()
            ticks_before = term.state.tick_count
            pump.max_stall_ms = 0.0
            pump.stalls_ms.clear()
            heartbeat.start()
            run_loop(app, args.seconds)
            heartbeat.stop()
            rate = (term.state.tick_count - ticks_before) / args.seconds
            streaming = sorted(gap for _, gap in heartbeat.gaps)
            handler = sorted(pump.stalls_ms)
            slowest = pump.slowest_batch

            actions: dict[str, list[float]] = {}
            if args.actions:
                symbols = [s for s in window.assets.symbols_in_view() if s != term.controller.asset][:4]
                steps = [
                    ("switch asset", lambda i: window.assets.select(symbols[i % len(symbols)])),
                    ("timeframe 5s <-> 1m", lambda i: window.timeframes.buttons[60 if i % 2 == 0 else 5].click()),
                    ("RSI pane off/on", lambda i: window.indicator_actions["rsi"].setChecked(i % 2 == 1)),
                ]
                user = Heartbeat()
                user.start()
                run_loop(app, 0.5)
                for i in range(args.actions):
                    label, act = steps[i % len(steps)]
                    started = time.perf_counter()
                    act(i // len(steps))
                    run_loop(app, 1.5)
                    actions.setdefault(label, []).append(user.worst_between(started, started + 1.0))
                user.stop()
        finally:
            term.shutdown()
    p99 = streaming[int(len(streaming) * 0.99)]
    print(f"ticks reaching the GUI: {rate:.0f}/s over {args.seconds:.0f} s (20 assets x 10 ticks/s from the broker)")
    print(f"streaming - GUI heartbeat (5 ms timer): {len(streaming)} beats, gap median {streaming[len(streaming) // 2]:.1f} ms, "
          f"p99 {p99:.1f} ms, max {streaming[-1]:.1f} ms (floor: no stall over 50 ms)")
    print(f"event batch handler: median {handler[len(handler) // 2]:.2f} ms, max {handler[-1]:.2f} ms "
          f"over {len(handler)} batches; the slowest held {slowest}")
    met = streaming[-1] <= STREAMING_FLOOR_MS
    for label, worst in actions.items():
        floor = ACTION_FLOORS_MS[label]
        met &= max(worst) <= floor
        print(f"user action while streaming - {label}: longest gap within 1 s {summary(worst)} "
              f"(floor: max <= {floor:g} ms)")
    print(f"floors: {'MET' if met else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
