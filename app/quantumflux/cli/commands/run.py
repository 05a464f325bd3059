"""``quantumflux run``: run strategies on live closed candles — paper by default (see docs/automation.md)."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from datetime import UTC, datetime
from typing import Any

from quantumflux.cli.main import (
    EXIT_ERROR,
    EXIT_NOT_WRITABLE,
    EXIT_REFUSED,
    EXIT_USAGE,
    CommandError,
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run", help="run strategies on live candles (paper trading by default)",
        description="Run strategies on the closed candles of live assets and send their signals through the "
        "risk guard to an executor: paper (simulated fills from the live stream at the broker's payout, the "
        "default), the page's demo account (--executor demo), or a real account (--executor real, only with "
        "allow_real_trading in the config and --real). Every order is journaled with the strategy as source.")
    parser.add_argument("--strategy", action="append", required=True, metavar="NAME[:K=V,...]",
                        help="a strategy, optionally with parameters; repeat to run several")
    parser.add_argument("--assets", required=True, help="comma-separated symbols, e.g. EURUSD_otc,BTCUSD")
    parser.add_argument("--timeframe", default="1m", help="candle period (default 1m)")
    parser.add_argument("--expiry", default=None, help="trade expiry, e.g. 60s (default: one candle)")
    parser.add_argument("--stake", type=float, default=1.0, help="stake per trade (default 1)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--attach", metavar="HOST:PORT",
                        help="the browser with remote debugging (default: config chrome_host:chrome_port)")
    source.add_argument("--demo", action="store_true",
                        help="start the local practice broker and a headless Chromium on it")
    parser.add_argument("--executor", choices=("paper", "demo", "real"), default="paper",
                        help="where orders go (default paper)")
    parser.add_argument("--real", action="store_true", help="confirm real-money trading (with --executor real)")
    parser.add_argument("--ab", action="store_true", help="live A/B: exactly two strategies paper-trade side by side")
    parser.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds (default: "
                        "run until Ctrl-C)")
    parser.add_argument("--persist", action="store_true", help="also write the ticks and candles as CSV files")
    parser.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                        help="risk limit, e.g. max_trades_per_hour=30 or max_consecutive_losses=none")
    parser.add_argument("--journal", default=None, metavar="FILE", help="trade journal (default: the data folder's)")
    parser.add_argument("--strategies-dir", action="append", default=[], metavar="DIR",
                        help="extra folder of user strategy files")
    parser.add_argument("--json", action="store_true", help="print events and the summary as JSON lines")
    parser.set_defaults(func=run)


def _limits(items: list[str], allow_real: bool) -> Any:
    import dataclasses

    from quantumflux.core.risk import RiskLimits

    values: dict[str, Any] = {}
    known = {f.name for f in dataclasses.fields(RiskLimits)} - {"allow_real"}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in known:
            raise CommandError(f"--limit {item!r}: use NAME=VALUE with NAME one of {', '.join(sorted(known))}",
                               EXIT_USAGE)
        try:
            values[name] = None if value.strip().lower() in ("none", "off") else float(value)
        except ValueError as exc:
            raise CommandError(f"--limit {item!r}: {value!r} is not a number (or none)", EXIT_USAGE) from exc
        if values[name] is not None and name.startswith("max_") and name != "max_stake":
            values[name] = int(values[name])
    try:
        return RiskLimits(**values, allow_real=allow_real)
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from exc


def _check(args: argparse.Namespace, config: Any) -> tuple[list[Any], list[str], int, int]:
    """Strategies, assets, timeframe and expiry, checked before anything starts."""
    from quantumflux.core.model import Timeframe
    from quantumflux.services.backtesting import StrategySpec, registry_for, strategy_dirs

    try:
        specs = [StrategySpec.parse(text) for text in args.strategy]
        registry = registry_for(strategy_dirs(args.strategies_dir))
        for spec in specs:
            registry.create(spec.name, dict(spec.params))
        timeframe = Timeframe.parse(args.timeframe).seconds
        expiry = Timeframe.parse(args.expiry).seconds if args.expiry else timeframe
    except (ValueError, KeyError) as exc:
        raise CommandError(str(exc).strip("'\""), EXIT_USAGE) from exc
    assets = [a.strip() for a in args.assets.split(",") if a.strip()]
    if not assets:
        raise CommandError("--assets needs at least one symbol", EXIT_USAGE)
    if args.ab and (len(specs) != 2 or args.executor != "paper"):
        raise CommandError("--ab runs exactly two --strategy options, paper-trading", EXIT_USAGE)
    if args.duration is not None and args.duration <= 0:
        raise CommandError("--duration must be positive", EXIT_USAGE)
    if args.executor == "real" and not (config.allow_real_trading and args.real):
        raise CommandError("real-account trading is off: it needs allow_real_trading in the config and --real "
                           "on the command", EXIT_REFUSED)
    if args.real and args.executor != "real":
        raise CommandError("--real only goes with --executor real", EXIT_USAGE)
    return specs, assets, timeframe, expiry


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from quantumflux.cli.commands._app import live_application, settings

    config = settings()
    specs, assets, timeframe, expiry = _check(args, config)
    limits = _limits(args.limit, config.allow_real_trading and args.real)
    with live_application(args, demo=args.demo, limits=limits, allow_real=args.real,
                          journal_path=Path(args.journal) if args.journal else None,
                          strategy_dirs=args.strategies_dir) as app:
        runner, service = app.runner, app.service
        assert runner is not None
        if args.ab:
            runner.paper.scope = "strategy"  # a live A/B pair: one arm's trades never block the other's
        runner.add_listener(lambda event: _print_event(args, event))
        if args.persist:
            _persist(service, args.timeframe, assets)
        labels = []
        for spec in specs:
            status = _enable(service, spec, assets, timeframe, expiry, args)
            labels.append(status["label"])
        _say(args, {"kind": "started", "strategies": labels, "assets": assets, "timeframe": timeframe,
                    "expiry": expiry, "executor": args.executor, "persist": bool(args.persist)},
             f"running {', '.join(labels)} on {', '.join(assets)} ({args.timeframe} candles, expiry {expiry} s, "
             f"{args.executor}); Ctrl-C stops")
        _wait(args.duration)
        still_open = runner.drain(max(expiry, timeframe) + 15.0)
        if still_open:
            print(f"warning: {still_open} paper trade(s) did not settle; their outcome stays unknown", file=sys.stderr)
        runner.stop()
        _summary(args, runner, labels)
        return 0 if not runner.errors else EXIT_ERROR


def _enable(service: Any, spec: Any, assets: list[str], timeframe: int, expiry: int,
            args: argparse.Namespace) -> dict[str, Any]:
    from quantumflux.services.facade import ServiceError

    try:
        return service.enable_strategy(spec.name, assets=assets, timeframe=f"{timeframe}s", expiry=f"{expiry}s",
                                       mode=args.executor, params=dict(spec.params), stake=args.stake)
    except ServiceError as exc:
        raise CommandError(str(exc).strip("'\""), EXIT_USAGE) from exc


def _persist(service: Any, timeframe: str, assets: list[str]) -> None:
    """``--persist``: the application's collector writes the followed assets' ticks and candles."""
    from quantumflux.services.facade import ServiceError

    try:
        service.start_collector((timeframe,), assets)
    except ServiceError as exc:
        raise CommandError(str(exc), EXIT_NOT_WRITABLE) from exc


def _wait(duration: float | None) -> None:
    import signal

    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait(duration)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%H:%M:%S")


def _print_event(args: argparse.Namespace, event: Any) -> None:
    data = event.data
    if args.json:
        print(json.dumps(event.to_dict(), default=str), flush=True)
        return
    head = f"{_clock(event.time)} {event.kind:<8} {event.strategy} {event.asset}"
    if event.kind == "signal":
        line = f"{head} {data['direction']} ({data['rule']}) at close {data['close']:g}"
    elif event.kind == "order":
        line = f"{head} {data['direction']} {data['amount']:g}: {data['status']}"
        if data.get("reason") and data["status"] != "confirmed":
            line += f" — {data['reason']}"
        elif data.get("open_price") is not None:
            line += f" at {data['open_price']:g}, payout {data.get('payout') or 0:g}%"
    elif event.kind == "settled":
        line = f"{head} {data['outcome']} {data['profit']:+.2f} ({data['entry_price']:g} -> {data['exit_price']:g})"
    elif event.kind == "unknown":
        line = f"{head} outcome unknown: {data['reason']}"
    else:
        line = f"{head} {data.get('reason', '')}"
    print(line, flush=True)


def _summary(args: argparse.Namespace, runner: Any, labels: list[str]) -> None:
    status = [s.to_dict() for s in runner.status()]
    performance = runner.performance()
    comparison = runner.compare(labels[0], labels[1]).to_dict() if args.ab else None
    if args.json:
        print(json.dumps({"kind": "summary", "status": status, "performance": performance,
                          "comparison": comparison, "errors": runner.errors}, default=str), flush=True)
        return
    print(f"{'strategy':<32} {'signals':>7} {'orders':>6} {'refused':>7} {'closed':>6} {'open':>4} {'unknown':>7} "
          f"{'win rate':>8} {'P&L':>9} {'max DD':>8}")
    by_label = {p["strategy"]: p for p in performance}
    for s in status:
        p = by_label.get(s["label"], {})
        rate = f"{p['win_rate']:.1%}" if p.get("trades") else "-"
        print(f"{s['label'][:32]:<32} {s['signals']:>7} {s['orders']:>6} {s['refused']:>7} {s['closed']:>6} "
              f"{s['open']:>4} {s['unknown']:>7} {rate:>8} {s['pnl']:>9.2f} {p.get('max_drawdown', 0.0):>8.2f}")
        if s["refusals"]:
            print(f"  refused by: {', '.join(f'{rule} ×{n}' for rule, n in s['refusals'].items())}")
        if s["waiting"]:
            print(f"  still warming up: {s['waiting']}")
    if comparison is not None:
        from quantumflux.cli.commands._backtest_text import comparison_note

        print(f"A/B: {comparison['verdict']}")
        print(comparison_note(comparison))
    for error in runner.errors[-5:]:
        print(f"error: {error}", file=sys.stderr)


def _say(args: argparse.Namespace, data: dict[str, Any], line: str) -> None:
    print(json.dumps(data) if args.json else line, flush=True)
