"""The decoder's hot path gives what its careful paths give: the same events, ticks and counters.

* ``feed`` takes the two frames of nearly all traffic (an incoming placeholder seen before, the binary
  frame of a pending ``updateStream``) on a short path for ``RawFrame``; any other object with the same
  attributes goes the general way. Both must decode a stream identically.
* The repeated-tick rule (fresh.py) is applied inline in the hot loop for its common case; it must keep
  exactly the ticks the rule as first written keeps (``OriginalRule`` below).
* With orjson installed the hot path reads the binary payload with it; every test here runs with it and
  with the stdlib scanner alone, and the general path always reads with json.
"""

from __future__ import annotations

import base64
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantumflux.core.model import Tick
from quantumflux.core.protocol import decoder as decoder_module
from quantumflux.core.protocol import events as ev
from quantumflux.core.protocol.decoder import Decoder
from quantumflux.core.protocol.framing import RawFrame, encode_event
from quantumflux.core.protocol.fresh import FreshTicks

T0 = 1764000000.0
PLACEHOLDER = '451-["updateStream",{"_placeholder":true,"num":0}]'
_ORJSON = decoder_module._loads_bytes


@pytest.fixture(autouse=True, params=["orjson", "stdlib"])
def payload_reader(request, monkeypatch):
    """Run each test with the hot path reading payloads with orjson (when installed) and without it."""
    if request.param == "orjson" and _ORJSON is None:
        pytest.skip("orjson is not installed")
    monkeypatch.setattr(decoder_module, "_loads_bytes", _ORJSON if request.param == "orjson" else None)
    return request.param


class OriginalRule:
    """The repeated-tick rule as first written (one dict of (ms, first price, other prices))."""

    def __init__(self) -> None:
        self.last: dict[str, tuple[int, float, frozenset[float] | None]] = {}
        self.duplicates = 0

    def filter(self, ticks: Sequence[Tick]) -> list[Tick]:
        kept = []
        for tick in ticks:
            asset, t, price = tick
            millis = int(t * 1000.0 + 0.5)
            seen = self.last.get(asset)
            if seen is None or millis > seen[0]:
                self.last[asset] = (millis, price, None)
            elif millis == seen[0] and price != seen[1] and (seen[2] is None or price not in seen[2]):
                self.last[asset] = (millis, seen[1], (seen[2] or frozenset()) | {price})
            else:
                self.duplicates += 1
                continue
            kept.append(tick)
        return kept


@dataclass(frozen=True)
class OtherFrame:
    """A frame that is not a RawFrame (same attributes): always decoded on the general path."""

    t: float
    socket: str
    dir: str
    opcode: int
    data: object


def _tick_batches(rng: random.Random, count: int) -> list[list[Tick]]:
    """Batches of 1–4 ticks with many repeats, same-millisecond prices, late and negative times."""
    assets = ["EURUSD_otc", "BTCUSD_otc", "#AAPL_otc"]
    clock = {asset: T0 for asset in assets}
    seen: list[Tick] = []
    batches = []
    for _ in range(count):
        batch = []
        for _ in range(rng.randint(1, 4)):
            roll = rng.random()
            asset = rng.choice(assets)
            if roll < 0.15 and seen:
                tick = rng.choice(seen[-20:])  # an exact repeat
            elif roll < 0.3:  # the same millisecond (or within it), another or the same price
                tick = Tick(asset, clock[asset] + rng.choice([0.0, 0.0002, -0.0003]), rng.choice([1.0, 1.5, 2.0]))
            elif roll < 0.4:
                tick = Tick(asset, clock[asset] - rng.choice([0.001, 0.5, 2.0]), 1.0)  # late
            elif roll < 0.42:
                tick = Tick(asset, rng.choice([-0.0007, -0.0004, -2.5, 0.0, 0.0004]), 1.0)  # around zero
            else:
                clock[asset] += rng.choice([0.001, 0.0015, 0.002, 0.25, 0.9994])
                tick = Tick(asset, round(clock[asset], rng.choice([3, 4, 6])), round(rng.random(), 5))
            batch.append(tick)
            seen.append(tick)
        batches.append(batch)
    return batches


@pytest.mark.parametrize("seed", range(5))
def test_fresh_ticks_keep_what_the_original_rule_keeps(seed):
    fresh, original = FreshTicks(), OriginalRule()
    for index, batch in enumerate(_tick_batches(random.Random(seed), 3000)):
        if index % 700 == 699:
            fresh.reset()
            original.last.clear()
        assert list(fresh.filter(batch)) == original.filter(batch)
    assert fresh.duplicates == original.duplicates > 100


def _stream_frames(batches: list[list[Tick]], rng: random.Random) -> list[RawFrame]:
    """The batches as updateStream frames: mostly two-frame, some single-frame, some rows that need care."""
    frames = []
    for index, batch in enumerate(batches):
        rows: list[list[object]] = [[tick.asset, tick.time, tick.price] for tick in batch]
        roll = rng.random()
        if roll < 0.03:
            rows.append(["EURUSD_otc", int(T0) + index, 1.0])  # an integer time: the careful path
        elif roll < 0.05:
            rows.insert(0, ["EURUSD_otc", T0 + index, math.inf])  # a bad row: counted, the rest kept
        elif roll < 0.06:
            rows = [[tick.asset, tick.time * 1000.0, tick.price] for tick in batch]  # milliseconds
        t = T0 + index * 0.02
        if rng.random() < 0.85:
            frames.append(RawFrame(t, "tab-1", "in", 1, PLACEHOLDER))
            frames.append(RawFrame(t, "tab-1", "in", 2, base64.b64encode(json.dumps(rows).encode()).decode()))
        else:
            frames.append(RawFrame(t, "tab-1", "in", 1, encode_event("updateStream", rows)))
        extra = rng.random()
        if extra < 0.02:
            frames.append(RawFrame(t, "tab-1", "in", 2, "not base64!"))  # binary without a placeholder
        elif extra < 0.04:
            frames.append(RawFrame(t, "tab-1", "in", 1, PLACEHOLDER))  # a placeholder without its binary …
        elif extra < 0.05:
            frames.append(RawFrame(t, "tab-1", "out", 1, encode_event("ps")))
        elif extra < 0.06:
            frames.append(RawFrame(t, "tab-1", "in", 1, "2"))
    return frames


def _decode(frames: Sequence[object], correct_offset: bool) -> tuple[list[ev.Event], Decoder]:
    decoder = Decoder(correct_offset=correct_offset)
    events = [event for frame in frames for event in decoder.feed(frame)]  # type: ignore[arg-type]
    return events + decoder.flush(), decoder


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("correct_offset", [False, True])
def test_raw_frames_decode_as_the_general_path_decodes_them(seed, correct_offset):
    rng = random.Random(seed)
    frames = _stream_frames(_tick_batches(rng, 1500), rng)
    fast, fast_decoder = _decode(frames, correct_offset)
    general, general_decoder = _decode([OtherFrame(*frame) for frame in frames], correct_offset)
    assert fast == general
    assert fast_decoder.stats == general_decoder.stats
    stats = fast_decoder.stats
    assert stats.duplicates > 100 and stats.malformed["updateStream: bad tick row"] > 10
    assert stats.events["TicksReceived"] > 1000
    ticks = [tick for event in fast if isinstance(event, ev.TicksReceived) for tick in event.ticks]
    assert all(math.isfinite(tick.time) and math.isfinite(tick.price) for tick in ticks)


@pytest.mark.parametrize("row", [
    ["EURUSD_otc", T0 + 1.0, math.inf], ["EURUSD_otc", T0 + 1.0, -math.inf], ["EURUSD_otc", T0 + 1.0, math.nan],
    ["EURUSD_otc", math.nan, 1.0], ["EURUSD_otc", True, 1.0], ["EURUSD_otc", T0 + 1.0, False], [5, T0 + 1.0, 1.0],
    ["EURUSD_otc", -1.0, 1.0], ["EURUSD_otc", 1e300, 1.0], ["EURUSD_otc", T0 + 1.0], "abc", None,
])
def test_a_bad_row_on_the_hot_path_is_counted_and_the_others_kept(row):
    decoder = Decoder(correct_offset=False)  # no offset to measure: every frame takes the hot path
    good = ["BTCUSD_otc", T0 + 1.5, 60000.5]
    payload = base64.b64encode(json.dumps([good, row]).encode()).decode()
    decoder.feed(RawFrame(T0, "s", "in", 1, PLACEHOLDER))
    (event,) = decoder.feed(RawFrame(T0, "s", "in", 2, payload))
    assert event.ticks == (Tick(*good),)
    assert decoder.stats.malformed == {"updateStream: bad tick row": 1}


@pytest.mark.parametrize("seed", range(4))
def test_decoded_ticks_are_the_ticks_the_original_rule_keeps(seed):
    rng = random.Random(seed)
    batches = _tick_batches(rng, 2000)
    frames = []
    for index, batch in enumerate(batches):
        rows = [[tick.asset, tick.time, tick.price] for tick in batch]
        frames.append(RawFrame(T0 + index, "s", "in", 1, PLACEHOLDER))
        frames.append(RawFrame(T0 + index, "s", "in", 2, base64.b64encode(json.dumps(rows).encode()).decode()))
    events, decoder = _decode(frames, correct_offset=False)
    original = OriginalRule()
    # Rows with a time the careful path reads differently (not positive) are malformed there; the rest is
    # exactly what the original rule keeps, frame by frame.
    expected = [tick for batch in batches
                for tick in original.filter([tick for tick in batch if tick.time > 0.0])]
    decoded = [tick for event in events if isinstance(event, ev.TicksReceived) for tick in event.ticks]
    assert decoded == expected
    assert all(type(tick) is Tick for tick in decoded)
    assert decoder.stats.duplicates == original.duplicates > 100


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([T0, 0.0, -0.01]),
       st.lists(st.lists(st.tuples(st.sampled_from(["A", "B"]), st.integers(-30, 40), st.sampled_from([1.0, 2.0])),
                         min_size=1, max_size=4), max_size=30))
def test_any_millisecond_pattern_keeps_what_the_original_rule_keeps(base, batches):
    """Times on a 0.4 ms grid (several per millisecond, either side of each rounding edge), also around
    and below zero, where int() rounds towards zero."""
    fresh, original = FreshTicks(), OriginalRule()
    for batch in batches:
        ticks = [Tick(asset, base + step * 0.0004, price) for asset, step, price in batch]
        assert list(fresh.filter(ticks)) == original.filter(ticks)
    assert fresh.duplicates == original.duplicates


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B"]), st.floats(-5.0, 5.0), st.sampled_from([1.0, 2.0])),
                max_size=40), st.integers(1, 4))
def test_any_times_keep_what_the_original_rule_keeps(rows, size):
    fresh, original = FreshTicks(), OriginalRule()
    ticks = [Tick(asset, t, price) for asset, t, price in rows]
    for start in range(0, len(ticks), size):
        batch = ticks[start:start + size]
        assert list(fresh.filter(batch)) == original.filter(batch)
    assert fresh.duplicates == original.duplicates


@pytest.mark.parametrize("rows", [
    '[["EURUSD_otc",1764000001.5,18446744073709551616]]',  # an integer beyond 64 bits: a float in orjson
    '[["EURUSD_otc",1764000001.5,9223372036854775808.0]]',  # a float price beyond the orjson limit
    '[["EURUSD_otc",1764000001.5,-1e19],["BTCUSD_otc",1764000001.5,2.5]]',
    '[["EURUSD_otc",1764000001.5,NaN]]', '[["EURUSD_otc",1764000001.5,Infinity]]',  # json reads these
    '[["EURUSD_otc",1764000001.5,1e400]]',  # inf in json, an error in orjson
    '[["EUR\\ud800",1764000001.5,1.5]]',  # a lone surrogate: json reads it, orjson does not
    ' [["EURUSD_otc",1764000001.5,1.5]]\n', '\ufeff[["EURUSD_otc",1764000001.5,1.5]]',  # whitespace, a BOM
    '[["EURUSD_otc",1764000001.5,1.5]] x', '[["EURUSD_otc",1764000001,1]]', '{"a":1}', '[]', '[[]]',
    "[" * 1200 + "]" * 1200,  # deeper than orjson reads
])
def test_payloads_json_and_orjson_read_differently_decode_as_before(rows):
    frames = []
    for index in range(24):  # past the offset's early samples: the hot path
        payload = rows if index % 3 == 2 else json.dumps([["EURUSD_otc", T0 + index, 1.0 + index]])
        frames.append(RawFrame(T0 + index, "s", "in", 1, PLACEHOLDER))
        frames.append(RawFrame(T0 + index, "s", "in", 2, base64.b64encode(payload.encode()).decode()))
    fast, fast_decoder = _decode(frames, correct_offset=True)
    general, general_decoder = _decode([OtherFrame(*frame) for frame in frames], correct_offset=True)
    assert fast == general
    assert fast_decoder.stats == general_decoder.stats


def test_the_offset_is_sampled_on_the_same_frames_whichever_reads_the_payload():
    """A payload only json reads exactly (a price beyond 64 bits) takes the careful path, which takes no
    offset sample: the orjson route must not take one either, or a clock change is seen a frame later."""
    frames = []
    for index in range(600):
        t = T0 + index * 0.25
        broker = t + (7200.0 if index >= 40 else 0.0)  # the broker clock moves 2 h ahead and stays there
        price = "18446744073709551616" if index % 7 == 3 else f"{1.0 + index / 1000:.5f}"
        payload = f'[["EURUSD_otc",{broker:.3f},{price}]]'
        frames.append(RawFrame(t, "s", "in", 1, PLACEHOLDER))
        frames.append(RawFrame(t, "s", "in", 2, base64.b64encode(payload.encode()).decode()))
    fast, fast_decoder = _decode(frames, correct_offset=True)
    general, general_decoder = _decode([OtherFrame(*frame) for frame in frames], correct_offset=True)
    changes = [event for event in fast if isinstance(event, ev.ServerOffsetMeasured)]
    assert [event.offset for event in changes] == [7200.0]
    assert fast == general
    assert fast_decoder.stats == general_decoder.stats


@pytest.mark.parametrize("times, prices, kept", [
    ([-0.0012, 0.0004], [1.0, 1.0], [True, False]),  # both in millisecond 0 (int() rounds towards zero)
    ([-0.0012, 0.0004], [1.0, 2.0], [True, True]),  # the same millisecond, another price
    ([-0.0026, -0.0012, 0.0004], [1.0, 1.0, 1.0], [True, True, False]),  # -2, then 0 twice
    ([0.0004, -0.0012], [1.0, 1.0], [True, False]),
    ([-3.0, -2.0004, -2.0001], [1.0, 1.0, 1.0], [True, True, False]),  # -2999, -1999, -1999
])
def test_ticks_around_and_below_zero(times, prices, kept):
    ticks = [Tick("A", t, price) for t, price in zip(times, prices, strict=True)]
    for size in (1, len(ticks)):
        fresh, original = FreshTicks(), OriginalRule()
        out = [tick for start in range(0, len(ticks), size) for tick in fresh.filter(ticks[start:start + size])]
        assert out == [tick for tick, keep in zip(ticks, kept, strict=True) if keep]
        assert out == original.filter(ticks)
