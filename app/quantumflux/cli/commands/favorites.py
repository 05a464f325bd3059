"""``quantumflux favorites``: list favorites with payouts and open state; add, remove, select by payout."""

from __future__ import annotations

import argparse
from typing import Any

from quantumflux.cli.commands._app import add_common, call, emit, live_application
from quantumflux.cli.main import EXIT_USAGE, CommandError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("favorites", help="favorites with payouts; add/remove; select by minimum payout")
    add_common(parser)
    parser.add_argument("--min-payout", type=float, metavar="PCT", help="only favorites paying at least PCT %%")
    parser.add_argument("--select", choices=("first", "last", "all"),
                        help="click the first, the last or every open favorite paying at least --min-payout")
    parser.add_argument("--add", metavar="ASSET", action="append", default=[], help="add a favorite (repeatable)")
    parser.add_argument("--remove", metavar="ASSET", action="append", default=[],
                        help="remove a favorite (repeatable)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    minimum = args.min_payout
    if minimum is not None and not 0 <= minimum <= 1000:
        raise CommandError(f"--min-payout must be a percentage, got {minimum}", EXIT_USAGE)
    with live_application(args, socket_timeout=None) as app:
        data = call(app.service, lambda s: s.favorites(add=args.add, remove=args.remove, select=args.select,
                                                      min_payout=minimum))
    listed = data["favorites"]
    lines = [f"{'*' if row['current'] else ' '} {row['label']:<24} {_payout(row['payout']):>5}  "
             f"{'open' if row['open'] else 'closed'}" for row in listed]
    if not listed:
        lines.append("no favorites" + ("" if minimum is None else f" paying at least {minimum:g}%"))
    if args.select:
        lines.append(f"selected: {', '.join(data['selected']) or 'nothing (no open favorite qualifies)'}")
    emit(args, data, lines)
    return 0


def _payout(value: float | None) -> str:
    return "?" if value is None else f"{value:g}%"
