"""GUI-thread stalls of the live terminal while 20 assets stream 10 ticks/s each.

The terminal runs offscreen on the practice broker through headless Chromium and CDP, with
SMA, Bollinger, RSI and MACD on the chart. A 5 ms heartbeat timer on the GUI thread records
the gap between its firings: a gap well over 5 ms is time the GUI thread could not react.
Also printed: the longest event-batch handler call and how many events it coalesced.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui_stall.py [--seconds 30]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from quantumflux.config import Settings
    from quantumflux.gui.app import Terminal

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as home:
        os.environ["QF_HOME"] = home
        term = Terminal.build(Settings(data_root=Path(home) / "data"), demo=True, settings_file=Path(home) / "t.ini",
                              broker_options={"seed": 2, "assets": 20, "tick_rate": 10.0})
        term.window.resize(1600, 950)
        term.start()
        try:
            if not term.wait_until(term.live, 60):
                print("the terminal did not reach LIVE", file=sys.stderr)
                return 1
            term.controller._on_timeframe_changed(5)
            for name in ("sma", "bbands", "rsi", "macd"):
                term.window.indicator_actions[name].setChecked(True)
            gaps: list[float] = []
            clock = QElapsedTimer()
            clock.start()
            last = [clock.nsecsElapsed()]

            def beat() -> None:
                now = clock.nsecsElapsed()
                gaps.append((now - last[0]) / 1e6)
                last[0] = now

            heartbeat = QTimer()
            heartbeat.setInterval(5)
            heartbeat.timeout.connect(beat)
            ticks_before = term.state.tick_count
            term.controller.pump.max_stall_ms = 0.0
            heartbeat.start()
            end = time.time() + args.seconds
            while time.time() < end:
                app.processEvents()
                time.sleep(0.001)
            heartbeat.stop()
            rate = (term.state.tick_count - ticks_before) / args.seconds
            handler = sorted(term.controller.pump.stalls_ms)
            slowest = term.controller.pump.slowest_batch
        finally:
            term.shutdown()
    gaps.sort()
    p99 = gaps[int(len(gaps) * 0.99)]
    print(f"ticks reaching the GUI: {rate:.0f}/s over {args.seconds:.0f} s (20 assets x 10 ticks/s from the broker)")
    print(f"GUI heartbeat (5 ms timer): {len(gaps)} beats, gap median {gaps[len(gaps) // 2]:.1f} ms, "
          f"p99 {p99:.1f} ms, max {gaps[-1]:.1f} ms (floor: no stall over 50 ms)")
    print(f"event batch handler: median {handler[len(handler) // 2]:.2f} ms, max {handler[-1]:.2f} ms "
          f"over {len(handler)} batches; the slowest held {slowest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
