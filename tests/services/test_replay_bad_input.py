"""Replay and the CSV store against bad items: each one skipped and counted, everything else kept."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from quantumflux.cli.main import main
from quantumflux.core.model import Candle, Tick
from quantumflux.core.protocol.framing import RawFrame, encode_connect, encode_event, encode_open
from quantumflux.services.replay import replay_capture
from quantumflux.services.stored_history import StoredHistory
from quantumflux.storage.csv_store import ChunkedCsvStore
from quantumflux.storage.loader import load_candles, load_ticks

T0 = 1_767_323_010.0
LONG = "A" * 300 + "_otc"


def _session(extra_assets: tuple[str, ...] = ()) -> list[RawFrame]:
    frames = [RawFrame(T0, "s", "in", 1, encode_open("sid")), RawFrame(T0, "s", "in", 1, encode_connect("x"))]
    for step in range(12):  # 30 s apart: six minutes, three assets per frame
        t = T0 + step * 30
        rows = [["EURUSD_otc", t - 0.1, 1.1 + step / 1000], *([a, t - 0.1, 2.0] for a in extra_assets),
                ["GBPUSD_otc", t - 0.1, 1.3 + step / 1000]]
        frames.append(RawFrame(t, "s", "in", 1, encode_event("updateStream", rows)))
    return frames


def _capture(path: Path, frames: list[RawFrame], bad_lines: dict[int, str] | None = None) -> Path:
    lines = [frame.to_json() for frame in frames]
    for index, line in sorted((bad_lines or {}).items(), reverse=True):
        lines.insert(index, line)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("bad_t", ["NaN", "Infinity", "-Infinity", "-5.0", "1e300", "1e20", "1767323010000.0"])
@pytest.mark.parametrize("where", [0, 5])
def test_bad_capture_times_are_skipped_and_counted(tmp_path: Path, bad_t: str, where: int):
    good = replay_capture(_capture(tmp_path / "good.jsonl", _session()), tmp_path / "good")
    bad_line = '{"t":' + bad_t + ',"socket":"s","dir":"in","opcode":1,"data":"42[\\"updateStream\\",[]]"}'
    capture = _capture(tmp_path / "bad.jsonl", _session(), {where: bad_line})
    summary = replay_capture(capture, tmp_path / "bad")
    assert summary.unreadable_lines == 1
    assert (summary.ticks, summary.candles) == (good.ticks, good.candles) and good.candles > 0
    assert summary.files == good.files  # the same session names: the first good frame named them


def test_an_absurd_tick_time_is_a_malformed_row_not_a_crash(tmp_path: Path):
    frames = _session()
    frames.insert(5, RawFrame(T0 + 70, "s", "in", 1, '42["updateStream",[["EURUSD_otc",1e300,1.2],'
                                                      f'["GBPUSD_otc",-7.0,1.3],["GBPUSD_otc",{T0 + 69!r},1.3333]]]'))
    summary = replay_capture(_capture(tmp_path / "c.jsonl", frames), tmp_path / "out")
    assert summary.malformed == 2
    ticks = load_ticks(tmp_path / "out" / "realtime_stream", "GBPUSD_otc")
    assert 1.3333 in ticks["price"].tolist() and len(ticks) == 13


def test_a_300_character_asset_is_skipped_and_the_rest_of_its_frame_kept(tmp_path: Path, caplog):
    caplog.set_level(logging.WARNING)
    summary = replay_capture(_capture(tmp_path / "c.jsonl", _session((LONG,))), tmp_path / "out")
    realtime = tmp_path / "out" / "realtime_stream"
    for asset in ("EURUSD_otc", "GBPUSD_otc"):  # the tick after the long name in each frame too
        assert len(load_ticks(realtime, asset)) == 12
        assert len(load_candles(realtime, asset, "1m")) == summary.candles // 2
    assert summary.skipped_invalid == 12 + summary.candles // 2  # its ticks and closed candles, never written
    assert any("too long" in record.getMessage() for record in caplog.records)
    assert all(len(path.name) < 255 for path in realtime.rglob("*"))


def test_the_store_skips_an_unwritable_asset_name_and_counts_it(tmp_path: Path):
    store = ChunkedCsvStore(tmp_path, session_start=T0)
    assert store.write_tick(Tick(LONG, T0, 1.0)) is False
    assert store.write_tick(Tick("EURUSD_otc", T0, 1.0)) is True
    assert store.write_candle(Candle(LONG, 60, T0 // 60 * 60, 1, 1, 1, 1, 1)) is False
    assert store.write_tick(Tick("EURUSD_otc", 1e300, 1.0)) is False  # a time no file can name
    store.close()
    assert store.stats.skipped_invalid == 3 and store.stats.ticks_written == 1


def test_a_torn_csv_header_skips_that_file_and_keeps_the_rest(tmp_path: Path):
    series = tmp_path / "data_output" / "assets_data" / "realtime_stream" / "1M_candle_data"
    series.mkdir(parents=True)
    row = "2026-01-01T00:0{}:00Z,1,2,0.5,1.5,3\n"
    (series / "EURUSD_otc_1m_2026-01-01_00-00-00_part001.csv").write_text(
        "timestamp,open,high,low,close,volume\n" + row.format(0) + row.format(1))
    (series / "EURUSD_otc_1m_2026-01-01_00-00-00_part002.csv").write_text("timestamp,op\n" + row.format(2))
    (series / "EURUSD_otc_1m_2026-01-01_00-00-00_part003.csv").write_text(
        "timestamp,open,high,low,close,volume\n" + row.format(3))
    frame = load_candles(series, "EURUSD_otc", "1m")
    assert len(frame) == 3 and frame.attrs["skipped_files"] == 1
    arrays = StoredHistory([series])("EURUSD_otc")
    assert arrays is not None and len(arrays) == 3
    with pytest.raises(ValueError, match="unknown CSV layout"):  # one file asked for by name: still an error
        load_candles(series / "EURUSD_otc_1m_2026-01-01_00-00-00_part002.csv")


def test_cli_replay_reports_what_it_skipped(tmp_path: Path, capsys):
    capture = _capture(tmp_path / "c.jsonl", _session((LONG,)), {4: '{"t":NaN,"socket":"s","dir":"in","opcode":1,"data":"2"}'})
    assert main(["replay", str(capture), "--output", str(tmp_path / "out"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["unreadable_lines"] == 1 and summary["skipped_invalid"] == 12 + summary["candles"] // 2


def test_live_collection_keeps_the_other_ticks_of_a_frame_with_a_300_character_asset(tmp_path: Path):
    from quantumflux.services.capture_hub import CaptureHub
    from quantumflux.services.collector import Collector

    hub = CaptureHub("127.0.0.1", 9)  # never started: frames are handed in where the DevTools capture would
    store = ChunkedCsvStore(tmp_path, session_start=T0)
    clock = [T0]
    collector = Collector(hub, store, clock=lambda: clock[0]).start()
    for frame in _session((LONG,)):
        clock[0] = frame.t
        hub._on_item(frame)
    collector.stop()
    for asset in ("EURUSD_otc", "GBPUSD_otc"):
        assert len(load_ticks(tmp_path, asset)) == 12, asset
    assert store.stats.skipped_invalid >= 12
