"""The chart after a history merge rebuilt its view: candles closed before the GUI's next frame are drawn once."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject

from quantumflux.core.candles import CandleArrays
from quantumflux.core.model import Tick
from quantumflux.core.protocol.events import TicksReceived
from quantumflux.gui.controller import TerminalController
from quantumflux.gui.window import TerminalWindow
from quantumflux.services.live_market import LiveMarket
from quantumflux.services.market_state import MarketState, StoredHistoryLoaded

ASSET = "EURUSD_otc"
START = 1_800_000_000.0  # a whole minute


def stored_minutes(count: int, end: float = START) -> CandleArrays:
    """``count`` 1-minute candles ending at ``end`` (where the live ticks begin)."""
    times = end - 60.0 * np.arange(count, 0, -1)
    close = 1.1 + 0.0001 * np.arange(count)
    return CandleArrays(times, close, close + 0.0002, close - 0.0002, close, np.ones(count, dtype=np.int64))


def ticks(*pairs: tuple[float, float]) -> TicksReceived:
    return TicksReceived(pairs[-1][0], "s1", tuple(Tick(ASSET, START + t, p) for t, p in pairs))


def chart_times(window: TerminalWindow) -> np.ndarray:
    return np.array(window.chart._buffer.column("time"))


def test_a_candle_closed_between_a_history_merge_and_the_next_frame_is_drawn_once(qtbot, tmp_path: Path) -> None:
    now = [START + 1.0]
    state = MarketState(clock=lambda: now[0], close_delay=0.0)
    window = TerminalWindow(tmp_path / "gui.ini")
    qtbot.addWidget(window)
    market = LiveMarket(state)
    controller = TerminalController(window, market, clock=lambda: now[0])
    try:
        controller.timeframe = 60
        market.apply([ticks((0.5, 1.2), (1.0, 1.21))])
        controller.select_asset(ASSET)
        controller._on_events([])
        assert len(chart_times(window)) == 0  # only the forming minute so far

        # The worker's stored read lands (the market rebuilds the chart's view), then a tick of the
        # next minute closes the first live candle - all before the GUI's next frame.
        market.apply([StoredHistoryLoaded(ASSET, stored_minutes(30))])
        now[0] = START + 61.0
        market.apply([ticks((60.5, 1.22))])
        controller._on_events([])  # the frame: the rebuilt view (which holds the closed candle)
        now[0] = START + 62.0
        controller._on_events([ticks((61.5, 1.23))])  # the next frame: more ticks of the new minute

        view = state.view
        assert view is not None and view.asset == ASSET
        expected = view.arrays().time
        assert len(expected) == 31 and expected[-1] == START  # 30 stored + the live minute that closed
        np.testing.assert_array_equal(chart_times(window), expected)  # each candle once, none appended twice
    finally:
        market.close()


class PaintSpy(QObject):
    def __init__(self, events: list[tuple[str, str]]) -> None:
        super().__init__()
        self.events = events

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            self.events.append(("paint", ""))
        return False


def test_an_asset_switch_reads_its_stored_history_after_the_chart_painted(qtbot, tmp_path: Path) -> None:
    events: list[tuple[str, str]] = []

    def stored(asset: str) -> CandleArrays:
        events.append(("read", asset))
        return stored_minutes(30, end=time.time() // 60 * 60)

    window = TerminalWindow(tmp_path / "gui.ini")
    qtbot.addWidget(window)
    market = LiveMarket(MarketState(stored_history=stored, defer_stored=True))
    controller = TerminalController(window, market)
    window.show()
    qtbot.waitExposed(window)
    spy = PaintSpy(events)
    window.chart.graphics.viewport().installEventFilter(spy)
    try:
        controller.select_asset(ASSET)
        qtbot.waitUntil(lambda: ("read", ASSET) in events, timeout=5000)
        assert ("paint", "") in events and events.index(("paint", "")) < events.index(("read", ASSET))
        qtbot.waitUntil(lambda: market.stored_ready(ASSET), timeout=5000)
        controller._on_events([])  # the frame that shows the merged history
        assert len(chart_times(window)) == 30
    finally:
        market.close()
