"""The terminal's live plumbing, Qt-free: practice broker and browser (demo), capture hub.

``TerminalSession.start()`` attaches to the browser on the configured port (the capture
retries by itself until one appears) or, in demo mode, first starts the practice broker
and a headless Chromium on it. ``stop()`` stops exactly what it started: a browser the
terminal merely attached to is left alone.
"""

from __future__ import annotations

import logging
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quantumflux.browser.chrome import BrowserProcess, devtools_version, launch_browser
from quantumflux.config import Settings
from quantumflux.services.capture_hub import CaptureHub

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class TerminalSession:
    settings: Settings
    demo: bool = False
    headless_browser: bool = True
    broker_options: dict[str, Any] = field(default_factory=dict)
    broker: Any = None
    browser: BrowserProcess | None = None
    hub: CaptureHub | None = None
    _profile_dir: tempfile.TemporaryDirectory[str] | None = None
    _listeners: list[Callable[[], None]] = field(default_factory=list)
    port: int = 0

    def start(self, listener: Callable[[Any], None] | None = None) -> TerminalSession:
        """Start (or attach to) everything; deliver every capture item to ``listener`` when given."""
        self.open()
        assert self.hub is not None
        if listener is not None:
            self._listeners.append(self.hub.add_listener(listener))
        return self.go_live()

    def open(self) -> TerminalSession:
        """Build the capture hub for the DevTools port (demo: a free one), starting nothing yet: consumers
        subscribe first, then :meth:`go_live`, so none of them misses the page's first events (the login)."""
        host, port = self.settings.chrome_host, self.settings.chrome_port
        if self.demo:
            port = free_port(host)
        self.port = port
        self.hub = CaptureHub(host, port)
        return self

    def go_live(self) -> TerminalSession:
        """Demo: start the practice broker and a headless Chromium on it; then start the capture at once
        (it attaches before the page has loaded and logged in)."""
        assert self.hub is not None, "open() first"
        if self.demo:
            from quantumflux.sim import PracticeBroker

            host = self.settings.chrome_host
            self.broker = PracticeBroker(**self.broker_options).start()
            self._profile_dir = tempfile.TemporaryDirectory(prefix="qf-demo-profile-", ignore_cleanup_errors=True)
            self.browser = launch_browser(
                self.port, Path(self._profile_dir.name), url=self.broker.url, headless=self.headless_browser,
                host=host, reuse=False,
            )
        self.hub.start()
        return self

    def stop(self) -> None:
        for remove in self._listeners:
            remove()
        self._listeners.clear()
        if self.hub is not None:
            self.hub.stop()
        if self.browser is not None and not self.browser.reused:
            self.browser.stop()
        if self.broker is not None:
            self.broker.stop()
        if self._profile_dir is not None:
            self._profile_dir.cleanup()
            self._profile_dir = None

    def status(self) -> dict[str, str]:
        """Short strings for the status bar."""
        out: dict[str, str] = {}
        if self.hub is not None:
            state = self.hub.state
            out["browser"] = state.browser or ("connected" if state.connected else "not found")
        else:
            info = devtools_version(self.settings.chrome_host, self.settings.chrome_port)
            out["browser"] = info.get("Browser", "?") if info else "not found"
        if self.demo:
            out["browser"] += " (demo)"
        return out
