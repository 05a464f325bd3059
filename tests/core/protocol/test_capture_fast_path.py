"""The capture reader's fast paths read every line exactly as parsing it whole as JSON would.

The reader takes lines in the layout ``RawFrame.to_json`` writes with regex matches and the JSON string
scanner, and remembers the rest (all after ``t``) of repeated text lines. The reference here parses every
line whole with the JSON scanner and checks the fields as the format says (docs/protocol.md): frames,
their field types, the malformed counts and the line numbers logged must all be the same.
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from quantumflux.core.protocol.capture import LOGGED_LINES, MAX_FRAME_TIME, iter_capture
from quantumflux.core.protocol.framing import RawFrame

T0 = 1764000000.0
PLACEHOLDER = '451-["updateStream",{"_placeholder":true,"num":0}]'
_scan = json.JSONDecoder().scan_once


def reference(path: Path) -> tuple[list[RawFrame], Counter[str], list[int]]:
    """Frames, malformed reasons and malformed line numbers, parsing each line whole."""
    frames: list[RawFrame] = []
    malformed: Counter[str] = Counter()
    numbers: list[int] = []
    with path.open(encoding="utf-8", errors="replace", newline="\n") as handle:
        for number, line in enumerate(handle, 1):
            try:
                obj, end = _scan(line, 0)
                if end + 1 != len(line) and line[end:].strip():
                    raise ValueError("extra data")
                fields = obj["t"], obj["socket"], obj["dir"], obj["opcode"], obj["data"]
            except (ValueError, StopIteration):
                if line.strip():
                    malformed["not JSON"] += 1
                    numbers.append(number)
                continue
            except (KeyError, TypeError):
                malformed["missing field"] += 1
                numbers.append(number)
                continue
            t, socket, direction, opcode, data = fields
            if isinstance(t, bool) or not isinstance(t, int | float) or not 0 <= t < MAX_FRAME_TIME:
                reason = "bad t"
            elif not isinstance(socket, str) or direction not in ("in", "out"):
                reason = "bad socket or dir"
            elif isinstance(opcode, bool) or opcode not in (1, 2) or not isinstance(data, str):
                reason = "bad opcode or data"
            else:
                frames.append(RawFrame(float(t), socket, direction, int(opcode), data))
                continue
            malformed[reason] += 1
            numbers.append(number)
    return frames, malformed, numbers


def read(path: Path, caplog: pytest.LogCaptureFixture) -> tuple[list[RawFrame], Counter[str], list[int], int]:
    caplog.clear()
    reader = iter_capture(path)
    frames = []
    for frame in reader:
        assert reader.frames == len(frames) + 1  # counts are up to date while iterating
        frames.append(frame)
    numbers = [int(match.group(1)) for record in caplog.records
               if (match := re.search(r":(\d+): skipped malformed capture line", record.getMessage()))]
    assert reader.lines == reader.frames + reader.malformed_lines
    return frames, reader.malformed, numbers, reader.lines


def exact(frames: list[RawFrame]) -> list[str]:
    """Frames compared with their field types (1.0 vs 1, -0.0 vs 0.0)."""
    return [repr(tuple((type(value).__name__, value) for value in frame)) for frame in frames]


def assert_same_as_reference(path: Path, caplog: pytest.LogCaptureFixture) -> list[RawFrame]:
    caplog.set_level(logging.WARNING, logger="quantumflux.core.protocol.capture")
    frames, malformed, numbers, lines = read(path, caplog)
    expected, expected_malformed, expected_numbers = reference(path)
    assert exact(frames) == exact(expected)
    assert malformed == expected_malformed
    assert numbers == expected_numbers[:LOGGED_LINES]
    assert lines == len(expected) + sum(expected_malformed.values())
    return frames


def _line(t: float, socket: str, direction: str, opcode: int, data: str) -> str:
    return RawFrame(t, socket, direction, opcode, data).to_json() + "\n"


def _random_lines(rng: random.Random, count: int) -> list[str]:
    sockets = ["12345.67", "2.1", 'we"ird', "back\\slash", "ünï", "ctl\x01", ""]
    texts = [PLACEHOLDER, "2", "3", '42["ps"]', '451-["successupdateBalance",{"_placeholder":true,"num":0}]',
             'tab\there', "é\u2028", '"quoted"', "\\", "\x00"]
    times = [T0, 0.0, 0.5, 1e-05, 7258118399.9, 7258118400.0, 1.5e9, 123.0]
    lines = []
    for _ in range(count):
        roll = rng.random()
        t = round(T0 + rng.random() * 1000, rng.choice([0, 3, 4])) if rng.random() < 0.8 else rng.choice(times)
        if roll < 0.45:  # the placeholder of one socket: the same rest line after line
            lines.append(_line(t, "12345.67", "in", 1, PLACEHOLDER))
        elif roll < 0.8:
            payload = json.dumps([["EURUSD_otc", round(T0 + rng.random(), 3), round(rng.random(), 5)]])
            data = __import__("base64").b64encode(payload.encode()).decode()
            lines.append(_line(t, rng.choice(sockets[:2]), rng.choice(["in", "out"]), 2, data))
        else:
            lines.append(_line(t, rng.choice(sockets), rng.choice(["in", "out"]), rng.choice([1, 2]),
                               rng.choice(texts)))
    return lines


_PALETTE = ['"', "\\", ",", " ", "\x01", "0", ".", "e", "-", "+", "_", "}", "{", "é", ":", "1", "x", "\t", "٣"]


def _mutate(rng: random.Random, line: str) -> str:
    body, newline = (line[:-1], "\n") if line.endswith("\n") else (line, "")
    position = rng.randrange(len(body) + 1)
    action = rng.random()
    if action < 0.4:
        body = body[:position] + rng.choice(_PALETTE) + body[position:]
    elif action < 0.7 and body:
        body = body[:position] + body[position + 1:]
    elif body:
        body = body[:position] + rng.choice(_PALETTE) + body[position + 1:]
    return body + newline


@pytest.mark.parametrize("seed", range(6))
def test_random_and_mutated_lines_read_as_whole_json_parsing_reads_them(tmp_path, caplog, seed):
    rng = random.Random(seed)
    lines = _random_lines(rng, 1500)
    for index in rng.sample(range(len(lines)), 300):
        lines[index] = _mutate(rng, lines[index])
    path = tmp_path / "capture.jsonl"
    path.write_text("".join(lines), encoding="utf-8", newline="")
    frames = assert_same_as_reference(path, caplog)
    assert len(frames) > 1000


def test_odd_lines_between_repeated_placeholders(tmp_path, caplog):
    rest = ',"socket":"s1","dir":"in","opcode":1,"data":' + json.dumps(PLACEHOLDER) + "}"
    lines = [
        '{"t":1764000000.5' + rest + "\n",
        '{"t":1764000001.5' + rest + "\n",  # the same rest: read from what the line before taught
        '{"t":01.5' + rest + "\n",  # not JSON (a leading zero), though the rest is known
        '{"t":-1.5' + rest + "\n",  # bad t
        '{"t":1764000002' + rest + "\n",  # an integer t: read as a float
        '{"t":1.7e9' + rest + "\n",  # an exponent
        '{"t":1e400' + rest + "\n",  # inf: bad t
        '{"t":7258118400.0' + rest + "\n",  # the year 2200: bad t
        '{"t": 1764000003.5' + rest + "\n",  # whitespace is JSON, not the writer's layout
        '{"t":1764000004.5' + rest.replace("s1", "s2") + "\n",  # another rest
        '{"t":1764000005.5' + rest + "\r\n",  # CRLF
        "\n",
        "   \n",
        '{"t":1764000006.5' + rest + " trailing\n",
        '{"t":1764000007.5,"t":1764000009.5' + rest + "\n",  # a repeated key: the last wins
        '{"socket":"s1","t":1764000008.5,"dir":"in","opcode":1,"data":"2"}\n',  # another key order
        '{"t":1764000010.5' + rest + "x",  # no newline at the end, and a stray character
    ]
    path = tmp_path / "odd.jsonl"
    path.write_text("".join(lines), encoding="utf-8", newline="")
    frames = assert_same_as_reference(path, caplog)
    assert [frame.t for frame in frames][:3] == [1764000000.5, 1764000001.5, 1764000002.0]


def test_the_last_line_without_a_newline_is_read(tmp_path, caplog):
    path = tmp_path / "last.jsonl"
    path.write_text(_line(T0, "s", "in", 1, "2") + _line(T0 + 1, "s", "in", 2, "W10=").rstrip("\n"),
                    encoding="utf-8")
    assert len(assert_same_as_reference(path, caplog)) == 2
