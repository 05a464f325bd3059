"""MultiTimeframeBook: a displayed timeframe is derived locally and equals forming it directly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantumflux.core.candles import CandleBook, MultiTimeframeBook
from quantumflux.core.model import Candle, Tick

T0 = 1_764_000_000.0
ASSET = "EURUSD_otc"


@st.composite
def live_session(draw):
    offsets = sorted(draw(st.lists(st.integers(0, 3 * 3_600_000), min_size=1, max_size=80)))
    ticks = [Tick(ASSET, T0 + ms / 1000, 1 + (ms % 977) / 1e4) for ms in offsets]
    clock = draw(st.one_of(st.none(), st.integers(offsets[-1], offsets[-1] + 4 * 3_600_000)))
    return ticks, None if clock is None else T0 + clock / 1000


@settings(max_examples=120, deadline=None)
@given(session=live_session(), timeframe=st.sampled_from([5, 15, 30, 60, 300, 900, 3600]))
def test_view_equals_a_book_formed_directly_at_that_timeframe(session, timeframe):
    ticks, clock = session
    # another asset ticking far ahead must not close this asset's candles
    other = [Tick("OTHER", tick.time + 5_000, tick.price) for tick in ticks]
    stream = sorted(ticks + other, key=lambda tick: tick.time)
    multi, direct = MultiTimeframeBook(), CandleBook(timeframe)
    for book in (multi, direct):
        book.add_ticks(stream)
        if clock is not None:
            book.advance(clock)
    view = multi.view(ASSET, timeframe)
    assert view.closed.equals(direct.arrays(ASSET))
    assert view.partial.tolist() == [c.partial for c in direct.closed(ASSET)]
    assert view.forming == direct.forming(ASSET)


def test_switching_timeframes_is_local_and_uses_one_resolution():
    multi = MultiTimeframeBook(("5s", "1m"))
    history = [Candle(ASSET, 60, T0 - 3600 + 60 * i, 1.0, 1.5, 0.5, 1.2, 10) for i in range(60)]
    multi.merge_history(ASSET, candles=history)
    multi.add_ticks(Tick(ASSET, T0 + i, 1.0 + i / 1000) for i in range(0, 600, 2))
    five_minutes = multi.view(ASSET, "5m")
    # 1m history + live ticks on the 1m base: an hour of history plus the live part
    assert five_minutes.closed.time[0] == T0 - 3600 and len(five_minutes.closed) == 12 + 1
    assert five_minutes.forming is not None and five_minutes.forming.time == T0 + 300
    fifteen_seconds = multi.view(ASSET, "15s")
    # sub-minute views come from the 5s base, which has no minute history (never mixed in)
    assert fifteen_seconds.closed.time[0] == T0
    assert multi.base_for("15s") == 5 and multi.base_for("1h") == 60
    with pytest.raises(ValueError, match="cannot be derived"):
        multi.view(ASSET, "7s")


def test_view_caches_the_closed_part_until_a_base_candle_closes():
    multi = MultiTimeframeBook((60,))
    multi.add_ticks(Tick(ASSET, T0 + 20 * i, 1.0) for i in range(100))
    first = multi.view(ASSET, "5m")
    multi.add_tick(Tick(ASSET, T0 + 1990, 2.0))  # inside the forming minute: closed part unchanged
    second = multi.view(ASSET, "5m")
    assert second.closed is first.closed
    assert second.forming.high == 2.0 and second.forming.volume == first.forming.volume + 1


def test_quiet_market_closes_the_derived_candle_on_the_clock():
    multi = MultiTimeframeBook((60,))
    multi.add_ticks([Tick(ASSET, T0 + 10, 1.0), Tick(ASSET, T0 + 130, 2.0)])
    assert multi.view(ASSET, "5m").forming.volume == 2
    multi.advance(T0 + 300)
    view = multi.view(ASSET, "5m")
    assert view.forming is None and view.closed.volume.tolist() == [2]
    assert np.array_equal(view.partial, [True])


def test_history_of_a_period_no_base_accepts_is_refused_before_anything_changes():
    multi = MultiTimeframeBook((5, 60))
    with pytest.raises(ValueError, match="fits no base"):
        multi.merge_history(ASSET, candles=[Candle(ASSET, 60, T0, 1, 1, 1, 1),
                                            Candle(ASSET, 300, T0, 1, 1, 1, 1)])
    assert multi.assets() == []
