"""Capture replay: a synthetic capture (and the decoder's recorded fixtures) through the live path."""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quantumflux.cli.main import EXIT_NOT_WRITABLE, EXIT_USAGE, main
from quantumflux.core.protocol.capture import iter_capture
from quantumflux.core.protocol.framing import (
    RawFrame,
    encode_binary_event,
    encode_connect,
    encode_event,
    encode_open,
)
from quantumflux.services.replay import CLOSE_GRACE, replay_capture
from quantumflux.storage.loader import list_available, load_candles, load_ticks

FRAMES = Path(__file__).resolve().parents[1] / "fixtures" / "frames"
T0 = 1_767_323_010.0  # 2026-01-02T03:03:30Z: the session starts mid-minute
SOCKET = "ws-1"


def _frames() -> tuple[list[RawFrame], list[tuple[str, float, float]], list[list[float]]]:
    """Frames of a short session, the ticks they carry, and the history candles [t, o, c, h, l]."""
    frames = [RawFrame(T0, SOCKET, "in", 1, encode_open("sid")), RawFrame(T0, SOCKET, "in", 1, encode_connect("x"))]
    history = [[T0 - 1830 + i * 60, *(round(base + i / 1000, 5) for base in (1.1, 1.1005, 1.101, 1.099))]
               for i in range(10)]  # 02:33 … 02:42, ending long before the session: no effect on partiality
    text, data = encode_binary_event("updateHistoryNewFast", {"asset": "EURUSD_otc", "period": 60,
                                                              "history": [], "candles": history[::-1]})
    frames += [RawFrame(T0 + 0.1, SOCKET, "in", 1, text),
               RawFrame(T0 + 0.1, SOCKET, "in", 2, base64.b64encode(data).decode())]
    ticks = []
    for step in range(160):  # 2 s apart: 03:03:30 … 03:08:48
        t = T0 + 0.5 + step * 2
        batch = [("EURUSD_otc", round(t - 0.05, 3), round(1.1 + ((step * 7) % 23) / 10000, 5))]
        if step % 3 == 0:
            batch.append(("#AAPL_otc", round(t - 0.04, 3), round(187 + ((step * 5) % 17) / 100, 2)))
        ticks += batch
        text, data = encode_binary_event("updateStream", [list(tick) for tick in batch])
        frames += [RawFrame(t, SOCKET, "in", 1, text), RawFrame(t, SOCKET, "in", 2, base64.b64encode(data).decode())]
        if step == 40:
            frames.append(RawFrame(t, SOCKET, "in", 1, encode_event("mysteryEvent", {"x": 1})))
            frames.append(RawFrame(t, SOCKET, "in", 1, '42["updateStream",[["EURUSD_otc",'))
    return frames, ticks, history


def _write(path: Path, frames: list[RawFrame]) -> Path:
    path.write_text("".join(frame.to_json() + "\n" for frame in frames))
    return path


def _expected_candles(ticks: list[tuple[str, float, float]], clock: float) -> dict[str, list[tuple]]:
    """Independent aggregation: closed minutes only, minus each asset's first (partial) minute."""
    periods: dict[str, dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
    for asset, t, price in ticks:
        periods[asset][t // 60 * 60].append(price)
    out = {}
    for asset, by_start in periods.items():
        starts = sorted(start for start in by_start if start + 60 <= clock)[1:]
        out[asset] = [(s, p[0], max(p), min(p), p[-1], len(p)) for s in starts for p in [by_start[s]]]
    return out


def test_replay_writes_the_same_candles_as_direct_aggregation(tmp_path: Path) -> None:
    frames, ticks, history = _frames()
    capture = _write(tmp_path / "capture.jsonl", frames)
    summary = replay_capture(capture, tmp_path / "out", "1m")
    expected = _expected_candles(ticks, frames[-1].t - CLOSE_GRACE)
    for asset in ("EURUSD_otc", "#AAPL_otc"):
        frame = load_candles(tmp_path / "out" / "realtime_stream", asset, "1m")
        got = list(zip(frame["time"], frame["open"], frame["high"], frame["low"], frame["close"], frame["volume"],
                       strict=True))
        assert got == expected[asset] and len(got) == 4
        written = load_ticks(tmp_path / "out" / "realtime_stream", asset)
        assert list(zip(written["time"], written["price"], strict=True)) == [(t, p) for a, t, p in ticks if a == asset]
    saved = load_candles(tmp_path / "out" / "data_collect", "EURUSD_otc", "1m")
    assert saved["time"].tolist() == [row[0] for row in history]
    assert saved["close"].tolist() == [row[2] for row in history]  # [t, open, close, high, low] mapped to OHLC
    assert summary.frames == len(frames)
    assert summary.events["TicksReceived"] == 160 and summary.events["HistoryReceived"] == 1
    assert (summary.unknown, summary.malformed) == (1, 1)
    assert summary.assets == {"EURUSD_otc", "#AAPL_otc"}
    assert summary.ticks == len(ticks) and summary.candles == 8 and summary.history_candles == 10
    assert summary.skipped_partial == 2
    assert summary.files_written == len(summary.files) == 5  # 2 candle, 2 tick, 1 history file
    text = "\n".join(summary.lines())
    assert f"frames:        {len(frames)}" in text and "malformed:     1" in text


def test_replaying_twice_writes_nothing_twice(tmp_path: Path) -> None:
    frames, ticks, _ = _frames()
    capture = _write(tmp_path / "capture.jsonl", frames)
    replay_capture(capture, tmp_path / "out")
    again = replay_capture(capture, tmp_path / "out")
    assert again.candles == 0 and again.history_candles == 0 and again.files == []
    for directory, count in (("realtime_stream", len(ticks) + 8), ("data_collect", 10)):
        rows = [line for path in (tmp_path / "out" / directory).rglob("*.csv")
                for line in path.read_text().splitlines()[1:]]
        assert len(rows) == len(set(rows)) == count


def test_cli_replay_json_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frames, ticks, _ = _frames()
    capture = _write(tmp_path / "capture.jsonl", frames)
    assert main(["replay", str(capture), "--output", str(tmp_path / "out"), "--timeframe", "5m", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ticks"] == len(ticks) and result["assets"] == ["#AAPL_otc", "EURUSD_otc"]
    # 03:00-03:05 is partial (dropped) and 03:05-03:10 never closed on the capture's clock
    assert result["candles"] == 0 and result["skipped_partial"] == 2
    assert any(name.startswith("realtime_stream/1M_tick_data/") for name in result["files"])
    assert main(["replay", str(tmp_path / "missing.jsonl")]) == EXIT_USAGE
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    assert main(["replay", str(capture), "--output", str(blocker / "out")]) == EXIT_NOT_WRITABLE
    assert "cannot write CSV data" in capsys.readouterr().err


@pytest.mark.parametrize("capture", sorted(FRAMES.glob("*.jsonl")) if FRAMES.is_dir() else [],
                         ids=lambda path: path.name)
def test_decoder_fixtures_replay_cleanly(capture: Path, tmp_path: Path) -> None:
    summary = replay_capture(capture, tmp_path / "out")
    lines = sum(1 for line in capture.read_text().splitlines() if line.strip())
    assert summary.frames + summary.unreadable_lines == lines
    tick_frame = load_ticks(tmp_path / "out", None) if summary.ticks else None
    if tick_frame is not None:
        assert len(tick_frame) <= summary.ticks and tick_frame.attrs["skipped_rows"] == 0
    times = [frame.t for frame in iter_capture(capture)]
    first, last = min(times), max(times)
    session = datetime.fromtimestamp(int(first), tz=UTC).strftime("%Y-%m-%d_%H-%M-%S")
    for path in (tmp_path / "out").rglob("*.csv"):
        assert path.read_bytes().endswith(b"\n") and f"_{session}_part001" in path.name
    # broker times are true UTC after the decoder's offset correction: nothing lies in the capture's future
    if (tmp_path / "out" / "realtime_stream").is_dir():
        ticks = load_ticks(tmp_path / "out" / "realtime_stream")
        assert ticks.empty or ticks["time"].max() <= last + 5
    for series in list_available(tmp_path / "out" / "data_collect") if (tmp_path / "out" / "data_collect").is_dir() else []:
        assert series.last.timestamp() + 60 <= last
