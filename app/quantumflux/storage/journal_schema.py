"""The trade journal's schema, its upgrades of older journals, and its SQL (see docs/data-formats.md)."""

from __future__ import annotations

import math
import sqlite3
from typing import Any

from quantumflux.core.risk import HOUR
from quantumflux.storage.journal_ledger import DAY
from quantumflux.storage.journal_records import COLUMNS, NOT_PLACED, OPEN_STATUSES, TradeRecord

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

#: Columns added after the first schema (``ALTER TABLE … ADD COLUMN`` when an older journal is opened).
_ADDED_COLUMNS = {"opened_at": "REAL", "expires_at": "REAL"}


def prepare(db: sqlite3.Connection) -> None:
    """WAL, ``synchronous=FULL``, the schema, and the upgrades of a journal written by an older version."""
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=5000")
    db.executescript(_SCHEMA)
    _allow_paper_account(db)
    _add_missing_columns(db)
    db.execute("PRAGMA user_version=2")


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row["name"] for row in db.execute(f"PRAGMA table_info({table})")]


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """Journals from before a column existed get it (NULL in old rows); nothing else changes."""
    present = set(_columns(db, "trades"))
    for name, kind in _ADDED_COLUMNS.items():
        if name not in present:
            db.execute(f"ALTER TABLE trades ADD COLUMN {name} {kind}")


def _allow_paper_account(db: sqlite3.Connection) -> None:
    """Journals created before the ``paper`` account existed: rebuild ``trades`` with the wider CHECK."""
    row = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'trades'").fetchone()
    if row is None or "'paper'" in row["sql"]:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("ALTER TABLE trades RENAME TO trades_before_paper")
        create = _SCHEMA.split(";")[0]
        db.execute(create)
        old = ",".join(_columns(db, "trades_before_paper"))  # an old journal may lack newer columns
        db.execute(f"INSERT INTO trades ({old}) SELECT {old} FROM trades_before_paper")
        db.execute("DROP TABLE trades_before_paper")
        for statement in _SCHEMA.split(";")[1:4]:
            db.execute(statement)
        db.execute("COMMIT")
    except sqlite3.Error:
        db.execute("ROLLBACK")
        raise


def guard_query(now: float, account: str, strategy: str | None, exclude: str | None) -> tuple[str, list[Any]]:
    """SQL and values selecting the records that decide the guard's account view at ``now`` or later (request
    order): open ones, placements of the last hour, trades closed since the start of yesterday (UTC) or since
    the latest win."""
    scope, values = ["account = ?"], [account]
    for clause, value in (("source = ?", strategy), ("client_id != ?", exclude)):
        if value is not None:
            scope.append(clause)
            values.append(value)
    where = " AND ".join(scope)
    since = (math.floor(now / DAY) - 1) * DAY
    sql = (f"SELECT * FROM trades WHERE {where} AND (status IN ({marks(OPEN_STATUSES)})"
           f" OR (status NOT IN ({marks(NOT_PLACED)}) AND requested_at > ?)"
           f" OR (status = 'closed' AND COALESCE(closed_at, 0) >= min(?, (SELECT COALESCE(MAX(COALESCE("
           f"closed_at, 0)), -1e308) FROM trades WHERE {where} AND status = 'closed' AND outcome = 'win'))))"
           " ORDER BY requested_at, id")
    return sql, [*values, *OPEN_STATUSES, *NOT_PLACED, now - HOUR, since, *values]


def filters(status: str | tuple[str, ...] | None, since: float | None, strategy: str | None,
            account: str | None) -> tuple[str, list[Any]]:
    """`` WHERE …`` and its values for ``TradeJournal.list`` and ``status_counts`` (empty: every record)."""
    clauses, values = [], []
    if status is not None:
        wanted = (status,) if isinstance(status, str) else tuple(status)
        clauses.append(f"status IN ({marks(wanted)})")
        values.extend(wanted)
    for clause, value in (("requested_at >= ?", since), ("source = ?", strategy), ("account = ?", account)):
        if value is not None:
            clauses.append(clause)
            values.append(value)
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), values


def marks(items: tuple[Any, ...]) -> str:
    """``?,?,…`` for ``items``."""
    return ",".join("?" * len(items))


def rollback(db: sqlite3.Connection) -> None:
    """End the transaction in progress, if a failed statement has not already ended it."""
    try:
        db.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # the failed statement already ended the transaction


def record_of(row: sqlite3.Row) -> TradeRecord:
    """A ``trades`` row as a :class:`TradeRecord`."""
    return TradeRecord(**{name: row[name] for name in COLUMNS})
