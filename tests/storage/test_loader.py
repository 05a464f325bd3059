"""Historical loader: own layout, older layouts, torn rows, de-duplication, listing."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantumflux.core.model import Candle, Tick
from quantumflux.storage.csv_store import ChunkedCsvStore
from quantumflux.storage.loader import (
    UnknownLayoutError,
    list_available,
    load_candles,
    load_ticks,
    read_file,
    series_names,
)

CSV = Path(__file__).resolve().parents[1] / "fixtures" / "csv"
BASE = 1_767_323_040.0  # 2026-01-02T03:04:00Z


def test_older_layout_open_close_high_low_with_space_separated_times() -> None:
    frame = load_candles(CSV / "EURUSD_otc_1m_legacy_ochl.csv")
    assert list(frame.columns) == ["time", "open", "high", "low", "close", "volume"]
    assert str(frame.index.tz) == "UTC" and frame.index[0] == pd.Timestamp("2026-01-02T03:04:00Z")
    first = frame.iloc[0]
    assert (first.open, first.high, first.low, first.close) == (1.08412, 1.0844, 1.08405, 1.08431)
    assert first.time == BASE and (frame["volume"] == 0).all()


def test_older_layout_pandas_index_column_and_epoch_floats() -> None:
    frame = load_candles(CSV / "GBPUSD_1m_pandas_index.csv")
    assert len(frame) == 3 and frame["time"].tolist() == [BASE, BASE + 60, BASE + 120]
    assert frame.iloc[2].close == 1.2703 and frame.iloc[2].high == 1.27031


def test_tick_layouts_time_price_and_timestamp_asset_price() -> None:
    btc = load_ticks(CSV / "BTCUSD_ticks_time_price.csv")
    assert btc["asset"].unique().tolist() == ["BTCUSD"]  # from the file name
    assert btc["price"].tolist() == [94210.5, 94211.25, 94209.75]
    assert btc["time"].iloc[0] == pytest.approx(BASE + 0.125)
    aapl = load_ticks(CSV / "#AAPL_otc_ticks_legacy.csv")
    assert aapl["asset"].unique().tolist() == ["#AAPL_otc"]
    assert aapl.index[1] == pd.Timestamp("2026-01-02T03:04:00.870Z")


def test_torn_and_corrupt_rows_are_skipped_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        frame = load_candles(CSV / "AUDCAD_otc_1m_2026-01-02_03-00-00_part001.csv")
    # bad close, short row, and the torn last line without a newline are skipped; the rest is kept
    assert frame["close"].tolist() == [1.15, 1.25]
    assert frame.attrs["skipped_rows"] == 3
    assert "skipped 3 torn or corrupt row(s)" in caplog.text


def test_unknown_layout_names_file_and_header() -> None:
    with pytest.raises(UnknownLayoutError) as error:
        read_file(CSV / "bad" / "unknown_layout.csv")
    assert "unknown_layout.csv" in str(error.value) and "date;o;h;l;c" in str(error.value)


def test_candle_file_asked_for_as_ticks_is_a_clear_error() -> None:
    with pytest.raises(UnknownLayoutError, match="holds candles, not ticks"):
        load_ticks(CSV / "GBPUSD_1m_pandas_index.csv")


def _candle(index: int, asset: str = "EURUSD_otc") -> Candle:
    return Candle(asset, 60, BASE + index * 60, 1.0 + index, 2.0 + index, 0.5 + index, 1.5 + index, index + 1)


def test_directory_parts_concatenated_sorted_deduplicated(tmp_path: Path) -> None:
    with ChunkedCsvStore(tmp_path, session_start=BASE, candles_per_file=4) as store:
        for index in (5, 6, 7, 8, 9, 10, 11):
            store.write_candle(_candle(index))
        store.write_candle(_candle(0, asset="OTHER"))
    with ChunkedCsvStore(tmp_path, session_start=BASE - 3600, candles_per_file=4) as store:
        pass
    # an older session holding overlapping and earlier rows
    old = tmp_path / "1M_candle_data" / "EURUSD_otc_1m_2026-01-02_02-04-00_part001.csv"
    lines = ["timestamp,open,high,low,close,volume"] + [
        f"{pd.Timestamp(BASE + i * 60, unit='s', tz='UTC').strftime('%Y-%m-%dT%H:%M:%SZ')},{1.0 + i},{2.0 + i},"
        f"{0.5 + i},{1.5 + i},{i + 1}" for i in range(0, 7)
    ]
    old.write_text("\n".join(lines) + "\n")
    frame = load_candles(tmp_path, "EURUSD_otc", "1m")
    assert frame["time"].tolist() == [BASE + i * 60 for i in range(12)]
    assert frame["volume"].tolist() == [float(i + 1) for i in range(12)]
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert len(frame.attrs["files"]) == 3


def test_directory_without_asset_when_several_is_an_error(tmp_path: Path) -> None:
    with ChunkedCsvStore(tmp_path, session_start=BASE) as store:
        store.write_candle(_candle(1))
        store.write_candle(_candle(1, asset="OTHER"))
    with pytest.raises(ValueError, match="EURUSD_otc 1m, OTHER 1m"):
        load_candles(tmp_path)
    assert len(load_candles(tmp_path, "OTHER")) == 1


def test_round_trip_of_awkward_asset_names_and_ticks(tmp_path: Path) -> None:
    ticks = [Tick("#AAPL_otc", BASE + i * 0.5, round(187.3 + i / 100, 2)) for i in range(5)]
    with ChunkedCsvStore(tmp_path, session_start=BASE, ticks_per_file=2) as store:
        store.write_ticks(ticks)
        store.write_tick(Tick("EUR/USD", BASE, 1.1))
    frame = load_ticks(tmp_path, "#AAPL_otc")
    assert list(zip(frame["time"], frame["price"], strict=True)) == [(t.time, t.price) for t in ticks]
    assert load_ticks(tmp_path, "EUR/USD")["price"].tolist() == [1.1]


def test_symbols_with_commas_and_quotes_round_trip(tmp_path: Path) -> None:
    odd = ['EUR,USD', 'say "hi"']
    with ChunkedCsvStore(tmp_path, session_start=BASE) as store:
        for index, asset in enumerate(odd):
            store.write_tick(Tick(asset, BASE + index, 1.5 + index))
            store.write_tick(Tick("PLAIN", BASE + index, 2.0))
    for index, asset in enumerate(odd):
        frame = load_ticks(tmp_path, asset)
        assert frame["asset"].tolist() == [asset] and frame["price"].tolist() == [1.5 + index]
    everything = load_ticks(tmp_path)
    assert sorted(set(everything["asset"])) == sorted([*odd, "PLAIN"]) and everything.attrs["skipped_rows"] == 0


def test_list_available_reports_series(tmp_path: Path) -> None:
    shutil.copytree(CSV, tmp_path / "csv")
    with ChunkedCsvStore(tmp_path / "rt", session_start=BASE) as store:
        for index in range(3):
            store.write_candle(Candle("EURUSD_otc", 300, BASE + index * 300, 1, 2, 0.5, 1.5, 4))
    found = {(s.asset, s.timeframe): s for s in list_available(tmp_path)}
    assert set(found) == {("#AAPL_otc", "ticks"), ("AUDCAD_otc", "1m"), ("BTCUSD", "ticks"), ("EURUSD_otc", "1m"),
                          ("EURUSD_otc", "5m"), ("GBPUSD", "1m")}
    five = found[("EURUSD_otc", "5m")]
    assert (five.rows, five.files) == (3, 1)
    assert five.first == pd.Timestamp(BASE, unit="s", tz="UTC") and five.last == five.first + pd.Timedelta(minutes=10)
    # rows on disk: complete lines of a store file, counted without parsing (2 good + 2 corrupt; torn line not)
    assert found[("AUDCAD_otc", "1m")].rows == 4
    assert found[("GBPUSD", "1m")].rows == 3 and found[("#AAPL_otc", "ticks")].rows == 3
    # the names alone (what the terminal's offline asset list needs) give the same series, a header-only part none
    (tmp_path / "rt" / "5M_candle_data" / "XAUUSD_otc_5m_2026-01-05_00-00-00_part001.csv").write_text(
        "timestamp,open,high,low,close,volume\n")
    assert series_names(tmp_path) == set(found)


def test_empty_directory_gives_empty_frame(tmp_path: Path) -> None:
    frame = load_candles(tmp_path, "EURUSD", "1m")
    assert frame.empty and list(frame.columns) == ["time", "open", "high", "low", "close", "volume"]


def test_corrupt_row_in_a_directory_is_reported_with_its_file(tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    directory = tmp_path / "1M_candle_data"
    directory.mkdir()
    header = "timestamp,open,high,low,close,volume\n"
    (directory / "X_1m_2026-01-02_03-00-00_part001.csv").write_text(
        header + "2026-01-02T03:04:00Z,1,2,0.5,1.5,3\n2026-01-02T03:05:00Z,1,2,0.5,1.5,3\n")
    (directory / "X_1m_2026-01-02_03-00-00_part002.csv").write_text(
        header + "2026-01-02T03:06:00Z,1,2,0.5,1.5,3\n2026-01-02T03:07:00Z,1,2,zero,1.5,3\n"
        "2026-01-02T03:08:00Z,1,2,0.5,1.5,3\n")
    with caplog.at_level(logging.WARNING):
        frame = load_candles(tmp_path, "X", "1m")
    assert frame["time"].tolist() == [BASE + i * 60 for i in (0, 1, 2, 4)]
    assert frame.attrs["skipped_rows"] == 1
    assert "part002.csv: skipped 1 torn or corrupt row(s)" in caplog.text and "part001" not in caplog.text


def test_equal_timestamps_take_the_row_of_the_file_sorted_last(tmp_path: Path) -> None:
    header = "timestamp,open,high,low,close,volume\n"
    for directory, close in (("data_collect/1M_candles", "1.1"), ("realtime_stream/1M_candle_data", "1.2")):
        (tmp_path / directory).mkdir(parents=True)
        (tmp_path / directory / "X_1m_2026-01-02_03-00-00_part001.csv").write_text(
            header + f"2026-01-02T03:04:00Z,1,2,0.5,{close},3\n")
    frame = load_candles(tmp_path, "X", "1m")
    assert frame["close"].tolist() == [1.2] and len(frame.attrs["files"]) == 2


GARBAGE = ["2026-01-02T03:04:00Z,1,2", "2026-01-02T03:04:00Z,1,2,0.5,1.5,3,extra,fields", "not,a,row,at,all,!",
           "2026-13-45T99:99:99Z,1,2,0.5,1.5,3", "2026-01-02T03:04:00Z,1,2,0.5,nan-ish,3", '"unterminated,quote']


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.sampled_from(GARBAGE)), max_size=6), st.integers(0, 3))
def test_corrupt_rows_never_lose_good_rows(garbage: list[tuple[int, str]], blanks: int) -> None:
    import tempfile

    good = [f"{pd.Timestamp(BASE + i * 60, unit='s', tz='UTC').strftime('%Y-%m-%dT%H:%M:%SZ')},1,2,0.5,1.5,{i}"
            for i in range(40)]
    lines = list(good)
    for position, line in sorted(garbage, reverse=True):
        lines.insert(position, line)
    for index in range(blanks):
        lines.insert(index * 7, "")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "X_1m_2026-01-02_03-00-00_part001.csv"
        path.write_text("timestamp,open,high,low,close,volume\n" + "\n".join(lines) + "\n")
        frame = load_candles(Path(directory), "X", "1m")
    assert frame["volume"].tolist() == [float(i) for i in range(40)]
    assert frame.attrs["skipped_rows"] == len(garbage)
