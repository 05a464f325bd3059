"""``quantumflux session``: the trading session from the page (DOM) and from the broker's events, with warnings."""

from __future__ import annotations

import argparse
import time
from typing import Any

from quantumflux.cli.commands._trading import add_common, emit, trading_session, warn

_FIELDS = ("balance", "account", "open_trades", "connected", "authenticated", "asset", "period")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("session", help="balance, account, open trades, socket, asset/period: page vs broker")
    add_common(parser)
    parser.add_argument("--sample", type=float, default=2.0, help="seconds to listen to the broker (default 2)")
    parser.add_argument("--refresh", action="store_true",
                        help="reload the page first, so the broker sends balance, deals and the chart again")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from quantumflux.services.session_monitor import SessionMonitor

    with trading_session(args) as session:
        if args.refresh:
            session.page.reload()
        deadline = time.monotonic() + max(0.0, args.sample)
        while time.monotonic() < deadline and not (session.view.balances and session.view.open_deals is not None):
            time.sleep(0.1)
        report = SessionMonitor(session.page, session.view, session.hub).snapshot()
    lines = [f"{'':<14}{'page':>16}{'broker':>16}"]
    for name in _FIELDS:
        lines.append(f"{name.replace('_', ' '):<14}{_show(getattr(report.page, name)):>16}"
                     f"{_show(getattr(report.broker, name)):>16}")
    emit(args, report.to_dict(), lines)
    for message in report.warnings:
        warn(message)
    return 0


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
