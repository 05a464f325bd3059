"""``quantumflux session``: the trading session from the page (DOM) and from the broker's events, with warnings."""

from __future__ import annotations

import argparse
import time
from typing import Any

from quantumflux.cli.commands._trading import add_common, emit, page_errors, trading_session, warn
from quantumflux.cli.main import EXIT_ERROR, CommandError

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
        view = session.view
        if args.refresh:
            since = time.time()  # capture events carry wall-clock receive times
            try:
                session.page.reload()
            except page_errors() as exc:
                raise CommandError(f"session: cannot reload the page: {exc}", EXIT_ERROR) from exc
            view.wait_for_lists(since, max(args.sample, 10.0))
        else:
            with view.changed:
                view.changed.wait_for(lambda: bool(view.balances) and view.open_deals is not None,
                                      max(0.0, args.sample))
        try:
            report = SessionMonitor(session.page, session.view, session.hub).snapshot()
        except page_errors() as exc:
            raise CommandError(f"session: {exc}", EXIT_ERROR) from exc
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
