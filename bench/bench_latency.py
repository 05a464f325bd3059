"""Latency of the live data path: broker emits a tick → decoded tick available to a consumer.

Real parts only: the practice broker, headless Chromium running its trading page, the CDP
capture, the decoder and a CaptureHub subscription read on its own thread. The broker side
stamps each batch of ticks right before sending it (same machine clock as the consumer).

    .venv/bin/python bench/bench_latency.py [--ticks 10000] [--tick-rate 10]

Prints p50/p90/p99/max over at least ``--ticks`` ticks. Floor: p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from quantumflux.browser.chrome import launch_browser
from quantumflux.core.protocol import events as ev
from quantumflux.services.capture_hub import CaptureHub
from quantumflux.sim.server import PracticeBroker

FLOOR_P99_MS = 50.0


class TimedBroker(PracticeBroker):
    """The practice broker, also noting when each batch of ticks ``[start, end)`` was handed to the sockets."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.windows: list[tuple[float, float, float]] = []  # (start, end, emit time)

    def _emit_ticks(self, clients: list[Any], start: float, end: float) -> None:
        emit_time = time.time()
        super()._emit_ticks(clients, start, end)
        self.windows.append((start, end, emit_time))


def emit_time_of(windows: list[tuple[float, float, float]], ends: list[float], t: float) -> float | None:
    """Emit time of the batch whose window holds tick time ``t``."""
    index = bisect.bisect_left(ends, t)
    if index < len(windows) and windows[index][0] <= t <= windows[index][1]:
        return windows[index][2]
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(tick_rate: float, assets: int) -> None:
    """Child process: run the broker, print its URL, and on ``stop`` (stdin) print emit times as JSON."""
    with TimedBroker(seed=11, assets=assets, tick_rate=tick_rate) as broker:
        # the broker streams each page socket the assets it shows, four at most: one tab per four assets
        print(json.dumps(broker.tab_urls([asset.symbol for asset in broker.assets if asset.active])), flush=True)
        sys.stdin.readline()
        windows = list(broker.windows)
    json.dump(windows, sys.stdout)
    sys.stdout.flush()


def measure(
    ticks_wanted: int, tick_rate: float, assets: int, timeout: float, warmup: float
) -> tuple[list[float], list[float]]:
    """Run the broker in its own process (as a remote broker would be) and time every tick end to end."""
    received: list[tuple[str, float, float, float]] = []  # asset, tick time, frame stamp, consumer time
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--tick-rate", str(tick_rate), "--assets", str(assets)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    urls = json.loads(child.stdout.readline())
    with tempfile.TemporaryDirectory() as tmp:
        browser = launch_browser(free_port(), Path(tmp) / "profile", url=None, headless=True)
        hub = CaptureHub("127.0.0.1", browser.port).start()
        subscription = hub.subscribe(maxsize=1_000_000)
        done = threading.Event()
        first: list[float | None] = [None]

        def consume() -> None:
            while not done.is_set():
                item = subscription.get(timeout=0.2)
                if not isinstance(item, ev.TicksReceived):
                    continue
                now = time.time()
                if first[0] is None:
                    first[0] = now
                if now - first[0] < warmup:  # the page is still loading its chart and history
                    continue
                received.extend((tick.asset, tick.time, item.t_recv, now) for tick in item.ticks)
                if len(received) >= ticks_wanted:
                    done.set()

        consumer = threading.Thread(target=consume, name="latency-consumer", daemon=True)
        consumer.start()
        try:
            deadline = time.monotonic() + 15
            while not hub.state.connected and time.monotonic() < deadline:
                time.sleep(0.02)
            for url in urls:
                hub.open_tab(url)
            done.wait(timeout)
        finally:
            done.set()
            consumer.join(timeout=5)
            hub.stop()
            browser.stop()
            out, _ = child.communicate("stop\n", timeout=30)
        print(f"frames captured: {hub.state.frames}, consumer drops: {subscription.dropped}")
    windows = [tuple(w) for w in json.loads(out)]
    ends = [w[1] for w in windows]
    total, capture = [], []
    for _asset, t, stamped, consumed in received:
        emit = emit_time_of(windows, ends, t)  # type: ignore[arg-type]
        if emit is not None:
            total.append(consumed - emit)
            capture.append(stamped - emit)
    return total, capture


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=10_000)
    parser.add_argument("--tick-rate", type=float, default=6.0, help="ticks per second per asset")
    parser.add_argument("--assets", type=int, default=48)
    parser.add_argument("--timeout", type=float, default=90.0)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds after the first tick not measured")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.tick_rate, args.assets)
        return 0
    started = time.monotonic()
    latencies, capture_latencies = measure(
        args.ticks, args.tick_rate, args.assets, args.timeout, args.warmup
    )
    if not latencies:
        print("no ticks measured")
        return 1
    ms = sorted(x * 1000 for x in latencies)
    quantiles = statistics.quantiles(ms, n=100, method="inclusive")
    p50, p90, p99 = quantiles[49], quantiles[89], quantiles[98]
    print(f"broker emit -> decoded tick at consumer, {len(ms)} ticks in {time.monotonic() - started:.0f} s "
          f"(after a {args.warmup:.0f} s warm-up; machine load average {os.getloadavg()[0]:.1f})")
    print(f"  p50 {p50:.2f} ms   p90 {p90:.2f} ms   p99 {p99:.2f} ms   max {ms[-1]:.2f} ms   min {ms[0]:.2f} ms")
    cap = sorted(x * 1000 for x in capture_latencies)
    ours = sorted((total - capture) * 1000 for total, capture in zip(latencies, capture_latencies, strict=True))
    if cap:
        q = statistics.quantiles(cap, n=100, method="inclusive")
        print(f"  of which emit -> frame received from CDP (broker, network, Chromium, DevTools): "
              f"p50 {q[49]:.2f} ms   p99 {q[98]:.2f} ms")
        q = statistics.quantiles(ours, n=100, method="inclusive")
        print(f"  and frame received -> decoded tick at the consumer (decoder, hub, queue): "
              f"p50 {q[49]:.2f} ms   p99 {q[98]:.2f} ms")
    ok = len(ms) >= args.ticks and p99 <= FLOOR_P99_MS
    print(f"  floor p99 <= {FLOOR_P99_MS:.0f} ms over >= {args.ticks} ticks: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
