"""``quantumflux doctor``: check every selector of resources/selectors.json on the live trading page."""

from __future__ import annotations

import argparse
from typing import Any

from quantumflux.cli.commands._trading import add_common, attached_page, emit
from quantumflux.cli.main import EXIT_ERROR


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("doctor", help="check every page selector and report which broke")
    add_common(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from quantumflux.browser.doctor import broken, check_selectors

    with attached_page(args) as page:
        checks = check_selectors(page)
    names = broken(checks)
    fallbacks = [c.name for c in checks if c.status == "fallback"]
    data = {"ok": not names, "broken": names, "fallback": fallbacks, "checks": [c.to_dict() for c in checks]}
    lines = [f"{c.name:<22} {c.message}" for c in checks]
    lines.append(f"{len(checks)} elements: {len(names)} broken, {len(fallbacks)} on a fallback"
                 + (f" — broken: {', '.join(names)}" if names else ""))
    emit(args, data, lines)
    return EXIT_ERROR if names else 0
