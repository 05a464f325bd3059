"""``CandleBook.add_ticks`` (its common case inline) does exactly what ``add_tick`` per tick does."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from quantumflux.core.candles import CandleBook
from quantumflux.core.model import Candle, Tick

T0 = 1_764_000_000.0

prices = st.one_of(st.integers(90, 110).map(lambda p: p / 100.0),
                   st.sampled_from([math.inf, -math.inf, math.nan]))
ticks = st.tuples(st.sampled_from(["A", "B"]), st.integers(-5, 400), prices).map(
    lambda row: Tick(row[0], T0 + row[1] * 0.5, row[2]))
steps = st.one_of(
    st.lists(ticks, max_size=6).map(lambda batch: ("ticks", batch)),
    st.tuples(st.sampled_from(["A", "B"]), st.integers(-2, 3)).map(lambda row: ("history", row)),
)


def _history(book: CandleBook, asset: str, minute: int) -> None:
    start = T0 + minute * 60.0
    book.merge_history(asset, candles=[Candle(asset, 60, start, 1.0, 1.05, 0.95, 1.01, 3)])


def _state(book: CandleBook, closed: list[Candle]) -> tuple:
    return (
        [(candle, candle.partial) for candle in closed],
        {asset: ([(c, c.partial) for c in book.closed(asset)], book.forming(asset), book.late_ticks(asset),
                 book.partial_flags(asset).tolist()) for asset in book.assets()},
    )


def _bad(tick: Tick) -> bool:
    return not (math.isfinite(tick.time) and math.isfinite(tick.price))


@settings(max_examples=300, deadline=None)
@given(st.lists(steps, max_size=25), st.sampled_from([60, 300]))
def test_add_ticks_equals_add_tick_for_each(steps_, timeframe):
    closed_batched: list[Candle] = []
    closed_single: list[Candle] = []
    batched = CandleBook(timeframe, on_closed=closed_batched.append)
    single = CandleBook(timeframe, on_closed=closed_single.append)
    for kind, value in steps_:
        if kind == "history":
            _history(batched, *value)
            _history(single, *value)
            continue
        errors = []
        try:
            batched.add_ticks(value)
        except ValueError as exc:
            errors.append(str(exc))
        for tick in value:  # add_ticks stops at the first bad tick, as a loop of add_tick would
            try:
                single.add_tick(tick)
            except ValueError as exc:
                errors.append(str(exc))
                break
        assert len(errors) in (0, 2) and len(set(errors)) <= 1
        assert bool(errors) == any(_bad(tick) for tick in value)
        assert _state(batched, closed_batched) == _state(single, closed_single)


def test_a_late_tick_and_a_tick_of_a_new_asset_in_one_batch():
    book = CandleBook(60)
    book.add_ticks([Tick("A", T0 + 61.0, 1.0), Tick("A", T0 + 10.0, 2.0), Tick("B", T0 + 5.0, 3.0),
                    Tick("A", T0 + 62.0, 0.5), Tick("A", T0 + 62.0, 1.5), Tick("A", T0 + 62.0, 0.7),
                    Tick("A", T0 + 61.5, 0.9)])
    assert book.late_ticks("A") == 1
    forming = book.forming("A")  # the last of equal times closes; an earlier time in the period does not
    assert (forming.open, forming.high, forming.low, forming.close, forming.volume) == (1.0, 1.5, 0.5, 0.7, 5)
    assert book.forming("B").volume == 1
