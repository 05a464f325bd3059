"""Shared set-up for trading tests: practice broker + headless Chromium (DevTools port) + capture + page.

Imported by tests/browser/test_page*.py, tests/services/test_trading*.py and tests/cli/test_trading_cli.py
(each inserts this directory into sys.path).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from quantumflux.browser.chrome import BrowserProcess, launch_browser
from quantumflux.sim import PracticeBroker

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def need_browser() -> None:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("chromium/chromedriver not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, message: str = "condition") -> Any:
    """Poll ``condition`` (a test helper for broker-side state, which has no event to wait on)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {message}")
        time.sleep(0.05)


@dataclass
class BrowserEnv:
    """A broker and a headless browser showing its page, with DevTools on ``port``."""

    broker: PracticeBroker
    browser: BrowserProcess
    port: int

    def stop(self) -> None:
        self.browser.stop()
        self.broker.stop()


def start_browser_env(profile: Path, *, open_page: bool = True, **broker_options: Any) -> BrowserEnv:
    """Start a broker (min expiry 1 s unless given) and a headless browser on its page (or about:blank)."""
    need_browser()
    broker_options.setdefault("min_expiry", 1)
    broker = PracticeBroker(port=0, **broker_options).start()
    port = free_port()
    try:
        browser = launch_browser(port, profile, url=broker.url if open_page else None, headless=True)
    except Exception:
        broker.stop()
        raise
    return BrowserEnv(broker, browser, port)


def authenticated_clients(broker: PracticeBroker) -> int:
    return sum(1 for client in broker.state()["clients"] if client["authenticated"])
