"""Reading the .jsonl capture format: lenient, counted, clear about file and line."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from quantumflux.core.protocol.capture import iter_capture, write_capture
from quantumflux.core.protocol.framing import RawFrame

T0 = 1764000000.0


def test_malformed_lines_are_skipped_counted_and_named(caplog, frames_dir):
    caplog.set_level(logging.WARNING, logger="quantumflux.core.protocol.capture")
    reader = iter_capture(frames_dir / "malformed.jsonl")
    frames = list(reader)
    assert len(frames) == 9
    assert all(type(frame) is RawFrame and isinstance(frame.t, float) for frame in frames)
    assert reader.frames == 9 and reader.lines == 14  # the blank line is not counted
    assert dict(reader.malformed) == {"not JSON": 1, "missing field": 2, "bad t": 1, "bad socket or dir": 1}
    assert reader.malformed_lines == 5
    messages = [record.getMessage() for record in caplog.records]
    assert any(message.endswith("malformed.jsonl:9: skipped malformed capture line (not JSON)") for message in messages)
    assert any("malformed.jsonl:11:" in message and "bad t" in message for message in messages)
    assert "5 malformed line(s) skipped" in messages[-1]


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="capture file not found: .*nope.jsonl"):
        iter_capture(tmp_path / "nope.jsonl")


def test_round_trip_and_odd_lines(tmp_path):
    frames = [RawFrame(T0, "a", "in", 1, "2"), RawFrame(T0 + 0.5, "b", "out", 2, "W10=")]
    path = tmp_path / "c.jsonl"
    write_capture(path, frames)
    with path.open("ab") as handle:  # integer t, CRLF, invalid UTF-8, trailing garbage, blank lines
        handle.write(b'{"t": 1764000001, "socket": "a", "dir": "in", "opcode": 1, "data": "3"}\r\n\n')
        handle.write(b'{"t": 1.0, "socket": "a", "dir": "in", "opcode": 1, "data": "\xff\xfe"}\n')
        handle.write(b'{"t": 1.0, "socket": "a", "dir": "in", "opcode": 1, "data": "2"} trailing\n')
        handle.write(b'{"t": 1.0, "socket": "a", "dir": "in", "opcode": 3, "data": "2"}')
    reader = iter_capture(path)
    read = list(reader)
    assert read[:2] == frames
    assert read[2] == RawFrame(T0 + 1, "a", "in", 1, "3") and type(read[2].t) is float
    assert read[3].data == "\ufffd\ufffd"  # read leniently, never stops the file
    assert len(read) == 4 and dict(reader.malformed) == {"not JSON": 1, "bad opcode or data": 1}


def test_decode_command_prints_json_lines_and_summary(frames_dir):
    command = [sys.executable, "-m", "quantumflux", "decode", str(frames_dir / "offset_plus2h.jsonl")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    import json

    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["kind"] for line in lines][:3] == ["ServerOffsetMeasured", "HistoryReceived", "TicksReceived"]
    assert lines[0]["offset"] == 7200.0
    assert lines[-1]["kind"] == "OrderOpened" and lines[-1]["deal"]["direction"] == "put"
    assert "frames 20" in result.stderr and "server time offset: +7200 s" in result.stderr


def test_decode_command_missing_file_exits_1():
    command = [sys.executable, "-m", "quantumflux", "decode", "/nonexistent/capture.jsonl"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "error: capture file not found: /nonexistent/capture.jsonl" in result.stderr
    assert "Traceback" not in result.stderr
