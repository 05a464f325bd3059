"""Practice broker figures: start-up, history generation, stream throughput (48 assets, 4 per client).

Run: .venv/bin/python bench/bench_sim.py   (about 15 s)
"""

from __future__ import annotations

import json
import resource
import threading
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

    # The broker streams a socket only the assets it subscribed to, at most four: twelve clients of
    # four assets each carry all 48.
    symbols = [asset.symbol for asset in broker.assets if asset.active]
    clients = [_client(broker.ws_url, symbols[start : start + 4]) for start in range(0, len(symbols), 4)]
    counts = {"frames": 0, "bytes": 0}
    lock = threading.Lock()
    cpu_before, started = _cpu(), time.perf_counter()
    readers = [threading.Thread(target=_read, args=(socket, started, counts, lock)) for socket in clients]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    seconds = time.perf_counter() - started
    cpu = _cpu() - cpu_before
    for socket in clients:
        socket.close()
    ticks = len(broker.emitted_ticks(since=time.time() - seconds))
    broker.stop()
    print(f"stream, {len(symbols)} assets at 4 Hz over {len(clients)} clients (4 each) for {seconds:.1f} s: "
          f"{ticks / seconds:.0f} ticks/s, {counts['frames'] / seconds:.0f} frames/s, "
          f"{counts['bytes'] / seconds / 1024:.0f} KiB/s")
    print(f"process CPU (broker thread + these clients): {100 * cpu / seconds:.0f} % of one core")


def _client(url: str, assets: list[str]) -> websocket.WebSocket:
    socket = websocket.create_connection(url, timeout=5)
    socket.recv()
    socket.send("40")
    socket.recv()
    socket.send('42["auth",{"session":"bench","isDemo":1}]')
    for asset in assets:
        socket.send(json.dumps(["changeSymbol", {"asset": asset, "period": 60}]).join(("42", "")))
    return socket


def _read(socket: websocket.WebSocket, started: float, counts: dict[str, int], lock: threading.Lock) -> None:
    frames = bytes_in = 0
    while time.perf_counter() - started < 10:
        _opcode, data = socket.recv_data()
        frames += 1
        bytes_in += len(data)
        if data == b"2":
            socket.send("3")
    with lock:
        counts["frames"] += frames
        counts["bytes"] += bytes_in

if __name__ == "__main__":
    main()
