"""``quantumflux favorites``: list favorites with payouts and open state; add, remove, select by payout."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from quantumflux.cli.commands._trading import add_common, attached_page, emit, page_errors
from quantumflux.cli.main import EXIT_ERROR, EXIT_USAGE, CommandError


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
    from quantumflux.browser import page_actions

    if args.min_payout is not None and not 0 <= args.min_payout <= 1000:
        raise CommandError(f"--min-payout must be a percentage, got {args.min_payout}", EXIT_USAGE)
    with attached_page(args) as page:
        try:
            changed = [a for a in args.add if page_actions.set_favorite(page, a, True)]
            changed += [a for a in args.remove if page_actions.set_favorite(page, a, False)]
            selected = (page_actions.select_favorites(page, args.min_payout or 0.0, args.select)
                        if args.select else [])
            rows = page_actions.favorites(page)
        except page_errors() as exc:
            raise CommandError(f"favorites: {exc}", EXIT_ERROR) from exc
    minimum = args.min_payout
    listed = [row for row in rows if minimum is None or (row.payout is not None and row.payout >= minimum)]
    data = {"favorites": [asdict(row) for row in listed], "changed": changed,
            "selected": [row.symbol for row in selected], "current": next((r.symbol for r in rows if r.current), None)}
    lines = [f"{'*' if row.current else ' '} {row.label:<24} {_payout(row.payout):>5}  "
             f"{'open' if row.open else 'closed'}" for row in listed]
    if not listed:
        lines.append("no favorites" + ("" if minimum is None else f" paying at least {minimum:g}%"))
    if args.select:
        lines.append(f"selected: {', '.join(r.label for r in selected) or 'nothing (no open favorite qualifies)'}")
    emit(args, data, lines)
    return 0


def _payout(value: float | None) -> str:
    return "?" if value is None else f"{value:g}%"
