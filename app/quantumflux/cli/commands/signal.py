"""``quantumflux signal ASSET``: what a strategy says on the last closed candle of the CSV history."""

from __future__ import annotations

import argparse


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


def _signal_dict(signal: object) -> dict[str, object] | None:
    if signal is None:
        return None
    from dataclasses import asdict

    from quantumflux.core.model import iso_utc

    data = asdict(signal)  # type: ignore[call-overload]
    data["direction"] = str(data["direction"])
    data["time_utc"] = iso_utc(data["time"])
    return data


def _live(args: argparse.Namespace, timeframe: int) -> object | None:
    from quantumflux.cli.main import EXIT_USAGE, CommandError
    from quantumflux.config import load_settings
    from quantumflux.services.live_candles import live_candles

    settings = load_settings()
    host, port = settings.chrome_host, settings.chrome_port
    if args.attach:
        host, _, text = args.attach.rpartition(":")
        if not host or not text.isdigit():
            raise CommandError(f"--attach wants HOST:PORT, got {args.attach!r}", EXIT_USAGE)
        port = int(text)
    return live_candles(settings, args.asset, timeframe, host=host, port=port, wait=args.wait)


def run(args: argparse.Namespace) -> int:
    import json

    from quantumflux.cli.commands.backtest import load_data, resolve_common, user_error
    from quantumflux.core.model import iso_utc
    from quantumflux.services import backtesting as bt

    common = resolve_common(args)
    try:
        spec = bt.StrategySpec(args.strategy, bt.parse_params(args.param, single=True))
        bt.registry_for(common["folders"]).create(spec.name, dict(spec.params))
    except (ValueError, KeyError) as exc:
        raise user_error(exc) from exc
    timeframe = common["timeframe"].seconds
    live = None if args.history_only else _live(args, timeframe)
    if live is not None and len(live.arrays):
        arrays, source = live.arrays, live.source
    else:
        arrays, info = load_data(common, args.asset)
        source = f"CSV history {info['path']}" + ("" if args.history_only else " (no live ticks for this asset)")
    report = bt.signal_on_history(arrays, spec, args.asset, timeframe, common["expiry"], common["folders"])
    if args.json:
        print(json.dumps({"source": source, "strategy": report.strategy, "asset": args.asset,
                          "timeframe": str(common["timeframe"]), "candles": report.candles,
                          "last_candle_time": report.last_candle_time, "not_ready": report.not_ready,
                          "signal": _signal_dict(report.current), "latest_signal": _signal_dict(report.latest)},
                         sort_keys=True))
        return 0
    print(f"source: {source} ({report.candles} candles, last closed {iso_utc(report.last_candle_time)})")
    print(f"strategy: {report.strategy}  {args.asset} {common['timeframe']}")
    if report.not_ready:
        print(f"not ready: {report.not_ready}")
    elif report.current is not None:
        s = report.current
        values = ", ".join(f"{k}={v:.6g}" for k, v in s.values.items())
        print(f"signal: {s.direction.upper()} expiry {s.expiry}s  rule {s.rule}  confidence {s.confidence:.2f}")
        print(f"values: {values}")
    else:
        print("signal: none on the last closed candle")
    if report.latest is not None and report.latest is not report.current:
        s = report.latest
        print(f"latest signal: {s.direction.upper()} at {iso_utc(s.time)} ({s.rule})")
    return 0
