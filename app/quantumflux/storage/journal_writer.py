"""The trade journal's writer thread: deferred writes committed in order, in groups, each group fsynced.

A caller that must not wait for the disk (the strategy runner's paper orders, on the tick path) hands the
journal a :class:`~quantumflux.storage.journal_records.JournalWrite` with ``wait=False``; it is queued here and
the caller gets the resulting record at once. One daemon thread (``qf-journal-writer``) takes everything queued,
applies it in one transaction (one savepoint per write, so a write the journal refuses — an impossible status
change — is dropped alone and logged) and commits: with ``synchronous=FULL`` the commit is the fsync. Until
then the write is *pending*: :meth:`JournalWriter.pending` has the record as it will be stored.

:meth:`JournalWriter.flush` waits until everything queued before the call is committed. A write that fails
for a reason that may pass (disk full, the database locked by another process) is retried every
``retry_delay`` seconds, in order; a flush that times out meanwhile raises JournalError naming the failure.
At interpreter exit every open writer is flushed (an ``atexit`` hook); a crash (kill -9, power loss) loses
at most the writes not yet committed — never a later write without the earlier ones.
"""

from __future__ import annotations

import atexit
import logging
import sqlite3
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable

from quantumflux.storage.journal_records import JournalError, JournalWrite, TradeRecord

log = logging.getLogger(__name__)

#: Writes in one transaction at most (one commit, one fsync).
MAX_GROUP = 1000
#: Orders whose latest record is remembered after it is stored (a later write to them needs no read).
RECENT = 8192

Commit = Callable[[list[JournalWrite]], list[tuple[JournalWrite, Exception]]]


class JournalWriter:
    """Applies queued journal writes on its own thread (see the module docstring).

    ``commit(writes)`` applies a group in one transaction and returns the writes it refused with the reason
    (those are dropped); raising means the whole group failed and is retried. The thread starts with the first
    :meth:`submit`.
    """

    def __init__(self, commit: Commit, *, retry_delay: float = 0.5) -> None:
        self._commit = commit
        self.retry_delay = retry_delay
        self.lock = threading.Condition()  # guards the queue, the pending records and the counters
        self._queue: deque[tuple[int, JournalWrite]] = deque()
        self._pending: dict[str, tuple[TradeRecord, int | None]] = {}  # client id → (record, seq; None: reserved)
        self._recent: OrderedDict[str, TradeRecord] = OrderedDict()  # stored records written here, newest last
        self._submitted = 0
        self._committed = 0
        self._thread: threading.Thread | None = None
        self._closing = False
        self.closed = False
        self.failure: str | None = None  # why the last group could not be committed (cleared on success)
        self.dropped: list[str] = []  # writes the journal refused (the last 100)

    # ------------------------------------------------------------ callers

    def pending(self, client_id: str | None = None, deal_id: str | None = None) -> TradeRecord | None:
        """The record of a queued (or reserved) order as it will be stored, else of an order recently written
        through this journal as it was stored; None when this writer does not know it (read the journal).
        Call with :attr:`lock` held when the answer must stay true until you act on it."""
        if client_id is not None:
            entry = self._pending.get(client_id)
            return self._recent.get(client_id) if entry is None else entry[0]
        for record, _ in reversed(self._pending.values()):
            if record.deal_id == deal_id:
                return record
        return None

    def remember(self, record: TradeRecord) -> None:
        """``record`` was just stored by a synchronous write: later writes to it need not read it back."""
        with self.lock:
            self._remember(record)

    def _remember(self, record: TradeRecord) -> None:
        recent = self._recent
        recent[record.client_id] = record
        recent.move_to_end(record.client_id)
        if len(recent) > RECENT:
            recent.popitem(last=False)

    def ensure_open(self) -> None:
        """JournalError once :meth:`close` has begun."""
        if self._closing or self.closed:
            raise JournalError("the journal is closed")

    def submit(self, write: JournalWrite, record: TradeRecord) -> None:
        """Queue ``write``, whose result is ``record``. Call with :attr:`lock` held."""
        self.ensure_open()
        self._submitted += 1
        self._queue.append((self._submitted, write))
        self._pending[record.client_id] = (record, self._submitted)
        if self._thread is None:
            _open_writers.add(self)
            self._thread = threading.Thread(target=self._run, name="qf-journal-writer", daemon=True)
            self._thread.start()
        self.lock.notify_all()

    def reserve(self, record: TradeRecord) -> TradeRecord | None:
        """A synchronous attempt for ``record.client_id`` is about to be written: until :meth:`release`, a deferred
        attempt for the same id sees it as pending. Returns the pending record instead when there is one (the
        attempt is then a duplicate)."""
        with self.lock:
            entry = self._pending.get(record.client_id)
            if entry is not None:
                return entry[0]
            self._pending[record.client_id] = (record, None)
            return None

    def release(self, client_id: str) -> None:
        with self.lock:
            entry = self._pending.get(client_id)
            if entry is not None and entry[1] is None:
                del self._pending[client_id]

    @property
    def idle(self) -> bool:
        """Nothing queued or being written (no lock: a quick look for callers that would otherwise flush)."""
        return self._committed == self._submitted

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every write queued before this call is committed; JournalError after ``timeout`` seconds."""
        if self._committed == self._submitted or threading.current_thread() is self._thread:
            return
        end = None if timeout is None else time.monotonic() + timeout
        with self.lock:
            target = self._submitted
            while self._committed < target:
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    raise JournalError(f"{target - self._committed} journal write(s) not yet stored after "
                                       f"{timeout:g} s" + (f": {self.failure}" if self.failure else ""))
                if self._thread is None or not self._thread.is_alive():
                    raise JournalError(f"{target - self._committed} journal write(s) could not be stored: "
                                       f"{self.failure or 'the journal writer stopped'}")
                self.lock.wait(0.1 if left is None else min(left, 0.1))

    def close(self, timeout: float | None = None) -> None:
        """Store everything queued (up to ``timeout`` s), then stop the thread. Raises JournalError, after
        stopping, when writes could not be stored; they are logged by client id."""
        error = None
        try:
            self.flush(timeout)
        except JournalError as exc:
            error = exc
        with self.lock:
            self._closing = True
            self.lock.notify_all()
        if self._thread is not None:
            self._thread.join()
        with self.lock:
            lost = [write.client_id or write.deal_id for _, write in self._queue]
            self.closed = True
        _open_writers.discard(self)
        if lost:
            log.error("journal: %d write(s) not stored when the journal closed (orders %s): %s", len(lost),
                      ", ".join(str(name) for name in dict.fromkeys(lost)), error or self.failure)
            raise error or JournalError(f"{len(lost)} journal write(s) could not be stored")

    # ------------------------------------------------------------- thread

    def _run(self) -> None:
        while True:
            with self.lock:
                while not self._queue and not self._closing:
                    self.lock.wait()
                if not self._queue:
                    return
                group = [self._queue[i] for i in range(min(len(self._queue), MAX_GROUP))]
            try:
                refused = self._commit([write for _, write in group])
            except sqlite3.Error as exc:  # the disk, a lock held elsewhere: keep the order, try again
                with self.lock:
                    first = self.failure is None
                    self.failure = f"{type(exc).__name__}: {exc}"
                    if first:
                        log.error("journal: %d write(s) wait to be stored: %s (retrying)", len(group), exc)
                    if self._closing:
                        return
                    self.lock.wait(self.retry_delay)
                continue
            for write, exc in refused:
                log.warning("journal: write %s for %s refused: %s", write.status, write.client_id, exc)
            with self.lock:
                self.failure = None
                self.dropped.extend(f"{w.status} {w.client_id}: {e}" for w, e in refused)
                del self.dropped[:-100]
                last = group[-1][0]
                for _ in group:
                    self._queue.popleft()
                dropped = {w.client_id for w, _ in refused}
                for _, write in group:
                    entry = self._pending.get(write.client_id or "")
                    if entry is not None and entry[1] is not None and entry[1] <= last:
                        del self._pending[write.client_id or ""]
                        if write.client_id in dropped:  # the stored order is not what was predicted: forget it
                            self._recent.pop(write.client_id or "", None)
                        else:
                            self._remember(entry[0])
                self._committed = last
                self.lock.notify_all()


_open_writers: weakref.WeakSet[JournalWriter] = weakref.WeakSet()


@atexit.register
def _store_pending_at_exit() -> None:
    """A normal interpreter exit stores what is queued (the writer threads are daemons)."""
    for writer in list(_open_writers):
        try:
            writer.flush(timeout=30.0)
        except JournalError as exc:
            log.error("journal: at exit: %s", exc)
