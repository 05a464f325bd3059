"""Placeholder + binary pairing is per socket and per direction; unpaired binaries fall back to shape."""

from __future__ import annotations

import base64
import json

from quantumflux.core.model import PageChoice, Tick
from quantumflux.core.protocol import events as ev
from quantumflux.core.protocol.decoder import Decoder
from quantumflux.core.protocol.framing import RawFrame, encode_binary_event, encode_event

T0 = 1764000000.0


def only(events: list, kind: type) -> list:
    return [event for event in events if isinstance(event, kind)]


def binary(payload: object) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


def test_interleaved_sockets_pair_correctly(decode):
    events, decoder = decode("interleaved_sockets.jsonl")
    balance, choice, ticks_a, ticks_b = events
    assert isinstance(balance, ev.BalanceUpdated) and balance.socket == "2222.2"
    assert (balance.balance.amount, balance.balance.is_demo) == (10.5, False)
    assert isinstance(choice, ev.PageChoiceChanged) and choice.socket == "1111.1"
    assert choice.choice == PageChoice("GBPUSD_otc", 30)
    assert ticks_a.socket == "1111.1" and ticks_a.ticks == (Tick("EURUSD_otc", T0 - 0.1, 1.1),)
    # socket B's placeholder was consumed by its balance: this binary is classified by shape, and counted
    assert ticks_b.socket == "2222.2" and ticks_b.ticks == (Tick("GBPUSD_otc", T0 - 0.05, 1.3),)
    assert decoder.stats.unpaired == {"updateStream": 1}


def test_placeholder_without_binary_is_counted_and_replaced():
    decoder = Decoder(correct_offset=False)
    text, _ = encode_binary_event("successupdateBalance", {})
    stream_text, stream_payload = encode_binary_event("updateStream", [["EURUSD_otc", T0, 1.5]])
    assert decoder.feed(RawFrame(T0, "s", "in", 1, text)) == []
    assert decoder.feed(RawFrame(T0, "s", "in", 1, stream_text)) == []
    (event,) = decoder.feed(RawFrame(T0, "s", "in", 2, base64.b64encode(stream_payload).decode()))
    assert event.ticks == (Tick("EURUSD_otc", T0, 1.5),)
    assert decoder.stats.malformed == {"placeholder without binary frame": 1}


def test_socket_close_drops_pending_placeholder():
    decoder = Decoder(correct_offset=False)
    text, payload = encode_binary_event("updateStream", [["EURUSD_otc", T0, 1.5]])
    decoder.feed(RawFrame(T0, "s", "in", 1, text))
    decoder.socket_closed("s", T0 + 1)
    decoder.socket_opened("s", "wss://api-eu.po.market/socket.io/", T0 + 2)
    # the binary now arrives with no pending placeholder: classified by shape, not by the stale name
    (event,) = decoder.feed(RawFrame(T0 + 3, "s", "in", 2, base64.b64encode(payload).decode()))
    assert isinstance(event, ev.TicksReceived)
    assert decoder.stats.malformed["placeholder without binary frame"] == 1
    assert decoder.stats.unpaired == {"updateStream": 1}


def test_unclassifiable_binary_is_malformed():
    decoder = Decoder()
    assert decoder.feed(RawFrame(T0, "s", "in", 2, binary({"what": "ever"}))) == []
    assert decoder.stats.malformed == {"binary frame without placeholder": 1}
    assert decoder.stats.unpaired == {"unclassified": 1}


def test_outgoing_two_frame_form_pairs_with_outgoing_binary():
    decoder = Decoder()
    text, payload = encode_binary_event("openOrder", {"asset": "EURUSD_otc", "amount": 2, "action": "put",
                                                      "isDemo": 0, "requestId": None, "time": 120})
    incoming_text, incoming = encode_binary_event("successupdateBalance", {"balance": 3.5, "isDemo": 0})
    decoder.feed(RawFrame(T0, "s", "out", 1, text))
    decoder.feed(RawFrame(T0, "s", "in", 1, incoming_text))
    (balance,) = decoder.feed(RawFrame(T0, "s", "in", 2, base64.b64encode(incoming).decode()))
    (order,) = decoder.feed(RawFrame(T0, "s", "out", 2, base64.b64encode(payload).decode()))
    assert balance.balance.amount == 3.5
    assert (order.asset, order.amount, order.direction.value, order.expiry, order.request_id, order.is_demo) == (
        "EURUSD_otc", 2.0, "put", 120, None, False)


def test_multiple_attachments_are_substituted():
    decoder = Decoder(correct_offset=False)
    template = '452-["updateHistoryNewFast",{"asset":"EURUSD_otc","period":60,' \
               '"history":{"_placeholder":true,"num":0},"candles":{"_placeholder":true,"num":1}}]'
    decoder.feed(RawFrame(T0, "s", "in", 1, template))
    assert decoder.feed(RawFrame(T0, "s", "in", 2, binary([[T0 - 1, 1.2]]))) == []
    (history,) = decoder.feed(RawFrame(T0, "s", "in", 2, binary([[T0 - 60, 1.1, 1.2, 1.3, 1.0]])))
    assert history.ticks == (Tick("EURUSD_otc", T0 - 1, 1.2),)
    assert (history.candles[0].open, history.candles[0].close, history.candles[0].high) == (1.1, 1.2, 1.3)


def test_single_frame_and_binary_event_without_attachments():
    decoder = Decoder(correct_offset=False)
    (a,) = decoder.feed(RawFrame(T0, "s", "in", 1, encode_event("updateStream", [["X", T0, 2.0]])))
    (b,) = decoder.feed(RawFrame(T0, "s", "in", 1, '450-["updateStream",[["X",1764000000.5,2.5]]]'))
    assert a.ticks == (Tick("X", T0, 2.0),) and b.ticks == (Tick("X", T0 + 0.5, 2.5),)
    assert only([a, b], ev.TicksReceived) == [a, b]
