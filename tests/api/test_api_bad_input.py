"""Bad input over the API: a clear 4xx with the reason, never a 500; backtest data stays inside the data root."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from quantumflux.config import Settings
from quantumflux.services.application import Application

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
TOKEN = "t" * 43  # the token tests/api/conftest.py serves with


@pytest.fixture
def root_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serve_api: Any) -> Iterator[tuple[httpx.Client, Path]]:
    """An API over a data root of its own (sample candles copied in) plus one configured extra folder."""
    monkeypatch.setenv("QF_HOME", str(tmp_path / "home"))
    root, extra = tmp_path / "root", tmp_path / "extra"
    shutil.copytree(SAMPLE / "1M_candle_data", root / "mine")
    shutil.copytree(SAMPLE / "1M_candle_data", extra / "more")
    service = Application(Settings(data_root=root, api_data_dirs=str(extra))).service
    with serve_api(service) as url, httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"},
                                                 timeout=30) as client:
        yield client, tmp_path
    service.close()


def _backtest(client: httpx.Client, **fields: Any) -> httpx.Response:
    return client.post("/backtests", json={"asset": "EURUSD_otc", "strategy": "sma_cross", **fields})


def test_backtest_data_outside_the_data_root_is_refused_without_reading_it(root_api):
    client, tmp_path = root_api
    secret = tmp_path / "secret.csv"
    secret.write_text("root:x:0:0:very-secret-first-line\n")
    (tmp_path / "root" / "link").symlink_to(secret)
    for data in ("/etc/passwd", str(secret), "../secret.csv", "link", "mine/../../secret.csv"):
        response = _backtest(client, data=data)
        assert response.status_code == 403, (data, response.text)
        assert "very-secret" not in response.text and "root:x" not in response.text
        assert "data root" in response.json()["error"]


def test_backtest_data_inside_the_root_or_a_configured_folder_runs(root_api):
    client, tmp_path = root_api
    for data in ("mine", str(tmp_path / "root" / "mine"), str(tmp_path / "extra" / "more")):
        response = _backtest(client, data=data)
        assert response.status_code == 202, (data, response.text)


@pytest.mark.parametrize(("path", "body", "reason"), [
    ("/backtests", {"asset": "EURUSD_otc", "strategy": "sma_cross", "expiry": "abc"}, "abc"),
    ("/backtests", {"asset": "EURUSD_otc", "strategy": "sma_cross", "timeframe": "soon"}, "soon"),
    ("/backtests", {"asset": "EURUSD_otc", "strategy": "nope"}, "nope"),
    ("/backtests", {"asset": "EURUSD_otc", "strategy": "sma_cross", "params": {"fast": "x"}}, "fast"),
    ("/abtests", {"asset": "EURUSD_otc", "strategies": ["sma_cross:fast", "rsi_reversal"]}, "fast"),
    ("/abtests", {"asset": "EURUSD_otc", "strategies": ["sma_cross", "rsi_reversal"], "expiry": "zz"}, "zz"),
    ("/abtests", {"asset": "EURUSD_otc", "strategies": ["sma_cross", "bogus"]}, "bogus"),
    ("/trades", {"client_id": "a", "asset": "EURUSD_otc", "direction": "call", "amount": 1.234}, "decimals"),
    ("/trades", {"client_id": "a", "asset": "EURUSD_otc", "direction": "call", "amount": 1, "expiry": "abc"}, "abc"),
    ("/strategies/sma_cross/enable", {"assets": ["EURUSD_otc"], "expiry": "later"}, "later"),
    ("/collector/start", {"timeframes": ["7x"]}, "7x"),
])
def test_user_mistakes_are_4xx_with_the_reason(stored_api: httpx.Client, path: str, body: dict, reason: str):
    response = stored_api.post(path, json=body)
    assert response.status_code in (400, 404, 422), (response.status_code, response.text)
    assert reason in response.text
