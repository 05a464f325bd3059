"""Edge cases: an empty chart, a single candle, live candles before any history."""

from __future__ import annotations

from datetime import UTC

import numpy as np
from tests.gui.chart.conftest import START

from quantumflux.core.model import Candle
from quantumflux.gui.chart import CandleChart


def test_empty_chart_then_live_candles_build_history(chart):
    empty = np.zeros(0)
    chart.set_data(empty, empty, empty, empty, empty, empty)
    assert chart.candle_count == 0 and chart.readout_text() == ""
    chart.update_forming(Candle("X", 60, START, 1.0, 1.2, 0.9, 1.1, 1))
    chart.flush()
    assert chart.forming_item.candle == (0.0, 1.0, 1.2, 0.9, 1.1)
    assert chart.price_line.price == 1.1 and chart.price_line.text.endswith("1:00")  # 60 s left at START
    chart.append_closed(Candle("X", 60, START, 1.0, 1.2, 0.9, 1.1, 1))
    chart.add_indicator("sma", period=3)  # fewer candles than the period: all NaN, still fine
    chart.flush()
    assert chart.candle_count == 1 and chart.forming_item.candle is None
    assert "C 1.10000" in chart.readout_text()
    assert chart.candle_layer.up.rects().shape == (1, 4)
    _, (low, high) = chart.price_pane.view.viewRange()
    assert low < 0.9 and high > 1.2


def test_update_forming_none_hides_the_forming_candle(chart):
    chart.set_data(np.array([START]), np.array([1.0]), np.array([1.1]), np.array([0.9]), np.array([1.05]),
                   np.array([3.0]))
    chart.update_forming(Candle("X", 60, START + 60, 1.05, 1.2, 1.0, 1.15, 1))
    chart.flush()
    assert chart.forming_item.candle is not None and chart.price_line.price == 1.15
    chart.update_forming(None)
    chart.flush()
    assert chart.forming_item.candle is None and chart.price_line.price == 1.05


def test_seconds_timeframe_labels_and_countdown(qtbot):
    count = 2000
    times = START + np.arange(count) * 5.0
    now = [float(times[-1]) + 5 + 2.0]  # two seconds into the forming 5 s candle
    chart = CandleChart(tz=UTC, clock=lambda: now[0])
    qtbot.addWidget(chart)
    chart.resize(1000, 700)
    chart.show()
    close = 1.0 + np.sin(np.arange(count) / 10) * 0.01
    chart.set_timeframe(5)
    chart.set_data(times, close, close + 0.001, close - 0.001, close, np.ones(count))
    axis = chart.panes[-1].time_axis
    values = axis.tickValues(count - 30, count, 900)[0][1]
    labels = axis.tickStrings(values, 1, 1)
    assert labels and all(len(label) == 8 and label.count(":") == 2 for label in labels), labels
    chart.update_forming(Candle("X", 5, times[-1] + 5, 1.0, 1.0, 1.0, 1.0, 1))
    chart.flush()
    assert chart.price_line.text == "1.00000\n0:03"
    assert chart.readout_text().startswith("2025-11-24 18:46:35")  # seconds shown below one minute
    now[0] += 1.0
    qtbot.waitUntil(lambda: chart.price_line.text.endswith("0:02"), timeout=3000)  # the 1 s clock timer
