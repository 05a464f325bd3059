"""The decoder never raises; malformed and unknown input is counted and logged at most once a minute."""

from __future__ import annotations

import base64
import json
import logging

from hypothesis import given, settings
from hypothesis import strategies as st

from quantumflux.core.model import Tick
from quantumflux.core.protocol import events as ev
from quantumflux.core.protocol.decoder import Decoder
from quantumflux.core.protocol.framing import RawFrame, encode_event

T0 = 1764000000.0


def only(events: list, kind: type) -> list:
    return [event for event in events if isinstance(event, kind)]
EVENT_NAMES = ["updateStream", "updateHistoryNewFast", "loadHistoryPeriod", "updateAssets", "successupdateBalance",
               "successopenOrder", "failopenOrder", "updateOpenedDeals", "updateClosedDeals", "successcloseOrder",
               "updateCharts", "auth", "changeSymbol", "openOrder", "NotAuthorized", "brandNew"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=25,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


frame_texts = st.tuples(
    st.sampled_from(["", "42", "451-", "452-", "0", "40", "41", "43", "44", "2", "3", "4", "9",
                     '42["updateStream",', '42["updateStream",[["A",1764000000.5,']), st.text(max_size=80)
).map("".join)
payload_bytes = st.one_of(st.binary(max_size=120), json_values.map(lambda value: json.dumps(value).encode()))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["in", "out", "x"]), st.integers(0, 3), frame_texts), max_size=20))
def test_random_text_never_raises(frames):
    decoder = Decoder()
    for direction, opcode, data in frames:
        assert isinstance(decoder.feed(RawFrame(T0, "s", direction, opcode, data)), list)
    assert decoder.stats.frames == len(frames)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), payload_bytes), max_size=6))
def test_random_bytes_as_binary_frames_never_raise(frames):
    decoder = Decoder()
    for with_placeholder, payload in frames:
        if with_placeholder:
            decoder.feed(RawFrame(T0, "s", "in", 1, '451-["updateStream",{"_placeholder":true,"num":0}]'))
        decoder.feed(RawFrame(T0, "s", "in", 2, base64.b64encode(payload).decode()))
    decoder.flush()


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(EVENT_NAMES), json_values, st.booleans(), st.sampled_from(["in", "out"]))
def test_random_payloads_of_known_events_never_raise(name, payload, two_frame, direction):
    decoder = Decoder()
    if two_frame:
        decoder.feed(RawFrame(T0, "s", direction, 1, "451-" + json.dumps([name, {"_placeholder": True, "num": 0}])))
        data = base64.b64encode(json.dumps(payload).encode()).decode()
        out = decoder.feed(RawFrame(T0, "s", direction, 2, data))
    else:
        out = decoder.feed(RawFrame(T0, "s", direction, 1, encode_event(name, payload)))
    out += decoder.flush()
    for event in out:  # whatever comes out is well-formed
        assert isinstance(event, tuple(ev.EVENT_KINDS.values()))
        for tick in getattr(event, "ticks", ()):
            assert type(tick) is Tick and isinstance(tick.asset, str)
            assert tick.price == tick.price and abs(tick.price) != float("inf")


def test_frames_that_are_not_raw_frames_are_counted():
    decoder = Decoder()
    assert decoder.feed(None) == []  # type: ignore[arg-type]
    assert decoder.feed(RawFrame("soon", "s", "in", 1, "2")) == []  # type: ignore[arg-type]
    assert decoder.stats.frames == 2


def test_malformed_fixture_is_counted_and_the_stream_goes_on(decode):
    events, decoder = decode("malformed.jsonl")
    assert [tick for event in only(events, ev.TicksReceived) for tick in event.ticks] == [
        Tick("EURUSD_otc", T0 - 0.2, 1.1), Tick("EURUSD_otc", T0 + 5.8, 1.2), Tick("EURUSD_otc", T0 + 8.8, 1.25)]
    stats = decoder.stats
    assert stats.unknown == {"brandNewEvent": 1}
    assert stats.malformed == {
        "bad JSON": 1, "binary payload is not base64 JSON": 1, "unknown engine.io packet type": 1,
        "successupdateBalance: balance payload is not an object": 1, "updateStream: bad tick row": 2,
    }
    assert stats.as_dict()["malformed"]["updateStream: bad tick row"] == 2


def test_non_finite_and_millisecond_ticks():
    decoder = Decoder(correct_offset=False)
    text = '42["updateStream",[["A",1764000000123,1.5],["B",1764000000.5,NaN],["C",1764000000.5,Infinity]]]'
    (event,) = decoder.feed(RawFrame(T0, "s", "in", 1, text))
    assert event.ticks == (Tick("A", T0 + 0.123, 1.5),)
    assert decoder.stats.malformed == {"updateStream: bad tick row": 2}


def test_unknown_events_are_counted_and_logged_once_per_minute(caplog):
    clock = FakeClock()
    decoder = Decoder(logger=logging.getLogger("test.decoder"), clock=clock)
    caplog.set_level(logging.WARNING, logger="test.decoder")
    for index in range(50):
        decoder.feed(RawFrame(T0 + index, "s", "in", 1, encode_event("brandNew", {"i": index})))
        decoder.feed(RawFrame(T0 + index, "s", "in", 1, encode_event("otherNew")))
        decoder.feed(RawFrame(T0 + index, "s", "in", 1, "42[broken"))
        clock.now += 1.0  # 50 seconds in all
    assert decoder.stats.unknown == {"brandNew": 50, "otherNew": 50}
    assert decoder.stats.malformed == {"bad JSON": 50}
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 3
    assert sum("brandNew" in message for message in messages) == 1
    clock.now += 11.0  # a minute after the first log line
    decoder.feed(RawFrame(T0, "s", "in", 1, encode_event("brandNew")))
    assert len(caplog.records) == 4 and "51 so far" in caplog.records[-1].getMessage()


def test_ignored_events_are_counted_silently(caplog):
    decoder = Decoder()
    caplog.set_level(logging.DEBUG)
    for name in ("changeMarketSentiment", "updatePriceAlerts", "updateTime", "chat_room_list_update"):
        assert decoder.feed(RawFrame(T0, "s", "in", 1, encode_event(name, {"x": 1}))) == []
    decoder.feed(RawFrame(T0, "s", "out", 1, encode_event("ps")))
    decoder.feed(RawFrame(T0, "s", "out", 1, encode_event("subscribeSymbol", "EURUSD_otc")))
    assert sum(decoder.stats.ignored.values()) == 6 and decoder.stats.unknown == {}
    assert caplog.records == []


def test_unknown_names_are_bounded():
    decoder = Decoder()
    for index in range(700):
        decoder.feed(RawFrame(T0, "s", "in", 1, encode_event(f"event{index}" + "x" * 100)))
    unknown = decoder.stats.unknown
    assert len(unknown) <= 501 and sum(unknown.values()) == 700
    assert all(len(name) <= 60 for name in unknown)
