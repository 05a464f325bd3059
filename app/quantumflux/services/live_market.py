"""The process's one market picture, shared by every face (terminal, API, CLI, strategy runner).

:class:`LiveMarket` owns the :class:`~quantumflux.services.market_state.MarketState` and the lock
that every access holds. Events are applied where they arrive — the capture hub calls
:meth:`LiveMarket.on_item` on its thread for every decoded event — and what they changed
accumulates until a consumer that looks less often (the terminal's frame timer) takes it with
:meth:`take_changes`. Stored history (the CSV store, seconds for a big one) is read on one
``qf-history-reader`` thread and applied as a
:class:`~quantumflux.services.market_state.StoredHistoryLoaded` event, so neither the capture
nor the GUI thread ever waits for the disk; a reader that needs it now (an API request, a
strategy's warm-up) waits for that one read with :meth:`ensure_stored`.

A read costs tens of milliseconds of Python and C time that holds the GIL. The terminal asks for it the moment
the user switches to an asset, just when it draws that asset for the first time: the two would share one
interpreter and each would wait for the other. :meth:`hold_reads` makes reads wait until
:meth:`resume_reads` (the terminal calls it once the new asset is painted) or :attr:`HOLD_LIMIT` seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from quantumflux.core.candles import CandleArrays
from quantumflux.core.model import Timeframe
from quantumflux.services.market_state import Changes, MarketState

T = TypeVar("T")


class LiveMarket:
    """One :class:`MarketState` behind one lock, fed from any thread (see the module docstring)."""

    #: Longest a held stored read waits for :meth:`resume_reads` (seconds).
    HOLD_LIMIT = 0.5

    def __init__(self, state: MarketState) -> None:
        self.state = state
        self.lock = threading.RLock()
        self._pending = Changes()
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qf-history-reader")
        self._reads: dict[str, Future[None]] = {}
        self._closed = False
        self._reads_open = threading.Event()
        self._reads_open.set()

    # ------------------------------------------------------------------ writes
    def apply(self, events: Iterable[object]) -> Changes:
        """Apply decoded events (any thread); returns what they changed (also kept for :meth:`take_changes`)."""
        with self.lock:
            changes = self.state.apply(events)
            if changes:
                self._pending = self._pending.merge(changes)
            self._start_stored_reads()
        return changes

    def on_item(self, item: object) -> None:
        """A capture hub listener: one decoded event or link notice."""
        self.apply((item,))

    def take_changes(self) -> Changes:
        """What changed since the last call (the terminal's frame timer asks about 30 times a second)."""
        with self.lock:
            changes, self._pending = self._pending, Changes()
            return changes

    # ------------------------------------------------------------------- reads
    def read(self, call: Callable[[MarketState], T]) -> T:
        """``call(state)`` under the lock; starts any stored-history read it asked for."""
        with self.lock:
            try:
                return call(self.state)
            finally:
                self._start_stored_reads()

    def ensure_stored(self, asset: str, timeout: float = 120.0) -> None:
        """Make sure ``asset``'s stored history is merged (waits for its one read; a no-op once done).

        Never waits while the calling thread holds :attr:`lock` (the read needs it to merge)."""
        holding = self.lock._is_owned()  # type: ignore[attr-defined]  # CPython's RLock knows its owner
        with self.lock:
            self.state.request_stored(asset)
            self._start_stored_reads()
            future = self._reads.get(asset)
        if future is not None and not holding:
            try:
                future.result(timeout)
            except FutureTimeout:
                pass  # the read goes on; the caller answers with what is there

    def stored_ready(self, asset: str) -> bool:
        """``asset``'s stored history is merged (reading it now would not wait for the disk)."""
        with self.lock:
            future = self._reads.get(asset)
            return future.done() if future is not None else self.state.stored_loaded(asset)

    def closed_candles(self, asset: str, timeframe: int | str) -> CandleArrays:
        """``asset``'s closed candles at ``timeframe``: stored CSVs, broker history and live ticks merged."""
        seconds = Timeframe.parse(timeframe).seconds
        self.ensure_stored(asset)
        return self.read(lambda state: state.view_for(asset, seconds).arrays())

    # --------------------------------------------------------------- internals
    def _start_stored_reads(self) -> None:
        """Submit the reads the state asked for (lock held)."""
        for asset in self.state.take_stored_requests():
            if self._closed:
                return
            self._reads[asset] = self._reader.submit(self._read_stored, asset)

    def hold_reads(self) -> None:
        """Stored reads started from now wait for :meth:`resume_reads` (at most :attr:`HOLD_LIMIT` s)."""
        self._reads_open.clear()

    def resume_reads(self) -> None:
        """Let held and later stored reads go."""
        self._reads_open.set()

    def _read_stored(self, asset: str) -> None:
        self._reads_open.wait(self.HOLD_LIMIT)
        self.apply((self.state.read_stored(asset),))  # read without the lock; merged under it

    def close(self) -> None:
        """Stop the reader (reads in flight finish; queued ones are dropped)."""
        with self.lock:
            self._closed = True
        self._reads_open.set()
        self._reader.shutdown(wait=True, cancel_futures=True)

