"""API latency: p50/p99 of GET /candles/{asset}?count=500 at 200 requests/s, while the collector
ingests 20 assets x 10 ticks/s from the practice broker through headless Chromium and CDP.

The server side (broker, browser, capture, collector, uvicorn) runs in this process; the load
comes from a separate process over loopback with a keep-alive connection, paced at the target
rate (a late request is sent at once, so queueing shows in the figures).

Run: .venv/bin/python bench/bench_api.py [--seconds 20] [--rate 200]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import uvicorn

from quantumflux.api.app import create_app
from quantumflux.config import Settings
from quantumflux.services.application import Application
from quantumflux.services.terminal_session import TerminalSession, free_port

TOKEN = "b" * 43

CLIENT = textwrap.dedent(
    """
    import json, sys, time, httpx
    url, token, rate, seconds, asset = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    latencies, errors = [], 0
    with httpx.Client(base_url=url, headers={"Authorization": "Bearer " + token}, timeout=10) as client:
        for _ in range(20):
            client.get(f"/candles/{asset}", params={"count": 500, "timeframe": "5s"})
        start = time.perf_counter()
        n = int(rate * seconds)
        for i in range(n):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            t0 = time.perf_counter()
            r = client.get(f"/candles/{asset}", params={"count": 500, "timeframe": "5s"})
            latencies.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200 or len(r.json()["candles"]) == 0:
                errors += 1
        elapsed = time.perf_counter() - start
    print(json.dumps({"latencies": latencies, "errors": errors, "elapsed": elapsed}))
    """
)


def open_tabs(session: TerminalSession) -> None:
    """The broker streams each page the assets it shows (four per socket): tabs for all 20 assets."""
    deadline = time.time() + 30
    while not session.hub.state.connected and time.time() < deadline:
        time.sleep(0.1)
    symbols = [asset.symbol for asset in session.broker.assets if asset.active]
    for url in session.broker.tab_urls(symbols[1:]):  # the demo page already shows the first
        session.hub.open_tab(url)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=200.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_root=Path(tmp) / "data")
        # 20 streaming assets at 10 ticks/s each (the broker's first 20 catalogue assets are all open).
        session = TerminalSession(settings, demo=True,
                                  broker_options={"seed": 1, "assets": 20, "tick_rate": 10.0})
        app = Application(settings).connect(session, trading=False)
        service, state = app.service, app.market.state
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(service, TOKEN), host="127.0.0.1", port=port,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            open_tabs(session)
            deadline = time.time() + 60
            while time.time() < deadline and (state.login != "ok" or state.tick_count < 500):
                time.sleep(0.2)
            if state.login != "ok":
                print("the practice session did not log in within 60 s", file=sys.stderr)
                return 1
            service.start_collector(("1m", "5s"))
            active = [a.symbol for a in state.assets.values() if a.active]
            ticks_before, t_before = state.tick_count, time.time()
            asset = "EURUSD_otc"
            out = subprocess.run(
                [sys.executable, "-c", CLIENT, f"http://127.0.0.1:{port}", TOKEN, str(args.rate), str(args.seconds), asset],
                capture_output=True, text=True, timeout=args.seconds * 5 + 60,
            )
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                return 1
            ingest = (state.tick_count - ticks_before) / (time.time() - t_before)
            status = app.collector.status()
            result = json.loads(out.stdout)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            service.close()
    lat = sorted(result["latencies"])
    p50 = lat[len(lat) // 2]
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"streaming assets: {len(active)}; ingest during the run: {ingest:.0f} ticks/s "
          f"(collector wrote {status.ticks_written} ticks, {status.candles_written} candles)")
    print(f"GET /candles/{{asset}}?count=500: {len(lat)} requests in {result['elapsed']:.1f} s "
          f"({len(lat) / result['elapsed']:.0f} req/s), errors {result['errors']}")
    print(f"latency p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {lat[-1]:.2f} ms (floor: p99 <= 20 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
