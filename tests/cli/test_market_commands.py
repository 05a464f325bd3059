"""assets / candles / ticks / indicators / status: the API's reads as commands, stored and live."""

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


def _qf(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quantumflux", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def test_stored_reads_and_clear_errors(tmp_path: Path):
    env = {**os.environ, "QF_HOME": str(tmp_path), "QF_DATA_ROOT": str(DATA)}
    candles = json.loads(_qf("candles", "EURUSD_otc", "--timeframe", "5m", "--count", "4", "--json", env=env).stdout)
    assert candles["source"] == "HISTORICAL" and len(candles["candles"]) == 4
    assert all(c["time"] % 300 == 0 for c in candles["candles"])
    assets = json.loads(_qf("assets", "--json", env=env).stdout)
    assert "EURUSD_otc" in {a["symbol"] for a in assets}
    rsi = json.loads(_qf("indicators", "EURUSD_otc", "--names", "rsi", "--count", "3", "--json", env=env).stdout)
    assert len(rsi["values"]["rsi"]["rsi"]) == 3
    missing = _qf("candles", "NOPE_otc", env=env)
    assert missing.returncode == 1 and "NOPE_otc" in missing.stderr
    no_browser = _qf("status", "--attach", f"127.0.0.1:{free_port()}", env=env)
    assert no_browser.returncode == 3 and "no browser" in no_browser.stderr


@pytest.mark.browser
@pytest.mark.slow
def test_live_reads_from_an_attached_session(tmp_path: Path):
    session = TerminalSession(Settings(data_root=tmp_path / "data"), demo=True,
                              broker_options={"seed": 6, "tick_rate": 8.0}).start()
    try:
        env = {**os.environ, "QF_HOME": str(tmp_path), "QF_DATA_ROOT": str(tmp_path / "data")}
        attach = ["--attach", f"127.0.0.1:{session.port}", "--wait", "5", "--json"]
        ticks = json.loads(_qf("ticks", "EURUSD_otc", *attach, env=env).stdout)
        status = json.loads(_qf("status", *attach, env=env).stdout)
    finally:
        session.stop()
    # (the broker sends its asset list only at login, so a command attaching later lists stored assets)
    assert len(ticks["ticks"]) > 5 and all(t["price"] > 0 for t in ticks["ticks"])
    assert status["attached"] and status["broker_socket"]
