"""``quantumflux trades [--open|--closed] [--export FILE]``: the trade journal."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from quantumflux.cli.commands._trading import add_common, emit, open_journal, settings
from quantumflux.cli.main import EXIT_ERROR, CommandError

_OPEN = ("pending", "confirmed", "unconfirmed")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("trades", help="list the trade journal, or export it as CSV")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--open", action="store_true", help="only orders not closed yet")
    which.add_argument("--closed", action="store_true", help="only closed trades (with results)")
    parser.add_argument("--export", metavar="FILE", help="write the whole journal to a CSV file")
    parser.add_argument("--limit", type=int, default=50, help="show at most the last N (default 50)")
    add_common(parser)  # --attach is accepted for symmetry; the journal needs no browser
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    journal = open_journal(settings())
    try:
        if args.export:
            try:
                count = journal.export_csv(Path(args.export))
            except OSError as exc:
                raise CommandError(f"cannot write {args.export}: {exc}", EXIT_ERROR) from exc
            emit(args, {"exported": count, "file": args.export}, [f"exported {count} trades to {args.export}"])
            return 0
        status = _OPEN if args.open else "closed" if args.closed else None
        records = journal.list(status=status)[-max(0, args.limit):] if args.limit else journal.list(status=status)
        performance = journal.performance()
    finally:
        journal.close()
    lines = [f"{r.client_id[:12]:<12} {r.asset:<14} {r.direction:<4} {r.amount:>8.2f} {r.expiry:>6}s "
             f"{r.status:<11} {_result(r)}" for r in records]
    lines.append(f"{len(records)} shown; closed: {performance.trades}, P&L {performance.pnl:+.2f}")
    emit(args, {"trades": [asdict(r) for r in records]}, lines)
    return 0


def _result(record: Any) -> str:
    if record.status == "closed":
        return f"{record.outcome} {record.profit:+.2f}"
    return record.reason or ""
