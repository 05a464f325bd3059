from __future__ import annotations

import pytest

from quantumflux.core.model import Direction, Outcome, Timeframe, iso_utc, to_seconds


@pytest.mark.parametrize(
    ("text", "seconds", "canonical"),
    [("5s", 5, "5s"), ("1m", 60, "1m"), ("1h", 3600, "1h"), ("60", 60, "1m"), ("M1", 60, "1m"),
     ("4h", 14400, "4h"), ("1d", 86400, "1d"), (2700, 2700, "45m"), ("90", 90, "90s")],
)
def test_timeframe_parses_and_prints_canonically(text, seconds, canonical):
    tf = Timeframe.parse(text)
    assert tf.seconds == seconds
    assert str(tf) == canonical
    assert Timeframe.parse(str(tf)) == tf


@pytest.mark.parametrize("bad", ["", "0m", "abc", "-5s", "1x"])
def test_timeframe_rejects_nonsense_with_clear_error(bad):
    with pytest.raises(ValueError, match="timeframe"):
        Timeframe.parse(bad)


def test_tick_boundaries_go_to_different_candles():
    tf = Timeframe.parse("1m")
    assert tf.floor(119.999) == 60.0
    assert tf.floor(120.001) == 120.0


def test_millisecond_timestamps_are_normalised():
    assert to_seconds(1764000000123) == pytest.approx(1764000000.123)
    assert to_seconds(1764000000.5) == 1764000000.5


def test_iso_utc():
    assert iso_utc(0) == "1970-01-01T00:00:00Z"
    assert iso_utc(1.5, millis=True) == "1970-01-01T00:00:01.500Z"


def test_outcome_from_profit_never_invents():
    assert Outcome.from_profit(0.92, closed=True) is Outcome.WIN
    assert Outcome.from_profit(0.0, closed=True) is Outcome.DRAW
    assert Outcome.from_profit(-1.0, closed=True) is Outcome.LOSS
    assert Outcome.from_profit(0.92, closed=False) is Outcome.UNKNOWN
    assert Outcome.from_profit(None, closed=True) is Outcome.UNKNOWN


def test_direction_parse():
    assert Direction.parse(0) is Direction.CALL
    assert Direction.parse("PUT") is Direction.PUT
    with pytest.raises(ValueError):
        Direction.parse("sideways")
