"""Benchmark: recorded frames → decoder → candle formation, against bare ``json.loads``.

Generates (deterministically, in a temp dir) a capture shaped like real PocketOption
traffic — mostly two-frame ``updateStream`` (placeholder + base64 binary) with 1–3 ticks of
several assets per frame, some single-frame ``updateStream``, pings, keep-alives and
chart updates — then measures, on one core (CPU time of this process):

1. bare parse: ``json.loads`` of every capture line;
2. decode: ``iter_capture`` + ``Decoder.feed``;
3. pipeline: decode + ``CandleBook(1m).add_ticks`` for every ``TicksReceived``.

Floors (issue 18): pipeline ≥ 300,000 ticks/s and pipeline ≤ 2× bare parse. Each figure is the best
of ``--repeat`` interleaved rounds (3 by default: on a shared machine one round can be several per cent
slower than the code is); the spread over the rounds is printed beside it.

    .venv/bin/python bench/bench_pipeline.py              # 1,000,000 frames
    .venv/bin/python bench/bench_pipeline.py --frames 100000 --repeat 1
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from quantumflux.core.candles import CandleBook
from quantumflux.core.protocol.capture import iter_capture
from quantumflux.core.protocol.decoder import Decoder
from quantumflux.core.protocol.events import TicksReceived

ASSETS = ("EURUSD_otc", "GBPUSD_otc", "AUDCAD_otc", "#AAPL_otc", "BTCUSD_otc", "USDJPY_otc", "EURJPY_otc")
START = 1_764_000_000.0
SOCKET = "12345.67"
PLACEHOLDER = '451-["updateStream",{"_placeholder":true,"num":0}]'


def generate(path: Path, frames: int, seed: int = 7) -> None:
    """Write ``frames`` capture lines to ``path`` (same seed → same file)."""
    rng = random.Random(seed)
    _LAST_TIME.clear()
    prices = {asset: 1.0 + index * 0.37 for index, asset in enumerate(ASSETS)}
    placeholder = json.dumps(PLACEHOLDER)
    chart = {"chart_id": "chart-1", "settings": json.dumps({"symbol": "EURUSD_otc", "chartPeriod": 60})}
    settings = json.dumps("42" + json.dumps(["updateCharts", [chart]], separators=(",", ":")))
    now = START
    written = 0
    lines: list[str] = []
    while written < frames:
        now += 0.005 + rng.random() * 0.025
        roll = rng.random()
        if roll < 0.90 and written + 2 <= frames:
            payload = _ticks(rng, prices, now).encode()
            lines.append(_line(now, "in", 1, placeholder))
            lines.append(_line(now + 0.0003, "in", 2, '"' + base64.b64encode(payload).decode("ascii") + '"'))
            written += 2
        else:
            if roll < 0.97:
                data = json.dumps('42["updateStream",' + _ticks(rng, prices, now) + "]")
                lines.append(_line(now, "in", 1, data))
            elif roll < 0.985:
                lines.append(_line(now, "in", 1, '"2"'))
            elif roll < 0.995:
                lines.append(_line(now, "out", 1, '"42[\\"ps\\"]"'))
            else:
                lines.append(_line(now, "in", 1, settings))
            written += 1
        if len(lines) >= 10000:
            _flush(path, lines)
    _flush(path, lines)


def _flush(path: Path, lines: list[str]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(lines))
    lines.clear()


_LAST_TIME: dict[str, float] = {}


def _ticks(rng: random.Random, prices: dict[str, float], now: float) -> str:
    """1–3 ticks of distinct assets as the JSON text ``[[asset, time, price], …]`` (ms times, 5 digits).

    Each asset's tick times rise (as the broker's do; a tick older than the asset's last one would be
    dropped as repeated by the decoder)."""
    rows = []
    first = int(rng.random() * len(ASSETS))
    for step in range(1 + int(rng.random() * 3)):
        asset = ASSETS[(first + step * 3) % len(ASSETS)]  # distinct assets: 7 is prime to 3
        price = prices[asset] = prices[asset] * (1.0 + (rng.random() - 0.5) * 0.0004)
        t = _LAST_TIME[asset] = max(_LAST_TIME.get(asset, 0.0) + 0.001, round(now - 0.05 - rng.random() * 0.35, 3))
        rows.append(f'["{asset}",{t:.3f},{price:.5f}]')
    return "[" + ",".join(rows) + "]"


def _line(t: float, direction: str, opcode: int, data_json: str) -> str:
    """One capture line; ``data_json`` is the already JSON-encoded data string."""
    return f'{{"t":{round(t, 4)!r},"socket":"{SOCKET}","dir":"{direction}","opcode":{opcode},"data":{data_json}}}\n'


def bare_parse(path: Path) -> int:
    loads = json.loads
    count = 0
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            loads(line)
            count += 1
    return count


def decode_only(path: Path) -> int:
    decoder = Decoder()
    feed = decoder.feed
    for frame in iter_capture(path):
        feed(frame)
    decoder.flush()
    return decoder.stats.ticks


def pipeline(path: Path) -> int:
    decoder = Decoder()
    book = CandleBook("1m")
    feed, add_ticks = decoder.feed, book.add_ticks
    for frame in iter_capture(path):
        for event in feed(frame):
            if event.__class__ is TicksReceived:
                add_ticks(event.ticks)
    decoder.flush()
    if not book.assets():
        raise SystemExit("pipeline formed no candles: the benchmark is broken")
    return decoder.stats.ticks


#: Floors of issue 18 for the pipeline (decode + candles).
FLOOR_RATE = 300_000
FLOOR_RATIO = 2.0


def measure(
    functions: dict[str, Callable[[Path], int]], path: Path, rounds: int
) -> tuple[dict[str, tuple[float, float, int]], dict[str, list[float]]]:
    """Best CPU time (with its wall time) and result of each function over interleaved rounds, and
    every round's CPU time.

    Interleaving (bare, decode, pipeline, bare, …) spreads the machine's background load evenly.
    """
    best: dict[str, tuple[float, float, int]] = {}
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            result = function(path)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            times[name].append(cpu)
            if name not in best or cpu < best[name][0]:
                best[name] = (cpu, wall, result)
    return best, times


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f}–{max(values):.2f} s over {len(values)}" if len(values) > 1 else "1 round"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=1_000_000, help="frames in the generated capture")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (best of each is reported)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qf-bench-") as folder:
        path = Path(folder) / "capture.jsonl"
        started = time.perf_counter()
        generate(path, args.frames)
        print(f"generated {args.frames:,} frames ({path.stat().st_size / 1e6:.1f} MB) "
              f"in {time.perf_counter() - started:.1f} s")
        results, times = measure({"bare": bare_parse, "decode": decode_only, "pipeline": pipeline}, path, args.repeat)
    bare_cpu, bare_wall, lines = results["bare"]
    decode_cpu, decode_wall, ticks = results["decode"]
    pipe_cpu, pipe_wall, pipe_ticks = results["pipeline"]
    if pipe_ticks != ticks:
        raise SystemExit(f"decode and pipeline disagree on the tick count: {ticks} vs {pipe_ticks}")
    ratio = pipe_cpu / bare_cpu
    rate = ticks / pipe_cpu
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"lines {lines:,}  ticks {ticks:,}   (best CPU seconds of this process over {args.repeat} round(s); "
          f"wall in brackets; load average {load:.1f} on {os.cpu_count()} CPUs)")
    print(f"bare json.loads     {bare_cpu:7.2f} s  [{bare_wall:.2f}]  {lines / bare_cpu:,.0f} lines/s"
          f"   ({_spread(times['bare'])})")
    print(f"decode only         {decode_cpu:7.2f} s  [{decode_wall:.2f}]  {ticks / decode_cpu:,.0f} ticks/s"
          f"   ({_spread(times['decode'])})")
    rate_ok, ratio_ok = rate >= FLOOR_RATE, ratio <= FLOOR_RATIO
    print(f"decode + candles    {pipe_cpu:7.2f} s  [{pipe_wall:.2f}]  {rate:,.0f} ticks/s"
          f"   (floor >= {FLOOR_RATE:,} ticks/s: {'met' if rate_ok else 'NOT MET'}; {_spread(times['pipeline'])})")
    print(f"pipeline / bare parse = {ratio:.2f}x   (floor <= {FLOOR_RATIO:.1f}x: {'met' if ratio_ok else 'NOT MET'})")
    print("floors: " + ("MET" if rate_ok and ratio_ok else "NOT MET"))
    return 0 if rate_ok and ratio_ok else 1


if __name__ == "__main__":
    sys.exit(main())
