"""``quantumflux signal ASSET``: what a strategy says on the last closed candle of the CSV history."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from quantumflux.cli.commands.backtest import add_data_options

    parser = subparsers.add_parser(
        "signal",
        help="a strategy's decision on the latest closed candle (live session when attached, else CSV history)",
        description="Evaluate a strategy on ASSET's candles and print its decision on the last closed candle "
        "(a signal, none, or not ready and why) and its most recent signal. With a browser on the debugging "
        "port, the candles are the live session's (broker history and ticks) merged with the CSV store; "
        "otherwise the CSV history alone. The output says which source was used.",
    )
    parser.add_argument("asset", metavar="ASSET", help="asset symbol, e.g. EURUSD_otc")
    add_data_options(parser, asset_flag=False)
    parser.add_argument("--strategy", default="confluence", help="strategy name (default confluence)")
    parser.add_argument("--param", action="append", default=[], metavar="K=V", help="strategy parameter")
    parser.add_argument("--expiry", default=None, help="expiry carried by the signal (default: one candle)")
    parser.add_argument("--attach", default=None, metavar="HOST:PORT",
                        help="browser to read the live session from (default from config: 127.0.0.1:9222)")
    parser.add_argument("--history-only", action="store_true", help="use the CSV history even when a browser answers")
    parser.add_argument("--wait", type=float, default=8.0, help="seconds to watch the live session (default 8)")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from quantumflux.cli.commands._app import application, call, check_browser, live_application
    from quantumflux.cli.commands.backtest import resolve_common
    from quantumflux.cli.main import CommandError
    from quantumflux.core.model import iso_utc
    from quantumflux.services import backtesting as bt

    common = resolve_common(args)
    try:
        params = bt.parse_params(args.param, single=True)
    except ValueError as exc:
        raise CommandError(str(exc), 2) from exc

    def ask(service: Any, source: str | None) -> dict[str, Any]:
        return call(service, lambda s: s.signals(args.asset, args.strategy, str(common["timeframe"]), params,
                                                 count=5, expiry=args.expiry, data=source), codes={404: 2})

    report = None
    if not args.history_only and _browser_answers(args, check_browser):
        with live_application(args, trading=False, socket_timeout=None, strategy_dirs=args.strategies_dir) as app:
            if _wait_for_ticks(app, args.asset, args.wait):
                report = ask(app.service, None)
    if report is None:  # no live session: the data given, else the stored history (CSV store and sample)
        app = application(strategy_dirs=args.strategies_dir)
        try:
            report = ask(app.service, str(common["data"]) if args.data else None)
        finally:
            app.close()
        if args.data and not args.history_only:
            report["source"] += " (no live ticks for this asset)"
    if args.json:
        print(json.dumps(report, sort_keys=True))
        return 0
    last = report["last_candle_time"]
    print(f"source: {report['source']} ({report['candles']} candles, last closed "
          f"{iso_utc(last) if last is not None else '-'})")
    print(f"strategy: {report['label']}  {args.asset} {report['timeframe']}")
    current, latest = report["signal"], report["latest_signal"]
    if report["not_ready"]:
        print(f"not ready: {report['not_ready']}")
    elif current is not None:
        values = ", ".join(f"{k}={v:.6g}" for k, v in current["values"].items() if v is not None)
        print(f"signal: {current['direction'].upper()} expiry {current['expiry']}s  rule {current['rule']}  "
              f"confidence {current['confidence']:.2f}")
        print(f"values: {values}")
    else:
        print("signal: none on the last closed candle")
    if latest is not None and latest != current:
        print(f"latest signal: {latest['direction'].upper()} at {latest['iso']} ({latest['rule']})")
    return 0


def _browser_answers(args: argparse.Namespace, check: Any) -> bool:
    from quantumflux.cli.commands._app import endpoint, settings
    from quantumflux.cli.main import CommandError

    host, port = endpoint(args, settings())
    try:
        check(host, port)
    except CommandError:
        return False
    return True


def _wait_for_ticks(app: Any, asset: str, wait: float) -> bool:
    """Watch the live session up to ``wait`` s for ``asset``'s ticks (and its broker history)."""
    import time

    deadline = time.monotonic() + max(0.0, wait)
    while True:
        ticks, history = app.market.read(
            lambda state: (len(state.tick_columns(asset)[0]), state.history_range(asset) is not None))
        if ticks >= 3 and (history or wait <= 0) or time.monotonic() >= deadline:
            return ticks > 0
        time.sleep(0.1)
