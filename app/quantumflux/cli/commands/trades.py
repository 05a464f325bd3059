"""``quantumflux trades [--open|--closed] [--export FILE]``: the trade journal."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from quantumflux.cli.commands._app import add_common, application, call, emit
from quantumflux.cli.main import EXIT_ERROR, CommandError


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
    from quantumflux.storage.journal import JournalError

    app = application()
    try:
        if args.export:
            try:
                count = app.journal.export_csv(Path(args.export))
            except OSError as exc:
                raise CommandError(f"cannot write {args.export}: {exc}", EXIT_ERROR) from exc
            emit(args, {"exported": count, "file": args.export}, [f"exported {count} trades to {args.export}"])
            return 0
        status = "open" if args.open else "closed" if args.closed else None
        records = call(app.service, lambda s: s.trades(status))
        if args.limit:
            records = records[-max(0, args.limit):]
        performance = app.journal.performance()
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_ERROR) from exc
    finally:
        app.close()
    lines = [f"{r['client_id'][:12]:<12} {r['asset']:<14} {r['direction']:<4} {r['amount']:>8.2f} {r['expiry']:>6}s "
             f"{r['status']:<11} {_result(r)}" for r in records]
    lines.append(f"{len(records)} shown; closed: {performance.trades}, P&L {performance.pnl:+.2f}")
    emit(args, {"trades": records}, lines)
    return 0


def _result(record: dict[str, Any]) -> str:
    if record["status"] == "closed":
        return f"{record['outcome']} {record['profit']:+.2f}"
    return record["reason"] or ""
