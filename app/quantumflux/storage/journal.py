"""SQLite trade journal: every attempt, confirmation, refusal, failure and result (see docs/data-formats.md).

One row per order in ``trades`` (keyed by the unique ``client_id``, which makes a retried
command idempotent) and an append-only ``trade_events`` log of every status change. WAL mode,
``synchronous=FULL``: a committed change survives a crash. Safe to use from any thread. No secret
is ever stored: reasons are scrubbed of anything that looks like a session value.

Writes are synchronous by default: the call returns once the change is committed (fsynced). A
caller on a hot path (the strategy runner's paper orders) passes ``wait=False``: the write is
checked and answered at once (the same record, the same DuplicateOrderError/JournalError) and
committed in order by the journal's writer thread (:mod:`quantumflux.storage.journal_writer`).
Every read and every synchronous write first waits for the deferred writes made before it, so
nothing reads around them; :meth:`TradeJournal.flush` and :meth:`TradeJournal.close` wait for
them too. A crash loses at most the deferred writes not yet committed, never a later write
without the earlier ones.

Status flow::

    pending ─┬─> confirmed ──> closed
             ├─> unconfirmed ─┬─> confirmed
             │                ├─> failed
             │                └─> closed
             ├─> refused
             └─> failed ──> confirmed   (the broker's deal appeared after all)
"""

from __future__ import annotations

import csv
import dataclasses
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from quantumflux.core.model import Direction, Outcome
from quantumflux.core.risk import AccountState
from quantumflux.storage.journal_ledger import AccountLedger
from quantumflux.storage.journal_records import (
    ACCOUNTS,
    AWAITING_RESULT,
    COLUMNS,
    OPEN_STATUSES,
    STATUSES,
    DuplicateOrderError,
    JournalError,
    JournalWrite,
    TradeRecord,
    scrub,
)
from quantumflux.storage.journal_schema import filters, guard_query, marks, prepare, record_of, rollback
from quantumflux.storage.journal_stats import Performance, compute_performance
from quantumflux.storage.journal_writer import JournalWriter

__all__ = [
    "ACCOUNTS", "AWAITING_RESULT", "OPEN_STATUSES", "STATUSES", "DuplicateOrderError", "JournalError", "TradeJournal",
    "TradeRecord", "default_journal_path", "scrub",
]

#: How long a read waits for the deferred writes before it (they are normally stored within one fsync).
READ_TIMEOUT = 30.0
#: How long ``close()`` waits for deferred writes that cannot be stored (disk full) before giving up on them.
CLOSE_TIMEOUT = 30.0
_COLUMNS = COLUMNS


def default_journal_path(data_root: Path) -> Path:
    """``<data_root>/data_output/journal/trades.sqlite3`` (runtime output, git-ignored)."""
    return Path(data_root) / "data_output" / "journal" / "trades.sqlite3"


class TradeJournal:
    """The trade journal at ``path`` (created with its directory when missing)."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"cannot open the trade journal at {self.path}: {exc}") from exc
        prepare(self._db)
        self._reader: sqlite3.Connection | None = None  # committed reads that never wait (opened when needed)
        self._reader_lock = threading.Lock()
        self._writer = JournalWriter(self._commit_group)

    # ---------------------------------------------------------------- writing

    def record_attempt(
        self,
        client_id: str,
        asset: str,
        direction: Direction | str,
        amount: float,
        expiry: int,
        *,
        payout: float | None = None,
        source: str = "manual",
        account: str = "demo",
        requested_at: float | None = None,
        wait: bool = True,
        drawn: bool = False,
    ) -> TradeRecord:
        """Journal an order before it is placed (status ``pending``).

        Raises DuplicateOrderError (carrying the existing record) when ``client_id`` is known — also when
        it is only queued. ``wait=False`` queues the write for the writer thread (see the module docstring).
        ``drawn=True`` (with ``wait=False``) says the caller has just drawn ``client_id`` at random (``uuid4``),
        so it cannot be a retry and the journal file is not searched for it (the stored ``UNIQUE`` constraint
        still holds).
        """
        if not client_id:
            raise ValueError("client id is empty")
        if account not in ACCOUNTS:
            raise ValueError(f"account must be one of {', '.join(ACCOUNTS)}, got {account!r}")
        record = TradeRecord(client_id, asset, Direction.parse(direction).value, float(amount), int(expiry),
                             source, account, "pending", self._now(requested_at), payout=payout)
        return self._write(JournalWrite.attempt(record), wait, drawn)

    def mark_confirmed(self, client_id: str, deal_id: str | None, *, open_price: float | None = None,
                       payout: float | None = None, at: float | None = None, opened_at: float | None = None,
                       expires_at: float | None = None, wait: bool = True) -> TradeRecord:
        """The broker accepted the order (``successopenOrder`` or seen in ``updateOpenedDeals``).

        ``opened_at``/``expires_at``: the deal's own open and close times (UTC, with milliseconds).
        """
        at = self._now(at)
        changes: dict[str, Any] = {"deal_id": deal_id, "confirmed_at": at}
        for name, value in (("open_price", open_price), ("payout", payout), ("opened_at", opened_at),
                            ("expires_at", expires_at)):
            if value is not None:
                changes[name] = value
        return self._write(JournalWrite.change(client_id, "confirmed", changes, f"deal {deal_id}", at), wait)

    def mark_refused(self, client_id: str, reason: str, *, at: float | None = None,
                     wait: bool = True) -> TradeRecord:
        """Refused before sending (risk guard, closed asset …); ``reason`` should name the rule."""
        at = self._now(at)
        return self._write(JournalWrite.change(client_id, "refused", {"reason": reason, "closed_at": at}, reason, at),
                           wait)

    def mark_failed(self, client_id: str, reason: str, *, at: float | None = None, wait: bool = True) -> TradeRecord:
        """The broker or the page rejected the order (``failopenOrder``, a broken selector …)."""
        at = self._now(at)
        return self._write(JournalWrite.change(client_id, "failed", {"reason": reason, "closed_at": at}, reason, at),
                           wait)

    def mark_unconfirmed(self, client_id: str, reason: str = "no broker confirmation within the timeout",
                         *, at: float | None = None, wait: bool = True) -> TradeRecord:
        """No confirmation seen in time: the trade may or may not exist (never retried blindly)."""
        return self._write(JournalWrite.change(client_id, "unconfirmed", {"reason": reason}, reason, self._now(at)),
                           wait)

    def record_result(self, *, deal_id: str | None = None, client_id: str | None = None, profit: float,
                      close_price: float | None = None, closed_at: float | None = None,
                      outcome: Outcome | str | None = None, wait: bool = True) -> TradeRecord:
        """The deal closed: profit (negative for a loss), outcome win/draw/loss (from profit if omitted).

        Recording the same result twice is harmless; a different result for a closed trade is an error.
        """
        write = JournalWrite.result(deal_id, client_id, profit, close_price, self._now(closed_at), outcome)
        return self._write(write, wait)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every write made before this call (``wait=False`` ones too) is committed to disk.
        Raises JournalError after ``timeout`` seconds (None: no limit) while they cannot be stored."""
        self._writer.flush(timeout)

    @property
    def write_errors(self) -> list[str]:
        """Deferred writes the journal refused when it applied them (another process changed the order
        meanwhile), the last 100; and why writes wait, when they cannot be stored right now."""
        failure = self._writer.failure
        return [*self._writer.dropped, *([f"waiting: {failure}"] if failure else [])]

    # ---------------------------------------------------------------- reading

    def get(self, client_id: str) -> TradeRecord | None:
        """The record for ``client_id`` or None."""
        self._settle()
        with self._lock:
            return self._read(client_id)

    def find_deal(self, deal_id: str) -> TradeRecord | None:
        """The record confirmed with broker deal ``deal_id`` or None."""
        self._settle()
        with self._lock:
            return self._read(None, deal_id)

    def list(self, status: str | tuple[str, ...] | None = None, since: float | None = None,
             strategy: str | None = None, account: str | None = None) -> list[TradeRecord]:
        """Records in request order, filtered by status(es), request time, source and account."""
        where, values = filters(status, since, strategy, account)
        self._settle()
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM trades{where} ORDER BY requested_at, id", values).fetchall()
        return [record_of(row) for row in rows]

    def status_counts(self, strategy: str | None = None, account: str | None = None) -> dict[str, tuple[int, float]]:
        """Per status: how many orders (of ``strategy`` in ``account``) and their summed profit."""
        where, values = filters(None, None, strategy, account)
        self._settle()
        with self._lock:
            rows = self._db.execute(f"SELECT status, COUNT(*), TOTAL(profit) FROM trades{where} GROUP BY status",
                                    values).fetchall()
        return {row[0]: (row[1], row[2]) for row in rows}

    def events(self, client_id: str) -> list[tuple[float, str, str | None]]:
        """The status history of one order: (time, status, detail)."""
        self._settle()
        with self._lock:
            rows = self._db.execute("SELECT at, status, detail FROM trade_events WHERE client_id = ? ORDER BY id",
                                    (client_id,)).fetchall()
        return [(row["at"], row["status"], row["detail"]) for row in rows]

    def export_csv(self, path: Path) -> int:
        """Write every record (request order) to a CSV file with ISO-8601 UTC times; returns the row count."""
        records = self.list()
        with Path(path).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(_COLUMNS)
            for record in records:
                writer.writerow([_export_value(name, getattr(record, name)) for name in _COLUMNS])
        return len(records)

    def performance(self, strategy: str | None = None, account: str | None = None) -> Performance:
        """Trades, wins, draws, losses, win rate, P&L, max drawdown, trades per day of closed trades."""
        return compute_performance(self.list(status="closed", strategy=strategy, account=account))

    def account_state(self, now: float, account: str = "demo", balance: float | None = None,
                      exclude: str | None = None, strategy: str | None = None,
                      stale_after: float | None = None) -> AccountState:
        """The risk guard's view of ``account`` at ``now``: open trades and their stakes, placements in the
        last hour, today's (UTC) P&L, and the loss streak (:class:`~quantumflux.storage.journal_ledger.
        AccountLedger` has the rules). ``exclude`` leaves out one client id — the order being decided, already
        journaled as pending, must not count against itself. ``strategy`` keeps one source's trades only.
        ``stale_after``: an open trade older than ``requested_at + expiry + stale_after`` will never settle
        (its result is unknown) and no longer counts as open. Reads only the records that can count."""
        return AccountLedger(self.guard_records(now, account, strategy, exclude)).state(now, balance, stale_after)

    def guard_records(self, now: float, account: str = "demo", strategy: str | None = None,
                      exclude: str | None = None) -> list[TradeRecord]:
        """The records (request order) that decide :meth:`account_state` at ``now`` or any later time: open
        ones, placements of the last hour, trades closed since the start of yesterday (UTC) or since the
        latest win. ``AccountLedger(guard_records(now, ...))`` kept up to date is the account's ledger."""
        sql, values = guard_query(now, account, strategy, exclude)
        self._settle()
        with self._lock:
            rows = self._db.execute(sql, values).fetchall()
        return [record_of(row) for row in rows]

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Store the deferred writes, then close. When they cannot be stored within ``timeout`` seconds (the disk
        is full), closes anyway and raises JournalError; the lost writes are logged by client id."""
        try:
            self._writer.close(timeout)
        finally:
            with self._lock:
                self._db.close()
            with self._reader_lock:
                if self._reader is not None:
                    self._reader.close()

    def __enter__(self) -> TradeJournal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -------------------------------------------------------------- internals

    def _now(self, value: float | None) -> float:
        return float(self._clock() if value is None else value)

    def _settle(self) -> None:
        """Wait for the deferred writes made before this read."""
        if not self._writer.idle:
            self._writer.flush(READ_TIMEOUT)

    def _write(self, write: JournalWrite, wait: bool, drawn: bool = False) -> TradeRecord:
        if not wait:
            return self._write_later(write, drawn)
        self._settle()
        if write.record is None:
            with self._lock:
                self._commit(write)
                record = self._read(write.client_id, write.deal_id)
            assert record is not None
            self._writer.remember(record)
            return record
        pending = self._writer.reserve(write.record)  # a deferred attempt for this id now sees it
        if pending is not None:
            raise DuplicateOrderError(pending)
        try:
            with self._lock:
                self._commit(write)
            self._writer.remember(write.record)
        finally:
            self._writer.release(write.record.client_id)
        return write.record

    def _write_later(self, write: JournalWrite, drawn: bool = False) -> TradeRecord:
        """Check ``write`` against the order as it is (queued, written here recently, or stored), queue it,
        return the order after it."""
        writer = self._writer
        with writer.lock:
            writer.ensure_open()
            current = writer.pending(write.client_id, write.deal_id)
            if current is None and not drawn:
                current = self._stored(write.client_id, write.deal_id)
            record = write.apply_to(current)
            if record is None:
                assert current is not None
                return current
            if write.client_id is None:
                write = dataclasses.replace(write, client_id=record.client_id)
            writer.submit(write, record)
        return record

    def _commit(self, write: JournalWrite) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._apply(write)
            self._db.execute("COMMIT")
        except BaseException:
            rollback(self._db)
            raise

    def _commit_group(self, writes: list[JournalWrite]) -> list[tuple[JournalWrite, Exception]]:
        """The writer thread's commit: every write in one transaction (one fsync). When the journal refuses one
        (another process changed that order meanwhile), the group is applied again with a savepoint per write
        so that only the refused write is dropped."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for write in writes:
                    self._apply(write)
            except (JournalError, sqlite3.IntegrityError):
                rollback(self._db)
                return self._commit_one_by_one(writes)
            except BaseException:
                rollback(self._db)
                raise
            self._db.execute("COMMIT")
        return []

    def _commit_one_by_one(self, writes: list[JournalWrite]) -> list[tuple[JournalWrite, Exception]]:
        refused: list[tuple[JournalWrite, Exception]] = []
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for write in writes:
                self._db.execute("SAVEPOINT write")
                try:
                    self._apply(write)
                except (JournalError, sqlite3.IntegrityError) as exc:
                    self._db.execute("ROLLBACK TO write")
                    refused.append((write, exc))
                self._db.execute("RELEASE write")
            self._db.execute("COMMIT")
        except BaseException:
            rollback(self._db)
            raise
        return refused

    def _apply(self, write: JournalWrite) -> None:
        """Apply one write inside the current transaction: the row changes only when ``write.apply_to`` allows it."""
        if write.record is not None:  # an attempt: the UNIQUE client id refuses a duplicate
            record = write.record
            try:
                self._db.execute(f"INSERT INTO trades ({','.join(_COLUMNS)}) VALUES ({marks(_COLUMNS)})",
                                 [getattr(record, name) for name in _COLUMNS])
            except sqlite3.IntegrityError:
                raise DuplicateOrderError(self._read(record.client_id) or record) from None
            client_id = record.client_id
        else:
            client_id = write.client_id
            applied = 0
            if client_id is not None:  # the usual case in one statement: the order is in a status it may leave
                assignments = ",".join(f"{key} = ?" for key in write.changes)
                allowed = write.allowed_from
                applied = self._db.execute(
                    f"UPDATE trades SET status = ?, {assignments} WHERE client_id = ? AND status IN ({marks(allowed)})",
                    [write.status, *write.changes.values(), client_id, *allowed]).rowcount
            if not applied:  # a repeat (nothing to do), an impossible change or an unknown order: apply_to says
                current = self._read(client_id, write.deal_id)
                if write.apply_to(current) is None:
                    return
                assert current is not None
                return self._apply(dataclasses.replace(write, client_id=current.client_id))
        self._db.execute("INSERT INTO trade_events (client_id, at, status, detail) VALUES (?, ?, ?, ?)",
                         (client_id, write.at, write.status, write.detail))

    def _read(self, client_id: str | None, deal_id: str | None = None) -> TradeRecord | None:
        """One record by client id (else deal id) on the main connection (the lock held)."""
        if client_id is not None:
            row = self._db.execute("SELECT * FROM trades WHERE client_id = ?", (client_id,)).fetchone()
        else:
            row = self._db.execute("SELECT * FROM trades WHERE deal_id = ?", (deal_id,)).fetchone()
        return None if row is None else record_of(row)

    def _stored(self, client_id: str | None, deal_id: str | None = None) -> TradeRecord | None:
        """One committed record, read on a second connection: never waits for a commit in progress."""
        with self._reader_lock:
            if self._reader is None:
                self._reader = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
                self._reader.row_factory = sqlite3.Row
            if client_id is not None:
                row = self._reader.execute("SELECT * FROM trades WHERE client_id = ?", (client_id,)).fetchone()
            else:
                row = self._reader.execute("SELECT * FROM trades WHERE deal_id = ?", (deal_id,)).fetchone()
        return None if row is None else record_of(row)


def _export_value(name: str, value: Any) -> Any:
    if value is not None and name.endswith("_at"):
        dt = datetime.fromtimestamp(value, tz=UTC)
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    return "" if value is None else value
