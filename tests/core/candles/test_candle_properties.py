"""Hypothesis properties of the candle engine: OHLC invariants, chunking, isolation, derivation."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quantumflux.core.candles import CandleArrays, CandleBook, aggregate_ticks, derive, tick_candles
from quantumflux.core.model import Candle, Tick

T0 = 1_764_000_000.0
TIMEFRAMES = [5, 15, 60, 300, 3600, 86400]


@st.composite
def tick_streams(draw, asset: str = "EURUSD_otc", max_size: int = 120) -> list[Tick]:
    """Time-ordered ticks on a millisecond grid (so .999/.001 boundary cases are common)."""
    steps = draw(st.lists(
        st.one_of(st.integers(0, 3_000), st.integers(0, 400_000), st.sampled_from([1, 999, 5_000, 60_000])),
        min_size=1, max_size=max_size,
    ))
    prices = draw(st.lists(st.integers(50_000, 150_000), min_size=len(steps), max_size=len(steps)))
    start_ms = draw(st.integers(0, 86_400_000))
    ticks, ms = [], start_ms
    for step, price in zip(steps, prices, strict=True):
        ms += step
        ticks.append(Tick(asset, T0 + ms / 1000.0, price / 100_000.0))
    return ticks


def run_book(timeframe: int, chunks: list[list[Tick]], clocks: list[float | None]) -> list[Candle]:
    """Feed chunks with an optional advance() after each; return every closed candle (flushed at the end)."""
    closed: list[Candle] = []
    book = CandleBook(timeframe, on_closed=closed.append)
    for chunk, clock in zip(chunks, clocks, strict=True):
        book.add_ticks(chunk)
        if clock is not None:
            book.advance(clock)
    book.advance(T0 + 10_000_000)
    assert [c.time for c in closed] == [c.time for c in book.closed(closed[0].asset if closed else "x")]
    return closed


@settings(max_examples=150, deadline=None)
@given(ticks=tick_streams(), timeframe=st.sampled_from(TIMEFRAMES))
def test_low_bounds_and_high_bounds_open_and_close(ticks, timeframe):
    for candle in run_book(timeframe, [ticks], [None]):
        assert candle.low <= candle.open <= candle.high
        assert candle.low <= candle.close <= candle.high
        assert candle.volume >= 1
        assert candle.time % timeframe == 0


@settings(max_examples=200, deadline=None)
@given(data=st.data(), ticks=tick_streams(), timeframe=st.sampled_from(TIMEFRAMES))
def test_chunking_a_stream_anywhere_with_clock_advances_gives_the_same_candles(data, ticks, timeframe):
    reference = run_book(timeframe, [ticks], [None])
    cuts = sorted(data.draw(st.sets(st.integers(1, len(ticks)), max_size=8), label="cuts"))
    bounds = [0, *cuts] if not cuts or cuts[-1] == len(ticks) else [0, *cuts, len(ticks)]
    chunks = [ticks[a:b] for a, b in zip(bounds, bounds[1:], strict=False)] or [ticks]
    clocks: list[float | None] = []
    for stop in bounds[1:] or [len(ticks)]:
        if not data.draw(st.booleans(), label="advance?"):
            clocks.append(None)
            continue
        # a clock reading not before the ticks fed so far and not after the next tick's time
        low = ticks[stop - 1].time
        high = ticks[stop].time if stop < len(ticks) else low + 3 * timeframe
        clocks.append(data.draw(st.floats(low, high), label="clock"))
    assert run_book(timeframe, chunks, clocks) == reference


@settings(max_examples=150, deadline=None)
@given(ticks=tick_streams(), timeframe=st.sampled_from(TIMEFRAMES))
def test_book_equals_vectorised_aggregation_and_only_the_first_candle_is_partial(ticks, timeframe):
    closed = run_book(timeframe, [ticks], [None])
    direct = tick_candles(ticks, timeframe)
    assert [c.partial for c in closed] == [True] + [False] * (len(closed) - 1)
    assert [Candle(**{**_fields(c), "partial": False}) for c in closed] == direct


def _fields(candle: Candle) -> dict:
    return {name: getattr(candle, name) for name in Candle.__slots__}


@settings(max_examples=100, deadline=None)
@given(a=tick_streams("AAA"), b=tick_streams("BBB"), data=st.data(), timeframe=st.sampled_from([5, 60, 300]))
def test_a_tick_for_one_asset_never_changes_another(a, b, data, timeframe):
    alone = CandleBook(timeframe)
    alone.add_ticks(a)
    # interleave b's ticks at random positions among a's
    merged = list(a)
    for tick in b:
        merged.insert(data.draw(st.integers(0, len(merged)), label="position"), tick)
    together = CandleBook(timeframe)
    together.add_ticks(merged)
    assert together.closed("AAA") == alone.closed("AAA")
    assert together.forming("AAA") == alone.forming("AAA")
    assert together.late_ticks("AAA") == alone.late_ticks("AAA") == 0


PAIRS = [(5, 15), (5, 60), (15, 300), (60, 300), (60, 900), (300, 3600), (60, 3600), (3600, 86400),
         (60, 14400), (900, 86400)]


@settings(max_examples=150, deadline=None)
@given(ticks=tick_streams(max_size=200), pair=st.sampled_from(PAIRS))
def test_derived_timeframe_equals_direct_aggregation(ticks, pair):
    base, target = pair
    derived = derive(aggregate_ticks(ticks, base), target, source=base)
    direct = aggregate_ticks(ticks, target)
    assert derived.equals(direct)


@settings(max_examples=60, deadline=None)
@given(ticks=tick_streams(max_size=200))
def test_derivation_chains_commute(ticks):
    via_5m = derive(derive(aggregate_ticks(ticks, 60), 300), 3600)
    straight = derive(aggregate_ticks(ticks, 60), 3600)
    assert via_5m.equals(straight)


@settings(max_examples=60, deadline=None)
@given(ticks=tick_streams(max_size=200), pair=st.sampled_from(PAIRS))
def test_derive_from_book_arrays_equals_a_book_at_the_target_timeframe(ticks, pair):
    base, target = pair
    base_book, target_book = CandleBook(base), CandleBook(target)
    for book in (base_book, target_book):
        book.add_ticks(ticks)
        book.advance(T0 + 10_000_000)
    assert derive(base_book.arrays("EURUSD_otc"), target).equals(target_book.arrays("EURUSD_otc"))


def test_derive_is_vectorised_on_large_arrays():
    count = 500_000  # ~ one year of 1m candles; a per-candle Python loop would take seconds
    rng = np.random.default_rng(7)
    close = 1 + np.cumsum(rng.normal(0, 1e-4, count))
    arrays = CandleArrays.from_columns(T0 + 60 * np.arange(count), close, close + 1e-4, close - 1e-4, close,
                                       np.ones(count, dtype=np.int64))
    daily = derive(arrays, "1d")
    assert int(daily.volume.sum()) == count
    assert np.all(daily.time % 86400 == 0)
    assert daily.high.max() == arrays.high.max() and daily.low.min() == arrays.low.min()
