"""Practice broker figures: start-up, history generation, stream throughput to one client.

Run: .venv/bin/python bench/bench_sim.py   (about 15 s)
"""

from __future__ import annotations

import resource
import time

import websocket

from quantumflux.sim import PracticeBroker
from quantumflux.sim.wire import history_payload


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    started = time.perf_counter()
    broker = PracticeBroker(seed=1, assets=48, tick_rate=4.0, ping_interval_ms=5000)
    broker.start()
    print(f"construct + start: {1000 * (time.perf_counter() - started):.1f} ms")

    for period in (60, 300, 3600):
        started = time.perf_counter()
        payload = history_payload(broker.prices, "EURUSD_otc", period, time.time(), 7200, broker.epoch)
        elapsed = 1000 * (time.perf_counter() - started)
        print(f"updateHistoryNewFast period {period:>4}s: {len(payload['candles'])} candles, "
              f"{len(payload['history'])} ticks in {elapsed:.1f} ms")

    socket = websocket.create_connection(broker.ws_url, timeout=5)
    socket.recv()
    socket.send("40")
    socket.recv()
    socket.send('42["auth",{"session":"bench","isDemo":1}]')
    frames = bytes_in = 0
    cpu_before, started = _cpu(), time.perf_counter()
    while time.perf_counter() - started < 10:
        opcode, data = socket.recv_data()
        frames += 1
        bytes_in += len(data)
        if data == b"2":
            socket.send("3")
    seconds = time.perf_counter() - started
    cpu = _cpu() - cpu_before
    socket.close()
    ticks = len(broker.emitted_ticks(since=time.time() - seconds))
    broker.stop()
    print(f"stream, 48 assets at 4 Hz, one client for {seconds:.1f} s: {ticks / seconds:.0f} ticks/s, "
          f"{frames / seconds:.0f} frames/s, {bytes_in / seconds / 1024:.0f} KiB/s")
    print(f"process CPU (broker thread + this client): {100 * cpu / seconds:.0f} % of one core")


if __name__ == "__main__":
    main()
