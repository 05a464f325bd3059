"""The composition root: one service graph per process, shared by the terminal, the API and the CLI.

:class:`Application` is built once from the :class:`~quantumflux.config.Settings` and owns

* the stored history and the one :class:`~quantumflux.services.live_market.LiveMarket` (what every
  face shows: broker history, stored CSVs and live ticks, one candle rule);
* the risk guard, the trade journal and the strategy registry;
* once :meth:`Application.connect`-ed to a live source (the browser at the DevTools port, or the
  practice broker in a headless Chromium): the capture hub, the collector control, the one
  :class:`~quantumflux.services.trading.TradingSession` (one page, one order lock) and the one
  :class:`~quantumflux.services.strategy_runner.StrategyRunner`.

Faces never build these parts themselves: the terminal's window, the embedded and the stand-alone
API and every CLI command take the application (or its facade,
:attr:`Application.service`), so a strategy enabled over REST is the one the terminal's panel
shows, and an order from the terminal and one from the API queue on the same page lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from quantumflux.config import Settings
from quantumflux.core.risk import RiskGuard, RiskLimits
from quantumflux.core.strategies import StrategyRegistry
from quantumflux.services.collector import CollectorError, NoBrowserError, NoSocketError, NotLoggedInError
from quantumflux.services.jobs import JobBoard
from quantumflux.services.live_market import LiveMarket
from quantumflux.services.market_state import Changes, MarketState
from quantumflux.services.stored_history import StoredHistory
from quantumflux.services.terminal_session import TerminalSession

if TYPE_CHECKING:
    from quantumflux.services.capture_hub import CaptureHub
    from quantumflux.services.collector_control import CollectorControl
    from quantumflux.services.facade import QuantumFluxService
    from quantumflux.services.strategy_runner import StrategyRunner
    from quantumflux.services.trading import TradingSession
    from quantumflux.storage.journal import TradeJournal

#: The application's public face: what the terminal, the API and the CLI may use (import-linter checks it).
__all__ = ["Application", "Changes", "CollectorError", "LiveMarket", "LiveSource", "MarketState", "NoBrowserError",
           "NoSocketError", "NotLoggedInError", "TerminalSession"]

log = logging.getLogger(__name__)

Listener = Callable[[Any], None]


class LiveSource(Protocol):
    """Where live data comes from: ``open()`` builds the capture ``hub`` (nothing started), ``go_live()``
    starts the browser side and the capture once every consumer listens, ``stop()`` stops what it started.
    :class:`~quantumflux.services.terminal_session.TerminalSession` (attach, or the practice broker) and the
    collector's ``BrowserSource`` (attach, or launch and supervise) are the two."""

    hub: CaptureHub | None
    port: int

    def open(self) -> Any: ...

    def go_live(self) -> Any: ...

    def stop(self) -> None: ...

    def status(self) -> dict[str, str]: ...


class Application:
    """Every service of one process (see the module docstring). ``close()`` stops what it started."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        journal: TradeJournal | None = None,
        journal_path: Path | None = None,
        limits: RiskLimits | None = None,
        allow_real: bool = False,
        strategy_dirs: Iterable[Path | str] = (),
        stale_after: float = 5.0,
        historical_after: float = 30.0,
    ) -> None:
        """``limits``: the risk limits (default: :class:`RiskLimits` with ``allow_real`` from the config);
        ``allow_real``: this process's explicit real-account opt-in (``--real``), needed *with* the config's
        ``allow_real_trading`` before the strategy runner may trade a real account."""
        from quantumflux.services.backtesting import registry_for
        from quantumflux.services.backtesting import strategy_dirs as search_dirs

        self.settings = settings
        self.clock = clock
        self.stored = StoredHistory.from_settings(settings)
        self.market = LiveMarket(MarketState(clock=clock, stored_history=self.stored, stale_after=stale_after,
                                             historical_after=historical_after, defer_stored=True))
        self.guard = RiskGuard(limits or RiskLimits(allow_real=settings.allow_real_trading))
        self.allow_real = bool(allow_real and settings.allow_real_trading and self.guard.limits.allow_real)
        self.strategy_dirs = search_dirs(strategy_dirs)
        self.registry: StrategyRegistry = registry_for(self.strategy_dirs)
        self.jobs = JobBoard()
        self._journal = journal
        self._journal_path = journal_path
        self._owns_journal = journal is None
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._removers: list[Callable[[], None]] = []
        self.source: LiveSource | None = None
        self.hub: CaptureHub | None = None
        self.collector: CollectorControl | None = None
        self.trading: TradingSession | None = None
        self.runner: StrategyRunner | None = None
        self._service: QuantumFluxService | None = None
        self._closed = False

    # ------------------------------------------------------------------ parts
    @property
    def service(self) -> QuantumFluxService:
        """The facade over this application: every operation the API and the CLI offer, written once."""
        with self._lock:
            if self._service is None:
                from quantumflux.services.facade import QuantumFluxService

                self._service = QuantumFluxService(self)
            return self._service

    @property
    def journal(self) -> TradeJournal:
        """The trade journal (opened on first use: reading candles never creates it)."""
        with self._lock:
            if self._journal is None:
                from quantumflux.storage.journal import TradeJournal, default_journal_path

                self._journal = TradeJournal(self._journal_path or default_journal_path(Path(self.settings.data_root)))
            return self._journal

    @property
    def connected(self) -> bool:
        return self.hub is not None

    def add_listener(self, callback: Listener) -> None:
        """Deliver every live item (decoded events, link notices) to ``callback`` on the capture thread."""
        with self._lock:
            self._listeners.append(callback)
            if self.hub is not None:
                self._removers.append(self.hub.add_listener(callback))

    # ------------------------------------------------------------------- live
    def connect(self, source: LiveSource | None = None, *, demo: bool = False, trading: bool = True,
                broker_options: dict[str, Any] | None = None) -> Application:
        """Go live on ``source`` (default: the browser at the configured DevTools port, or the practice
        broker in a headless Chromium with ``demo``): capture, market, collector; with ``trading`` also the
        trading session, the journal and the strategy runner. Raises what the source raises (no browser …)."""
        from quantumflux.services.collector_control import CollectorControl

        with self._lock:
            if self.hub is not None:
                raise RuntimeError("the application is already connected")
            source = source or TerminalSession(self.settings, demo=demo, broker_options=dict(broker_options or {}))
            try:
                if source.hub is None:  # not opened yet (a caller may open it first to add raw listeners)
                    source.open()
                hub = source.hub
                assert hub is not None
                self._removers.append(hub.add_listener(self.market.on_item))
                for callback in self._listeners:
                    self._removers.append(hub.add_listener(callback))
                self.source, self.hub = source, hub
                self.collector = CollectorControl(hub, self.settings, self.clock)
                if trading:
                    self._start_trading(hub, source.port)
                source.go_live()  # the browser (demo) and the capture, now that every consumer listens
            except BaseException:
                self._disconnect()
                source.stop()
                raise
        return self

    def _start_trading(self, hub: CaptureHub, port: int) -> None:
        from quantumflux.services.strategy_runner import StrategyRunner
        from quantumflux.services.trading import TradingSession

        self.trading = TradingSession(self.settings, hub, self.settings.chrome_host, port, self.journal, self.guard,
                                      clock=self.clock)
        self.runner = StrategyRunner(hub, self.journal, self.guard, executor=self.trading, clock=self.clock,
                                     registry=self.registry, allow_real=self.allow_real,
                                     history=self.market.closed_candles).start()

    def wait_for_login(self, timeout: float) -> None:
        """Block until a tab's PocketOption socket is logged in (login seen, or ticks flowing); raises
        :class:`NotLoggedInError` (the broker refused the page's login) or :class:`NoSocketError`."""
        from quantumflux.services.collector import wait_for_broker_socket

        if self.hub is None:
            raise NoSocketError("the application is not connected to a browser")
        wait_for_broker_socket(self.hub, timeout)

    def status(self) -> dict[str, str]:
        """Short strings for a status line (browser, demo)."""
        return self.source.status() if self.source is not None else {"browser": "not attached"}

    def _disconnect(self) -> None:
        for remove in self._removers:
            remove()
        self._removers.clear()
        if self.runner is not None:
            self.runner.stop()
            self.runner = None
        if self.collector is not None:
            self.collector.stop()
            self.collector = None
        if self.trading is not None:
            self.trading.close()
            self.trading = None

    def close(self) -> None:
        """Stop everything this application started, in order (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self.source is not None:
                self.source.stop()  # the capture first: every consumer then finishes what it was given
            self._disconnect()
            self.source = self.hub = None
            self.market.close()
            if self._journal is not None and self._owns_journal:
                self._journal.close()
