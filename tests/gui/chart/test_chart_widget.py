"""CandleChart with real Qt (offscreen): items match the data, ticks stay local, readout, follow-live."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from tests.gui.chart.conftest import make_candles

from quantumflux.core import indicators
from quantumflux.core.model import Candle
from quantumflux.gui.chart.geometry import BODY_FRACTION
from quantumflux.gui.chart.items import ArrayItem


def forming_after(chart, price: float) -> Candle:
    time = chart.candles()["time"][-1] + 60
    last = chart.candles()["close"][-1]
    return Candle("EURUSD", 60, time, last, max(last, price) + 0.0001, min(last, price) - 0.0001, price, 3)


def drawn_buckets(chart):
    """Rebuild (x, open, high, low, close) per drawn bucket from the items' own geometry."""
    layer = chart.candle_layer
    result = {}
    for wicks, bodies, rising in ((layer.up_wicks, layer.up, True), (layer.down_wicks, layer.down, False)):
        for (x, low, _, high), (left, bottom, width, height) in zip(wicks.segments(), bodies.rects(),
                                                                   strict=True):
            assert left + width / 2 == pytest.approx(x)
            open_, close = (bottom, bottom + height) if rising else (bottom + height, bottom)
            result[round(x * 2) / 2] = (open_, high, low, close, width)
    return result


def test_items_match_the_data_one_candle_per_index(chart):
    data = make_candles(500)
    chart.set_data(*data)
    buckets = drawn_buckets(chart)
    (x_min, x_max), _ = chart.price_pane.view.viewRange()
    assert chart._factor == 1
    assert {int(x) for x in range(int(np.ceil(x_min)), 500) if x <= x_max} <= set(buckets)
    for x, (open_, high, low, close, width) in buckets.items():
        index = int(x)
        assert x == index
        assert (open_, high, low, close) == pytest.approx((data[1][index], data[2][index], data[3][index],
                                                           data[4][index]))
        assert width == pytest.approx(BODY_FRACTION)
    assert len(buckets) < 500  # only the visible window plus a margin is drawn


def test_zoomed_out_buckets_keep_first_open_max_high_min_low_last_close(chart):
    data = make_candles(100_000)
    chart.set_data(*data)
    chart.price_pane.view.setXRange(0, 100_000, padding=0)
    factor = chart._factor
    assert factor >= 64
    buckets = drawn_buckets(chart)
    assert len(buckets) == -(-100_000 // factor)  # every bucket of the whole history, each once
    for x, (open_, high, low, close, width) in buckets.items():
        start = int(round(x - (factor - 1) / 2))
        part = slice(start, min(start + factor, 100_000))
        assert open_ == pytest.approx(data[1][part][0])
        assert high == pytest.approx(data[2][part].max())
        assert low == pytest.approx(data[3][part].min())
        assert close == pytest.approx(data[4][part][-1])
        assert width == pytest.approx(factor * BODY_FRACTION)


def test_y_axis_scales_to_the_visible_candles(chart):
    data = make_candles(2000)
    chart.set_data(*data)
    chart.price_pane.view.setXRange(100, 200, padding=0)
    _, (y_min, y_max) = chart.price_pane.view.viewRange()
    low, high = data[3][100:201].min(), data[2][100:201].max()
    assert y_min < low and y_max > high
    assert (y_max - y_min) < (high - low) * 1.3


def test_crosshair_under_the_mouse_reads_out_that_candle(chart, qtbot):
    data = make_candles(300)
    chart.set_data(*data)
    chart.flush()
    index = 250
    scene_point = chart.price_pane.view.mapViewToScene(QtCore.QPointF(index, float(data[4][index])))
    view_point = chart.graphics.mapFromScene(scene_point)
    with qtbot.waitSignal(chart.crosshair_moved, timeout=2000) as blocker:
        qtbot.mouseMove(chart.graphics.viewport(), view_point)  # a real mouse event through the view
    text = chart.readout_text()
    assert blocker.args == [text]
    assert f"O {data[1][index]:.5f}" in text and f"H {data[2][index]:.5f}" in text
    assert f"L {data[3][index]:.5f}" in text and f"C {data[4][index]:.5f}" in text
    change = (data[4][index] - data[4][index - 1]) / data[4][index - 1] * 100
    assert f"{change:+.3f}%" in text
    assert text.startswith("2025-11-24 20:10")  # START + 250 minutes, UTC
    assert all(pane.vline.value() == index and pane.vline.isVisible() for pane in chart.panes)


def test_readout_includes_indicator_values(chart):
    data = make_candles(400)
    chart.set_data(*data)
    chart.add_indicator("sma", period=10)
    chart.add_indicator("rsi")
    chart.show_crosshair_at(300.2)
    sma = indicators.sma(data[4], 10)[300]
    rsi = indicators.rsi(data[4], 14)[300]
    assert f"SMA(10) {sma:.5f}" in chart.readout_text()
    assert f"RSI(14) {rsi:.2f}" in chart.readout_text()


def other_items(chart):
    items = [item for item in chart.graphics.scene().items() if isinstance(item, ArrayItem)]
    return [item for item in items if item is not chart.forming_item]


def test_a_tick_touches_only_the_forming_candle_and_the_price_line(chart):
    chart.set_data(*make_candles(3000))
    chart.add_indicator("bbands")
    chart.add_indicator("macd")
    chart.update_forming(forming_after(chart, float(chart.candles()["close"][-1])))
    chart.flush()
    before = {id(item): (item.changes, item.boundingRect()) for item in other_items(chart)}
    assert len(before) >= 10
    forming_changes, line_changes = chart.forming_item.changes, chart.price_line.changes
    for step in range(1, 6):
        chart.update_forming(forming_after(chart, float(chart.candles()["close"][-1]) + step * 0.00001))
        chart.flush()
    after = {id(item): (item.changes, item.boundingRect()) for item in other_items(chart)}
    assert after == before
    assert chart.forming_item.changes == forming_changes + 5
    assert chart.price_line.changes == line_changes + 5
    assert chart.forming_item.candle[0] == chart.candle_count  # drawn right of the last closed candle


def test_ticks_faster_than_the_screen_are_coalesced_into_one_frame(chart, qtbot):
    chart.set_data(*make_candles(500))
    frames = chart.frames
    last_price = float(chart.candles()["close"][-1])
    for step in range(200):
        chart.update_forming(forming_after(chart, last_price + step * 1e-6))
    assert chart.forming_item.candle is None or chart.forming_item.candle[4] != last_price + 199e-6
    qtbot.waitUntil(lambda: chart.frames > frames, timeout=2000)
    assert chart.frames == frames + 1
    assert chart.forming_item.candle[4] == pytest.approx(last_price + 199e-6)


def test_append_closed_extends_history_indicators_and_follows_live(chart, qtbot):
    data = make_candles(1000)
    chart.set_data(*data)
    indicator = chart.add_indicator("ema", period=20)
    candle = forming_after(chart, float(data[4][-1]) + 0.001)
    chart.update_forming(candle)
    chart.append_closed(candle)
    chart.flush()
    assert chart.candle_count == 1001
    assert chart.forming_item.candle is None  # the forming candle became history
    buckets = drawn_buckets(chart)
    assert buckets[1000.0][3] == pytest.approx(candle.close)
    closes = np.r_[data[4], candle.close]
    ema = chart._indicators[indicator].values["ema"]
    np.testing.assert_allclose(ema, indicators.ema(closes, 20), equal_nan=True)
    (_, x_max), _ = chart.price_pane.view.viewRange()
    assert x_max >= 1001  # still following the live edge


def test_pan_away_stops_following_and_the_button_returns(chart, qtbot):
    chart.set_data(*make_candles(1000))
    with qtbot.waitSignal(chart.follow_live_changed, timeout=1000) as blocker:
        chart.pan(-0.5)
    assert blocker.args == [False] and not chart.live_button.isChecked()
    (_, x_max), _ = chart.price_pane.view.viewRange()
    chart.append_closed(forming_after(chart, 1.2))
    chart.flush()
    assert chart.price_pane.view.viewRange()[0][1] == pytest.approx(x_max)  # stays where the user is
    with qtbot.waitSignal(chart.follow_live_changed, timeout=1000) as blocker:
        chart.live_button.click()
    assert blocker.args == [True]
    assert chart.price_pane.view.viewRange()[0][1] > chart.candle_count


def test_keys_zoom_and_pan(chart, qtbot):
    chart.set_data(*make_candles(1000))
    (x_min, x_max), _ = chart.price_pane.view.viewRange()
    qtbot.keyClick(chart.graphics, QtCore.Qt.Key.Key_Up)
    (zoomed_min, zoomed_max), _ = chart.price_pane.view.viewRange()
    assert zoomed_max - zoomed_min == pytest.approx((x_max - x_min) * 0.8)
    qtbot.keyClick(chart.graphics, QtCore.Qt.Key.Key_Left)
    assert chart.price_pane.view.viewRange()[0][1] < zoomed_max and not chart.follow_live
    qtbot.keyClick(chart.graphics, QtCore.Qt.Key.Key_Home)
    (home_min, home_max), _ = chart.price_pane.view.viewRange()
    assert home_min < 0 < home_max < 200 and home_max - home_min == pytest.approx(zoomed_max - zoomed_min)
    qtbot.keyClick(chart.graphics, QtCore.Qt.Key.Key_End)
    assert chart.follow_live and chart.price_pane.view.viewRange()[0][1] > chart.candle_count


def test_indicators_are_added_to_panes_and_removed(chart):
    chart.set_data(*make_candles(500))
    panes = len(chart.panes)
    rsi = chart.add_indicator("rsi", period=7)
    macd = chart.add_indicator("macd")
    sma = chart.add_indicator("sma", period=5)
    assert len(chart.panes) == panes + 2
    assert chart.panes[-2].fixed_range == (0.0, 100.0)
    with pytest.raises(ValueError, match="unknown indicator"):
        chart.add_indicator("nope")
    with pytest.raises(ValueError):
        chart.add_indicator("sma", period=1)
    with pytest.raises(ValueError, match="unknown parameter"):
        chart.add_indicator("sma", length=3)
    assert len(chart.panes) == panes + 2 and len(chart.indicator_ids()) == 4
    stoch = chart.add_indicator("stoch")

    def rows():
        """Each pane's cell in the layout and whether it shows the time axis."""
        return [(chart.graphics.ci.items[p.plot], p.plot.getAxis("bottom").isVisible()) for p in chart.panes]

    assert rows()[-1] == ([(len(chart.panes) - 1, 0)], True)
    chart.remove_indicator(macd)  # a pane in the middle: the ones below move up, no gap
    assert [cell for cell, _ in rows()] == [[(row, 0)] for row in range(panes + 2)]
    assert [shown for _, shown in rows()] == [False] * (panes + 1) + [True]
    chart.remove_indicator(stoch)  # the bottom pane: the one above takes the time axis
    assert rows()[-1] == ([(panes, 0)], True)
    removed_pane = next(iter(chart._spare_panes.values()))
    macd = chart.add_indicator("macd")  # a removed pane is kept and re-used, showing the new indicator
    assert chart.panes[-1] is removed_pane and rows()[-1] == ([(len(chart.panes) - 1, 0)], True)
    layer = next(iter(chart._indicators[macd].layers.values()))
    assert layer in removed_pane.layers and np.isfinite(layer.values[-50:]).all()
    chart.remove_indicator(rsi)
    chart.remove_indicator(macd)
    chart.remove_indicator(sma)
    assert len(chart.panes) == panes
    with pytest.raises(ValueError):
        chart.remove_indicator(sma)


def test_line_mode_draws_the_closes(chart):
    data = make_candles(300)
    chart.set_data(*data)
    chart.set_mode("line")
    x, y = chart.candle_layer.line.points()
    assert chart.candle_layer.line.isVisible() and not chart.candle_layer.up.isVisible()
    np.testing.assert_allclose(y, data[4][x.astype(int)])
    with pytest.raises(ValueError):
        chart.set_mode("bars")


def test_markers_sit_at_their_candles(chart):
    data = make_candles(300)
    chart.set_data(*data)
    chart.add_signal_marker(data[0][200] + 30, "call")
    chart.add_signal_marker(data[0][210], "put")
    chart.add_trade_marker(data[0][220], data[0][225], 1.2, "call", "win")
    chart.add_trade_marker(data[0][290], data[0][-1] + 120, 1.21, "put", None)
    chart.flush()
    calls = chart.markers.call_arrows.getData()
    puts = chart.markers.put_arrows.getData()
    assert (calls[0][0], calls[1][0]) == (200, data[3][200])
    assert (puts[0][0], puts[1][0]) == (210, data[2][210])
    win_x, win_y = chart.markers.trade_lines["win"].getData()
    assert list(win_x) == [220, 225] and list(win_y) == [1.2, 1.2]
    open_x, _ = chart.markers.trade_lines["open"].getData()
    assert open_x[1] == pytest.approx(301.0)  # expiry past the last candle extrapolates by timeframe
    with pytest.raises(ValueError):
        chart.add_signal_marker(data[0][5], "sideways")


def test_bad_data_is_rejected_and_the_chart_keeps_its_candles(chart):
    data = make_candles(100)
    chart.set_data(*data)
    with pytest.raises(ValueError):
        chart.set_data(data[0][:5], *data[1:])
    assert chart.candle_count == 100
    with pytest.raises(TypeError):
        chart.append_closed(object())
    assert chart.candle_count == 100


def test_time_axis_labels_at_every_zoom(chart):
    chart.set_data(*make_candles(200_000))
    axis = chart.panes[-1].time_axis
    for x_min, x_max, pattern in ((199_900, 200_000, r"^\d\d:\d\d$"), (0, 200_000, r"^(\d\d [A-Z][a-z]{2}|[A-Z][a-z]{2} \d{4})$")):
        levels = axis.tickValues(x_min, x_max, 900)
        values = levels[0][1]
        labels = axis.tickStrings(values, 1, 1)
        assert 3 <= len(values) <= 12
        assert all(re.match(pattern, label) for label in labels), labels


def test_indicators_on_candle_close_match_a_full_recompute(chart):
    data = make_candles(6000)
    chart.set_data(*data)
    ids = {name: chart.add_indicator(name) for name in ("ema", "rsi", "macd", "bbands", "atr")}
    stores = {name: dict(chart._indicators[indicator_id]._store) for name, indicator_id in ids.items()}
    closes = list(data[4])
    columns = {name: list(values) for name, values in zip(("time", "open", "high", "low", "close"), data, strict=False)}
    for step in range(1, 41):
        price = closes[-1] + (-1) ** step * 0.0003 * step
        candle = Candle("X", 60, columns["time"][-1] + 60, closes[-1], max(closes[-1], price) + 1e-4,
                        min(closes[-1], price) - 1e-4, price, 1)
        for name, value in zip(("time", "open", "high", "low", "close"), (candle.time, candle.open, candle.high,
                                                                           candle.low, candle.close), strict=True):
            columns[name].append(value)
        chart.append_closed(candle)
        if step % 7 == 0 or step == 40:  # several candles per frame as well as one
            chart.flush()
    full = {name: np.asarray(values) for name, values in columns.items()}
    for name, indicator_id in ids.items():
        spec = indicators.INDICATORS[name]
        expected = spec.compute(full)
        shown = chart._indicators[indicator_id].values
        assert chart._indicators[indicator_id]._store == stores[name]  # extended in place, not recomputed
        for output, values in expected.items():
            assert len(shown[output]) == 6040
            np.testing.assert_allclose(shown[output], values, rtol=1e-9, atol=1e-12, equal_nan=True,
                                       err_msg=f"{name}.{output}")


def wheel(chart, qtbot, view_x: float, steps: int) -> None:
    _, (y_min, y_max) = chart.price_pane.view.viewRange()
    target = QtCore.QPointF(view_x, (y_min + y_max) / 2)
    point = chart.graphics.mapFromScene(chart.price_pane.view.mapViewToScene(target))
    event = QtGui.QWheelEvent(QtCore.QPointF(point), QtCore.QPointF(chart.graphics.viewport().mapToGlobal(point)),
                              QtCore.QPoint(), QtCore.QPoint(0, 120 * steps), QtCore.Qt.MouseButton.NoButton,
                              QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(chart.graphics.viewport(), event)


def test_mouse_wheel_zooms_around_the_right_edge_while_following(chart, qtbot):
    chart.set_data(*make_candles(2000))
    (x_min, x_max), _ = chart.price_pane.view.viewRange()
    wheel(chart, qtbot, (x_min + x_max) / 2, 1)
    (zoomed_min, zoomed_max), _ = chart.price_pane.view.viewRange()
    assert zoomed_max == pytest.approx(x_max) and zoomed_max - zoomed_min < x_max - x_min
    assert chart.follow_live
    chart.pan(-0.5)
    assert not chart.follow_live
    (x_min, x_max), _ = chart.price_pane.view.viewRange()
    wheel(chart, qtbot, x_min + (x_max - x_min) * 0.25, -1)  # not following: zooms around the pointer
    (out_min, out_max), _ = chart.price_pane.view.viewRange()
    assert out_max - out_min > x_max - x_min and out_max != pytest.approx(x_max)
