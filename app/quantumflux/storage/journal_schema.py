"""The trade journal's schema and its upgrades of older journals (see docs/data-formats.md)."""

from __future__ import annotations

import sqlite3

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
