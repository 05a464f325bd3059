"""``quantumflux strategies``: list the built-in and user strategies with their parameters."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "strategies",
        help="list strategies and their parameters",
        description="List the built-in strategies and the user strategy files found in $QF_STRATEGIES_DIR, "
        "<user data dir>/strategies and --strategies-dir folders. Files that fail validation are reported.",
    )
    parser.add_argument("--strategies-dir", action="append", default=[], metavar="DIR",
                        help="extra folder of user strategy files (repeatable)")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from quantumflux.cli.commands._app import application

    app = application(strategy_dirs=args.strategies_dir)
    try:
        rows, problems = app.service.strategies(), app.service.strategy_problems()
    finally:
        app.close()
    if args.json:
        print(json.dumps({"strategies": rows, "problems": problems}, sort_keys=True))
    else:
        for row in rows:
            params = ", ".join(f"{k}={v}" for k, v in row["parameters"].items())
            print(f"{row['name']}  ({row['source']}, warm-up {row['warmup']} candles)")
            print(f"    {row['description']}")
            print(f"    parameters: {params or 'none'}")
    for problem in problems:
        print(f"warning: strategy file skipped: {problem}", file=sys.stderr)
    return 0
