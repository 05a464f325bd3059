"""Soak: the headless collector on the practice broker in headless Chromium, under injected faults.

    .venv/bin/python bench/soak.py                      # full form: 10 minutes, 24 faults
    .venv/bin/python bench/soak.py --seconds 75 --faults 6 --json   # the short form the test runs

Faults cycle through: socket drop, refused reconnects, server restart, page reload, browser
killed (the collector's supervisor restarts it); 1% malformed frames and 1% repeated messages
throughout. Prints: % of the ticks the broker emitted (while the page's socket was connected)
that reached the tick CSVs, recovery time after each fault (page reconnect → next tick at the
collector), duplicate rows, CSV parse errors, candle/tick disagreements, and whether the
collector kept running. Floors: coverage ≥ 99.5 %, every recovery ≤ 5 s, zero duplicates,
zero parse errors, candles agree, collector alive.
"""

from __future__ import annotations

import argparse
import csv
import json
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import websocket

from quantumflux.core.model import Timeframe
from quantumflux.core.protocol import events as ev
from quantumflux.core.protocol.framing import RawFrame
from quantumflux.services.collector import CollectorOptions
from quantumflux.services.collector_run import CollectConfig, CollectorSession
from quantumflux.sim.faults import FaultSpec
from quantumflux.sim.server import PracticeBroker
from quantumflux.storage.files import parse_file_name

BASE_FAULTS = "malformed=0.01,duplicate=0.01"
FAULT_KINDS = ("socket_drop", "refused_reconnect", "server_restart", "page_reload", "browser_kill")
FLOORS = {"coverage_pct": 99.5, "max_recovery_s": 5.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Timeline:
    """What the collector's hub saw: page socket opens (Engine.IO open frames) and tick arrivals."""

    def __init__(self) -> None:
        self.opens: list[float] = []
        self.ticks: list[float] = []
        self._lock = threading.Lock()

    def on_frame(self, frame: RawFrame) -> None:
        if frame.dir == "in" and frame.opcode == 1 and frame.data.startswith('0{"sid"'):
            with self._lock:
                self.opens.append(frame.t)

    def on_item(self, item: object) -> None:
        if isinstance(item, ev.TicksReceived):
            with self._lock:
                self.ticks.append(item.t_recv)

    def recovery(self, fault_time: float, until: float) -> dict[str, float | None]:
        """Seconds from the fault to the page's reconnect, and from the reconnect to the next tick."""
        with self._lock:
            opens = [t for t in self.opens if fault_time <= t < until]
            reconnect = opens[0] if opens else None
            ticks = [t for t in self.ticks if reconnect is not None and t >= reconnect]
        first_tick = ticks[0] if ticks and ticks[0] < until else None
        return {
            "reconnect_after_s": None if reconnect is None else round(reconnect - fault_time, 3),
            "recovery_s": None if first_tick is None or reconnect is None else round(first_tick - reconnect, 3),
        }


def reload_page(port: int, url_prefix: str) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as response:
        tabs = json.loads(response.read())
    for tab in tabs:
        if tab.get("type") == "page" and tab.get("url", "").startswith(url_prefix):
            ws = websocket.create_connection(tab["webSocketDebuggerUrl"], suppress_origin=True, timeout=5)
            try:
                ws.send(json.dumps({"id": 1, "method": "Page.reload"}))
                while json.loads(ws.recv()).get("id") != 1:
                    pass
            finally:
                ws.close()
            return
    raise RuntimeError("no broker page to reload")


def inject(kind: str, broker: PracticeBroker, session: CollectorSession) -> None:
    if kind == "socket_drop":
        broker.drop_connections()
    elif kind == "refused_reconnect":
        broker.set_faults(f"{BASE_FAULTS},refuse_reconnect=2")
        broker.drop_connections()
    elif kind == "server_restart":
        broker.restart()
    elif kind == "page_reload":
        reload_page(session.config.port, broker.url)
    elif kind == "browser_kill":
        assert session.supervisor is not None and session.supervisor.browser.process is not None
        session.supervisor.browser.process.kill()


# ---------------------------------------------------------------------- file checks


def _time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def read_csvs(directory: Path, width: int, errors: list[str]) -> dict[str, list[list[str]]]:
    rows: dict[str, list[list[str]]] = defaultdict(list)
    for path in sorted(directory.glob("*.csv")):
        name = parse_file_name(path.name)
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                lines = list(csv.reader(handle))
            if not lines or lines[0][0] != "timestamp":
                raise ValueError("no header")
            for line in lines[1:]:
                if len(line) != width:
                    raise ValueError(f"row with {len(line)} fields: {line}")
                _time(line[0])
                [float(v) for v in line[1:] if v and not v[0].isalpha() and v[0] != "#"]
        except (OSError, ValueError) as exc:
            errors.append(f"{path.name}: {exc}")
            continue
        if name is not None:
            rows[name.asset].extend(lines[1:])
    return rows


def check_files(data: Path, timeframes: tuple[Timeframe, ...]) -> dict[str, Any]:
    errors: list[str] = []
    ticks = read_csvs(data / "1M_tick_data", 3, errors)
    tick_keys = [(row[1], round(_time(row[0]) * 1000), float(row[2])) for rows in ticks.values() for row in rows]
    periods: dict[tuple[int, str, float], list[tuple[float, float]]] = defaultdict(list)
    for asset, millis, price in tick_keys:
        for tf in timeframes:
            periods[(tf.seconds, asset, tf.floor(millis / 1000))].append((millis, price))
    candle_rows = disagree = candle_duplicates = 0
    for tf in timeframes:
        candles = read_csvs(data / f"{tf.label}_candle_data", 6, errors)
        for asset, rows in candles.items():
            stamps = [row[0] for row in rows]
            candle_duplicates += len(stamps) - len(set(stamps))
            for stamp, open_, high, low, close, volume in rows:
                candle_rows += 1
                prices = [p for _, p in sorted(periods.get((tf.seconds, asset, _time(stamp)), []))]
                expected = (prices[0], max(prices), min(prices), prices[-1], len(prices)) if prices else None
                if expected != (float(open_), float(high), float(low), float(close), int(volume)):
                    disagree += 1
    return {
        "tick_keys": set(tick_keys),
        "tick_rows": len(tick_keys),
        "duplicate_rows": len(tick_keys) - len(set(tick_keys)) + candle_duplicates,
        "candle_rows": candle_rows,
        "candles_disagreeing": disagree,
        "parse_errors": errors,
    }


# ------------------------------------------------------------------------- the run


def run(seconds: float, faults: int, tick_rate: float, assets: int, verbose: bool) -> dict[str, Any]:
    timeframes = (Timeframe(5), Timeframe(60))
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, PracticeBroker(
        seed=21, assets=assets, tick_rate=tick_rate, faults=BASE_FAULTS
    ) as broker:
        data = Path(tmp) / "data"
        config = CollectConfig(
            data_dir=data, profile=Path(tmp) / "profile", port=free_port(), launch=True, url=broker.url,
            headless=True, options=CollectorOptions(timeframes=timeframes), socket_timeout=30,
        )
        session = CollectorSession(config)
        timeline = Timeline()
        stop = threading.Event()
        runner_error: list[BaseException] = []
        try:
            session.open()
            assert session.hub is not None and session.collector is not None
            # the broker streams each page the assets it shows (four per socket): tabs for the others
            symbols = [asset.symbol for asset in broker.assets if asset.active and asset.symbol != broker.default_asset()]
            for url in broker.tab_urls(symbols):
                session.hub.open_tab(url)
            session.hub.add_raw_listener(timeline.on_frame)
            session.hub.add_listener(timeline.on_item)
            started = time.time()
            runner = threading.Thread(target=lambda: _run_session(session, stop, runner_error), daemon=True)
            runner.start()
            spacing = seconds / (faults + 1)
            fault_times: list[tuple[str, float]] = []
            for number in range(faults):
                target = started + spacing * (number + 1)
                time.sleep(max(0.0, target - time.time()))
                kind = FAULT_KINDS[number % len(FAULT_KINDS)]
                fault_times.append((kind, time.time()))
                inject(kind, broker, session)
                if verbose:
                    print(f"  {time.time() - started:6.1f} s  fault {number + 1}: {kind}", file=sys.stderr)
                if kind == "refused_reconnect":
                    threading.Timer(2.5, broker.set_faults, args=(BASE_FAULTS,)).start()
            time.sleep(max(0.0, started + seconds - time.time()))
            alive = session.collector.running and runner.is_alive() and not runner_error
            status = session.collector.status()
            cutoff = time.time() - 2.0
            stop.set()
            runner.join(timeout=15)
        finally:
            final = session.close()
        emitted = [t for t in broker.emitted_ticks() if t.time < cutoff]
        bounds = [t for _, t in fault_times[1:]] + [cutoff]
        for (kind, at), until in zip(fault_times, bounds, strict=True):
            results.append({"fault": kind, "at_s": round(at - started, 1), **timeline.recovery(at, until)})
        files = check_files(data, timeframes)
    expected = {(t.asset, round(t.time * 1000), t.price) for t in emitted}
    reached = len(expected & files.pop("tick_keys"))
    recoveries = [r["recovery_s"] for r in results]
    return {
        "seconds": seconds,
        "faults": len(results),
        "ticks_emitted_while_connected": len(expected),
        "ticks_in_csv": reached,
        "coverage_pct": round(100.0 * reached / len(expected), 3) if expected else 0.0,
        "max_recovery_s": max((r for r in recoveries if r is not None), default=None),
        "unrecovered_faults": sum(1 for r in recoveries if r is None),
        "recoveries": results,
        **files,
        "collector_alive": alive,
        "browser_restarts": status.browser_restarts,
        "duplicates_skipped": final.duplicates if final else None,
        "decoder_malformed": _malformed(session),
        "consumer_drops": status.dropped,
    }


def _run_session(session: CollectorSession, stop: threading.Event, errors: list[BaseException]) -> None:
    try:
        session.run(stop)
    except BaseException as exc:  # noqa: BLE001 - reported as "collector exited"
        errors.append(exc)


def _malformed(session: CollectorSession) -> int | None:
    stats = session.hub.decoder_stats if session.hub is not None else None
    return None if stats is None else sum(stats.malformed.values())


def verdict(report: dict[str, Any]) -> list[str]:
    """The floors that failed (empty when the soak passed)."""
    failed = []
    if report["coverage_pct"] < FLOORS["coverage_pct"]:
        failed.append(f"coverage {report['coverage_pct']} % < {FLOORS['coverage_pct']} %")
    if report["unrecovered_faults"] or (report["max_recovery_s"] or 0) > FLOORS["max_recovery_s"]:
        failed.append(f"recovery: max {report['max_recovery_s']} s, unrecovered {report['unrecovered_faults']}")
    if report["duplicate_rows"]:
        failed.append(f"{report['duplicate_rows']} duplicate rows")
    if report["parse_errors"]:
        failed.append(f"{len(report['parse_errors'])} CSV files do not parse")
    if report["candles_disagreeing"]:
        failed.append(f"{report['candles_disagreeing']} candles disagree with the ticks")
    if not report["collector_alive"]:
        failed.append("the collector exited")
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Soak the headless collector under injected faults.")
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--faults", type=int, default=24)
    parser.add_argument("--tick-rate", type=float, default=4.0)
    parser.add_argument("--assets", type=int, default=12)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    FaultSpec.parse(BASE_FAULTS)  # fail fast if the broker's fault keys changed
    report = run(args.seconds, args.faults, args.tick_rate, args.assets, verbose=not args.json)
    failed = verdict(report)
    report["failed"] = failed
    if args.json:
        print(json.dumps(report))
        return 0 if not failed else 1
    print(f"soak: {report['seconds']:.0f} s, {report['faults']} faults, {report['browser_restarts']} browser restarts")
    print(f"  ticks emitted while connected {report['ticks_emitted_while_connected']}, in the CSVs "
          f"{report['ticks_in_csv']}: {report['coverage_pct']} % (floor {FLOORS['coverage_pct']} %)")
    for item in report["recoveries"]:
        print(f"  {item['at_s']:7.1f} s  {item['fault']:<18} page reconnected after {item['reconnect_after_s']} s,"
              f" ticks again {item['recovery_s']} s later")
    print(f"  max recovery {report['max_recovery_s']} s (floor {FLOORS['max_recovery_s']} s), "
          f"unrecovered {report['unrecovered_faults']}")
    print(f"  rows: {report['tick_rows']} ticks, {report['candle_rows']} candles; duplicate rows "
          f"{report['duplicate_rows']}; CSV parse errors {len(report['parse_errors'])}; candles disagreeing "
          f"{report['candles_disagreeing']}")
    print(f"  repeated ticks skipped {report['duplicates_skipped']}, malformed frames counted "
          f"{report['decoder_malformed']}, consumer drops {report['consumer_drops']}")
    print(f"  collector alive throughout: {report['collector_alive']}")
    print("PASS" if not failed else "FAIL: " + "; ".join(failed))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
