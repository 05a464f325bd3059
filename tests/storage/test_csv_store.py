"""ChunkedCsvStore: layout, rotation, formatting, partial candles, restart and real kill -9 crashes."""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantumflux.core.model import Candle, Tick
from quantumflux.storage.csv_store import ChunkedCsvStore
from quantumflux.storage.files import (
    CANDLE_HEADER,
    TICK_HEADER,
    StoreNotWritableError,
    decode_asset,
    encode_asset,
    format_price,
    format_time,
    parse_file_name,
)

BASE = 1_767_225_600.0  # 2026-01-01T00:00:00Z
SESSION = BASE + 3 * 3600 + 4 * 60 + 5  # 2026-01-01T03:04:05Z
WRITER = Path(__file__).with_name("_crash_writer.py")


def candle(index: int, asset: str = "EURUSD_otc", timeframe: int = 60, partial: bool = False) -> Candle:
    price = 1.1 + index * 0.0001
    return Candle(asset, timeframe, BASE + index * timeframe, price, price + 0.0003, price - 0.0002, price + 0.0001,
                  index + 1, partial)


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_candle_layout_names_headers_and_rows(tmp_path: Path) -> None:
    with ChunkedCsvStore(tmp_path, session_start=SESSION) as store:
        assert store.write_candle(candle(0))
        assert store.write_candle(candle(0, timeframe=300))
    one = tmp_path / "1M_candle_data" / "EURUSD_otc_1m_2026-01-01_03-04-05_part001.csv"
    five = tmp_path / "5M_candle_data" / "EURUSD_otc_5m_2026-01-01_03-04-05_part001.csv"
    assert read_rows(one) == [CANDLE_HEADER.split(","), ["2026-01-01T00:00:00Z", "1.1", "1.1003", "1.0998", "1.1001", "1"]]
    assert read_rows(five)[1][0] == "2026-01-01T00:00:00Z"


def test_ticks_layout_with_milliseconds(tmp_path: Path) -> None:
    with ChunkedCsvStore(tmp_path, session_start=SESSION) as store:
        store.write_tick(Tick("#AAPL_otc", BASE + 0.123, 187.3))
        store.write_tick(Tick("#AAPL_otc", BASE + 1.5, 187.31))
    path = tmp_path / "1M_tick_data" / "#AAPL_otc_ticks_2026-01-01_03-04-05_part001.csv"
    assert read_rows(path) == [
        TICK_HEADER.split(","),
        ["2026-01-01T00:00:00.123Z", "#AAPL_otc", "187.3"],
        ["2026-01-01T00:00:01.500Z", "#AAPL_otc", "187.31"],
    ]


def test_rotation_after_configured_rows(tmp_path: Path) -> None:
    with ChunkedCsvStore(tmp_path, session_start=SESSION, candles_per_file=3, ticks_per_file=4) as store:
        for index in range(7):
            store.write_candle(candle(index))
        for index in range(9):
            store.write_tick(Tick("EURUSD", BASE + index, 1.0 + index / 100))
        stats = store.stats
    candle_files = sorted((tmp_path / "1M_candle_data").iterdir())
    tick_files = sorted((tmp_path / "1M_tick_data").iterdir())
    assert [len(read_rows(p)) - 1 for p in candle_files] == [3, 3, 1]
    assert [len(read_rows(p)) - 1 for p in tick_files] == [4, 4, 1]
    assert [parse_file_name(p.name).part for p in candle_files] == [1, 2, 3]
    assert stats.rows_written == 16 and stats.files_written == 6
    assert stats.candles_written == 7 and stats.ticks_written == 9


def test_default_rotation_is_100_candles(tmp_path: Path) -> None:
    with ChunkedCsvStore(tmp_path, session_start=SESSION) as store:
        for index in range(101):
            store.write_candle(candle(index))
    sizes = [len(read_rows(p)) - 1 for p in sorted((tmp_path / "1M_candle_data").iterdir())]
    assert sizes == [100, 1]


def test_partial_candle_is_skipped_and_counted(tmp_path: Path) -> None:
    with ChunkedCsvStore(tmp_path, session_start=SESSION) as store:
        assert not store.write_candle(candle(0, partial=True))
        assert store.write_candle(candle(1))
        assert store.stats.skipped_partial == 1
    rows = read_rows(next((tmp_path / "1M_candle_data").iterdir()))
    assert [row[0] for row in rows[1:]] == ["2026-01-01T00:01:00Z"]


def test_assets_are_separate_series(tmp_path: Path) -> None:
    with ChunkedCsvStore(tmp_path, session_start=SESSION) as store:
        store.write_candle(candle(0, asset="EURUSD"))
        store.write_candle(candle(0, asset="EURUSD_otc"))
        assert len(store.stats.current_files) == 2
    names = sorted(p.name for p in (tmp_path / "1M_candle_data").iterdir())
    assert names == ["EURUSD_1m_2026-01-01_03-04-05_part001.csv", "EURUSD_otc_1m_2026-01-01_03-04-05_part001.csv"]


def test_price_and_time_formatting_without_noise() -> None:
    assert format_price(0.1 + 0.2) == "0.3"
    assert format_price(1.08123) == "1.08123"
    assert format_price(187.0) == "187"
    assert format_price(0.00001234) == "1.234e-05" and float(format_price(0.00001234)) == 0.00001234
    assert format_time(BASE + 40.12299999) == "2026-01-01T00:00:40Z"
    assert format_time(BASE + 40.12299999, millis=True) == "2026-01-01T00:00:40.123Z"
    assert format_time(BASE + 59.9996, millis=True) == "2026-01-01T00:01:00.000Z"


@pytest.mark.parametrize("asset", ["#AAPL_otc", "EURUSD_otc", "EUR/USD", "100%_x", ".hidden", "a b:c", "Ω_1m_x"])
def test_asset_names_round_trip_through_file_names(asset: str) -> None:
    encoded = encode_asset(asset)
    assert "/" not in encoded and ":" not in encoded and " " not in encoded and not encoded.startswith(".")
    assert decode_asset(encoded) == asset
    name = f"{encoded}_1m_2026-01-01_03-04-05_part002.csv"
    parsed = parse_file_name(name)
    assert parsed is not None and parsed.asset == asset and str(parsed.timeframe) == "1m" and parsed.part == 2


def test_not_writable_directory_raises_dedicated_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a directory should be")
    with pytest.raises(StoreNotWritableError, match="cannot write CSV data under"):
        ChunkedCsvStore(blocker / "realtime", session_start=SESSION)


def test_restart_skips_written_rows_and_opens_new_part(tmp_path: Path) -> None:
    with ChunkedCsvStore(tmp_path, session_start=SESSION, candles_per_file=10) as store:
        for index in range(5):
            store.write_candle(candle(index))
    with ChunkedCsvStore(tmp_path, session_start=SESSION, candles_per_file=10) as store:
        written = [store.write_candle(candle(index)) for index in range(8)]
        assert store.stats.skipped_duplicate == 5
    assert written == [False] * 5 + [True] * 3
    files = sorted((tmp_path / "1M_candle_data").iterdir())
    assert [parse_file_name(p.name).part for p in files] == [1, 2]
    times = [row[0] for p in files for row in read_rows(p)[1:]]
    assert len(times) == len(set(times)) == 8


def test_restart_repairs_torn_last_line(tmp_path: Path) -> None:
    with ChunkedCsvStore(tmp_path, session_start=SESSION) as store:
        for index in range(3):
            store.write_tick(Tick("EURUSD", BASE + index, 1.5))
    path = next((tmp_path / "1M_tick_data").iterdir())
    with path.open("ab") as handle:
        handle.write(b"2026-01-01T00:00:03.000Z,EUR")  # torn by a crash
    with ChunkedCsvStore(tmp_path, session_start=SESSION + 60) as store:
        assert store.stats.repaired_files == 0  # series not touched yet
        assert store.write_tick(Tick("EURUSD", BASE + 3, 1.6))
        assert store.stats.repaired_files == 1
    assert path.read_bytes().endswith(b"2026-01-01T00:00:02.000Z,EURUSD,1.5\n")
    all_rows = [row for p in sorted((tmp_path / "1M_tick_data").iterdir()) for row in read_rows(p)[1:]]
    assert [row[0] for row in all_rows] == [format_time(BASE + i, millis=True) for i in range(4)]


def test_same_millisecond_ticks_survive_restart_without_duplicates(tmp_path: Path) -> None:
    with ChunkedCsvStore(tmp_path, session_start=SESSION) as store:
        store.write_tick(Tick("X", BASE, 1.0))
        store.write_tick(Tick("X", BASE, 1.1))
    with ChunkedCsvStore(tmp_path, session_start=SESSION) as store:
        results = [store.write_tick(Tick("X", BASE, p)) for p in (1.0, 1.1, 1.2)]
    assert results == [False, False, True]


def _check_files(root: Path) -> dict[str, list[str]]:
    """Every file parses with the right header and field count; returns timestamps per series."""
    series: dict[str, list[str]] = {}
    for directory, header in (("1M_candle_data", CANDLE_HEADER), ("1M_tick_data", TICK_HEADER)):
        for path in sorted((root / directory).glob("*.csv"), key=lambda p: parse_file_name(p.name).part):
            data = path.read_bytes()
            assert data.endswith(b"\n"), path
            rows = read_rows(path)
            assert rows[0] == header.split(","), path
            width = len(rows[0])
            assert all(len(row) == width for row in rows[1:]), path
            for row in rows[1:]:
                float(row[-1] if directory == "1M_tick_data" else row[4])
            series.setdefault(directory, []).extend(row[0] for row in rows[1:])
    return series


@pytest.mark.slow
def test_kill_9_at_random_moments_then_restart_continues_without_duplicates(tmp_path: Path) -> None:
    rng = random.Random(20260102)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "app"))

    def command(count: int) -> list[str]:
        return [sys.executable, str(WRITER), str(tmp_path), str(SESSION), str(count)]

    for _ in range(4):
        process = subprocess.Popen(command(10**9), env=env, stdout=subprocess.PIPE)
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.01, 0.3))
        process.send_signal(signal.SIGKILL)
        assert process.wait() == -signal.SIGKILL
        _check_files(tmp_path)  # every file parses right after the crash
    finished = subprocess.run(command(2000), env=env, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0 and "done" in finished.stdout, finished.stderr
    series = _check_files(tmp_path)
    candles, ticks = series["1M_candle_data"], series["1M_tick_data"]
    assert len(candles) >= 2000 and len(ticks) >= 2000
    assert not list(tmp_path.rglob("*.tmp"))  # half-created parts of a crash are cleaned on restart
    # complete, in order, nothing written twice across the five processes
    assert candles == [format_time(BASE + i * 60) for i in range(len(candles))]
    assert ticks == [format_time(BASE + i * 0.25, millis=True) for i in range(len(ticks))]


def test_threads_writing_at_once_never_interleave_rows(tmp_path: Path) -> None:
    import threading

    store = ChunkedCsvStore(tmp_path, session_start=SESSION, ticks_per_file=250)

    def worker(asset: str) -> None:
        for index in range(500):
            store.write_tick(Tick(asset, BASE + index * 0.5, 1.0 + index / 1000))

    threads = [threading.Thread(target=worker, args=(f"A{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    assert store.stats.ticks_written == 2000 and store.stats.files_written == 8
    for path in (tmp_path / "1M_tick_data").iterdir():
        rows = read_rows(path)[1:]
        assert len(rows) == 250 and all(len(row) == 3 and row[1] in path.name for row in rows)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full to simulate a full disk")
def test_disk_full_raises_store_error(tmp_path: Path) -> None:
    from quantumflux.storage.csv_store import SeriesWriter
    from quantumflux.storage.files import FileName

    writer = SeriesWriter(tmp_path, FileName("X", None, "2026-01-01_00-00-00", 1), TICK_HEADER, 10)
    writer.write("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z,X,1")
    writer.handle = open("/dev/full", "w")  # noqa: SIM115 - the next flush fails with ENOSPC like a full disk
    with pytest.raises(StoreNotWritableError, match="No space left"):
        writer.write("2026-01-01T00:00:01.000Z", "2026-01-01T00:00:01.000Z,X,2")
    assert writer.handle is None


def test_fsync_per_row_option_writes_the_same_rows(tmp_path: Path) -> None:
    for name, fsync in (("plain", False), ("synced", True)):
        with ChunkedCsvStore(tmp_path / name, session_start=SESSION, fsync=fsync) as store:
            for index in range(3):
                store.write_candle(candle(index))
    plain = next((tmp_path / "plain" / "1M_candle_data").iterdir())
    synced = next((tmp_path / "synced" / "1M_candle_data").iterdir())
    assert plain.read_bytes() == synced.read_bytes() and plain.read_bytes().count(b"\n") == 4


def test_a_damaged_last_line_does_not_poison_the_watermark(tmp_path: Path) -> None:
    with ChunkedCsvStore(tmp_path, session_start=SESSION) as store:
        store.write_candle(candle(0))
    path = next((tmp_path / "1M_candle_data").iterdir())
    with path.open("a") as handle:
        handle.write("zz garbage from a bad disk,1,2,3,4,5\n")  # complete but not a row
    with ChunkedCsvStore(tmp_path, session_start=SESSION) as store:
        assert not store.write_candle(candle(0))
        assert store.write_candle(candle(1))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=5), st.integers(1, 7))
def test_restarts_anywhere_keep_every_candle_exactly_once(restarts: list[int], per_file: int) -> None:
    """Each run re-sends the stream from an earlier point (as a reconnecting collector would)."""
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        end = 0
        for resend_from in restarts:
            start, end = min(resend_from, end), end + 1 + resend_from % 7
            with ChunkedCsvStore(root, session_start=SESSION, candles_per_file=per_file) as store:
                for index in range(start, end):
                    store.write_candle(candle(index))
        files = sorted((root / "1M_candle_data").iterdir(), key=lambda p: parse_file_name(p.name).part)
        times = [row[0] for path in files for row in read_rows(path)[1:]]
    assert times == [format_time(BASE + i * 60) for i in range(end)]
