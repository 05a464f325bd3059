"""``quantumflux performance``: per-strategy results from the trade journal, next to a backtest expectation."""

from __future__ import annotations

import argparse
import json
from typing import Any

from quantumflux.cli.main import EXIT_ERROR, EXIT_USAGE, CommandError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "performance", help="per-strategy live results from the journal, with a backtest expectation",
        description="For every strategy in the trade journal (or one): trades, win rate (overall and over the "
        "last --window trades), P&L, max drawdown, trades per day, refusals by rule, and the backtest "
        "statistics of the live trades; next to it, the same strategy backtested on stored candles of the "
        "same assets (when there are any), so live and expected results can be compared.")
    parser.add_argument("--strategy", default=None, metavar="LABEL",
                        help="one strategy as journaled, e.g. sma_cross or 'sma_cross(fast=5,slow=20)'")
    parser.add_argument("--account", choices=("paper", "demo", "real"), default=None,
                        help="only this account (default: each account separately)")
    parser.add_argument("--window", type=int, default=20, help="trades in the rolling win rate (default 20)")
    parser.add_argument("--timeframe", default="1m", help="candle period of the backtest expectation (default 1m)")
    parser.add_argument("--data", default=None, metavar="DIR_OR_CSV",
                        help="stored candles for the expectation (default: the data folder's data_output/assets_data)")
    parser.add_argument("--no-backtest", action="store_true", help="skip the backtest expectation")
    parser.add_argument("--journal", default=None, metavar="FILE", help="trade journal (default: the data folder's)")
    parser.add_argument("--strategies-dir", action="append", default=[], metavar="DIR",
                        help="extra folder of user strategy files")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from quantumflux.cli.commands._app import application, call
    from quantumflux.storage.journal import JournalError

    if args.window <= 0:
        raise CommandError("--window must be a positive number of trades", EXIT_USAGE)
    app = application(journal_path=Path(args.journal) if args.journal else None, strategy_dirs=args.strategies_dir)
    try:
        result = call(app.service, lambda s: s.performance(
            strategy=args.strategy, account=args.account, window=args.window, backtest=not args.no_backtest,
            timeframe=args.timeframe, data=args.data))
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_ERROR) from exc
    finally:
        app.close()
    rows = result["strategies"]
    if args.strategy and not rows:
        raise CommandError(f"no trades of {args.strategy!r} in the journal", EXIT_USAGE)
    if args.json:
        print(json.dumps(result, indent=2, default=_plain))
    elif not rows:
        print("no strategy trades in the journal yet (run `quantumflux run ...`)")
    else:
        for row in rows:
            print("\n".join(_lines(row)))
    return 0


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _lines(row: dict[str, Any]) -> list[str]:
    lines = [f"{row['strategy']}  [{row['account']}]  assets {', '.join(row['assets'])}"]
    live = (f"  live:     trades {row['trades']}  wins {row['wins']}  draws {row['draws']}  losses {row['losses']}  "
            f"win rate {_pct(row['statistics']['win_rate'])} (last {row['rolling_window']}: "
            f"{_pct(row['rolling_win_rate'])})  P&L {row['pnl']:+.2f}  max DD {row['max_drawdown']:.2f}  "
            f"trades/day {row['trades_per_day']:.1f}")
    lines.append(live)
    extra = [f"open {row['open']}"] if row["open"] else []
    if row["refusals"]:
        extra.append("refused " + ", ".join(f"{rule} ×{n}" for rule, n in row["refusals"].items()))
    if row["failed"]:
        extra.append(f"failed {row['failed']}")
    stats = row["statistics"]
    if stats["trades"]:
        extra.append(f"break-even {_pct(stats['break_even_win_rate'])}, p={stats['p_value']:.3g}")
        extra.append(f"expectancy {stats['expectancy']:+.3f} per trade, p={stats['expectancy_p_value']:.3g} "
                     "(one-sided test that it is above 0)")
    if extra:
        lines.append("            " + "; ".join(extra))
    expected = row.get("backtest")
    if expected is None:
        return lines
    if not expected["available"]:
        lines.append(f"  backtest: not available ({expected['reason']})")
    else:
        lines.append(f"  backtest: trades {expected['trades']}  win rate {_pct(expected['win_rate'])}  "
                     f"expectancy {expected['expectancy'] or 0:+.3f}  net {expected['net_profit']:+.2f}  "
                     f"({expected['timeframe']} candles, expiry {expected['expiry']} s, payout "
                     f"{expected['payout']:g}%)")
    return lines


def _plain(value: Any) -> Any:
    return None if isinstance(value, float) and value != value else str(value)
