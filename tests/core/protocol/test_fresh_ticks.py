"""Repeated ticks are dropped once, in the decoder: two tabs on one broker give the ticks of one tab."""

from __future__ import annotations

import base64
import json
import random

from quantumflux.core.model import Tick
from quantumflux.core.protocol import events as ev
from quantumflux.core.protocol.decoder import Decoder
from quantumflux.core.protocol.framing import RawFrame, encode_event
from quantumflux.core.protocol.fresh import FreshTicks

T0 = 1764000000.0


def test_rule_newest_millisecond_and_exact_repeats():
    fresh = FreshTicks()
    ticks = [Tick("A", T0 + 1.0, 1.0), Tick("B", T0 + 0.5, 9.0), Tick("A", T0 + 1.0, 1.0),  # exact repeat
             Tick("A", T0 + 1.0, 1.1),  # same ms, another price: a real tick
             Tick("A", T0 + 1.0004, 1.1),  # same millisecond, same price: a repeat
             Tick("A", T0 + 0.9, 1.2),  # older than A's newest: late/repeated
             Tick("B", T0 + 0.5, 9.5), Tick("A", T0 + 1.001, 1.0)]
    kept = fresh.filter(ticks)
    assert kept == [ticks[0], ticks[1], ticks[3], ticks[6], ticks[7]]
    assert fresh.duplicates == 3
    all_new = [Tick("A", T0 + 2.0, 1.0), Tick("A", T0 + 3.0, 1.0)]
    assert fresh.filter(all_new) is all_new  # no copy when nothing is dropped
    fresh.reset()
    assert fresh.filter([Tick("A", T0, 1.0)]) == [Tick("A", T0, 1.0)]


def _frames(stream: list[list[list]], sockets: list[str], *, two_frame: bool) -> list[RawFrame]:
    """The same updateStream payloads delivered to every socket (tabs), interleaved with jitter."""
    rng = random.Random(5)
    frames: list[RawFrame] = []
    for i, payload in enumerate(stream):
        order = sockets[:]
        rng.shuffle(order)
        for socket in order:
            t = T0 + i * 0.2 + rng.random() * 0.05
            if two_frame:
                frames.append(RawFrame(t, socket, "in", 1, '451-["updateStream",{"_placeholder":true,"num":0}]'))
                data = base64.b64encode(json.dumps(payload).encode()).decode()
                frames.append(RawFrame(t, socket, "in", 2, data))
            else:
                frames.append(RawFrame(t, socket, "in", 1, encode_event("updateStream", payload)))
    return frames


def _ticks(frames: list[RawFrame]) -> tuple[list[Tick], Decoder]:
    decoder = Decoder(correct_offset=False)
    out = [tick for frame in frames for event in decoder.feed(frame) if isinstance(event, ev.TicksReceived)
           for tick in event.ticks]
    return out, decoder


def test_two_tabs_decode_to_the_ticks_of_one_tab_in_either_frame_form():
    rng = random.Random(1)
    stream = [[["EURUSD_otc", T0 + i * 0.2 + 0.001 * k, round(1.1 + rng.random() / 100, 5)] for k in range(2)]
              + [["BTCUSD_otc", T0 + i * 0.2, round(60000 + rng.random() * 10, 2)]] for i in range(300)]
    one_tab, single = _ticks(_frames(stream, ["tab-1"], two_frame=False))
    for two_frame in (False, True):
        two_tabs, decoder = _ticks(_frames(stream, ["tab-1", "tab-2"], two_frame=two_frame))
        assert two_tabs == one_tab
        assert decoder.stats.duplicates == len(one_tab) and decoder.stats.ticks == len(one_tab)
    assert single.stats.duplicates == 0 and len(one_tab) == 900
