"""``quantumflux doctor``: check every selector of resources/selectors.json on the live trading page."""

from __future__ import annotations

import argparse
from typing import Any

from quantumflux.cli.commands._app import add_common, call, emit, live_application
from quantumflux.cli.main import EXIT_ERROR


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("doctor", help="check every page selector and report which broke")
    add_common(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with live_application(args, socket_timeout=None) as app:
        data = call(app.service, lambda s: s.doctor())
    checks, names = data["checks"], data["broken"]
    lines = [f"{c['name']:<22} {c['message']}" for c in checks]
    lines.append(f"{len(checks)} elements: {len(names)} broken, {len(data['fallback'])} on a fallback"
                 + (f" — broken: {', '.join(names)}" if names else ""))
    emit(args, data, lines)
    return EXIT_ERROR if names else 0
