"""``quantumflux asset SYMBOL [--period 1m]``: switch the trading page's asset and chart period."""

from __future__ import annotations

import argparse
from typing import Any

from quantumflux.cli.commands._trading import add_common, attached_page, emit, page_errors
from quantumflux.cli.main import EXIT_ERROR, EXIT_USAGE, CommandError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("asset", help="switch the page's asset (and chart period)")
    parser.add_argument("symbol", help="asset symbol or label, e.g. EURUSD_otc or 'EUR/USD OTC'")
    parser.add_argument("--period", help="chart period: 5s, 1m, 5m, 1h …")
    add_common(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from quantumflux.browser import page_actions
    from quantumflux.core.model import Timeframe

    period = None
    if args.period is not None:
        try:
            period = Timeframe.parse(args.period).seconds
        except ValueError as exc:
            raise CommandError(str(exc), EXIT_USAGE) from exc
    with attached_page(args) as page:
        try:
            if page_actions.find_asset(page, args.symbol) is None:
                raise CommandError(f"asset {args.symbol!r} is not in the page's asset list", EXIT_USAGE)
            row = page_actions.switch_asset(page, args.symbol)
            if period is not None:
                page_actions.switch_period(page, period)
            shown, shown_period = page_actions.current_asset_label(page), page_actions.current_period(page)
        except page_errors() as exc:
            raise CommandError(f"asset: {exc}", EXIT_ERROR) from exc
    data = {"asset": row.symbol, "label": shown, "period": shown_period}
    period_text = "?" if shown_period is None else str(Timeframe(shown_period))
    emit(args, data, [f"The page shows {shown} at {period_text}"])
    return 0
