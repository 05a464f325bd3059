"""Server time offset: measured from ticks, rounded to 30 min, applied everywhere, reported once."""

from __future__ import annotations

import base64
import json

from quantumflux.core.model import Tick
from quantumflux.core.protocol import events as ev
from quantumflux.core.protocol.decoder import HOLD_SECONDS, Decoder
from quantumflux.core.protocol.framing import RawFrame, encode_event
from quantumflux.core.protocol.offset import PERSIST_SAMPLES, OffsetTracker, rounded_offset

T0 = 1764000000.0


def only(events: list, kind: type) -> list:
    return [event for event in events if isinstance(event, kind)]


def stream(t_recv: float, tick_time: float, asset: str = "EURUSD_otc", price: float = 1.1) -> RawFrame:
    return RawFrame(t_recv, "s", "in", 1, encode_event("updateStream", [[asset, tick_time, price]]))


def test_offset_capture_is_corrected_to_true_utc(decode):
    events, decoder = decode("offset_plus2h.jsonl")
    assert decoder.offset == 7200.0
    assert only(events, ev.ServerOffsetMeasured) == [ev.ServerOffsetMeasured(T0 + 0.0005, "1234.56", 7200.0)]
    # the measurement comes before any corrected event; the held history follows it
    assert isinstance(events[0], ev.ServerOffsetMeasured) and isinstance(events[1], ev.HistoryReceived)
    history = events[1]
    assert [candle.time for candle in history.candles] == [T0 - 180, T0 - 120, T0 - 60]
    assert [tick.time for tick in history.ticks] == [T0 - 2.5, T0 - 1.5, T0 - 0.5]
    ticks = [tick for event in only(events, ev.TicksReceived) for tick in event.ticks]
    assert [round(tick.time - (T0 + index), 6) for index, tick in enumerate(ticks)] == [-0.25] * 8
    # deal times are true UTC on the wire: the tick offset is not applied to them
    (opened,) = only(events, ev.OrderOpened)
    assert (opened.deal.open_time, opened.deal.close_time) == (T0 + 9.12, T0 + 69)


def test_raw_times_when_correction_is_off(decode):
    events, decoder = decode("offset_plus2h.jsonl", correct_offset=False)
    assert decoder.offset == 0.0 and only(events, ev.ServerOffsetMeasured) == []
    assert only(events, ev.HistoryReceived)[0].candles[-1].time == T0 - 60 + 7200


def test_no_offset_means_no_report_and_unchanged_times():
    decoder = Decoder()
    out = [event for t in range(6) for event in decoder.feed(stream(T0 + t, T0 + t - 0.3))]
    assert only(out, ev.ServerOffsetMeasured) == []
    assert [event.ticks[0].time for event in out] == [T0 + t - 0.3 for t in range(6)]


def test_one_outlier_among_the_first_five_does_not_decide():
    decoder = Decoder()
    lags = [0.2, 0.3, 3000.0, 0.2, 0.25]  # one tick delayed/odd: median of five wins
    out = [event for index, lag in enumerate(lags) for event in decoder.feed(stream(T0 + index, T0 + index + lag))]
    assert decoder.offset == 0.0
    # the outlier came third: the provisional median was still 0, so nothing was ever reported
    assert only(out, ev.ServerOffsetMeasured) == []


def test_offset_changes_only_when_a_new_value_persists():
    decoder = Decoder()
    for index in range(5):
        decoder.feed(stream(T0 + index, T0 + index + 3600.1))
    assert decoder.offset == 3600.0
    reports = []
    # a short burst of a different offset changes nothing
    for index in range(100):
        reports += only(decoder.feed(stream(T0 + 10 + index * 0.1, T0 + 10 + index * 0.1 + 0.1)),
                        ev.ServerOffsetMeasured)
    assert decoder.offset == 3600.0 and reports == []
    # sustained for minutes it does (samples are taken every 16th frame)
    t = T0 + 100
    for _ in range(16 * (PERSIST_SAMPLES + 2)):
        t += 0.25
        reports += only(decoder.feed(stream(t, t + 0.1)), ev.ServerOffsetMeasured)
    assert decoder.offset == 0.0
    assert [report.offset for report in reports] == [0.0]


def test_held_history_is_released_after_hold_time_without_ticks():
    decoder = Decoder()
    history = {"asset": "EURUSD_otc", "period": 60, "candles": [[T0 - 60, 1.0, 1.1, 1.2, 0.9]]}
    assert decoder.feed(RawFrame(T0, "s", "in", 1, encode_event("updateHistoryNewFast", history))) == []
    assert decoder.feed(RawFrame(T0 + 1, "s", "in", 1, "2")) == []
    (released,) = decoder.feed(RawFrame(T0 + HOLD_SECONDS, "s", "in", 1, "2"))
    assert released.candles[0].time == T0 - 60 and decoder.offset == 0.0
    assert decoder.stats.events == {"HistoryReceived": 1}


def test_flush_releases_held_events():
    decoder = Decoder()
    history = {"asset": "X", "period": 60, "candles": [[T0 - 60, 1.0, 1.1, 1.2, 0.9]]}
    assert decoder.feed(RawFrame(T0, "s", "in", 1, encode_event("updateHistoryNewFast", history))) == []
    (released,) = decoder.flush()
    assert released.candles[0].time == T0 - 60
    assert decoder.flush() == []


def test_deals_are_never_held_nor_shifted():
    decoder = Decoder()
    deals = [{"id": "d", "asset": "X", "command": 0, "amount": 1, "openTimestamp": T0 - 60,
              "closeTimestamp": T0, "profit": -1, "closePrice": 1.0}]
    (closed,) = decoder.feed(RawFrame(T0, "s", "in", 1, encode_event("updateClosedDeals", deals)))
    assert closed.deals[0].open_time == T0 - 60 and closed.deals[0].outcome.value == "loss"
    for index in range(5):  # the broker clock runs 2 h ahead
        decoder.feed(stream(T0 + 1 + index, T0 + 1 + index + 7200.1))
    assert decoder.offset == 7200.0
    (later,) = decoder.feed(RawFrame(T0 + 9, "s", "in", 1, encode_event("updateClosedDeals", deals)))
    assert later.deals[0].open_time == T0 - 60 and decoder.flush() == []


def test_ticks_release_held_events_corrected():
    decoder = Decoder()
    request = {"asset": "X", "period": 60, "time": (T0 + 1800) * 1000, "index": 1, "offset": 100}
    decoder.feed(RawFrame(T0, "s", "out", 1, encode_event("loadHistoryPeriodFast", request)))
    payload = base64.b64encode(json.dumps([["X", T0 + 1800.2, 1.5]]).encode()).decode()
    decoder.feed(RawFrame(T0 + 0.3, "s", "in", 1, '451-["updateStream",{"_placeholder":true,"num":0}]'))
    out = decoder.feed(RawFrame(T0 + 0.3, "s", "in", 2, payload))
    assert [type(event).__name__ for event in out] == ["ServerOffsetMeasured", "HistoryRequested", "TicksReceived"]
    assert out[1].time == T0  # milliseconds normalised, then corrected
    assert out[2].ticks == (Tick("X", T0 + 0.2, 1.5),)


def test_opened_order_is_not_a_clock_sample():
    """A deal's UTC open time says nothing about the broker clock of the ticks that follow."""
    decoder = Decoder()
    deal = {"id": "d", "asset": "X", "command": 1, "amount": 1, "openTimestamp": T0, "openMs": 40,
            "closeTimestamp": T0 + 60, "requestId": 7}
    out = decoder.feed(RawFrame(T0 + 0.1, "s", "in", 1, encode_event("successopenOrder", deal)))
    assert [type(event).__name__ for event in out] == ["OrderOpened"]
    assert out[0].deal.open_time == T0 + 0.04 and out[0].deal.request_id == "7"
    for index in range(5):
        decoder.feed(stream(T0 + 1 + index, T0 + 1 + index + 7200.1))
    assert decoder.offset == 7200.0  # decided by the ticks alone


def test_synthetic_clocks_are_not_time_zones():
    assert rounded_offset(T0, 5.0) is None
    assert rounded_offset(T0 + 899, T0) == 0.0 and rounded_offset(T0 + 901, T0) == 1800.0
    assert rounded_offset(T0 - 5400, T0) == -5400.0
    tracker = OffsetTracker()
    for index in range(5):
        tracker.observe(T0 + index, 1000.0 + index)  # receive clock unrelated to broker time
    assert (tracker.decided, tracker.settled, tracker.offset) == (True, True, 0.0)
    decoder = Decoder()
    out = [event for index in range(6) for event in decoder.feed(stream(100.0 + index, T0 + index))]
    assert decoder.offset == 0.0 and [event.ticks[0].time for event in out] == [T0 + index for index in range(6)]


def test_socket_close_releases_held_events_before_the_close():
    decoder = Decoder()
    history = {"asset": "X", "period": 5, "history": [[T0 - 1, 1.0]]}
    assert decoder.feed(RawFrame(T0, "s", "in", 1, encode_event("updateHistoryNew", history))) == []
    released, closed = decoder.socket_closed("s", T0 + 1)
    assert isinstance(released, ev.HistoryReceived) and released.ticks == (Tick("X", T0 - 1, 1.0),)
    assert closed == ev.SocketClosed(T0 + 1, "s")
    assert decoder.stats.events == {"HistoryReceived": 1, "SocketClosed": 1}
