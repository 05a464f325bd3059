"""Terminal panels, offscreen with real Qt widgets."""

from __future__ import annotations

from PySide6.QtCore import Qt

from quantumflux.core.model import Asset, Balance, Deal, Direction
from quantumflux.core.source import SourceState, SourceStatus
from quantumflux.gui.widgets.asset_list import AssetList
from quantumflux.gui.widgets.source_badge import SourceBadge
from quantumflux.gui.widgets.timeframe_bar import TimeframeBar
from quantumflux.gui.widgets.trade_ticket import TradeTicket

ASSETS = [
    Asset("EURUSD_otc", "EUR/USD OTC", payout=92, otc=True, active=True),
    Asset("#AAPL_otc", "Apple OTC", payout=80, otc=True, active=True),
    Asset("AUDCAD", "AUD/CAD", payout=70, active=False),
    Asset("BTCUSD_otc", "Bitcoin OTC", payout=85, otc=True, active=True),
]


def test_asset_list_orders_favorites_first_then_open_by_payout(qtbot):
    widget = AssetList()
    qtbot.addWidget(widget)
    widget.set_assets(ASSETS)
    assert widget.symbols_in_view() == ["EURUSD_otc", "BTCUSD_otc", "#AAPL_otc", "AUDCAD"]
    widget.set_favorites(["#AAPL_otc"])
    assert widget.symbols_in_view()[0] == "#AAPL_otc"
    widget.search.setText("btc")
    assert widget.symbols_in_view() == ["BTCUSD_otc"]
    widget.search.setText("eur/usd")
    assert widget.symbols_in_view() == ["EURUSD_otc"]


def test_asset_list_click_selects_and_star_toggles_favorite(qtbot):
    widget = AssetList()
    qtbot.addWidget(widget)
    widget.set_assets(ASSETS)
    with qtbot.waitSignal(widget.asset_selected) as selected:
        assert widget.select("BTCUSD_otc")
    assert selected.args == ["BTCUSD_otc"]
    assert widget.selected_symbol() == "BTCUSD_otc"
    index = widget.table.model().index(0, 0)  # star column of the first row (EURUSD_otc)
    with qtbot.waitSignal(widget.favorite_toggled) as toggled:
        widget.table.clicked.emit(index)
    assert toggled.args == ["EURUSD_otc", True]
    assert widget.favorites() == ["EURUSD_otc"]


def test_timeframe_bar_enables_only_supported(qtbot):
    bar = TimeframeBar()
    qtbot.addWidget(bar)
    bar.set_available(60)
    assert bar.enabled_timeframes() == [60, 300, 900, 1800, 3600, 14400, 86400]
    bar.set_available(5)
    assert 5 in bar.enabled_timeframes() and 15 in bar.enabled_timeframes()
    bar.set_available(None)
    assert bar.enabled_timeframes() == []
    bar.set_available(5)
    with qtbot.waitSignal(bar.timeframe_changed) as changed:
        qtbot.mouseClick(bar.buttons[300], Qt.MouseButton.LeftButton)
    assert changed.args == [300]
    assert bar.current() == 300


def test_source_badge_text(qtbot):
    badge = SourceBadge()
    qtbot.addWidget(badge)
    badge.show_status(SourceStatus(SourceState.LIVE, "A", 0.2))
    assert "LIVE" in badge.text() and badge.state is SourceState.LIVE
    badge.show_status(SourceStatus(SourceState.STALE, "A", 12.0))
    assert "STALE (12s)" in badge.text()
    badge.show_status(SourceStatus(SourceState.HISTORICAL, "A"), history_range="2026-01-01 → 2026-01-03")
    assert "2026-01-01 → 2026-01-03" in badge.text()


def test_trade_ticket_requests_and_shows_results(qtbot):
    ticket = TradeTicket()
    qtbot.addWidget(ticket)
    assert not ticket.call_button.isEnabled()
    assert ticket.account.text() == "DEMO"
    ticket.set_trading_enabled(True)
    ticket.set_asset("EURUSD_otc", 92)
    ticket.amount.setValue(10)
    assert ticket.profit_label.text() == "9.20"
    with qtbot.waitSignal(ticket.trade_requested) as requested:
        qtbot.mouseClick(ticket.put_button, Qt.MouseButton.LeftButton)
    assert requested.args == ["put", 10.0, 60]
    ticket.set_balance(Balance(1234.5, is_demo=False, currency="USD"))
    assert ticket.account.text() == "REAL MONEY" and "1,234.50" in ticket.balance.text()
    deal = Deal("d1", "EURUSD_otc", Direction.PUT, 10, open_time=0, close_time=60, open_price=1.1)
    ticket.show_opened([deal])
    assert ticket.open_table.rowCount() == 1
    ticket.tick_countdowns(now=15)
    assert ticket.open_table.item(0, 4).text() == "45s"
    closed = Deal("d1", "EURUSD_otc", Direction.PUT, 10, open_time=0, close_time=60, profit=9.2, closed=True)
    ticket.show_closed([closed])
    assert ticket.open_table.rowCount() == 0
    assert ticket.closed_table.item(0, 3).text() == "win"
    assert ticket.closed_table.item(0, 4).text() == "+9.20"
