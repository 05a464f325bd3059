"""One application behind every face: the terminal and its API share the strategy runner, the page's order
lock and the market — and the CSV store, the chart and the API agree candle for candle even when a second tab
repeats every tick (practice broker + headless Chromium + real Qt widgets + real uvicorn over HTTP)."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import numpy as np
import pytest

from quantumflux.config import Settings
from quantumflux.core.source import SourceState
from quantumflux.services.terminal_session import free_port
from quantumflux.storage.loader import load_candles, load_ticks


def _api_server_helpers():
    """The API tests' real uvicorn server (``tests/api/conftest.py``), loaded under its own name."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "api" / "conftest.py"
    spec = importlib.util.spec_from_file_location("api_server_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_API = _api_server_helpers()
TOKEN, serve = _API.TOKEN, _API.serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def terminal(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from quantumflux.api.embedded import EmbeddedApi
    from quantumflux.gui.app import Terminal

    monkeypatch.setenv("QF_HOME", str(tmp_path / "home"))
    term = Terminal.build(Settings(data_root=tmp_path / "data"), demo=True, settings_file=tmp_path / "terminal.ini",
                          broker_options={"port": free_port(), "seed": 11, "tick_rate": 5.0, "assets": 12},
                          api_factory=EmbeddedApi)
    qtbot.addWidget(term.window)
    term.start()
    yield term
    term.shutdown()


def test_terminal_and_api_are_faces_of_one_application(terminal, qtbot):
    term, controller = terminal, terminal.controller
    embedded = controller._api_factory()
    assert embedded.service is term.app.service, "the embedded API must serve the terminal's own application"
    qtbot.waitUntil(lambda: controller.asset is not None and term.window.badge.state is SourceState.LIVE,
                    timeout=45000)
    with serve(term.app.service) as url, httpx.Client(base_url=url, timeout=60,
                                                      headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        qtbot.waitUntil(lambda: client.get("/status").json()["login"] == "ok", timeout=30000)
        asset = controller.asset

        # A strategy enabled over REST is the one the terminal's strategy panel shows.
        enabled = client.post("/strategies/rsi_reversal/enable", json={"assets": [asset], "timeframe": "5s"})
        assert enabled.status_code == 200, enabled.text
        label = enabled.json()["label"]
        panel = term.window.strategy_panel
        qtbot.waitUntil(lambda: panel.figures.rowCount() == 1, timeout=5000)
        assert panel.figures.item(0, 0).text() == label and panel.figures.item(0, 1).text() == asset
        assert client.post(f"/strategies/{label}/disable").json()["running"] is False
        qtbot.waitUntil(lambda: panel.figures.rowCount() == 0, timeout=5000)

        _orders_from_both_faces_queue_on_one_page(term, client, qtbot, asset)
        _csv_chart_and_api_agree_with_a_second_tab(term, client, qtbot, asset)


def _orders_from_both_faces_queue_on_one_page(term, client: httpx.Client, qtbot, asset: str) -> None:
    """An order from the ticket and one over the API at the same moment: placed one after the other, each
    exactly as asked (interleaved page actions would type one order's amount into the other's)."""
    other = next(a.symbol for a in term.state.assets.values() if a.active and a.symbol != asset)
    ticket = term.window.ticket
    qtbot.waitUntil(lambda: ticket.call_button.isEnabled(), timeout=15000)
    ticket.amount.setValue(3)
    ticket.expiry.setCurrentIndex(ticket.expiry.findData(5))
    answers: list[dict] = []
    api_order = threading.Thread(target=lambda: answers.append(client.post("/trades", json={
        "client_id": "api-at-once", "asset": other, "direction": "put", "amount": 4, "expiry": "5s"}).json()))
    ticket.call_button.click()  # the terminal's worker thread places it
    api_order.start()
    api_order.join(90)
    journal = term.app.journal
    qtbot.waitUntil(lambda: sum(r.status in ("confirmed", "closed") for r in journal.list()) == 2, timeout=60000)
    assert answers and answers[0]["status"] == "confirmed", answers
    records = sorted(journal.list(), key=lambda r: r.requested_at)
    assert {(r.source, r.asset, r.direction, r.amount) for r in records} == {
        ("manual", asset, "call", 3.0), ("api", other, "put", 4.0)}
    first, second = records
    assert second.requested_at >= first.confirmed_at, "the second order started before the first was confirmed"
    ledger = {(e.asset, e.direction, e.amount) for e in term.session.broker.ledger if e.status == "opened"}
    assert ledger == {(asset, "call", 3.0), (other, "put", 4.0)}
    assert {r.deal_id for r in records} == {e.deal_id for e in term.session.broker.ledger if e.status == "opened"}


def _csv_chart_and_api_agree_with_a_second_tab(term, client: httpx.Client, qtbot, asset: str) -> None:
    sockets_before = len(term.app.hub.state.broker_sockets)
    assert term.app.hub.open_tab(term.session.broker.tab_urls([asset])[0])  # a second tab on the same asset
    qtbot.waitUntil(lambda: client.get("/status").json()["duplicate_ticks"] > 20, timeout=45000)
    assert len(term.app.hub.state.broker_sockets) > sockets_before, "the second tab opened its own broker socket"
    term.controller._on_timeframe_changed(5)
    started = client.post("/collector/start", json={"timeframes": ["5s"], "assets": [asset]})
    assert started.status_code == 200, started.text
    qtbot.wait(26000)  # about five 5 s candles close while both tabs stream the same ticks
    assert client.post("/collector/stop").json() == {"running": False}
    qtbot.wait(500)  # the terminal's next frames take what closed meanwhile

    data = term.app.settings.realtime_dir
    stored = load_candles(data, asset, "5s")
    ticks = load_ticks(data, asset)
    assert len(stored) >= 4 and len(ticks) > 50
    # The tick files hold every tick once: the same ticks the market (chart and API) holds for that span.
    market_times, market_prices = term.app.market.read(lambda state: state.tick_columns(asset))
    span = (market_times >= ticks["time"].iloc[0]) & (market_times <= ticks["time"].iloc[-1])
    assert np.array_equal(np.round(market_times[span], 3), ticks["time"].to_numpy())
    assert np.allclose(market_prices[span], ticks["price"].to_numpy())

    closed = stored.iloc[1:]  # the collector's first candle is partial: it started mid-period
    api = {c["time"]: c for c in client.get(f"/candles/{asset}", params={"timeframe": "5s", "count": 5000})
           .json()["candles"]}
    chart = term.window.chart._buffer
    chart_rows = {float(t): i for i, t in enumerate(chart.column("time"))}
    for row in closed.itertuples():
        expected = (row.open, row.high, row.low, row.close, row.volume)
        got_api = api[float(row.time)]
        assert (got_api["open"], got_api["high"], got_api["low"], got_api["close"], got_api["volume"]) == \
            pytest.approx(expected), f"API candle {row.time} differs from the CSV"
        values = chart.row(chart_rows[float(row.time)])
        assert tuple(values[1:6]) == pytest.approx(expected), f"chart candle {row.time} differs from the CSV"
