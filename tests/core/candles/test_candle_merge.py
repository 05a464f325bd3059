"""Broker history merged with live ticks: no duplicates, no gaps, live wins."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantumflux.core.candles import CandleBook, derive, tick_candles
from quantumflux.core.candles.arrays import CandleArrays
from quantumflux.core.model import Candle, Tick

T0 = 1_764_000_000.0
ASSET = "EURUSD_otc"


def history_candle(time: float, price: float = 1.0, period: int = 60, volume: int = 7) -> Candle:
    return Candle(ASSET, period, time, price, price + 0.5, price - 0.5, price + 0.25, volume)


@st.composite
def scenario(draw):
    """History 1m candles over some minutes and live ticks over others (possibly overlapping)."""
    history_minutes = draw(st.sets(st.integers(0, 40), max_size=25))
    live_offsets = draw(st.lists(st.integers(0, 40 * 60_000), min_size=1, max_size=60))
    history = [history_candle(T0 + 60 * m, 1 + m / 100) for m in sorted(history_minutes)]
    ticks = [Tick(ASSET, T0 + ms / 1000, 2 + ms / 1e7) for ms in sorted(live_offsets)]
    return history, ticks


def live_only(ticks: list[Tick]) -> CandleBook:
    book = CandleBook("1m")
    book.add_ticks(ticks)
    return book


@settings(max_examples=150, deadline=None)
@given(case=scenario())
def test_history_after_live_fills_gaps_without_duplicates_and_live_wins(case):
    history, ticks = case
    closed_events: list[Candle] = []
    book = CandleBook("1m", on_closed=closed_events.append)
    book.add_ticks(ticks)
    live = live_only(ticks)
    closed_events.clear()  # only what the merge itself closes
    book.merge_history(ASSET, candles=history)
    times = [c.time for c in book.closed(ASSET)] + [book.forming(ASSET).time] * (book.forming(ASSET) is not None)
    assert times == sorted(set(times)), "duplicate or unordered periods"
    expected = {c.time for c in history} | {c.time for c in live.closed(ASSET)} | {live.forming(ASSET).time}
    assert set(times) == expected, "a period went missing (gap) or was invented"
    merged = {c.time: c for c in book.closed(ASSET)}
    forming = book.forming(ASSET)
    if forming is not None:
        merged[forming.time] = forming
    for candle in [*live.closed(ASSET), live.forming(ASSET)]:
        assert merged[candle.time] == candle, "history overwrote a live period"
    # a live forming candle only closes through the merge when history shows later periods
    if live.forming(ASSET).time < max(expected):
        assert closed_events == [live.forming(ASSET)]
    else:
        assert closed_events == [] and forming == live.forming(ASSET)


@settings(max_examples=100, deadline=None)
@given(case=scenario(), split=st.integers(0, 25), reverse=st.booleans())
def test_merging_history_in_pieces_equals_merging_it_at_once(case, split, reverse):
    history, _ = case
    once, pieces = CandleBook("1m"), CandleBook("1m")
    once.merge_history(ASSET, candles=history)
    parts = [history[:split], history[split:]]
    for part in reversed(parts) if reverse else parts:
        pieces.merge_history(ASSET, candles=part)
    assert pieces.closed(ASSET) == once.closed(ASSET)
    assert pieces.forming(ASSET) == once.forming(ASSET)


def test_history_only_book_keeps_the_newest_unfinished_candle_forming_until_the_clock_passes():
    book = CandleBook("1m")
    book.merge_history(ASSET, candles=[history_candle(T0 + 60 * i) for i in range(5)])
    assert [c.time for c in book.closed(ASSET)] == [T0 + 60 * i for i in range(4)]
    assert book.forming(ASSET).time == T0 + 240 and not book.forming(ASSET).partial
    assert all(not c.partial for c in book.closed(ASSET))  # broker candles are complete
    assert [c.time for c in book.advance(T0 + 300)] == [T0 + 240]


def test_history_already_over_on_the_clock_is_all_closed():
    book = CandleBook("1m")
    book.advance(T0 + 10_000)
    book.merge_history(ASSET, candles=[history_candle(T0 + 60 * i) for i in range(5)])
    assert len(book.closed(ASSET)) == 5 and book.forming(ASSET) is None


def test_live_ticks_continue_a_history_forming_candle_which_is_then_complete():
    book = CandleBook("1m")
    book.merge_history(ASSET, candles=[history_candle(T0), history_candle(T0 + 60, price=1.0)])
    book.add_ticks([Tick(ASSET, T0 + 90, 3.0), Tick(ASSET, T0 + 100, 0.1), Tick(ASSET, T0 + 125, 1.2)])
    [*_, continued] = book.closed(ASSET)
    assert continued.time == T0 + 60 and continued.open == 1.0 and continued.high == 3.0
    assert continued.low == 0.1 and continued.volume == 7 + 2 and continued.partial is False
    assert book.forming(ASSET).partial is False  # watched since the history: the next start was seen


def test_history_arriving_after_live_does_not_touch_the_live_forming_candle():
    book = CandleBook("1m")
    book.add_ticks([Tick(ASSET, T0 + 70, 2.0), Tick(ASSET, T0 + 80, 2.5)])
    live_forming = book.forming(ASSET)
    book.merge_history(ASSET, candles=[history_candle(T0), history_candle(T0 + 60, price=9.0)])
    assert book.forming(ASSET) == live_forming and live_forming.partial
    assert [c.time for c in book.closed(ASSET)] == [T0]


def test_minute_history_into_a_five_minute_book_equals_derivation():
    history = [history_candle(T0 + 60 * i, 1 + i / 10) for i in range(0, 20)]
    book = CandleBook("5m")
    book.advance(T0 + 3600)
    book.merge_history(ASSET, candles=history)
    assert book.arrays(ASSET).equals(derive(CandleArrays.from_candles(history), 300))


def test_derived_history_that_starts_mid_period_is_flagged_partial():
    book = CandleBook("5m")
    book.advance(T0 + 3600)
    book.merge_history(ASSET, candles=[history_candle(T0 + 60 * i) for i in range(2, 10)])
    assert [c.partial for c in book.closed(ASSET)] == [True, False]
    book.merge_history(ASSET, candles=[history_candle(T0 + 60 * i) for i in range(0, 5)])
    assert [c.partial for c in book.closed(ASSET)] == [False, False]  # the complete one replaces it


def test_history_ticks_then_live_ticks_equal_one_stream_of_ticks():
    ticks = [Tick(ASSET, T0 + 7.5 * i, 1 + (i % 7) / 10) for i in range(100)]
    book = CandleBook("1m")
    book.merge_history(ASSET, ticks=ticks[:40])
    book.add_ticks(ticks[40:])
    book.advance(T0 + 3600)
    expected = tick_candles(ticks, 60)
    assert [c.time for c in book.closed(ASSET)] == [c.time for c in expected]
    # periods fully inside history or live agree exactly; the junction period is history then live
    assert book.closed(ASSET)[2:] == expected[2:]
    assert book.closed(ASSET)[0].partial is False  # first history tick sits on the period start


def test_merge_closes_a_live_forming_candle_when_history_shows_later_periods():
    events: list[Candle] = []
    book = CandleBook("1m", on_closed=events.append)
    book.add_tick(Tick(ASSET, T0 + 10, 1.0))
    book.merge_history(ASSET, candles=[history_candle(T0 + 120), history_candle(T0 + 180)])
    assert [c.time for c in events] == [T0]
    assert [c.time for c in book.closed(ASSET)] == [T0, T0 + 120]
    assert book.forming(ASSET).time == T0 + 180


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"candles": [Candle("GBPUSD", 60, T0, 1, 1, 1, 1)]}, "GBPUSD"),
        ({"candles": [Candle(ASSET, 120, T0, 1, 1, 1, 1)]}, "does not divide"),
        ({"candles": [Candle(ASSET, 60, T0 + 30, 1, 1, 1, 1)]}, "aligned"),
        ({"candles": [Candle(ASSET, 60, T0, 1, 0.5, 0.2, 1)]}, "low/high"),
        ({"candles": [Candle(ASSET, 60, T0, math.nan, 1, 1, 1)]}, "non-finite"),
        ({"ticks": [Tick("GBPUSD", T0, 1.0)]}, "GBPUSD"),
        ({"ticks": [Tick(ASSET, T0, math.inf)]}, "finite"),
    ],
)
def test_bad_history_raises_and_changes_nothing(kwargs, message):
    book = CandleBook("1m")
    book.add_tick(Tick(ASSET, T0 + 61, 1.0))
    good = [history_candle(T0)]
    with pytest.raises(ValueError, match=message):
        book.merge_history(ASSET, candles=good + kwargs.get("candles", []), ticks=kwargs.get("ticks", []))
    assert book.closed(ASSET) == [] and book.forming(ASSET).volume == 1


@settings(max_examples=150, deadline=None)
@given(case=scenario())
def test_history_before_live_loses_no_tick_silently_and_duplicates_nothing(case):
    history, ticks = case
    book = CandleBook("1m")
    book.merge_history(ASSET, candles=history)
    book.add_ticks(ticks)
    book.advance(T0 + 10_000)
    candles = book.closed(ASSET)
    times = [c.time for c in candles]
    assert times == sorted(set(times))
    # every history candle and every live tick is accounted for: kept, or counted as late
    assert sum(c.volume for c in candles) == sum(c.volume for c in history) + len(ticks) - book.late_ticks(ASSET)
    newest_history = max((c.time for c in history), default=-math.inf)
    late = [t for t in ticks if t.time < newest_history]
    assert book.late_ticks(ASSET) == len(late)
    for candle in candles:
        assert candle.low <= min(candle.open, candle.close) and candle.high >= max(candle.open, candle.close)


def test_merge_history_arrays_matches_candle_objects_and_rejects_bad_rows():
    history = [history_candle(T0 + 60 * i, 1 + i / 10) for i in range(30)]
    from_objects, from_arrays = CandleBook("5m"), CandleBook("5m")
    from_objects.merge_history(ASSET, candles=iter(history))  # any iterable is accepted
    from_arrays.merge_history_arrays(ASSET, CandleArrays.from_candles(history), "1m")
    assert from_arrays.closed(ASSET) == from_objects.closed(ASSET)
    assert from_arrays.forming(ASSET) == from_objects.forming(ASSET)
    bad = CandleArrays.from_candles(history[:3] + [Candle(ASSET, 60, T0 + 200, 1, 0.9, 0.8, 1)])
    with pytest.raises(ValueError, match="row 3 has a time not aligned"):
        from_arrays.merge_history_arrays(ASSET, bad, 60)
    with pytest.raises(ValueError, match="does not divide"):
        from_arrays.merge_history_arrays(ASSET, CandleArrays.from_candles(history), "2m")
    assert from_arrays.closed(ASSET) == from_objects.closed(ASSET)


def test_merging_nothing_leaves_no_trace():
    book = CandleBook("1m")
    book.merge_history(ASSET)
    assert book.assets() == []
