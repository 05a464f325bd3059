"""Pure-numpy parts of the chart: growable buffer, re-aggregation pyramid, windows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.gui.chart.conftest import make_candles

from quantumflux.gui.chart.geometry import Window, body_rects, peak_line, window_for, window_ohlc
from quantumflux.gui.chart.series import CandleBuffer, LinePyramid, OhlcPyramid, aggregate, level_factor

COLUMNS = ("time", "open", "high", "low", "close", "volume")


def filled(count: int, seed: int = 3) -> CandleBuffer:
    buffer = CandleBuffer()
    buffer.set(dict(zip(COLUMNS, make_candles(count, seed), strict=True)))
    return buffer


@given(count=st.integers(1, 300), factor=st.sampled_from([2, 4, 8, 16, 64]), seed=st.integers(0, 50))
@settings(max_examples=60, deadline=None)
def test_aggregate_keeps_open_first_high_max_low_min_close_last(count, factor, seed):
    _, o, h, low, c, v = make_candles(count, seed)
    opens, highs, lows, closes, volumes = aggregate(o, h, low, c, v, factor)
    assert len(opens) == -(-count // factor)
    for bucket in range(len(opens)):
        part = slice(bucket * factor, min(count, (bucket + 1) * factor))
        assert opens[bucket] == o[part][0]
        assert highs[bucket] == h[part].max()
        assert lows[bucket] == low[part].min()
        assert closes[bucket] == c[part][-1]
        assert volumes[bucket] == pytest.approx(v[part].sum())


def test_pyramid_updated_on_append_equals_a_fresh_build():
    data = make_candles(1000)
    buffer = CandleBuffer()
    buffer.set({name: column[:333] for name, column in zip(COLUMNS, data, strict=True)})
    pyramid = OhlcPyramid(buffer)
    for factor in (2, 8, 64):
        pyramid.level(factor)
    for index in range(333, 1000):
        buffer.append(tuple(column[index] for column in data))
        pyramid.on_appended()
    fresh = OhlcPyramid(buffer)
    for factor in (2, 8, 64):
        kept, built = pyramid.level(factor), fresh.level(factor)
        assert kept.size == built.size == -(-1000 // factor)
        for name in ("open", "high", "low", "close", "volume"):
            np.testing.assert_allclose(kept.view(name), built.view(name))
    assert pyramid.builds == 3  # never rebuilt while appending


def test_buffer_append_grows_geometrically_and_rejects_old_candles():
    buffer = filled(10)
    capacities = {buffer.capacity}
    for step in range(1, 20_000):
        buffer.append((buffer.column("time")[-1] + 60, 1.0, 1.0, 1.0, 1.0, step))
        capacities.add(buffer.capacity)
    assert len(buffer) == 20_009
    assert len(capacities) <= 6  # a handful of doublings, not one copy per append
    with pytest.raises(ValueError, match="not after the last candle"):
        buffer.append((buffer.column("time")[-1], 1, 1, 1, 1, 1))
    assert len(buffer) == 20_009


def test_set_rejects_bad_input_and_keeps_the_previous_history():
    buffer = filled(50)
    before = buffer.column("close").copy()
    with pytest.raises(ValueError, match="same length"):
        buffer.set({"time": [1, 2], "open": [1], "high": [1], "low": [1], "close": [1], "volume": [1]})
    with pytest.raises(ValueError, match="strictly increasing"):
        buffer.set({name: [2.0, 1.0] for name in COLUMNS})
    np.testing.assert_array_equal(buffer.column("close"), before)


def test_level_factor_keeps_buckets_at_least_three_pixels_wide():
    assert level_factor(10.0) == 1
    assert level_factor(3.0) == 1
    for pixels in (2.9, 1.0, 0.1, 0.001):
        factor = level_factor(pixels)
        assert factor * pixels >= 3.0 and factor // 2 * pixels < 3.0


def test_window_is_snapped_so_small_pans_reuse_it():
    first = window_for(1000.0, 1120.0, 5000, 1)
    assert first.start <= 1000 - 60 and first.stop >= 1120 + 60
    assert window_for(1003.0, 1123.0, 5000, 1) == first
    assert window_for(-50.0, 20.0, 10, 1) == Window(0, 10, 1)


def test_window_geometry_of_aggregated_buckets():
    buffer = filled(1000)
    pyramid = OhlcPyramid(buffer)
    ohlc = window_ohlc(buffer, pyramid, Window(0, 1000, 8))
    assert len(ohlc.x) == 125 and ohlc.x[0] == pytest.approx(3.5)
    up, down = body_rects(ohlc)
    assert len(up) + len(down) == 125


def test_peak_line_keeps_extremes_when_zoomed_out():
    values = np.sin(np.arange(4096) / 7.0)
    values[1000] = 5.0
    x, y = peak_line(values, Window(0, 4096, 64), LinePyramid(values).level(64))
    assert y.max() == 5.0 and len(x) == 2 * 64
