"""Run a whole collection session: browser (attach or launch + supervise), hub, collector.

:class:`CollectorSession` is what ``quantumflux collect`` and ``quantumflux --headless``
drive, and what the soak script runs. ``open()`` performs the startup checks and raises
the :mod:`quantumflux.services.collector` errors; ``run()`` blocks until a stop event or
the duration, reporting a status every ``interval`` seconds; ``close()`` flushes and closes
everything (idempotent).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from quantumflux.browser.chrome import (
    BrowserError,
    BrowserProcess,
    BrowserSupervisor,
    devtools_version,
    launch_browser,
)
from quantumflux.config import Settings
from quantumflux.core.protocol.events import HistoryReceived
from quantumflux.core.protocol.framing import RawFrame
from quantumflux.services.application import Application
from quantumflux.services.capture_hub import CaptureHub
from quantumflux.services.collector import (
    Collector,
    CollectorError,
    CollectorOptions,
    CollectorStatus,
    NoBrowserError,
    NoSocketError,
    NotLoggedInError,
    wait_for_broker_socket,
)
from quantumflux.storage.csv_store import ensure_writable
from quantumflux.storage.files import StoreNotWritableError
from quantumflux.storage.history_store import HistoryStore

#: The headless collection's public face (``quantumflux collect`` uses these; import-linter checks it).
__all__ = ["BrowserSource", "CollectConfig", "CollectorError", "CollectorOptions", "CollectorSession",
           "CollectorStatus", "NoBrowserError", "NoSocketError", "NotLoggedInError", "NotWritableError"]

log = logging.getLogger(__name__)


class NotWritableError(CollectorError):
    """The data directory cannot be written."""


@dataclass
class CollectConfig:
    """Everything a collection session needs (the CLI fills it from arguments and Settings)."""

    data_dir: Path
    profile: Path
    #: Where broker history payloads are saved (None: not saved).
    history_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 9222
    launch: bool = False
    url: str | None = None
    headless: bool = False
    browser: str | None = None
    options: CollectorOptions = field(default_factory=CollectorOptions)
    save_frames: Path | None = None
    socket_timeout: float = 30.0
    browser_timeout: float = 5.0
    candles_per_file: int = 100
    ticks_per_file: int = 1000
    #: When rows reach the disk itself (Settings.csv_fsync): chunk, row or off.
    csv_fsync: str = "chunk"


class BrowserSource:
    """The live source of a collection: the browser at ``host:port`` (attach), or one launched with the
    persistent profile and supervised (relaunched when it dies). The application's source protocol:
    ``open()`` builds the capture hub (not started), ``stop()``, ``status()``, ``hub``, ``port``."""

    def __init__(self, config: CollectConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._clock = clock
        self.browser: BrowserProcess | None = None
        self.supervisor: BrowserSupervisor | None = None
        self.hub: CaptureHub | None = None
        self.port = config.port
        self.restarts = 0
        self.on_restart: Callable[[BrowserProcess], None] | None = None

    def open(self) -> BrowserSource:
        self.browser = self._browser()
        self.hub = CaptureHub(self.config.host, self.config.port, clock=self._clock)
        return self

    def go_live(self) -> BrowserSource:
        """Start the capture (the browser is already there: attached to or launched at about:blank)."""
        assert self.hub is not None, "open() first"
        self.hub.start()
        return self

    def supervise(self) -> None:
        """After the hub started: open the page in a launched browser and keep that browser alive."""
        if self.browser is not None and self.browser.process is not None:
            self._open_page_when_captured(previous_connects=0)
            self.supervisor = BrowserSupervisor(self.browser, self._relaunch, on_restart=self._restarted).start()

    def _browser(self) -> BrowserProcess:
        config = self.config
        if not config.launch:
            info = devtools_version(config.host, config.port, timeout=config.browser_timeout)
            if info is None:
                raise NoBrowserError(
                    f"no browser with remote debugging on {config.host}:{config.port}: start one with "
                    f"`quantumflux chrome start --port {config.port}` (or use collect --launch)"
                )
            return BrowserProcess(config.host, config.port, info)
        try:
            browser = launch_browser(
                config.port, config.profile, url=None, headless=config.headless, browser=config.browser,
                host=config.host,
            )
        except BrowserError as exc:
            raise NoBrowserError(str(exc)) from exc
        if browser.reused and config.url:
            log.info("reusing the browser on port %s; its tabs are captured as they are", config.port)
        return browser

    def _open_page_when_captured(self, previous_connects: int, timeout: float = 15.0) -> None:
        """Wait for the capture to attach to the (new) browser, then open the trading page in it."""
        assert self.hub is not None
        deadline = time.monotonic() + timeout
        capture = self.hub.capture
        while not (capture.connected and capture.connects > previous_connects):
            if time.monotonic() >= deadline:
                log.error("the capture did not attach to the browser within %.0f s", timeout)
                return
            time.sleep(0.02)
        url = self.config.url or "about:blank"
        if not self.hub.open_tab(url):
            log.error("could not open %s in the browser", url)

    def _relaunch(self) -> BrowserProcess:
        assert self.hub is not None
        connects = self.hub.capture.connects
        browser = launch_browser(
            self.config.port, self.config.profile, url=None, headless=self.config.headless,
            browser=self.config.browser, host=self.config.host, reuse=False,
        )
        self._open_page_when_captured(previous_connects=connects)
        return browser

    def _restarted(self, browser: BrowserProcess) -> None:
        self.browser = browser
        self.restarts += 1
        if self.on_restart is not None:
            self.on_restart(browser)
        log.warning("browser restarted (restart %s)", self.supervisor.restarts if self.supervisor else "?")

    def status(self) -> dict[str, str]:
        state = self.hub.state if self.hub is not None else None
        return {"browser": (state.browser if state else "") or ("connected" if state and state.connected else "not found")}

    def stop(self) -> None:
        """Stop the supervisor and a browser this source launched, then the capture."""
        if self.supervisor is not None:
            self.supervisor.stop()
        elif self.browser is not None:
            self.browser.stop()
        if self.hub is not None:
            self.hub.stop()


class CollectorSession:
    """Open (checks), run (until stopped), close — one collection session on the process's application."""

    def __init__(self, config: CollectConfig, clock: Callable[[], float] = time.time,
                 settings: Settings | None = None) -> None:
        self.config = config
        self._clock = clock
        self.settings = replace(settings or Settings(), chrome_host=config.host, chrome_port=config.port,
                                candles_per_file=config.candles_per_file, ticks_per_file=config.ticks_per_file,
                                csv_fsync=config.csv_fsync)
        self.source = BrowserSource(config, clock)
        self.app: Application | None = None
        self._frame_writer: Any = None
        self.history: HistoryStore | None = None
        self._closed = False

    @property
    def hub(self) -> CaptureHub | None:
        return self.source.hub

    @property
    def browser(self) -> BrowserProcess | None:
        return self.source.browser

    @property
    def supervisor(self) -> BrowserSupervisor | None:
        return self.source.supervisor

    @property
    def collector(self) -> Collector | None:
        control = self.app.collector if self.app is not None else None
        return control.collector if control is not None else None

    # ---------------------------------------------------------------- startup

    def open(self) -> None:
        """Check the data directory, reach or launch the browser, wait for a logged-in socket, start."""
        config = self.config
        for directory in (config.data_dir, config.history_dir):
            try:
                if directory is not None:
                    ensure_writable(directory)
            except StoreNotWritableError as exc:
                raise NotWritableError(f"cannot write to the data directory {directory}: {exc}") from exc
        self.app = Application(self.settings, clock=self._clock)
        self.source.open()
        assert self.source.hub is not None
        if config.save_frames is not None:
            self._frame_writer = _open_frame_writer(config.save_frames)
            self.source.hub.add_raw_listener(self._save_frame)
        if config.history_dir is not None:
            self.history = HistoryStore(config.history_dir, session_start=self._clock(), fsync=config.csv_fsync)
        self.app.connect(self.source, trading=False)  # starts the capture
        assert self.app.collector is not None
        self.app.collector.start(options=config.options, directory=config.data_dir, on_history=self._save_history)
        self.source.on_restart = self._restarted
        self.source.supervise()
        wait_for_broker_socket(self.source.hub, config.socket_timeout)

    def _restarted(self, browser: BrowserProcess) -> None:
        if self.collector is not None:
            self.collector.browser_restarts += 1

    def _save_history(self, history: HistoryReceived) -> None:
        if self.history is not None and history.candles and history.period > 0:
            self.history.save(history.asset, history.period, history.candles, now=self._clock())

    def _save_frame(self, frame: RawFrame) -> None:
        try:
            self._frame_writer.write(frame)
        except (OSError, ValueError):
            log.exception("could not record a frame")

    # ------------------------------------------------------------------- run

    def run(
        self,
        stop: threading.Event,
        duration: float | None = None,
        on_status: Callable[[CollectorStatus], None] | None = None,
        interval: float = 1.0,
    ) -> CollectorStatus:
        """Block until ``stop`` is set or ``duration`` seconds passed; returns the last status."""
        collector = self.collector
        assert collector is not None, "open() first"
        deadline = None if duration is None else time.monotonic() + duration
        while True:
            timeout = interval if deadline is None else max(0.0, min(interval, deadline - time.monotonic()))
            if stop.wait(timeout):
                break
            if on_status is not None:
                on_status(collector.status())
            if deadline is not None and time.monotonic() >= deadline:
                break
        return collector.status()

    def status(self) -> CollectorStatus | None:
        collector = self.collector
        return collector.status() if collector is not None else None

    def close(self) -> CollectorStatus | None:
        """Stop everything in order: supervisor and browser we launched, capture, collector (flush)."""
        if self._closed:
            return None
        self._closed = True
        collector = self.collector
        if self.app is not None:
            self.app.close()  # the source (browser, capture), then the collector: flushed and closed
        else:
            self.source.stop()
        final = collector.status() if collector is not None else None
        if self.history is not None:
            self.history.close()
        if self._frame_writer is not None:
            self._frame_writer.close()
        return final


def _open_frame_writer(path: Path) -> Any:
    from quantumflux.core.protocol.capture import CaptureWriter

    path.parent.mkdir(parents=True, exist_ok=True)
    return CaptureWriter(path)
