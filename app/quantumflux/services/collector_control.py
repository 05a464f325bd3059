"""Start and stop chunked-CSV collection on a live capture hub (used by the terminal and the API)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from quantumflux.config import Settings
from quantumflux.core.model import Timeframe
from quantumflux.core.protocol.events import HistoryReceived
from quantumflux.services.collector import Collector, CollectorOptions, CollectorStatus
from quantumflux.storage.csv_store import ChunkedCsvStore


class CollectorControl:
    """One collector at a time on ``hub``, writing under ``settings.realtime_dir``."""

    def __init__(self, hub: Any, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.hub = hub
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._collector: Collector | None = None
        self._store: ChunkedCsvStore | None = None

    @property
    def running(self) -> bool:
        return self._collector is not None and self._collector.running

    def start(self, timeframes: Iterable[str | int] = ("1m",), assets: Iterable[str] | None = None, *,
              options: CollectorOptions | None = None, directory: Path | None = None,
              on_history: Callable[[HistoryReceived], None] | None = None) -> None:
        """Start collecting ``timeframes`` of ``assets`` (or everything ``options`` say) under ``directory``
        (default: the realtime folder of the settings); a no-op when already running. Raises the store's
        error if the directory is not writable, ValueError for a bad timeframe."""
        if options is None:
            wanted = [a.lower() for a in assets] if assets else None
            options = CollectorOptions(timeframes=tuple(Timeframe.parse(t) for t in timeframes),
                                       assets=frozenset(wanted) if wanted else None)
        with self._lock:
            if self.running:
                return
            store = ChunkedCsvStore(directory or self.settings.realtime_dir, session_start=self._clock(),
                                    candles_per_file=self.settings.candles_per_file,
                                    ticks_per_file=self.settings.ticks_per_file, fsync=self.settings.csv_fsync)
            self._store = store
            self._collector = Collector(self.hub, store, options, on_history=on_history, clock=self._clock).start()

    @property
    def collector(self) -> Collector | None:
        """The running collector (None when stopped)."""
        return self._collector

    def stop(self) -> None:
        """Stop, flush and close the files (safe to call when not running)."""
        with self._lock:
            collector, store = self._collector, self._store
            self._collector = self._store = None
        if collector is not None:
            collector.stop()
        if store is not None:
            store.close()

    def status(self) -> CollectorStatus | None:
        collector = self._collector
        return collector.status() if collector is not None else None
