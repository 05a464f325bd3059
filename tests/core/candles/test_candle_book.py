"""CandleBook behaviour on live ticks and the clock (examples; properties are in test_candle_properties)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantumflux.core.candles import CandleBook
from quantumflux.core.model import Candle, Tick

T0 = 1_764_000_000.0  # a whole day: 2025-11-24T16:00:00Z is a multiple of 60 and 3600


def test_ticks_around_a_boundary_go_to_different_candles():
    book = CandleBook("1m")
    book.add_tick(Tick("EURUSD_otc", T0 + 59.999, 1.1))
    book.add_tick(Tick("EURUSD_otc", T0 + 60.001, 1.2))
    [closed] = book.closed("EURUSD_otc")
    assert closed.time == T0 and closed.close == 1.1 and closed.volume == 1
    forming = book.forming("EURUSD_otc")
    assert forming is not None and forming.time == T0 + 60 and forming.open == 1.2


def test_tick_exactly_on_a_boundary_starts_the_new_period():
    book = CandleBook(60)
    book.add_ticks([Tick("A", T0 + 30, 1.0), Tick("A", T0 + 60, 2.0)])
    assert [c.time for c in book.closed("A")] == [T0]
    assert book.forming("A").time == T0 + 60


def test_ohlc_and_volume_of_one_candle():
    book = CandleBook("5s")
    for offset, price in [(0.1, 1.0), (1.0, 3.0), (2.0, 0.5), (4.9, 2.0)]:
        book.add_tick(Tick("A", T0 + offset, price))
    candle = book.forming("A")
    assert (candle.open, candle.high, candle.low, candle.close, candle.volume) == (1.0, 3.0, 0.5, 2.0, 4)
    assert candle.timeframe == 5 and candle.end == T0 + 5


def test_clock_closes_the_forming_candle_without_further_ticks():
    closed: list[Candle] = []
    book = CandleBook("1m", on_closed=closed.append)
    book.add_tick(Tick("A", T0 + 10, 1.0))
    assert book.advance(T0 + 59.9) == [] and closed == []
    result = book.advance(T0 + 60)
    assert [c.time for c in result] == [T0] and closed == result
    assert book.forming("A") is None
    assert book.advance(T0 + 3600) == []  # a quiet hour invents nothing
    assert [c.time for c in book.closed("A")] == [T0]


def test_no_candle_is_invented_for_a_gap():
    book = CandleBook("1m")
    book.add_ticks([Tick("A", T0 + 1, 1.0), Tick("A", T0 + 301, 2.0)])
    book.advance(T0 + 400)
    assert [c.time for c in book.closed("A")] == [T0, T0 + 300]


def test_first_candle_of_a_session_is_partial_and_later_ones_are_not():
    book = CandleBook("1m")
    book.add_ticks([Tick("A", T0 + 20, 1.0), Tick("A", T0 + 61, 1.0), Tick("A", T0 + 200, 1.0)])
    book.advance(T0 + 240)
    assert [c.partial for c in book.closed("A")] == [True, False, False]
    book.add_tick(Tick("B", T0 + 250, 1.0))  # each asset has its own first candle
    assert book.forming("B").partial is True
    book.clear("A")
    book.add_tick(Tick("A", T0 + 250, 1.0))
    assert book.forming("A").partial is True


def test_late_tick_older_than_the_forming_candle_is_counted_and_dropped():
    book = CandleBook("1m")
    book.add_ticks([Tick("A", T0 + 10, 1.0), Tick("A", T0 + 70, 2.0)])
    before = book.closed("A")
    book.add_tick(Tick("A", T0 + 50, 9.0))
    assert book.closed("A") == before
    assert book.forming("A").high == 2.0
    assert book.late_ticks("A") == 1 and book.late_ticks() == 1 and book.late_ticks("B") == 0


def test_late_tick_after_a_clock_close_is_dropped():
    book = CandleBook("1m")
    book.add_tick(Tick("A", T0 + 10, 1.0))
    book.advance(T0 + 61)
    book.add_tick(Tick("A", T0 + 59, 5.0))
    assert book.forming("A") is None and book.closed("A")[0].high == 1.0
    assert book.late_ticks("A") == 1


def test_out_of_order_tick_inside_the_forming_period_keeps_open_and_close_by_time():
    book = CandleBook("1m")
    book.add_ticks([Tick("A", T0 + 20, 1.0), Tick("A", T0 + 40, 2.0), Tick("A", T0 + 30, 3.0),
                    Tick("A", T0 + 10, 0.5)])
    candle = book.forming("A")
    assert (candle.open, candle.high, candle.low, candle.close, candle.volume) == (0.5, 3.0, 0.5, 2.0, 4)


@pytest.mark.parametrize("bad", [Tick("A", math.nan, 1.0), Tick("A", T0 + 5, math.nan),
                                 Tick("A", T0 + 5, math.inf), Tick("A", T0 + 5, -math.inf),
                                 Tick("A", T0 + 120, math.nan), Tick("A", math.inf, 1.0)])
def test_non_finite_tick_raises_and_changes_nothing(bad):
    book = CandleBook("1m")
    book.add_tick(Tick("A", T0 + 1, 1.0))
    before = (book.forming("A"), book.closed("A"))
    with pytest.raises(ValueError, match="finite"):
        book.add_tick(bad)
    assert (book.forming("A"), book.closed("A")) == before


def test_one_day_candles_start_at_utc_midnight():
    book = CandleBook("1d")
    book.add_tick(Tick("A", T0 + 5, 1.0))  # 16:00 UTC
    assert book.forming("A").time == 1_763_942_400.0  # 2025-11-24T00:00:00Z


def test_on_closed_sees_candles_in_time_order_and_subscriber_errors_do_not_lose_state():
    seen: list[float] = []

    def subscriber(candle: Candle) -> None:
        seen.append(candle.time)
        if len(seen) == 1:
            raise RuntimeError("subscriber bug")

    book = CandleBook("1m", on_closed=subscriber)
    book.add_tick(Tick("A", T0 + 1, 1.0))
    book.add_tick(Tick("B", T0 + 2, 1.0))
    with pytest.raises(RuntimeError):
        book.advance(T0 + 60)
    assert seen == [T0, T0]  # both were told despite the first error
    assert book.forming("A") is None and len(book.closed("B")) == 1


def test_max_closed_keeps_only_the_newest_candles():
    book = CandleBook("5s", max_closed=10)
    book.add_ticks(Tick("A", T0 + 5 * i, float(i)) for i in range(100))
    times = book.arrays("A").time
    assert len(times) == 10 and times[-1] == T0 + 5 * 98 and times[0] == T0 + 5 * 89
    assert [c.time for c in book.closed("A")] == list(times)
    with pytest.raises(ValueError):
        CandleBook("5s", max_closed=0)


def test_arrays_are_cached_read_only_snapshots():
    book = CandleBook("5s")
    book.add_ticks(Tick("A", T0 + 5 * i, float(i)) for i in range(50))
    first = book.arrays("A")
    assert book.arrays("A") is first  # no rebuild without a change
    with pytest.raises(ValueError):
        first.close[0] = 123.0
    copy = first.close.copy()
    book.add_ticks(Tick("A", T0 + 5 * i, -float(i)) for i in range(50, 500))
    assert np.array_equal(first.close, copy)  # an old snapshot never changes under its holder
    assert len(book.arrays("A")) == 499 and book.arrays("A") is not first


def test_assets_and_clear():
    book = CandleBook("1m")
    book.add_ticks([Tick("B", T0, 1.0), Tick("A", T0, 1.0)])
    assert book.assets() == ["A", "B"]
    book.clear()
    assert book.assets() == [] and book.forming("A") is None and len(book.arrays("A")) == 0


def test_timeframe_accepts_every_form_and_rejects_nonsense():
    assert CandleBook("1m").timeframe.seconds == 60
    assert CandleBook(300).timeframe.seconds == 300
    with pytest.raises(ValueError):
        CandleBook("soon")
