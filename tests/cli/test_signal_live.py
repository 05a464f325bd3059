"""`quantumflux signal` reads the live session when a browser is attached, else the CSV history — and says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from quantumflux.config import Settings
from quantumflux.services.terminal_session import TerminalSession, free_port

DATA = Path(__file__).resolve().parents[2] / "data"


def _signal(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quantumflux", "signal", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def test_without_a_browser_it_says_csv_history(tmp_path: Path):
    env = {**os.environ, "QF_HOME": str(tmp_path), "QF_CHROME_PORT": str(free_port())}
    result = _signal("EURUSD_otc", "--data", str(DATA / "sample"), "--strategy", "rsi_reversal", "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["source"].startswith("CSV history") and report["candles"] > 1000


@pytest.mark.browser
@pytest.mark.slow
def test_with_a_live_session_it_uses_the_live_candles(tmp_path: Path):
    settings = Settings(data_root=tmp_path / "data")
    session = TerminalSession(settings, demo=True, broker_options={"seed": 4, "tick_rate": 8.0}).start()
    try:
        env = {**os.environ, "QF_HOME": str(tmp_path), "QF_DATA_ROOT": str(tmp_path / "data")}
        result = _signal("EURUSD_otc", "--attach", f"127.0.0.1:{session.port}", "--timeframe", "5s",
                         "--strategy", "rsi_reversal", "--param", "period=2", "--wait", "12", "--json", env=env)
    finally:
        session.stop()
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["source"].startswith(f"live session 127.0.0.1:{session.port}"), report["source"]
    assert report["candles"] >= 1 and report["timeframe"] == "5s"
