"""A strategy started on an asset is seeded from the history the application already holds (broker history,
stored CSVs, live ticks): it decides on its first closed candle instead of "warming up" (issue 14, item 8).

The practice broker in headless Chromium, captured over CDP, one Application; the strategy is enabled through
the facade the API and the terminal's panel use, after the page's broker history has arrived.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from quantumflux.config import Settings
from quantumflux.services.application import Application
from quantumflux.services.terminal_session import TerminalSession

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_strategy_enabled_late_is_seeded_from_the_broker_history(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QF_HOME", str(tmp_path / "home"))
    settings = Settings(data_root=tmp_path / "data")
    app = Application(settings).connect(TerminalSession(settings, demo=True,
                                                        broker_options={"seed": 9, "tick_rate": 4.0, "assets": 8}))
    try:
        state = app.market.state
        assert _wait(lambda: app.market.read(lambda s: s.page_choice is not None and s.history_range(
            s.page_choice.asset) is not None), 45), "the page's broker history did not arrive"
        asset = app.market.read(lambda s: s.page_choice.asset)
        seeded = app.market.closed_candles(asset, 5)
        assert len(seeded) >= 30, f"broker history should give well over 21 closed 5 s candles, got {len(seeded)}"

        status = app.service.enable_strategy("sma_cross", assets=[asset], timeframe="5s")
        assert status["waiting"] == "no closed candle yet"
        assert _wait(lambda: app.service.running_strategies()[0]["candles"] >= 1, 20), "no 5 s candle closed"
        running = app.service.running_strategies()[0]
        assert running["waiting"] is None, f"the strategy is still warming up: {running['waiting']}"
        assert state.tick_count > 0
    finally:
        app.close()
