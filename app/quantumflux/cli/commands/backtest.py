"""``quantumflux backtest``: a strategy over stored candles, binary-option semantics; grids sweep.

Also holds the helpers the ``abtest`` and ``signal`` commands share (data options, progress bar).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_data_options(parser: argparse.ArgumentParser, asset_flag: bool = True) -> None:
    parser.add_argument("--data", default=None, metavar="DIR_OR_CSV",
                        help="data directory (searched recursively) or one CSV file (default: the data directory's "
                        "data_output/assets_data)")
    if asset_flag:
        parser.add_argument("--asset", default=None, help="asset symbol as in the file names, e.g. EURUSD_otc")
    parser.add_argument("--timeframe", default="1m", help="candle period (default 1m)")
    parser.add_argument("--strategies-dir", action="append", default=[], metavar="DIR",
                        help="extra folder of user strategy files (repeatable)")


def add_trade_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--expiry", default=None, help="trade expiry, a multiple of the timeframe (default: one candle)")
    parser.add_argument("--payout", type=float, default=92.0, help="payout percent of the stake on a win (default 92)")
    parser.add_argument("--stake", type=float, default=1.0, help="stake per trade (default 1)")
    parser.add_argument("--max-concurrent", type=int, default=None, metavar="N",
                        help="skip signals while N trades are open (default: no cap, every signal trades)")
    parser.add_argument("--tick-exits", action="store_true",
                        help="exit at the last tick before entry + expiry (ticks from --data; any expiry)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "backtest",
        help="backtest a strategy on stored candles (binary options)",
        description="Backtest a strategy on stored candles. A signal on a closed candle enters at its close; "
        "the exit is the last price before entry + expiry (the close of the candle ending then); equal prices "
        "are a draw. "
        "Give a parameter several values (--param fast=5,10,20) to sweep the grid over all local cores "
        "or a Dask cluster (--cluster tcp://host:8786); sweeps report Holm-adjusted p-values over the variants "
        "tried, and --walk-forward K scores the best on data it was not chosen on. See docs/backtest.md.",
    )
    add_data_options(parser)
    parser.add_argument("--strategy", required=True, help="strategy name (see: quantumflux strategies)")
    parser.add_argument("--param", action="append", default=[], metavar="K=V[,V...]",
                        help="strategy parameter; several comma-separated values make a sweep (repeatable)")
    add_trade_options(parser)
    parser.add_argument("--equity-csv", default=None, metavar="FILE", help="write the equity curve as CSV")
    parser.add_argument("--equity-png", default=None, metavar="FILE", help="write the equity curve as PNG")
    parser.add_argument("--cluster", default=None, metavar="ADDR", help="Dask scheduler address for sweeps")
    parser.add_argument("--workers", type=int, default=None, help="local processes for sweeps (default: all cores)")
    parser.add_argument("--walk-forward", type=int, default=None, metavar="K",
                        help="cut the candles into K+1 consecutive segments: a sweep ranks on the first and scores "
                        "on the rest (anchored walk-forward: each fold's best on the earlier segments scored on "
                        "the next); one backtest shows each segment (see docs/backtest.md)")
    parser.set_defaults(func=run)


class ProgressBar:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, width: int = 30) -> None:
        self.label, self.width = label, width
        self.open = False

    def __call__(self, done: int, total: int, note: str = "") -> None:
        filled = int(self.width * done / max(total, 1))
        bar = "#" * filled + "." * (self.width - filled)
        self.open = done < total
        end = "" if self.open else "\n"
        print(f"\r{self.label} [{bar}] {done}/{total} {note:<24}", end=end, file=sys.stderr, flush=True)

    def abort(self) -> None:
        """End an unfinished bar's line (before an error message)."""
        if self.open:
            print(file=sys.stderr, flush=True)
            self.open = False


def resolve_common(args: argparse.Namespace) -> dict[str, Any]:
    """Timeframe, expiry, data path and strategy folders from the shared options (usage errors raised)."""
    from pathlib import Path

    from quantumflux.cli.main import EXIT_USAGE, CommandError
    from quantumflux.config import load_settings
    from quantumflux.core.model import Timeframe
    from quantumflux.services.backtesting import strategy_dirs

    try:
        timeframe = Timeframe.parse(args.timeframe)
        expiry = Timeframe.parse(args.expiry).seconds if getattr(args, "expiry", None) else timeframe.seconds
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from exc
    data = Path(args.data) if args.data else load_settings().output_dir
    return {"timeframe": timeframe, "expiry": expiry, "data": data,
            "folders": strategy_dirs(args.strategies_dir)}


def trade_config(args: argparse.Namespace, common: dict[str, Any]) -> Any:
    from quantumflux.cli.main import EXIT_USAGE, CommandError
    from quantumflux.core.backtest import BacktestConfig

    try:
        return BacktestConfig(common["timeframe"].seconds, common["expiry"], args.payout, args.stake,
                              args.max_concurrent, getattr(args, "tick_exits", False))
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from exc


def load_data(common: dict[str, Any], asset: str | None) -> tuple[Any, dict[str, Any]]:
    from quantumflux.cli.main import EXIT_USAGE, CommandError
    from quantumflux.services.backtesting import load_arrays

    try:
        arrays, info = load_arrays(common["data"], asset, str(common["timeframe"]))
    except (FileNotFoundError, ValueError) as exc:
        raise CommandError(str(exc), EXIT_USAGE) from exc
    for warning in info["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    return arrays, info


def load_ticks_if_asked(args: argparse.Namespace, common: dict[str, Any]) -> Any:
    from quantumflux.cli.main import EXIT_USAGE, CommandError
    from quantumflux.services.backtesting import load_tick_arrays

    if not getattr(args, "tick_exits", False):
        return None
    if not args.asset:
        raise CommandError("--tick-exits needs --asset", EXIT_USAGE)
    try:
        return load_tick_arrays(common["data"], args.asset)
    except (FileNotFoundError, ValueError) as exc:
        raise CommandError(str(exc), EXIT_USAGE) from exc


def user_error(exc: Exception) -> Exception:
    """A CommandError for unknown strategies, bad parameters and too little data."""
    from quantumflux.cli.main import EXIT_USAGE, CommandError

    return CommandError(str(exc).strip("'\""), EXIT_USAGE)


def run(args: argparse.Namespace) -> int:
    import json

    from quantumflux.cli.commands._backtest_text import format_metrics, segment_lines, sweep_lines
    from quantumflux.cli.main import EXIT_ERROR, EXIT_NOT_WRITABLE, EXIT_USAGE, CommandError
    from quantumflux.core.strategies import NotEnoughData
    from quantumflux.services import backtesting as bt
    from quantumflux.services.backtest_reports import backtest_report, bounds_for, sweep_report

    common = resolve_common(args)
    config = trade_config(args, common)
    try:
        params = bt.parse_params(args.param)
        bt.registry_for(common["folders"]).get(args.strategy)
    except (ValueError, KeyError) as exc:
        raise user_error(exc) from exc
    if args.walk_forward is not None and args.walk_forward < 1:
        raise CommandError("--walk-forward needs K >= 1 (K + 1 segments)", EXIT_USAGE)
    progress = ProgressBar("backtest")
    progress(0, 3, "loading data")
    try:
        arrays, info = load_data(common, args.asset)
        ticks = load_ticks_if_asked(args, common)
        bounds = bounds_for(arrays, args.walk_forward)
    except ValueError as exc:
        progress.abort()
        raise CommandError(str(exc), EXIT_USAGE) from exc
    except CommandError:
        progress.abort()
        raise
    source = f"source: CSV history {info['path']} ({info['rows']} candles, {info['files']} file(s))"
    if any(isinstance(v, list) for v in params.values()):
        progress(3, 3, "sweeping the grid")
        sweep_bar = ProgressBar("sweep")
        try:
            rows = bt.sweep(arrays, args.strategy, params, config, common["folders"], args.workers, args.cluster,
                            progress=sweep_bar, ticks=ticks, keep_trades=bounds is not None)
        except (ConnectionError, RuntimeError) as exc:
            raise CommandError(str(exc), EXIT_ERROR) from exc
        report = sweep_report(rows, config, bounds)
        if args.json:
            print(json.dumps({"asset": args.asset, **report, "data_warnings": info["warnings"]}, sort_keys=True))
            return 0
        print(source)
        for line in sweep_lines(report):
            print(line)
        return 0
    progress(1, 3, "signals")
    try:
        result = bt.run_one(arrays, bt.StrategySpec(args.strategy, params), config, common["folders"], ticks)
    except (ValueError, KeyError, NotEnoughData) as exc:
        progress.abort()
        raise user_error(exc) from exc
    progress(3, 3, "done")
    try:
        bt.write_equity(result, args.equity_csv, args.equity_png)
    except OSError as exc:
        raise CommandError(f"cannot write the equity curve: {exc}", EXIT_NOT_WRITABLE) from exc
    summary = {"asset": args.asset, **backtest_report(result, bounds), "data_warnings": info["warnings"]}
    if args.json:
        print(json.dumps(summary, sort_keys=True))
        return 0
    print(source)
    print(f"strategy {result.strategy}  {args.asset or ''} {common['timeframe']}  expiry {config.expiry}s  "
          f"payout {config.payout:g}%  stake {config.stake:g}")
    for line in format_metrics(summary):
        print(line)
    if summary["walk_forward"]:
        for line in segment_lines(summary["walk_forward"]):
            print(line)
    for flag, path in (("equity CSV", args.equity_csv), ("equity PNG", args.equity_png)):
        if path:
            print(f"{flag}: {path}")
    return 0
