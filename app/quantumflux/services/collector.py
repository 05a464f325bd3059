"""The headless collector: live capture → decoder → candles → chunked CSV files.

:class:`Collector` consumes a :class:`~quantumflux.services.capture_hub.CaptureHub`
subscription on its own thread. Ticks (filtered by asset) go to the tick CSVs (unless
disabled) and into one :class:`~quantumflux.core.candles.CandleBook` per timeframe; the
books are advanced on the injected clock at least once a second, so a quiet market still
closes candles, and every closed candle is written. Broker history payloads go to the
optional ``on_history`` callable (the history store).

:func:`open_session` does the startup checks a user can act on (data directory writable,
a browser on the port, a PocketOption socket in some tab, the login accepted) and raises
:class:`CollectorError` subclasses for each; :mod:`quantumflux.cli.commands.collect` maps
them to exit codes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from quantumflux.core.candles import CandleBook
from quantumflux.core.model import Candle, Tick, Timeframe
from quantumflux.core.protocol import events as ev
from quantumflux.services.capture_hub import CaptureHub
from quantumflux.storage.csv_store import ChunkedCsvStore

log = logging.getLogger(__name__)


class CollectorError(RuntimeError):
    """A startup problem the user can act on."""


class NoBrowserError(CollectorError):
    """Nothing answers DevTools on the port."""


class NoSocketError(CollectorError):
    """No tab opened a PocketOption socket in time."""


class NotLoggedInError(CollectorError):
    """The broker rejected the page's login (``NotAuthorized`` / ``41``)."""


@dataclass(frozen=True)
class CollectorOptions:
    """What to collect. ``assets`` None means every asset; matching is case-insensitive."""

    timeframes: tuple[Timeframe, ...] = (Timeframe(60),)
    assets: frozenset[str] | None = None
    write_ticks: bool = True
    #: Seconds a tick may take from its broker time to the collector before its candle closes.
    close_delay: float = 2.0
    advance_interval: float = 1.0

    def wants(self, asset: str) -> bool:
        return self.assets is None or asset.lower() in self.assets


@dataclass(frozen=True)
class CollectorStatus:
    """One status snapshot (what the status line and ``--json`` print)."""

    connection: str
    assets: tuple[str, ...]
    ticks_per_second: float
    ticks_seen: int
    ticks_written: int
    candles_written: int
    files: int
    last_frame_age: float | None
    login: str
    uptime: float
    dropped: int = 0
    duplicates: int = 0
    browser_restarts: int = 0

    def line(self) -> str:
        """The one-line summary refreshed in place on the terminal."""
        age = "-" if self.last_frame_age is None else f"{self.last_frame_age:.1f}s"
        shown = ",".join(self.assets[:3]) + (f"+{len(self.assets) - 3}" if len(self.assets) > 3 else "")
        return (
            f"[{self.connection}] assets {len(self.assets)} ({shown or '-'}) | {self.ticks_per_second:.1f} ticks/s"
            f" | ticks {self.ticks_written} | candles {self.candles_written} | files {self.files}"
            f" | last frame {age} | login {self.login}"
        )


class Collector:
    """Run the capture → candles → CSV pipeline on a worker thread until :meth:`stop`."""

    def __init__(
        self,
        hub: CaptureHub,
        store: ChunkedCsvStore,
        options: CollectorOptions | None = None,
        on_history: Callable[[ev.HistoryReceived], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.hub = hub
        self.store = store
        self.options = options or CollectorOptions()
        self._on_history = on_history
        self._clock = clock
        self._books = [
            CandleBook(tf, on_closed=self._write_candle, max_closed=16) for tf in self.options.timeframes
        ]
        self._subscription = hub.subscribe(maxsize=200_000)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="collector", daemon=True)
        self._started = clock()
        self._assets: set[str] = set()
        self._recent: deque[tuple[float, int]] = deque()  # (time, ticks) for the ticks/s figure
        self.ticks_seen = 0
        self.candle_errors = 0
        self.browser_restarts = 0
        self.link_listeners: list[Callable[[ev.LinkChanged], None]] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Collector:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the queued items, flush and close the files. Closed candles only are written."""
        self._stop.set()
        self._thread.join(timeout=timeout)
        self._subscription.close()
        self.store.close()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # ------------------------------------------------------------------ worker

    def _run(self) -> None:
        next_advance = self._clock() + self.options.advance_interval
        while True:
            wait = max(0.0, min(0.25, next_advance - self._clock()))
            item = self._subscription.get(timeout=wait)
            if item is not None:
                self._guarded(self._handle, item)
            now = self._clock()
            if now >= next_advance:
                self._guarded(self._advance, now)
                next_advance = now + self.options.advance_interval
            if self._stop.is_set() and item is None:
                break
        self._drain()

    def _drain(self) -> None:
        while (item := self._subscription.get(timeout=0)) is not None:
            self._guarded(self._handle, item)
        self._guarded(self._advance, self._clock())

    def _guarded(self, call: Callable[[Any], None], arg: Any) -> None:
        try:
            call(arg)
        except OSError:
            log.exception("writing the data files failed")
        except Exception:  # noqa: BLE001 - the collector never exits on one bad item
            log.exception("collector failed on %r", type(arg).__name__)

    def _handle(self, item: Any) -> None:
        if isinstance(item, ev.TicksReceived):
            self._add_ticks(item.ticks)
        elif isinstance(item, ev.HistoryReceived) and self.options.wants(item.asset):
            if self._on_history is not None:
                self._on_history(item)
        elif isinstance(item, ev.LinkChanged):
            for listener in self.link_listeners:
                listener(item)

    def _add_ticks(self, ticks: Iterable[Tick]) -> None:
        wanted = [tick for tick in ticks if self.options.wants(tick.asset)]
        if not wanted:
            return
        self.ticks_seen += len(wanted)
        self._recent.append((self._clock(), len(wanted)))
        for tick in wanted:  # repeated ticks (a second tab) were already dropped by the decoder
            self._assets.add(tick.asset)
            if self.options.write_ticks:
                self.store.write_tick(tick)
            for book in self._books:
                try:
                    book.add_tick(tick)
                except ValueError as exc:
                    log.warning("tick skipped: %s", exc)

    def _advance(self, now: float) -> None:
        for book in self._books:
            book.advance(now - self.options.close_delay)

    def _write_candle(self, candle: Candle) -> None:
        self.store.write_candle(candle)

    # ------------------------------------------------------------------ status

    def status(self) -> CollectorStatus:
        """A snapshot of the pipeline for the status line and the summary."""
        now = self._clock()
        while self._recent and self._recent[0][0] < now - 10.0:
            self._recent.popleft()
        window = min(10.0, max(1e-9, now - self._started))
        state = self.hub.state
        stats = self.store.stats
        if not state.connected:
            connection = "no browser"
        elif not state.broker_sockets:
            connection = "no socket"
        else:
            connection = "live"
        streaming = any(s.ticks and s.login != "rejected" for s in state.broker_sockets)
        login = "ok" if state.authenticated or streaming else "rejected" if state.login_rejected_seen else "unknown"
        return CollectorStatus(
            connection=connection,
            assets=tuple(sorted(self._assets)),
            ticks_per_second=sum(n for _, n in list(self._recent)) / window,
            ticks_seen=self.ticks_seen,
            ticks_written=stats.ticks_written,
            candles_written=stats.candles_written,
            files=stats.files_written,
            last_frame_age=(now - state.last_frame) if state.last_frame else None,
            login=login,
            uptime=now - self._started,
            dropped=state.dropped,
            duplicates=getattr(self.hub.decoder_stats, "duplicates", 0),
            browser_restarts=self.browser_restarts,
        )


def wait_for_broker_socket(hub: CaptureHub, timeout: float, login_grace: float = 2.0) -> None:
    """Block until a tab's PocketOption socket is logged in (login seen, or ticks flowing).

    Raises NotLoggedInError when the login was rejected and nothing succeeded within
    ``login_grace`` seconds, NoSocketError when no such socket shows up within ``timeout``.
    """
    deadline = time.monotonic() + timeout
    rejected_at: float | None = None
    while True:
        state = hub.state
        if state.login_rejected_seen and not state.login_ok_seen:
            rejected_at = rejected_at or time.monotonic()
            if time.monotonic() - rejected_at >= login_grace:
                raise NotLoggedInError(
                    "the broker rejected the page's login (NotAuthorized): log in once in the browser "
                    "(quantumflux chrome start), then run collect again"
                )
        elif state.authenticated or any(s.ticks and s.login != "rejected" for s in state.broker_sockets):
            return
        if time.monotonic() >= deadline:
            seen = "a socket that is not logged in" if state.broker_socket_seen else "no socket"
            raise NoSocketError(
                f"no logged-in PocketOption socket in any tab after {timeout:.0f} s ({seen}): open the "
                "trading page in the browser (or use --launch --url URL)"
            )
        time.sleep(0.1)
