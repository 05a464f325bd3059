"""The API over HTTP on stored data: auth on every route, candles, indicators, signals, jobs, errors."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from quantumflux.api.app import create_app
from quantumflux.config import Settings
from quantumflux.services.application import Application

DATA_ROOT = Path(__file__).resolve().parents[2] / "data"
TOKEN = "t" * 43  # the token tests/api/conftest.py serves with


def _routes() -> list[tuple[str, str]]:
    app = create_app(Application(Settings(data_root=DATA_ROOT)).service, TOKEN)
    # The OpenAPI schema lists every HTTP route the app serves (included routers too).
    return [(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item]


ROUTES = _routes()


def test_the_route_table_is_what_we_think():
    assert ("GET", "/health") in ROUTES and ("GET", "/candles/{asset}") in ROUTES and ("POST", "/backtests") in ROUTES
    assert len(ROUTES) >= 15


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_but_health_requires_the_token(stored_api: httpx.Client, method: str, path: str):
    url = path.replace("{asset}", "EURUSD_otc").replace("{job_id}", "nope").replace("{name}", "sma_cross").replace("{label}", "x")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = httpx.request(method, str(stored_api.base_url) + url, headers=headers, json={}, timeout=30)
        if path == "/health":
            assert response.status_code == 200
        else:
            assert response.status_code == 401, (method, path, headers, response.text)
            assert "token" in response.json()["error"]


def test_health_and_status(stored_api: httpx.Client):
    assert httpx.get(str(stored_api.base_url) + "/health").json()["status"] == "ok"
    status = stored_api.get("/status").json()
    assert status["attached"] is False and status["login"] == "unknown"


def test_candles_from_stored_data(stored_api: httpx.Client):
    assets = stored_api.get("/assets").json()
    assert {"EURUSD_otc", "#AAPL_otc"} <= {a["symbol"] for a in assets}
    assert all(a["source"] == "stored" for a in assets)
    body = stored_api.get("/candles/EURUSD_otc", params={"timeframe": "5m", "count": 50}).json()
    assert body["source"] == "HISTORICAL" and len(body["candles"]) == 50
    times = [c["time"] for c in body["candles"]]
    assert times == sorted(times) and all(t % 300 == 0 for t in times)
    assert all(c["low"] <= min(c["open"], c["close"]) <= max(c["open"], c["close"]) <= c["high"] for c in body["candles"])
    since = times[10]
    later = stored_api.get("/candles/EURUSD_otc", params={"timeframe": "5m", "count": 1000, "since": since}).json()
    assert later["candles"][0]["time"] == since
    hashed = stored_api.get("/candles/%23AAPL_otc", params={"count": 3}).json()
    assert hashed["asset"] == "#AAPL_otc" and len(hashed["candles"]) == 3


def test_clear_errors(stored_api: httpx.Client):
    missing = stored_api.get("/candles/NOPE_otc")
    assert missing.status_code == 404 and "NOPE_otc" in missing.json()["error"]
    bad_tf = stored_api.get("/candles/EURUSD_otc", params={"timeframe": "7x"})
    assert bad_tf.status_code == 400 and "timeframe" in bad_tf.json()["error"]
    bad_count = stored_api.get("/candles/EURUSD_otc", params={"count": 0})
    assert bad_count.status_code == 422 and bad_count.json()["error"] == "invalid request"
    unknown = stored_api.get("/indicators/EURUSD_otc", params={"names": "sma,foo"})
    assert unknown.status_code == 400 and "foo" in unknown.json()["error"]
    no_trading = stored_api.get("/signals/EURUSD_otc", params={"strategy": "nope"})
    assert no_trading.status_code == 404


def test_indicators_and_signals_are_talib_values(stored_api: httpx.Client):
    import numpy as np
    import talib

    body = stored_api.get("/indicators/EURUSD_otc", params={"names": "sma,rsi,macd", "count": 30}).json()
    closes = np.array([c["close"] for c in stored_api.get("/candles/EURUSD_otc", params={"count": 100000}).json()["candles"]])
    expected = talib.RSI(closes, 14)[-30:]
    assert np.allclose(body["values"]["rsi"]["rsi"], expected)
    assert set(body["values"]["macd"]) == {"macd", "signal", "hist"}
    signals = stored_api.get("/signals/EURUSD_otc", params={"strategy": "sma_cross", "count": 5}).json()
    assert signals["candles"] == len(closes)
    for s in signals["signals"]:
        assert s["rule"] and s["direction"] in ("call", "put")
        fast, slow = s["values"]["fast"], s["values"]["slow"]
        assert (fast > slow) == (s["direction"] == "call")


def test_backtest_and_abtest_jobs(stored_api: httpx.Client):
    job = stored_api.post("/backtests", json={"asset": "EURUSD_otc", "strategy": "sma_cross"})
    assert job.status_code == 202
    job_id = job.json()["id"]
    deadline = time.time() + 60
    while time.time() < deadline:
        state = stored_api.get(f"/jobs/{job_id}").json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert state["status"] == "done", state
    result = state["result"]
    assert result["trades"] == result["wins"] + result["draws"] + result["losses"] > 0
    ab = stored_api.post("/abtests", json={"asset": "EURUSD_otc", "strategies": ["sma_cross", "rsi_reversal"]}).json()
    deadline = time.time() + 60
    while time.time() < deadline:
        state = stored_api.get(f"/jobs/{ab['id']}").json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert state["status"] == "done", state
    assert [r["label"] for r in state["result"]["results"]][:2] == ["sma_cross", "rsi_reversal"]
    assert state["result"]["comparisons"] and state["result"]["variants"] == 2
    comparison = state["result"]["comparisons"][0]
    assert "block bootstrap" in comparison["method"] and comparison["comparisons"] == 1
    assert {"expectancy_p_value", "expectancy_p_value_adjusted"} <= set(state["result"]["results"][0])
    bad = stored_api.post("/abtests", json={"asset": "EURUSD_otc", "strategies": ["sma_cross"]})
    assert bad.status_code == 422


def test_collector_needs_a_live_capture(stored_api: httpx.Client):
    response = stored_api.post("/collector/start")
    assert response.status_code == 409 and "capture" in response.json()["error"]


def test_the_docs_route_table_lists_every_route():
    """docs/api.md names every route the app serves (and no route it does not)."""
    import re

    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    documented = set()
    for method, paths in re.findall(r"^\| (GET|POST|WS) \| (.+?) \|", text, re.M):
        for path in re.findall(r"`([^`]+)`", paths):
            documented.add((method, path.split("?")[0]))
    served = {(method, path) for method, path in ROUTES} | {("WS", "/ws/stream")}
    assert documented == served
