"""The headless collector end to end: real headless Chromium, the real practice broker, real files."""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from quantumflux.cli.main import EXIT_NO_BROWSER, EXIT_NO_SOCKET, EXIT_NOT_LOGGED_IN, EXIT_NOT_WRITABLE
from quantumflux.core.model import Timeframe
from quantumflux.services.collector import CollectorOptions
from quantumflux.services.collector_run import CollectConfig, CollectorSession
from quantumflux.sim.server import PracticeBroker
from quantumflux.storage.files import parse_file_name

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def read_rows(directory: Path) -> dict[str, list[list[str]]]:
    """Rows of every CSV under ``directory`` by file name prefix (asset), header checked and dropped."""
    rows: dict[str, list[list[str]]] = defaultdict(list)
    for path in sorted(directory.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            lines = list(csv.reader(handle))
        assert lines and lines[0][0] == "timestamp", path
        name = parse_file_name(path.name)
        assert name is not None, path
        rows[name.asset].extend(lines[1:])
    return rows


def cli(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quantumflux", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def test_collector_files_match_the_ticks_the_broker_emitted(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with PracticeBroker(seed=3, assets=8, tick_rate=6.0) as broker:
        kept = {asset.symbol for asset in broker.assets[:5]}
        left_out = next(a.symbol for a in broker.assets[5:] if a.active)
        options = CollectorOptions(timeframes=(Timeframe(5),), assets=frozenset(a.lower() for a in kept))
        config = CollectConfig(
            data_dir=data, profile=tmp_path / "profile", port=free_port(), launch=True, url=broker.url,
            headless=True, options=options, socket_timeout=20,
        )
        session = CollectorSession(config)
        try:
            session.open()
            # the broker streams each page only what it shows: two more tabs show two more assets,
            # one the filter keeps and one it leaves out (every tab's socket is captured)
            for url in broker.tab_urls([broker.assets[1].symbol]) + broker.tab_urls([left_out]):
                assert session.hub.open_tab(url)
            session.run(threading.Event(), duration=14)  # a partial first 5 s period, one full period and its 2 s close grace
            cutoff = time.time() - 1.0
        finally:
            final = session.close()
        all_emitted = [t for t in broker.emitted_ticks() if t.time < cutoff]
    emitted = [t for t in all_emitted if t.asset in kept]
    streamed = {t.asset for t in all_emitted}
    assert streamed == {broker.assets[0].symbol, broker.assets[1].symbol, left_out}  # what the tabs showed
    assert left_out in streamed - kept  # the filter really had something to leave out
    assert final is not None and final.ticks_written > 60
    ticks = read_rows(data / "1M_tick_data")
    assert set(ticks) == streamed & kept
    written = {(row[1], round(parse_time(row[0]) * 1000), float(row[2])) for rows in ticks.values() for row in rows}
    expected = {(t.asset, round(t.time * 1000), t.price) for t in emitted}
    assert expected and expected <= written  # every emitted tick reached the files
    total_rows = sum(len(rows) for rows in ticks.values())
    assert total_rows == len(written)  # and none twice
    # every closed 5 s candle agrees with the ticks written for its period
    candles = read_rows(data / "5S_candle_data")
    assert sum(len(rows) for rows in candles.values()) >= len(ticks)  # at least one per asset
    by_period: dict[tuple[str, float], list[tuple[float, float]]] = defaultdict(list)
    for rows in ticks.values():
        for stamp, asset, price in rows:
            t = parse_time(stamp)
            by_period[(asset, Timeframe(5).floor(t))].append((t, float(price)))
    for asset, rows in candles.items():
        for stamp, open_, high, low, close, volume in rows:
            period = sorted(by_period[(asset, parse_time(stamp))])
            prices = [p for _, p in period]
            assert (float(open_), float(high), float(low), float(close), int(volume)) == (
                prices[0], max(prices), min(prices), prices[-1], len(prices)), (asset, stamp)


def test_cli_sigint_exits_cleanly_with_summary_and_redacted_frames(tmp_path: Path) -> None:
    with PracticeBroker(seed=4, assets=3, tick_rate=4.0) as broker:
        frames = tmp_path / "frames.jsonl"
        process = subprocess.Popen(
            [sys.executable, "-m", "quantumflux", "collect", "--launch", "--headless", "--url", broker.url,
             "--port", str(free_port()), "--profile", str(tmp_path / "profile"), "--data-dir", str(tmp_path / "d"),
             "--save-frames", str(frames), "--timeframe", "5s"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        )
        try:
            deadline = time.monotonic() + 30
            while not list((tmp_path / "d").glob("1M_tick_data/*.csv")) and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1.0)
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        secret = broker.page_session
    assert process.returncode == 0, err
    assert "collected" in err and "ticks" in err
    assert "log in" not in err
    log_text = (tmp_path / "d" / "collector.log").read_text()
    assert "collected" in log_text
    history = list((tmp_path / "d" / "history").glob("*_candles/*.csv"))
    assert history and all(path.read_text().startswith("timestamp,open,high,low,close,volume") for path in history)
    recorded = frames.read_text()
    assert '"dir":"out"' in recorded.replace(" ", "") and "<redacted>" in recorded
    assert secret not in recorded and secret not in log_text and secret not in err


def test_exit_no_browser(tmp_path: Path) -> None:
    result = cli("collect", "--attach", f"127.0.0.1:{free_port()}", "--data-dir", str(tmp_path))
    assert result.returncode == EXIT_NO_BROWSER, result.stderr
    assert "chrome start" in result.stderr


def test_exit_not_writable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = cli("collect", "--attach", f"127.0.0.1:{free_port()}", "--data-dir", str(blocker / "data"))
    assert result.returncode == EXIT_NOT_WRITABLE, result.stderr
    assert "cannot write" in result.stderr


def test_exit_no_socket(tmp_path: Path) -> None:
    result = cli("collect", "--launch", "--headless", "--url", "about:blank", "--port", str(free_port()),
                 "--profile", str(tmp_path / "p"), "--data-dir", str(tmp_path / "d"), "--socket-timeout", "2")
    assert result.returncode == EXIT_NO_SOCKET, result.stderr
    assert "no logged-in PocketOption socket" in result.stderr


def test_exit_not_logged_in(tmp_path: Path) -> None:
    with PracticeBroker(seed=5, assets=3, session="the-right-session") as broker:
        broker.page_session = "an-expired-session"  # what /page-config.json hands the page
        result = cli("collect", "--launch", "--headless", "--url", broker.url, "--port", str(free_port()),
                     "--profile", str(tmp_path / "p"), "--data-dir", str(tmp_path / "d"), "--socket-timeout", "20")
    assert result.returncode == EXIT_NOT_LOGGED_IN, result.stderr
    assert "NotAuthorized" in result.stderr
    assert "an-expired-session" not in result.stderr


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_headless_default_entry_point_is_wired() -> None:
    from quantumflux.cli.commands import collect

    assert callable(collect.run_default)


def test_attach_to_a_browser_started_by_hand(tmp_path: Path) -> None:
    from quantumflux.browser.chrome import find_browser, wait_for_devtools

    port = free_port()
    with PracticeBroker(seed=6, assets=3, tick_rate=4.0) as broker:
        # only the two flags a user would type (plus what headless root in CI needs)
        browser = subprocess.Popen(
            [str(find_browser()), f"--remote-debugging-port={port}", f"--user-data-dir={tmp_path / 'own'}",
             "--headless=new", "--no-sandbox", broker.url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_devtools("127.0.0.1", port, 20)
            time.sleep(2.0)  # the page is already streaming before the collector attaches
            result = cli("collect", "--attach", f"127.0.0.1:{port}", "--data-dir", str(tmp_path / "d"),
                         "--duration", "4", "--socket-timeout", "15")
        finally:
            browser.terminate()
            browser.wait(timeout=10)
    assert result.returncode == 0, result.stderr
    assert "collected" in result.stderr
    rows = read_rows(tmp_path / "d" / "1M_tick_data")
    assert sum(len(r) for r in rows.values()) > 10
