"""The ``auth`` session value never reaches an event, a counter, a log line or a written capture."""

from __future__ import annotations

import base64
import json
import logging

from hypothesis import given, settings
from hypothesis import strategies as st

from quantumflux.core.protocol import events as ev
from quantumflux.core.protocol.capture import (
    REDACTED,
    CaptureWriter,
    iter_capture,
    redact_frame,
    write_capture,
)
from quantumflux.core.protocol.decoder import Decoder
from quantumflux.core.protocol.framing import RawFrame, encode_binary_event, encode_event

SECRET = "SECRET-SESSION-a1b2c3d4e5"
T0 = 1764000000.0


def test_fixtures_do_hold_the_secret(frames_dir):  # otherwise the tests below prove nothing
    text = (frames_dir / "every_event_single.jsonl").read_text()
    assert SECRET in text
    binary = [json.loads(line) for line in (frames_dir / "every_event_two_frame.jsonl").read_text().splitlines()]
    assert any(frame["opcode"] == 2 and SECRET.encode() in base64.b64decode(frame["data"]) for frame in binary)


def test_decoder_output_stats_and_logs_never_hold_the_session(caplog, decode):
    caplog.set_level(logging.DEBUG)
    for name in ("every_event_single.jsonl", "every_event_two_frame.jsonl"):
        events, decoder = decode(name)
        assert any(isinstance(event, ev.LoginAttempted) for event in events)
        dumped = json.dumps([ev.event_to_dict(event) for event in events]) + repr(events)
        assert SECRET not in dumped
        assert SECRET not in json.dumps(decoder.stats.as_dict())
        assert SECRET not in repr(vars(decoder))
    assert caplog.records, "the fixtures produce log lines (bad asset row)"
    assert all(SECRET not in record.getMessage() for record in caplog.records)


def test_malformed_auth_frames_do_not_leak_into_logs_or_counters(caplog):
    caplog.set_level(logging.DEBUG)
    decoder = Decoder()
    broken = [
        '42["auth",{"session":"' + SECRET + '","isDemo":1',  # truncated JSON
        '42["auth","' + SECRET + '"]',  # payload not an object
        '451-["auth",{"_placeholder":true,"num":0}]',
    ]
    for text in broken:
        assert decoder.feed(RawFrame(T0, "s", "out", 1, text)) == []
    truncated = base64.b64encode(b'{"session":"' + SECRET.encode()).decode()
    assert decoder.feed(RawFrame(T0, "s", "out", 2, truncated)) == []
    stats = json.dumps(decoder.stats.as_dict())
    assert decoder.stats.malformed == {
        "bad JSON": 1, "auth: auth payload is not an object": 1, "binary payload is not base64 JSON": 1}
    assert SECRET not in stats
    assert len(caplog.records) == 3
    assert all(SECRET not in record.getMessage() for record in caplog.records)
    assert SECRET not in repr(vars(decoder))


def test_writer_redacts_single_and_two_frame_auth(tmp_path):
    text_auth = RawFrame(T0, "s", "out", 1, encode_event("auth", {"session": SECRET, "isDemo": 1, "uid": 7}))
    placeholder, payload = encode_binary_event("auth", {"session": SECRET, "isDemo": 0, "uid": 8})
    frames = [
        text_auth,
        RawFrame(T0, "s", "out", 1, placeholder),
        RawFrame(T0, "s", "out", 2, base64.b64encode(payload).decode()),
        RawFrame(T0, "s", "out", 1, '42["auth",{"session":"a\\"b' + SECRET + '","isDemo":1}]'),  # escaped quote
        RawFrame(T0, "s", "in", 1, encode_event("updateStream", [["EURUSD_otc", T0, 1.1]])),
    ]
    path = tmp_path / "capture.jsonl"
    assert write_capture(path, frames) == 5
    written = path.read_text()
    assert SECRET not in written and "a\\\\\\\"b" not in written
    read_back = list(iter_capture(path))
    assert SECRET.encode() not in base64.b64decode(read_back[2].data)
    assert REDACTED in read_back[0].data and REDACTED.encode() in base64.b64decode(read_back[2].data)
    # what the terminal needs survives redaction
    decoder = Decoder()
    logins = [event for frame in read_back for event in decoder.feed(frame) if isinstance(event, ev.LoginAttempted)]
    assert [(login.is_demo, login.uid) for login in logins] == [(True, 7), (False, 8), (True, None)]
    assert read_back[4] == frames[4]


def test_redaction_of_shapes_it_cannot_edit_drops_the_value():
    frame = RawFrame(T0, "s", "out", 1, '42["auth",{"session":{"token":"' + SECRET + '"}}]')
    assert SECRET not in redact_frame(frame).data
    binary = RawFrame(T0, "s", "out", 2, base64.b64encode(b'{"session":12345678901234}').decode())
    assert b"12345678901234" not in base64.b64decode(redact_frame(binary).data)
    plain = RawFrame(T0, "s", "in", 1, "2")
    assert redact_frame(plain) is plain


def test_capture_writer_appends_and_flushes(tmp_path):
    path = tmp_path / "sub" / "live.jsonl"
    with CaptureWriter(path) as writer:
        writer.write(RawFrame(T0, "s", "in", 1, "2"))
        assert path.read_text().count("\n") == 1  # flushed per frame
    with CaptureWriter(path) as writer:
        writer.write(RawFrame(T0 + 1, "s", "in", 1, "3"))
    assert [frame.data for frame in iter_capture(path)] == ["2", "3"]


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=40), st.booleans(), st.booleans())
def test_any_session_string_is_redacted(session, ascii_only, two_frame):
    payload = {"session": session, "isDemo": 1, "uid": 5, "platform": 2}
    if two_frame:
        binary = json.dumps(payload, ensure_ascii=ascii_only).encode()
        frame = redact_frame(RawFrame(T0, "s", "out", 2, base64.b64encode(binary).decode()))
        decoded = json.loads(base64.b64decode(frame.data))
    else:
        text = "42" + json.dumps(["auth", payload], ensure_ascii=ascii_only)
        decoded = json.loads(redact_frame(RawFrame(T0, "s", "out", 1, text)).data[2:])[1]
    assert decoded["session"] == REDACTED
    assert (decoded["isDemo"], decoded["uid"]) == (1, 5)


# Real-looking auth frames: the PHP-serialised real-account session, the bare string form, ssid, any key case.
_PHP = ('a:4:{s:10:\\"session_id\\";s:32:\\"' + SECRET + '\\";s:10:\\"ip_address\\";s:13:\\"93.184.216.34\\";'
        's:10:\\"user_agent\\";s:70:\\"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari\\";'
        's:13:\\"last_activity\\";i:1764000000;}9f1c2d3e4b5a69788796a5b4c3d2e1f0')
REAL_LOOKING_AUTH = [
    '42["auth",{"session":"' + _PHP + '","isDemo":0,"uid":84123456,"platform":2,"isFastHistory":true,'
    '"isOptimized":true}]',
    '42["auth","' + SECRET + '"]',
    '42[ "auth" , "' + SECRET + '" ]',
    '42["auth",{"ssid":"' + SECRET + '","isDemo":1,"uid":7}]',
    '42["auth",{"SSID":"' + SECRET + '","isDemo":1,"uid":7}]',
    '42["auth",{"Session":"' + SECRET + '","isDemo":1,"uid":7}]',
    '42["Auth",{"sessionToken":1,"SESSION" : "' + SECRET + '"}]',
    '42["auth",12345678901234]',
]


def test_real_looking_auth_frames_never_reach_a_capture_file(tmp_path):
    path = tmp_path / "capture.jsonl"
    tick = RawFrame(T0, "s", "in", 1, encode_event("updateStream", [["EURUSD_otc", T0, 1.1]]))
    frames = [RawFrame(T0, "s", "out", 1, text) for text in REAL_LOOKING_AUTH] + [tick]
    write_capture(path, frames)
    written = path.read_text()
    assert SECRET not in written and "9f1c2d3e4b5a6978" not in written and "93.184.216.34" not in written
    assert "12345678901234" not in written
    read_back = list(iter_capture(path))
    assert read_back[-1] == tick  # other frames are written as they came
    assert json.loads(read_back[0].data[2:])[1]["uid"] == 84123456  # the rest of the auth object survives


def test_two_frame_auth_in_string_form_or_with_ssid_is_redacted(tmp_path):
    placeholder = '451-["auth",{"_placeholder":true,"num":0}]'
    frames = [
        RawFrame(T0, "s", "out", 1, placeholder),
        RawFrame(T0, "s", "out", 2, base64.b64encode(json.dumps(SECRET).encode()).decode()),
        RawFrame(T0, "s", "out", 1, placeholder),
        RawFrame(T0, "s", "out", 2, base64.b64encode(b'{"SSID":"' + SECRET.encode() + b'","isDemo":1}').decode()),
        RawFrame(T0, "s", "in", 1, '451-["updateStream",{"_placeholder":true,"num":0}]'),
        RawFrame(T0, "s", "in", 2, base64.b64encode(b'[["EURUSD_otc",1764000000.5,1.1]]').decode()),
    ]
    path = tmp_path / "capture.jsonl"
    write_capture(path, frames)
    read_back = list(iter_capture(path))
    decoded = [base64.b64decode(frame.data) for frame in read_back if frame.opcode == 2]
    assert all(SECRET.encode() not in data for data in decoded)
    assert json.loads(decoded[1])["isDemo"] == 1
    assert read_back[5] == frames[5]  # a tick attachment is not touched
