"""Follow browser: the terminal follows the page, but not the steps of a page switch it asked for itself.

The page switcher (Selenium on the real page) is the one seam replaced here: it records what it was asked;
what the page then reports arrives as the decoder's own ``PageChoiceChanged`` events.
"""

from __future__ import annotations

from pathlib import Path

from quantumflux.core.model import PageChoice
from quantumflux.core.protocol.events import PageChoiceChanged, SocketOpened
from quantumflux.gui.controller import PAGE_SWITCH_GRACE, TerminalController
from quantumflux.gui.window import TerminalWindow
from quantumflux.services.live_market import LiveMarket
from quantumflux.services.market_state import MarketState


def test_the_page_on_its_way_to_a_switch_does_not_flip_the_users_timeframe(qtbot, tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    window = TerminalWindow(tmp_path / "gui.ini")
    qtbot.addWidget(window)
    market = LiveMarket(MarketState(clock=lambda: now[0]))
    asked: list[tuple[str, int]] = []
    controller = TerminalController(window, market, page_switcher=lambda asset, period: asked.append((asset, period)),
                                    clock=lambda: now[0])

    def page_reports(asset: str, period: int) -> None:
        controller._on_events([PageChoiceChanged(now[0], "s1", PageChoice(asset, period), "changeSymbol")])

    try:
        controller._on_events([SocketOpened(now[0], "s1", "wss://demo-api-eu.po.market/socket.io/", True)])
        assert window.follow_browser.isChecked() and controller.state.connected
        controller.select_asset("EURUSD_otc")
        qtbot.waitUntil(lambda: ("EURUSD_otc", 60) in asked, timeout=5000)  # after the chart's paint (or 250 ms)
        page_reports("EURUSD_otc", 60)
        controller._on_timeframe_changed(5)  # the user's timeframe; the page stays at 60 s

        controller.select_asset("BTCUSD_otc")
        qtbot.waitUntil(lambda: ("BTCUSD_otc", 5) in asked, timeout=5000)
        page_reports("BTCUSD_otc", 60)  # the page shows the new asset at its old period first...
        assert (controller.asset, controller.timeframe) == ("BTCUSD_otc", 5)
        page_reports("BTCUSD_otc", 5)  # ...then the period it was asked for
        assert (controller.asset, controller.timeframe) == ("BTCUSD_otc", 5)
        assert window.timeframes.current() == 5

        page_reports("#AAPL_otc", 60)  # the user changes the page itself: followed
        assert (controller.asset, controller.timeframe) == ("#AAPL_otc", 60)

        # A switch the page never completes holds its reports only for the grace period.
        controller.select_asset("XAUUSD_otc")
        qtbot.waitUntil(lambda: ("XAUUSD_otc", 60) in asked, timeout=5000)
        page_reports("EURUSD_otc", 30)
        assert controller.asset == "XAUUSD_otc"
        now[0] += PAGE_SWITCH_GRACE + 1
        page_reports("EURUSD_otc", 30)
        assert (controller.asset, controller.timeframe) == ("EURUSD_otc", 30)
        assert len(asked) == 3  # each user switch drove the page once; following the page drove it never

        # Switches faster than the chart paints: only the last one drives the page.
        controller.select_asset("#AAPL_otc")
        controller.select_asset("BTCUSD_otc")
        qtbot.waitUntil(lambda: len(asked) == 4, timeout=5000)
        qtbot.wait(300)
        assert asked[3:] == [("BTCUSD_otc", 30)]
    finally:
        market.close()
