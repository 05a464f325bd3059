"""``quantumflux replay FRAMES.jsonl``: run a recorded capture through the live collection path."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "replay",
        help="run a recorded capture through decoder, candles and the CSV store",
        description="Replay a .jsonl capture through the same decoder, candle engine and CSV store as live "
        "collection, with the frames' receive times as the clock, then print a summary. Files go to "
        "OUTPUT/realtime_stream/ (candles, ticks) and OUTPUT/data_collect/ (broker history).",
    )
    parser.add_argument("capture", metavar="FRAMES.jsonl", help="the recorded capture")
    parser.add_argument("--output", default=None, metavar="DIR",
                        help="output directory (default: the data directory's data_output/assets_data)")
    parser.add_argument("--timeframe", default="1m", help="candle timeframe to form (default 1m)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from quantumflux.cli.commands._app import application, call
    from quantumflux.cli.main import EXIT_NOT_WRITABLE

    app = application()
    try:
        summary = call(app.service, lambda s: s.replay(args.capture, args.output, args.timeframe),
                       codes={507: EXIT_NOT_WRITABLE})
    finally:
        app.close()
    if args.json:
        print(json.dumps({k: v for k, v in summary.items() if k not in ("lines", "output")}, sort_keys=True))
    else:
        print(f"replayed {args.capture} into {summary['output']}")
        for line in summary["lines"]:
            print(line)
    return 0
