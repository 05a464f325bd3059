"""A running trading session for tests: broker + headless Chromium + capture hub + attached page + journal."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from trading_env import BrowserEnv, start_browser_env, wait_until  # noqa: E402

from quantumflux.browser import page_actions  # noqa: E402
from quantumflux.config import Settings  # noqa: E402
from quantumflux.core.risk import RiskGuard, RiskLimits  # noqa: E402
from quantumflux.services.capture_hub import CaptureHub  # noqa: E402
from quantumflux.services.trading import TradingSession  # noqa: E402
from quantumflux.storage.journal import TradeJournal  # noqa: E402


@dataclass
class SessionEnv:
    env: BrowserEnv
    hub: CaptureHub
    journal: TradeJournal
    session: TradingSession

    @property
    def broker(self) -> Any:
        return self.env.broker

    def stop(self) -> None:
        self.session.close()
        self.hub.stop()
        self.journal.close()
        self.env.stop()


def start_session(tmp: Path, limits: RiskLimits | None = None, confirm_timeout: float = 10.0,
                  **broker_options: Any) -> SessionEnv:
    """The page is opened only once the capture is attached, so the session sees the login and catalog."""
    env = start_browser_env(tmp / "profile", open_page=False, **broker_options)
    hub = CaptureHub("127.0.0.1", env.port).start()
    journal = TradeJournal(tmp / "journal" / "trades.sqlite3")
    try:
        wait_until(lambda: hub.capture.connected, 15, "the capture to attach")
        assert hub.open_tab(env.broker.url)
        session = TradingSession(Settings(data_root=tmp / "data"), hub, "127.0.0.1", env.port, journal,
                                 RiskGuard(limits or RiskLimits()), confirm_timeout=confirm_timeout)
        wait_until(lambda: session.view.balances and session.view.assets, 15, "the login and asset list")
        page = session.page
        page.until(lambda: page_actions.favorites(page), message="the favorites bar")
    except BaseException:
        hub.stop()
        journal.close()
        env.stop()
        raise
    return SessionEnv(env, hub, journal, session)
