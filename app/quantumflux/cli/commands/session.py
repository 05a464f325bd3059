"""``quantumflux session``: the trading session from the page (DOM) and from the broker's events, with warnings."""

from __future__ import annotations

import argparse
from typing import Any

from quantumflux.cli.commands._app import add_common, call, emit, live_application, warn

_FIELDS = ("balance", "account", "open_trades", "connected", "authenticated", "asset", "period")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("session", help="balance, account, open trades, socket, asset/period: page vs broker")
    add_common(parser)
    parser.add_argument("--sample", type=float, default=2.0, help="seconds to listen to the broker (default 2)")
    parser.add_argument("--refresh", action="store_true",
                        help="reload the page first, so the broker sends balance, deals and the chart again")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with live_application(args) as app:
        report = call(app.service, lambda s: s.session(sample=max(0.0, args.sample), refresh=args.refresh))
    lines = [f"{'':<14}{'page':>16}{'broker':>16}"]
    for name in _FIELDS:
        lines.append(f"{name.replace('_', ' '):<14}{_show(report['page'][name]):>16}"
                     f"{_show(report['broker'][name]):>16}")
    emit(args, report, lines)
    for message in report["warnings"]:
        warn(message)
    return 0


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
