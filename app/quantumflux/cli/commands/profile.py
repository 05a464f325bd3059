"""``quantumflux profile``: who is logged in on the trading page (e-mail masked unless --show-email)."""

from __future__ import annotations

import argparse
from typing import Any

from quantumflux.cli.commands._app import add_common, call, emit, live_application


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("profile", help="name, user id, e-mail, currency, level, account, balance")
    add_common(parser)
    parser.add_argument("--show-email", action="store_true", help="print the e-mail address unmasked")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with live_application(args, socket_timeout=None) as app:
        data = call(app.service, lambda s: s.profile(mask=not args.show_email))
    balance = "unknown" if data["balance"] is None else f"{data['balance']:,.2f} {data['currency']}"
    emit(args, data, [
        f"Name:     {data['name']}",
        f"User id:  {data['user_id']}",
        f"E-mail:   {data['email']}",
        f"Currency: {data['currency']}",
        f"Level:    {data['level']}",
        f"Account:  {data['account_type']}",
        f"Balance:  {balance}",
    ])
    return 0
