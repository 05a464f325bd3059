"""``quantumflux trade call|put --asset A --amount X --expiry 60s``: one order, confirmed by the broker.

Exit codes: 0 confirmed (or closed, or an allowed --dry-run); EXIT_REFUSED when the risk guard
refuses; EXIT_ERROR when the page or the broker failed it or no confirmation came ("unconfirmed").
"""

from __future__ import annotations

import argparse
from typing import Any

from quantumflux.cli.commands._app import add_common, call, emit, live_application
from quantumflux.cli.main import EXIT_ERROR, EXIT_REFUSED, EXIT_USAGE, CommandError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("trade", help="place one order on the page (demo unless --real)")
    parser.add_argument("direction", choices=("call", "put"))
    parser.add_argument("--asset", required=True, help="symbol or label, e.g. EURUSD_otc")
    parser.add_argument("--amount", required=True, type=float, help="stake")
    parser.add_argument("--expiry", required=True, help="60s, 1m, 1m30s, 00:01:30 … (what the asset allows)")
    parser.add_argument("--dry-run", action="store_true", help="check the guard and the page; click nothing")
    parser.add_argument("--real", action="store_true",
                        help="a real-money order (also needs allow_real_trading in the config)")
    parser.add_argument("--wait", action="store_true", help="wait for the result (outcome and profit)")
    parser.add_argument("--client-id", help="idempotency key: a retried command with it never trades twice")
    parser.add_argument("--source", default="manual", help="journal source (default manual)")
    parser.add_argument("--confirm-timeout", type=float, default=10.0,
                        help="seconds to wait for the broker's confirmation (default 10)")
    add_common(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uuid

    from quantumflux.core.orders import parse_expiry

    try:
        expiry = parse_expiry(args.expiry)
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from exc
    client_id = args.client_id or uuid.uuid4().hex
    with live_application(args) as app:
        assert app.trading is not None
        app.trading.confirm_timeout = args.confirm_timeout
        data = call(app.service, lambda s: s.place_trade(
            client_id=client_id, asset=args.asset, direction=args.direction, amount=args.amount, expiry=expiry,
            real=args.real, dry_run=args.dry_run, source=args.source, wait=expiry + 30.0 if args.wait else None))
    if not args.wait:
        data.pop("outcome", None)
        data.pop("profit", None)
    emit(args, data, [f"{data['client_id']}: {data['message']}"])
    if data["status"] == "refused":
        return EXIT_REFUSED
    return 0 if data["status"] in ("confirmed", "closed", "dry-run") else EXIT_ERROR
