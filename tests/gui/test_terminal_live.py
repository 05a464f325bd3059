"""The terminal end to end: practice broker + headless Chromium + CDP capture + real Qt widgets."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from quantumflux.config import Settings
from quantumflux.core.model import Outcome
from quantumflux.core.source import SourceState
from quantumflux.services.terminal_session import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]



@pytest.fixture
def terminal(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from quantumflux.gui.app import Terminal

    monkeypatch.setenv("QF_HOME", str(tmp_path / "home"))
    threads_before = {t.ident for t in threading.enumerate()}
    port = free_port()
    term = Terminal.build(
        Settings(data_root=tmp_path / "data"),
        demo=True,
        settings_file=tmp_path / "terminal.ini",
        broker_options={"port": port, "seed": 3, "tick_rate": 5.0, "assets": 40},
        stale_after=2.0,
        historical_after=6.0,
    )
    qtbot.addWidget(term.window)
    term.start()
    yield term
    term.shutdown()
    deadline = time.time() + 10
    while time.time() < deadline:
        leaked = [t for t in threading.enumerate() if t.ident not in threads_before and t.is_alive()
                  and not t.daemon]
        if not leaked:
            break
        time.sleep(0.2)
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"


def _badge(term) -> SourceState | None:
    return term.window.badge.state


def test_terminal_goes_live_isolates_assets_recomputes_and_senses_the_source(terminal, qtbot):
    term = terminal
    controller = term.controller
    qtbot.waitUntil(lambda: controller.asset is not None and _badge(term) is SourceState.LIVE, timeout=45000)
    asset = controller.asset
    assert term.state.assets, "the broker's asset list reached the terminal"
    assert len(term.window.assets.symbols_in_view()) >= 40

    # Candles grow: the forming candle follows ticks and the view keeps the live asset's prices only.
    view = term.state.view
    first_count = view.forming().volume
    qtbot.waitUntil(lambda: term.state.view.forming() is not None and term.state.view.forming().volume > first_count + 3,
                    timeout=15000)

    # Switch asset: the chart shows only that asset's data (prices in its own range). The broker streams
    # only what the page shows, so the terminal switches the page (follow browser), which subscribes it.
    other = next(s for s in term.window.assets.symbols_in_view() if s != asset and term.state.assets[s].active
                 and s.startswith("BTC"))
    assert term.window.follow_browser.isChecked()
    assert not any(other in c["streams"] for c in term.session.broker.state()["clients"])
    reads: list[tuple[str, str]] = []
    read_stored = term.state._stored_history

    def spy(symbol: str):
        reads.append((symbol, threading.current_thread().name))
        return read_stored(symbol)

    term.state._stored_history = spy
    controller.select_asset(other)
    assert controller.asset == other and term.state.view.asset == other
    qtbot.waitUntil(lambda: bool(reads), timeout=10000)
    assert reads[0][0] == other and reads[0][1].startswith("qf-history-reader"), \
        f"stored history must be read off the GUI thread: {reads}"
    qtbot.waitUntil(lambda: any(other in c["streams"] for c in term.session.broker.state()["clients"]),
                    timeout=20000)
    qtbot.waitUntil(lambda: term.state.view.forming() is not None, timeout=15000)
    assert controller.asset == other  # following the page's own changeSymbol kept the asset
    btc_view = term.state.view
    prices = np.concatenate([btc_view.arrays().close, [btc_view.forming().close]])
    assert prices.min() > 100, "another asset's price reached the BTC chart"

    # A timeframe change recomputes locally from the base data.
    controller._on_timeframe_changed(5)
    five = term.state.view
    assert five.timeframe == 5 and term.window.timeframes.current() == 5
    qtbot.waitUntil(lambda: len(term.state.view.arrays()) >= 2, timeout=20000)
    arrays = term.state.view.arrays()
    assert np.all(np.diff(arrays.time) % 5 == 0) and np.all(arrays.time % 5 == 0)
    assert np.all(arrays.high >= np.maximum(arrays.open, arrays.close))

    # Collector panel: on writes chunked CSVs for the live stream, off flushes them.
    panel = term.window.collector_panel
    assert panel.toggle.isEnabled()
    panel.toggle.setChecked(True)
    qtbot.waitUntil(lambda: term.controller.collector.status() is not None
                    and term.controller.collector.status().ticks_written > 20, timeout=20000)
    panel.toggle.setChecked(False)
    tick_files = list((term.session.settings.realtime_dir / "1M_tick_data").glob("*.csv"))
    assert tick_files and all(f.read_text().startswith("timestamp,asset,price") for f in tick_files)

    # A demo trade from the ticket: positions, then closed trades with the broker's own result.
    ticket = term.window.ticket
    qtbot.waitUntil(lambda: ticket.call_button.isEnabled(), timeout=10000)
    ticket.amount.setValue(3)
    ticket.expiry.setCurrentIndex(ticket.expiry.findData(5))
    ticket.call_button.click()
    qtbot.waitUntil(lambda: len(ticket.open_deals()) == 1, timeout=30000)
    qtbot.waitUntil(lambda: len(ticket.closed_deals()) == 1, timeout=30000)
    deal = ticket.closed_deals()[0]
    entry = next(e for e in term.session.broker.ledger if e.status != "failed")
    assert deal.asset == other == entry.asset and deal.amount == 3.0
    assert deal.profit == pytest.approx(entry.profit, abs=0.005)
    assert entry.closed and deal.outcome is Outcome.from_profit(entry.profit, closed=True)
    assert any("CALL" in line.upper() for line in term.window.log.lines())

    # Strategy panel: a strategy runs on the selected asset's closed candles (paper) and shows its figures.
    panel = term.window.strategy_panel
    assert {"sma_cross", "rsi_reversal", "macd_cross", "confluence"} <= set(panel.checks)
    panel.checks["rsi_reversal"].setChecked(True)
    qtbot.waitUntil(lambda: panel.figures.rowCount() == 1, timeout=5000)
    assert panel.figures.item(0, 0).text() == f"rsi_reversal@{other}/5s"
    assert panel.figures.item(0, 1).text() == other
    panel.checks["rsi_reversal"].setChecked(False)
    qtbot.waitUntil(lambda: panel.figures.rowCount() == 0, timeout=5000)

    # Broker gone: STALE, then HISTORICAL; back: LIVE again.
    broker = term.session.broker
    port = broker.port
    broker.stop()
    qtbot.waitUntil(lambda: _badge(term) is SourceState.STALE, timeout=10000)
    qtbot.waitUntil(lambda: _badge(term) is SourceState.HISTORICAL, timeout=15000)
    from quantumflux.sim import PracticeBroker

    term.session.broker = PracticeBroker(port=port, seed=3, tick_rate=5.0, assets=40).start()
    qtbot.waitUntil(lambda: _badge(term) is SourceState.LIVE, timeout=45000)
