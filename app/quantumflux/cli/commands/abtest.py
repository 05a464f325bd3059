"""``quantumflux abtest``: several strategies on the same candles, a comparison table and verdicts."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from quantumflux.cli.commands.backtest import add_data_options, add_trade_options

    parser = subparsers.add_parser(
        "abtest",
        help="compare strategies' expectancy per trade on the same data",
        description="Backtest several strategies on the same data (loaded once) and compare each with the "
        "first on expectancy (net profit per trade, draws counted): block bootstrap, paired when the strategies "
        "trade the same candles, two-sided p-values Holm-adjusted over the comparisons; each strategy's "
        "expectancy is also tested against break-even (one-sided). A plain verdict says which is better, "
        "whether it makes money at all and, when undecided, about how many more trades would show a "
        "difference. See docs/backtest.md.",
    )
    add_data_options(parser)
    parser.add_argument("--strategy", action="append", required=True, metavar="NAME[:K=V,...]",
                        help="a strategy, optionally with parameters (give two or more)")
    add_trade_options(parser)
    parser.add_argument("--walk-forward", type=int, default=None, metavar="K",
                        help="cut the candles into K+1 consecutive segments: each strategy's in-sample (first) and "
                        "out-of-sample (rest) figures, and the best-so-far strategy scored on each next segment")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from quantumflux.cli.commands._backtest_text import ab_lines
    from quantumflux.cli.commands.backtest import (
        ProgressBar,
        load_data,
        load_ticks_if_asked,
        resolve_common,
        trade_config,
        user_error,
    )
    from quantumflux.cli.main import EXIT_USAGE, CommandError
    from quantumflux.core.backtest import table
    from quantumflux.core.strategies import NotEnoughData
    from quantumflux.services import backtesting as bt
    from quantumflux.services.backtest_reports import ab_report, bounds_for

    if len(args.strategy) < 2:
        raise CommandError("give at least two --strategy options to compare", EXIT_USAGE)
    common = resolve_common(args)
    config = trade_config(args, common)
    try:
        specs = [bt.StrategySpec.parse(text) for text in args.strategy]
        for spec in specs:
            bt.registry_for(common["folders"]).get(spec.name)
    except (ValueError, KeyError) as exc:
        raise user_error(exc) from exc
    if args.walk_forward is not None and args.walk_forward < 1:
        raise CommandError("--walk-forward needs K >= 1 (K + 1 segments)", EXIT_USAGE)
    arrays, info = load_data(common, args.asset)
    ticks = load_ticks_if_asked(args, common)
    try:
        bounds = bounds_for(arrays, args.walk_forward)
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from exc
    try:
        results, comparisons = bt.ab_test(arrays, specs, config, common["folders"], progress=ProgressBar("abtest"),
                                          ticks=ticks)
    except (ValueError, KeyError, NotEnoughData) as exc:
        raise user_error(exc) from exc
    report = ab_report(results, comparisons, bounds)
    if args.json:
        print(json.dumps({"source": info["path"], "candles": info["rows"], "data_warnings": info["warnings"],
                          **report}, sort_keys=True))
        return 0
    print(f"source: CSV history {info['path']} ({info['rows']} candles)")
    adjusted = [row["expectancy_p_value_adjusted"] for row in report["results"]]
    text = table([(label, r.metrics) for label, r in results],
                 [float("nan") if p is None else p for p in adjusted])
    for line in ab_lines(report, text):
        print(line)
    return 0
