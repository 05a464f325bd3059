"""The API and the CLI are faces of one facade: the same operation gives the same JSON keys (and values)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from quantumflux.cli.main import main
from quantumflux.config import Settings
from quantumflux.core.model import Direction
from quantumflux.services.application import Application

TOKEN = "t" * 43


@pytest.fixture
def faces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serve_api) -> Iterator[tuple[httpx.Client, object]]:
    """The API over an application on a fresh data root (sample candles, a journal with one order), and a
    ``cli(*argv)`` that runs the same commands in-process on the same configuration."""
    data = tmp_path / "data"
    monkeypatch.setenv("QF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QF_DATA_ROOT", str(data))
    monkeypatch.setenv("QF_CHROME_PORT", "9")  # nothing answers DevTools there: the stored data is used
    app = Application(Settings(data_root=data))
    journal = app.journal
    journal.record_attempt("cli-api-1", "EURUSD_otc", Direction.CALL, 2.0, 60, source="sma_cross", account="paper")
    journal.mark_confirmed("cli-api-1", "deal-1", open_price=1.1, payout=92.0, at=journal.get("cli-api-1").requested_at)
    journal.record_result(deal_id="deal-1", profit=1.84, close_price=1.2, closed_at=journal.get("cli-api-1").requested_at + 60)

    def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
        assert main([*argv, "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    with serve_api(app.service) as url, httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"},
                                                 timeout=60) as client:
        yield client, cli
    app.close()


def _keys(rows: list[dict]) -> set[str]:
    return set().union(*(row.keys() for row in rows))


def test_cli_and_api_give_the_same_json(faces, capsys: pytest.CaptureFixture[str]) -> None:
    client, cli = faces

    strategies = cli(capsys, "strategies")["strategies"]
    assert strategies == client.get("/strategies").json()
    assert {"name", "description", "parameters", "warmup", "source"} <= _keys(strategies)

    candles = cli(capsys, "candles", "EURUSD_otc", "--timeframe", "5m", "--count", "30")
    assert candles == client.get("/candles/EURUSD_otc", params={"timeframe": "5m", "count": 30}).json()
    assert candles["candles"] and {"time", "iso", "open", "high", "low", "close", "volume"} == _keys(candles["candles"])

    indicators = cli(capsys, "indicators", "EURUSD_otc", "--names", "sma,rsi", "--count", "5")
    assert indicators == client.get("/indicators/EURUSD_otc", params={"names": "sma,rsi", "count": 5}).json()

    signal = cli(capsys, "signal", "EURUSD_otc", "--strategy", "rsi_reversal", "--history-only")
    api_signal = client.get("/signals/EURUSD_otc", params={"strategy": "rsi_reversal", "count": 5}).json()
    assert signal.keys() == api_signal.keys()
    assert signal["signals"] and _keys(signal["signals"]) == _keys(api_signal["signals"])
    assert "iso" in _keys(signal["signals"]) and "time_utc" not in _keys(signal["signals"])

    trades = cli(capsys, "trades")["trades"]
    assert trades == client.get("/trades").json()
    assert [t["client_id"] for t in trades] == ["cli-api-1"] and trades[0]["profit"] == pytest.approx(1.84)

    performance = cli(capsys, "performance", "--no-backtest")
    api_performance = client.get("/performance").json()
    assert performance.keys() == api_performance.keys() == {"all", "strategies", "live_strategies"}
    assert performance["strategies"] == api_performance["strategies"]
    assert [row["strategy"] for row in performance["strategies"]] == ["sma_cross"]

    assets = cli(capsys, "assets")
    assert assets == client.get("/assets").json()
