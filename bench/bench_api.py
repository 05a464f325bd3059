"""API latency under load: p50/p99 of GET /candles/{asset}?count=500 at a sustained 200 requests/s while the
application ingests 20 assets x 10 ticks/s (practice broker -> headless Chromium -> CDP capture -> market and
collector).

The server side is what ``quantumflux api`` runs: one Application (capture, market, collector) and uvicorn, in
this process. The practice broker runs in its own process (``quantumflux sim``), as the real broker is remote.
The load comes from another process: an open-loop generator that sends request *i* at ``start + i / rate``
over four keep-alive connections, whatever the earlier answers did, and times each request from its *scheduled*
send time (so a slow server cannot hide queueing by slowing the generator down). It prints the rate it actually
sent at and how late it sent, so the figure is only claimed when the generator kept its rate.

Run: .venv/bin/python bench/bench_api.py [--seconds 20] [--rate 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

from quantumflux.api.app import create_app
from quantumflux.api.server import Server
from quantumflux.browser.chrome import launch_browser
from quantumflux.config import Settings
from quantumflux.services.application import Application
from quantumflux.services.terminal_session import TerminalSession, free_port

TOKEN = "b" * 43
P99_FLOOR_MS = 10.0
ASSET = "EURUSD_otc"

CLIENT = textwrap.dedent(
    """
    import json, socket, sys, threading, time
    port, token, rate, seconds, path = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    request = (f"GET {path} HTTP/1.1\\r\\nHost: 127.0.0.1:{port}\\r\\nAuthorization: Bearer {token}\\r\\n\\r\\n").encode()

    def connect():
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, sock.makefile("rb")

    def fetch(sock, reader):
        sock.sendall(request)
        status = reader.readline()
        length = 0
        while (line := reader.readline()) not in (b"\\r\\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = reader.read(length)
        return status.split()[1] == b"200" and b'"candles":[{' in body

    CONNECTIONS = 4
    links = [connect() for _ in range(CONNECTIONS)]
    for sock, reader in links:
        for _ in range(5):
            fetch(sock, reader)  # warm up: the first answers build the JSON cache
    n = int(rate * seconds)
    latencies, late, errors = [0.0] * n, [0.0] * n, [0]
    start = time.perf_counter() + 0.2
    lock = threading.Lock()
    next_index = [0]

    def worker(sock, reader):
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= n:
                return
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent = time.perf_counter()
            ok = fetch(sock, reader)
            done = time.perf_counter()
            latencies[i] = (done - due) * 1000  # from the scheduled time: queueing counts
            late[i] = max(0.0, sent - due) * 1000
            if not ok:
                errors[0] += 1

    threads = [threading.Thread(target=worker, args=link) for link in links]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    print(json.dumps({"latencies": latencies, "late": late, "errors": errors[0], "elapsed": elapsed}))
    """
)


class ServerTiming:
    """ASGI wrapper recording each HTTP request's time inside the server (first byte in to last byte out)."""

    def __init__(self, app: object) -> None:
        self.app = app
        self.times: list[tuple[float, float]] = []  # (wall time at start, milliseconds)

    async def __call__(self, scope: dict, receive: object, send: object) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # type: ignore[operator]
            return
        started, wall = time.perf_counter(), time.time()
        await self.app(scope, receive, send)  # type: ignore[operator]
        self.times.append((wall, (time.perf_counter() - started) * 1000))


def start_broker(port: int) -> subprocess.Popen[str]:
    """The practice broker in its own process: 20 open assets at 10 ticks/s each."""
    process = subprocess.Popen([sys.executable, "-m", "quantumflux", "sim", "--port", str(port), "--seed", "1",
                                "--assets", "20", "--tick-rate", "10"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    import socket

    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the practice broker did not start")


def tab_urls(base: str, symbols: list[str]) -> list[str]:
    """Pages that together stream ``symbols``: four assets per page socket (the broker's limit)."""
    from urllib.parse import quote

    return [f"{base}?asset={quote(group[0], safe='')}" + (f"&charts={','.join(quote(s, safe='') for s in group[1:])}"
                                                          if len(group) > 1 else "")
            for group in (symbols[i:i + 4] for i in range(0, len(symbols), 4))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=200.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        broker_port, chrome_port, api_port = free_port(), free_port(), free_port()
        broker = start_broker(broker_port)
        base = f"http://127.0.0.1:{broker_port}/"
        browser = launch_browser(chrome_port, Path(tmp) / "profile", url=base, headless=True, reuse=False)
        settings = Settings(data_root=Path(tmp) / "data", chrome_port=chrome_port)
        app = Application(settings).connect(TerminalSession(settings), trading=False)
        service, state = app.service, app.market.state
        timing = ServerTiming(create_app(service, TOKEN))
        server = Server(timing, settings.api_host, api_port)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            deadline = time.time() + 60
            while time.time() < deadline and not (state.login == "ok" and state.assets):
                time.sleep(0.2)
            if state.login != "ok":
                print("the practice session did not log in within 60 s", file=sys.stderr)
                return 1
            symbols = [a.symbol for a in state.assets.values() if a.active][:20]
            for url in tab_urls(base, [s for s in symbols if s != ASSET]):
                app.hub.open_tab(url)
            time.sleep(8)  # the tabs load, log in and stream
            service.start_collector(("1m", "5s"))
            ticks_before, t_before = state.tick_count, time.time()
            timing.times.clear()
            cpu_before = os.times()
            out = subprocess.run(
                [sys.executable, "-c", CLIENT, str(api_port), TOKEN, str(args.rate), str(args.seconds),
                 f"/candles/{ASSET}?count=500&timeframe=5s"],
                capture_output=True, text=True, timeout=args.seconds * 5 + 60,
            )
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                return 1
            ingest = (state.tick_count - ticks_before) / (time.time() - t_before)
            cpu = os.times()
            server_cpu = (cpu.user - cpu_before.user + cpu.system - cpu_before.system) / max(1e-9, time.time() - t_before)
            status = app.collector.status()
            streaming = len({s for s in symbols if len(state.tick_columns(s)[0])})
            result = json.loads(out.stdout)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            app.close()
            browser.stop()
            broker.terminate()
            broker.wait(10)
    worst = sorted(range(len(result["latencies"])), key=lambda i: -result["latencies"][i])[:5]
    print("slowest requests (scheduled at s: ms): " + ", ".join(
        f"{i / args.rate:.2f}: {result['latencies'][i]:.1f}" for i in sorted(worst)))
    inside = sorted(ms for _, ms in timing.times)
    print(f"inside the server: p50 {inside[len(inside) // 2]:.2f} ms, p99 {inside[int(len(inside) * 0.99)]:.2f} ms, "
          f"max {inside[-1]:.2f} ms at {max(timing.times, key=lambda x: x[1])[0] - t_before:.2f} s")
    lat, late = sorted(result["latencies"]), sorted(result["late"])
    p50 = lat[len(lat) // 2]
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    sent_rate = len(lat) / result["elapsed"]
    kept = sent_rate >= 0.98 * args.rate and late[int(len(late) * 0.99)] < 5.0
    print(f"streaming assets: {streaming}; ingest during the run: {ingest:.0f} ticks/s "
          f"(collector wrote {status.ticks_written} ticks, {status.candles_written} candles); "
          f"API process CPU {server_cpu:.0%} of a core")
    print(f"generator: {len(lat)} requests in {result['elapsed']:.1f} s = {sent_rate:.1f} req/s (target {args.rate:g}); "
          f"sends late p99 {late[int(len(late) * 0.99)]:.2f} ms, max {late[-1]:.2f} ms: "
          f"{'rate kept' if kept else 'RATE NOT KEPT'}; errors {result['errors']}")
    met = kept and result["errors"] == 0 and p99 <= P99_FLOOR_MS
    print(f"GET /candles/{{asset}}?count=500 latency from the scheduled send: p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
          f"max {lat[-1]:.2f} ms (floor: p99 <= {P99_FLOOR_MS:g} ms at a sustained {args.rate:g} req/s): "
          f"{'MET' if met else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
