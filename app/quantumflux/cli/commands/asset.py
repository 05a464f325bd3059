"""``quantumflux asset SYMBOL [--period 1m]``: switch the trading page's asset and chart period."""

from __future__ import annotations

import argparse
from typing import Any

from quantumflux.cli.commands._app import add_common, call, emit, live_application
from quantumflux.cli.main import EXIT_USAGE, CommandError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("asset", help="switch the page's asset (and chart period)")
    parser.add_argument("symbol", help="asset symbol or label, e.g. EURUSD_otc or 'EUR/USD OTC'")
    parser.add_argument("--period", help="chart period: 5s, 1m, 5m, 1h …")
    add_common(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from quantumflux.core.model import Timeframe

    if args.period is not None:
        try:
            Timeframe.parse(args.period)
        except ValueError as exc:
            raise CommandError(str(exc), EXIT_USAGE) from exc
    with live_application(args, socket_timeout=None) as app:
        data = call(app.service, lambda s: s.show_asset(args.symbol, args.period), codes={404: EXIT_USAGE})
    period_text = "?" if data["period"] is None else str(Timeframe(data["period"]))
    emit(args, data, [f"The page shows {data['label']} at {period_text}"])
    return 0
