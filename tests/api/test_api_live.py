"""The API live: practice broker + headless Chromium + CDP capture behind real uvicorn."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
import websocket

from quantumflux.config import Settings
from quantumflux.services.application import Application
from quantumflux.services.terminal_session import TerminalSession
from quantumflux.storage.loader import load_candles

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request):
    serve = request.getfixturevalue("api_serve")
    monkeypatch.setenv("QF_HOME", str(tmp_path / "home"))
    settings = Settings(data_root=tmp_path / "data")
    session = TerminalSession(settings, demo=True, broker_options={"seed": 5, "tick_rate": 8.0, "assets": 40})
    service = Application(settings).connect(session).service
    try:
        with serve(service) as url:
            yield url, service, settings, session
    finally:
        service.close()


@pytest.fixture
def api_serve():
    from importlib import import_module

    return import_module("conftest_api_server").serve if False else _serve()


def _serve():
    import sys

    conftest = sys.modules.get("tests.api.conftest") or next(
        m for name, m in sys.modules.items() if name.endswith("conftest") and hasattr(m, "serve"))
    return conftest.serve


def test_live_candles_stream_equals_the_csv_store(live):
    url, service, settings, session = live
    token = "t" * 43
    client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    deadline = time.time() + 60
    while time.time() < deadline and client.get("/status").json()["login"] != "ok":
        time.sleep(0.2)
    assert client.get("/status").json()["login"] == "ok"
    assets = client.get("/assets").json()
    while time.time() < deadline and assets[0]["source"] != "live":  # updateAssets follows the login
        time.sleep(0.2)
        assets = client.get("/assets").json()
    assert len(assets) >= 40 and all(a["source"] == "live" for a in assets)
    asset = "EURUSD_otc"
    assert client.post("/collector/start", json={"timeframes": ["5s"], "assets": [asset]}).json()["running"]

    ws = websocket.create_connection(url.replace("http", "ws") + f"/ws/stream?token={token}", timeout=30)
    ws.send(json.dumps({"subscribe": [f"candles:{asset}:5s", f"ticks:{asset}"]}))
    closed, ticks = [], 0
    deadline = time.time() + 40
    while time.time() < deadline and len(closed) < 4:
        message = json.loads(ws.recv())
        if message.get("topic") == f"candles:{asset}:5s" and "closed" in message["data"]:
            closed.append(message["data"]["closed"])
        elif message.get("topic") == f"ticks:{asset}":
            ticks += 1
    ws.close()
    assert ticks > 10 and len(closed) >= 4
    client.post("/collector/stop")
    frame = load_candles(settings.realtime_dir, asset, "5s")
    stored = {float(t): row for t, row in zip(frame["time"], frame.itertuples(), strict=True)}
    compared = 0
    for candle in closed:
        row = stored.get(candle["time"])
        if row is None:
            continue
        compared += 1
        assert (row.open, row.high, row.low, row.close, row.volume) == pytest.approx(
            (candle["open"], candle["high"], candle["low"], candle["close"], candle["volume"]))
    assert compared >= 2, f"too few candles in both the stream and the store ({compared}): {sorted(stored)[:5]} vs {[c['time'] for c in closed]}"
    body = client.get(f"/candles/{asset}", params={"timeframe": "5s", "count": 500}).json()
    assert body["source"] == "LIVE" and body["forming"] is not None


def test_trading_account_and_strategies_over_the_api(live):
    url, service, settings, session = live
    token = "t" * 43
    client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    deadline = time.time() + 60
    while time.time() < deadline and client.get("/status").json()["login"] != "ok":
        time.sleep(0.2)
    order = {"client_id": "api-test-1", "asset": "EURUSD_otc", "direction": "call", "amount": 2, "expiry": "5s"}
    first = client.post("/trades", json=order).json()
    assert first["status"] == "confirmed" and first["deal_id"], first
    again = client.post("/trades", json=order).json()
    assert again["duplicate"] is True and again["deal_id"] == first["deal_id"]
    placed = [e for e in session.broker.ledger if e.status != "failed"]
    assert len(placed) == 1, "a retried client id placed a second order"
    refused = client.post("/trades", json={**order, "client_id": "api-test-2", "amount": 50_000}).json()
    assert refused["status"] == "refused" and refused["rule"], refused
    assert len([e for e in session.broker.ledger if e.status != "failed"]) == 1
    missing_id = client.post("/trades", json={k: v for k, v in order.items() if k != "client_id"})
    assert missing_id.status_code == 422

    profile = client.get("/profile").json()
    assert profile["account_type"] == "demo" and "*" in profile["email"]
    assert isinstance(client.get("/favorites").json()["favorites"], list)
    assert "warnings" in client.get("/session").json()

    enabled = client.post("/strategies/rsi_reversal/enable", json={"assets": ["EURUSD_otc"], "timeframe": "5s"})
    assert enabled.status_code == 200 and enabled.json()["mode"] == "paper", enabled.text
    label = enabled.json()["label"]
    assert [s["label"] for s in client.get("/strategies/running").json()] == [label]
    assert client.post("/strategies/nope/enable", json={"assets": ["EURUSD_otc"]}).status_code == 404
    assert client.post(f"/strategies/{label}/disable").json()["running"] is False
    assert client.get("/strategies/running").json() == []
    trades = client.get("/trades").json()
    assert {t["client_id"] for t in trades} >= {"api-test-1", "api-test-2"}
    # the deal's own times, with milliseconds, as the broker stamped them (true UTC)
    (entry,) = [e for e in session.broker.ledger if e.status != "failed"]
    (placed,) = [t for t in trades if t["client_id"] == "api-test-1"]
    assert (placed["opened_at"], placed["expires_at"]) == (entry.open_time, entry.close_time)
    assert all("session" not in json.dumps(t).lower() for t in trades)
