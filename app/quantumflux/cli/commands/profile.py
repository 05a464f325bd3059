"""``quantumflux profile``: who is logged in on the trading page (e-mail masked unless --show-email)."""

from __future__ import annotations

import argparse
from typing import Any

from quantumflux.cli.commands._trading import add_common, attached_page, emit, page_errors
from quantumflux.cli.main import EXIT_ERROR, CommandError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("profile", help="name, user id, e-mail, currency, level, account, balance")
    add_common(parser)
    parser.add_argument("--show-email", action="store_true", help="print the e-mail address unmasked")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from quantumflux.browser.page_actions import read_profile

    with attached_page(args) as page:
        try:
            profile = read_profile(page)
        except page_errors() as exc:
            raise CommandError(f"cannot read the profile: {exc}", EXIT_ERROR) from exc
    data = profile.to_dict(mask=not args.show_email)
    balance = "unknown" if profile.balance is None else f"{profile.balance:,.2f} {profile.currency}"
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
