"""SQLite trade journal: every attempt, confirmation, refusal, failure and result (see docs/data-formats.md).

One row per order in ``trades`` (keyed by the unique ``client_id``, which makes a retried
command idempotent) and an append-only ``trade_events`` log of every status change. WAL mode,
``synchronous=FULL``: a committed change survives a crash. One connection shared behind a lock,
so the journal can be used from any thread. No secret is ever stored: reasons are scrubbed of
anything that looks like a session value.

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
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from quantumflux.core.model import Direction, Outcome
from quantumflux.core.risk import HOUR, AccountState
from quantumflux.storage.journal_stats import Performance, compute_performance

ACCOUNTS = ("demo", "real", "paper")  # paper: simulated fills of the strategy runner
STATUSES = ("pending", "confirmed", "refused", "failed", "unconfirmed", "closed")
#: An order whose outcome is still ahead: not yet answered, or placed and not yet closed.
OPEN_STATUSES = ("pending", "confirmed", "unconfirmed")
#: Placed (or possibly placed) and not closed: the result is what to wait for.
AWAITING_RESULT = ("confirmed", "unconfirmed")
_ALLOWED_FROM = {
    "confirmed": ("pending", "unconfirmed", "failed"),  # the broker's own evidence beats a page failure
    "refused": ("pending",),
    "failed": ("pending", "unconfirmed"),
    "unconfirmed": ("pending",),
    "closed": AWAITING_RESULT,
}
_SECRET = re.compile(r"""(?i)(["']?(?:session|auth|cookie|token|ssid)["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;}]+)""")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS trades (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    deal_id TEXT,
    asset TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('call', 'put')),
    amount REAL NOT NULL,
    expiry INTEGER NOT NULL,
    payout REAL,
    open_price REAL,
    close_price REAL,
    profit REAL,
    outcome TEXT,
    source TEXT NOT NULL,
    account TEXT NOT NULL CHECK (account IN ('demo', 'real', 'paper')),
    status TEXT NOT NULL,
    reason TEXT,
    requested_at REAL NOT NULL,
    confirmed_at REAL,
    closed_at REAL,
    opened_at REAL,
    expires_at REAL
);
CREATE INDEX IF NOT EXISTS trades_deal ON trades (deal_id);
CREATE INDEX IF NOT EXISTS trades_status ON trades (status);
CREATE INDEX IF NOT EXISTS trades_requested ON trades (requested_at);
CREATE TABLE IF NOT EXISTS trade_events (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,
    at REAL NOT NULL,
    status TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS trade_events_client ON trade_events (client_id);
"""


class JournalError(Exception):
    """A journal operation that cannot be applied (unknown trade, impossible status change)."""


class DuplicateOrderError(JournalError):
    """``record_attempt`` with a client id the journal already holds: the order must not be placed again."""

    def __init__(self, existing: TradeRecord) -> None:
        super().__init__(f"order {existing.client_id} already exists (status {existing.status})")
        self.existing = existing


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One order as the journal holds it. Times are Unix seconds (UTC)."""

    client_id: str
    asset: str
    direction: str
    amount: float
    expiry: int
    source: str
    account: str
    status: str
    requested_at: float
    payout: float | None = None
    deal_id: str | None = None
    open_price: float | None = None
    close_price: float | None = None
    profit: float | None = None
    outcome: str | None = None
    reason: str | None = None
    confirmed_at: float | None = None
    closed_at: float | None = None
    #: The broker's deal open time and planned close time (UTC seconds with milliseconds: ``openTimestamp``
    #: + ``openMs``), from the deal that confirmed the order; ``closed_at`` is the deal's close time.
    opened_at: float | None = None
    expires_at: float | None = None


#: Columns added after the first schema (``ALTER TABLE … ADD COLUMN`` when an older journal is opened).
_ADDED_COLUMNS = {"opened_at": "REAL", "expires_at": "REAL"}
_COLUMNS = tuple(f.name for f in fields(TradeRecord))


def default_journal_path(data_root: Path) -> Path:
    """``<data_root>/data_output/journal/trades.sqlite3`` (runtime output, git-ignored)."""
    return Path(data_root) / "data_output" / "journal" / "trades.sqlite3"


def scrub(text: str | None) -> str | None:
    """Remove anything that looks like a session/auth value from free text."""
    return None if text is None else _SECRET.sub(r"\1<redacted>", text)


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
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        self._allow_paper_account()
        self._add_missing_columns()
        self._db.execute("PRAGMA user_version=2")

    def _columns(self, table: str) -> list[str]:
        return [row["name"] for row in self._db.execute(f"PRAGMA table_info({table})")]

    def _add_missing_columns(self) -> None:
        """Journals from before a column existed get it (NULL in old rows); nothing else changes."""
        present = set(self._columns("trades"))
        for name, kind in _ADDED_COLUMNS.items():
            if name not in present:
                self._db.execute(f"ALTER TABLE trades ADD COLUMN {name} {kind}")

    def _allow_paper_account(self) -> None:
        """Journals created before the ``paper`` account existed: rebuild ``trades`` with the wider CHECK."""
        row = self._db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'trades'").fetchone()
        if row is None or "'paper'" in row["sql"]:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("ALTER TABLE trades RENAME TO trades_before_paper")
            create = _SCHEMA.split(";")[0]
            self._db.execute(create)
            old = ",".join(self._columns("trades_before_paper"))  # an old journal may lack newer columns
            self._db.execute(f"INSERT INTO trades ({old}) SELECT {old} FROM trades_before_paper")
            self._db.execute("DROP TABLE trades_before_paper")
            for statement in _SCHEMA.split(";")[1:4]:
                self._db.execute(statement)
            self._db.execute("COMMIT")
        except sqlite3.Error:
            self._db.execute("ROLLBACK")
            raise

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
    ) -> TradeRecord:
        """Journal an order before it is placed (status ``pending``).

        Raises DuplicateOrderError (carrying the existing record) when ``client_id`` is known.
        """
        if not client_id:
            raise ValueError("client id is empty")
        if account not in ACCOUNTS:
            raise ValueError(f"account must be one of {', '.join(ACCOUNTS)}, got {account!r}")
        record = TradeRecord(client_id, asset, Direction.parse(direction).value, float(amount), int(expiry),
                             source, account, "pending", self._now(requested_at), payout=payout)
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                names = ",".join(_COLUMNS)
                self._db.execute(f"INSERT INTO trades ({names}) VALUES ({','.join('?' * len(_COLUMNS))})",
                                 [getattr(record, name) for name in _COLUMNS])
                self._event(client_id, record.requested_at, "pending", f"{source} {record.direction} {amount:g}")
                self._db.execute("COMMIT")
            except sqlite3.IntegrityError:
                self._db.execute("ROLLBACK")
                raise DuplicateOrderError(self._get(client_id)) from None
        return record

    def mark_confirmed(self, client_id: str, deal_id: str | None, *, open_price: float | None = None,
                       payout: float | None = None, at: float | None = None, opened_at: float | None = None,
                       expires_at: float | None = None) -> TradeRecord:
        """The broker accepted the order (``successopenOrder`` or seen in ``updateOpenedDeals``).

        ``opened_at``/``expires_at``: the deal's own open and close times (UTC, with milliseconds).
        """
        at = self._now(at)
        changes: dict[str, Any] = {"deal_id": deal_id, "confirmed_at": at}
        for name, value in (("open_price", open_price), ("payout", payout), ("opened_at", opened_at),
                            ("expires_at", expires_at)):
            if value is not None:
                changes[name] = value
        return self._transition(client_id, "confirmed", changes, f"deal {deal_id}", at)

    def mark_refused(self, client_id: str, reason: str, *, at: float | None = None) -> TradeRecord:
        """Refused before sending (risk guard, closed asset …); ``reason`` should name the rule."""
        at = self._now(at)
        return self._transition(client_id, "refused", {"reason": reason, "closed_at": at}, reason, at)

    def mark_failed(self, client_id: str, reason: str, *, at: float | None = None) -> TradeRecord:
        """The broker or the page rejected the order (``failopenOrder``, a broken selector …)."""
        at = self._now(at)
        return self._transition(client_id, "failed", {"reason": reason, "closed_at": at}, reason, at)

    def mark_unconfirmed(self, client_id: str, reason: str = "no broker confirmation within the timeout",
                         *, at: float | None = None) -> TradeRecord:
        """No confirmation seen in time: the trade may or may not exist (never retried blindly)."""
        return self._transition(client_id, "unconfirmed", {"reason": reason}, reason, at)

    def record_result(self, *, deal_id: str | None = None, client_id: str | None = None, profit: float,
                      close_price: float | None = None, closed_at: float | None = None,
                      outcome: Outcome | str | None = None) -> TradeRecord:
        """The deal closed: profit (negative for a loss), outcome win/draw/loss (from profit if omitted).

        Recording the same result twice is harmless; a different result for a closed trade is an error.
        """
        with self._lock:
            record = self._find(deal_id, client_id)
            result = Outcome(str(outcome)) if outcome else Outcome.from_profit(profit, True)
            if record.status == "closed":
                if record.profit is not None and abs(record.profit - profit) < 1e-9:
                    return record
                raise JournalError(f"trade {record.client_id} is closed with profit {record.profit}, not {profit}")
            changes = {"profit": float(profit), "outcome": result.value, "closed_at": self._now(closed_at)}
            if close_price is not None:
                changes["close_price"] = close_price
            return self._transition(record.client_id, "closed", changes, f"{result.value} {profit:+g}",
                                    changes["closed_at"])

    # ---------------------------------------------------------------- reading

    def get(self, client_id: str) -> TradeRecord | None:
        """The record for ``client_id`` or None."""
        with self._lock:
            row = self._db.execute("SELECT * FROM trades WHERE client_id = ?", (client_id,)).fetchone()
        return None if row is None else _record(row)

    def find_deal(self, deal_id: str) -> TradeRecord | None:
        """The record confirmed with broker deal ``deal_id`` or None."""
        with self._lock:
            row = self._db.execute("SELECT * FROM trades WHERE deal_id = ?", (deal_id,)).fetchone()
        return None if row is None else _record(row)

    def list(self, status: str | tuple[str, ...] | None = None, since: float | None = None,
             strategy: str | None = None, account: str | None = None) -> list[TradeRecord]:
        """Records in request order, filtered by status(es), request time, source and account."""
        clauses, values = [], []
        if status is not None:
            wanted = (status,) if isinstance(status, str) else tuple(status)
            clauses.append(f"status IN ({','.join('?' * len(wanted))})")
            values.extend(wanted)
        for clause, value in (("requested_at >= ?", since), ("source = ?", strategy), ("account = ?", account)):
            if value is not None:
                clauses.append(clause)
                values.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM trades{where} ORDER BY requested_at, id", values).fetchall()
        return [_record(row) for row in rows]

    def events(self, client_id: str) -> list[tuple[float, str, str | None]]:
        """The status history of one order: (time, status, detail)."""
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
        last hour, today's (UTC) P&L, and the loss streak. ``exclude`` leaves out one client id — the order
        being decided, already journaled as pending, must not count against itself. ``strategy`` keeps one
        source's trades only. ``stale_after``: an open trade older than ``requested_at + expiry +
        stale_after`` will never settle (its result is unknown) and no longer counts as open."""
        records = [r for r in self.list(account=account, strategy=strategy) if r.client_id != exclude]
        day_start = now - now % 86400
        placed = [r for r in records if r.status not in ("refused", "failed")]
        closed = sorted((r for r in records if r.status == "closed"), key=lambda r: r.closed_at or 0.0)
        streak = 0
        for record in reversed(closed):
            if record.outcome == "win":
                break
            streak += record.outcome == "loss"
        still_open = [r for r in records if r.status in OPEN_STATUSES
                      and (stale_after is None or r.requested_at + r.expiry + stale_after >= now)]
        return AccountState(
            open_trades=len(still_open),
            recent_trade_times=tuple(r.requested_at for r in placed if r.requested_at > now - HOUR),
            today_pnl=sum(r.profit or 0.0 for r in closed if (r.closed_at or 0.0) >= day_start),
            consecutive_losses=streak,
            balance=balance,
            open_stakes=sum(r.amount for r in still_open),
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> TradeJournal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -------------------------------------------------------------- internals

    def _now(self, value: float | None) -> float:
        return float(self._clock() if value is None else value)

    def _get(self, client_id: str) -> TradeRecord:
        record = self.get(client_id)
        if record is None:
            raise JournalError(f"no trade with client id {client_id!r} in the journal")
        return record

    def _find(self, deal_id: str | None, client_id: str | None) -> TradeRecord:
        if client_id is not None:
            return self._get(client_id)
        if deal_id is None:
            raise ValueError("give a deal id or a client id")
        record = self.find_deal(deal_id)
        if record is None:
            raise JournalError(f"no trade with deal id {deal_id!r} in the journal")
        return record

    def _transition(self, client_id: str, status: str, changes: dict[str, Any], detail: str | None,
                    at: float | None = None) -> TradeRecord:
        changes = {key: scrub(value) if key == "reason" else value for key, value in changes.items()}
        with self._lock:
            record = self._get(client_id)
            if record.status == status and status != "closed":
                return record  # repeated confirmation/refusal: idempotent
            if record.status not in _ALLOWED_FROM[status]:
                raise JournalError(f"trade {client_id} is {record.status}; it cannot become {status}")
            assignments = ",".join(f"{key} = ?" for key in changes)
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(f"UPDATE trades SET status = ?, {assignments} WHERE client_id = ?",
                                 [status, *changes.values(), client_id])
                self._event(client_id, self._now(at), status, scrub(detail))
                self._db.execute("COMMIT")
            except sqlite3.Error:
                self._db.execute("ROLLBACK")
                raise
            return self._get(client_id)

    def _event(self, client_id: str, at: float, status: str, detail: str | None) -> None:
        self._db.execute("INSERT INTO trade_events (client_id, at, status, detail) VALUES (?, ?, ?, ?)",
                         (client_id, at, status, detail))


def _record(row: sqlite3.Row) -> TradeRecord:
    return TradeRecord(**{name: row[name] for name in _COLUMNS})


def _export_value(name: str, value: Any) -> Any:
    if value is not None and name.endswith("_at"):
        dt = datetime.fromtimestamp(value, tz=UTC)
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    return "" if value is None else value
