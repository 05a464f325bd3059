"""``quantumflux abtest``: several strategies on the same candles, a comparison table and verdicts."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from quantumflux.cli.commands.backtest import add_data_options, add_trade_options

    parser = subparsers.add_parser(
        "abtest",
        help="compare strategies' win rates on the same data",
        description="Backtest several strategies on the same data (loaded once) and compare each with the "
        "first: two-proportion z-test (Fisher's exact test for small counts) on win rates, with a plain "
        "verdict and, when undecided, about how many more trades would show a difference.",
    )
    add_data_options(parser)
    parser.add_argument("--strategy", action="append", required=True, metavar="NAME[:K=V,...]",
                        help="a strategy, optionally with parameters (give two or more)")
    add_trade_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

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
    arrays, info = load_data(common, args.asset)
    ticks = load_ticks_if_asked(args, common)
    try:
        results, comparisons = bt.ab_test(arrays, specs, config, common["folders"], progress=ProgressBar("abtest"),
                                          ticks=ticks)
    except (ValueError, KeyError, NotEnoughData) as exc:
        raise user_error(exc) from exc
    if args.json:
        print(json.dumps({"source": info["path"], "candles": info["rows"], "data_warnings": info["warnings"],
                          "results": [{"label": label, **bt.summary(r)} for label, r in results],
                          "comparisons": [c.to_dict() for c in comparisons]}, sort_keys=True))
        return 0
    print(f"source: CSV history {info['path']} ({info['rows']} candles)")
    print(table([(label, r.metrics) for label, r in results]))
    print()
    for comparison in comparisons:
        p = "-" if comparison.p_value != comparison.p_value else f"{comparison.p_value:.3g}"
        print(f"{comparison.challenger} vs {comparison.baseline}: {comparison.verdict}  "
              f"[{comparison.method}, p={p}]")
    return 0
