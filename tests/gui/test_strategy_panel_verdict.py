"""The strategy panel's live A/B verdict (offscreen Qt): the runner's expectancy comparison, said in full."""

from __future__ import annotations

import sys
from pathlib import Path

from quantumflux.gui.controller import TerminalController
from quantumflux.gui.window import TerminalWindow
from quantumflux.services.live_market import LiveMarket
from quantumflux.services.market_state import MarketState

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from test_strategy_runner import ASSET, feed_ticks, make_runner, price_path  # noqa: E402


def test_the_ab_box_shows_the_expectancy_verdict_of_the_checked_strategies(qtbot, tmp_path: Path) -> None:
    window = TerminalWindow(tmp_path / "gui.ini")
    qtbot.addWidget(window)
    controller = TerminalController(window, LiveMarket(MarketState()))
    runner, _, clock = make_runner(tmp_path)
    controller.set_strategy_runner(runner, ["sma_cross", "macd_cross"])
    controller.asset, controller.timeframe = ASSET, 5
    panel = window.strategy_panel
    panel.checks["sma_cross"].setChecked(True)
    panel.checks["macd_cross"].setChecked(True)
    times, prices = price_path(9000, seed=12)
    feed_ticks(runner, clock, times, prices)
    panel.ab.setChecked(True)
    controller.refresh_status()
    text = panel.verdict.text()
    first, second = (f"{name}@{ASSET}/5s" for name in ("sma_cross", "macd_cross"))
    assert text == f"A/B {first} vs {second}: {runner.compare(first, second).verdict}"
    assert "expectancy" in text and "block bootstrap" in text
    panel.ab.setChecked(False)
    controller.refresh_status()
    assert panel.verdict.text() == ""
