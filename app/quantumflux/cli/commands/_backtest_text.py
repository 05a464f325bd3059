"""Plain-text output of ``backtest`` (one run, sweeps, walk-forward) and ``abtest``: every figure named, every
p-value said what it tests. Not a command itself (the leading underscore keeps it out of discovery)."""

from __future__ import annotations

import math
from typing import Any


def _p(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.2g}" if value >= 0.0001 else "<0.0001"


def _signed(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:+.{digits}f}"


def format_metrics(m: dict[str, Any]) -> list[str]:
    """Lines for one backtest's metrics (a ``summary`` / ``Metrics.to_dict``)."""
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.2%}"

    ci = "-" if m["win_rate_low"] is None else f"{m['win_rate_low']:.1%}..{m['win_rate_high']:.1%}"
    lines = [
        f"trades {m['trades']}  wins {m['wins']}  draws {m['draws']}  losses {m['losses']}",
        f"win rate {pct(m['win_rate'])} (95% CI {ci})  break-even {pct(m['break_even_win_rate'])}  "
        f"p={_p(m['p_value'])} vs break-even ({m['p_value_method']})",
        f"expectancy {_signed(m['expectancy'])} per trade (net profit per trade, draws counted)  "
        f"p={_p(m['expectancy_p_value'])} (one-sided test that it is above 0; {m['expectancy_p_value_method']})",
        f"net profit {m['net_profit']:+.2f}  max drawdown {m['max_drawdown']:.2f}  "
        f"longest losing streak {m['longest_losing_streak']}",
    ]
    if m["signals_beyond_data"] or m["signals_skipped_concurrent"]:
        lines.append(f"not traded: {m['signals_beyond_data']} signal(s) expiring beyond the data, "
                     f"{m['signals_skipped_concurrent']} over the concurrent cap")
    return lines


def segment_lines(walk: dict[str, Any]) -> list[str]:
    """One backtest cut into walk-forward segments: each segment's figures."""
    lines = [f"walk-forward: {walk['folds'] + 1} consecutive segments (S0 first); each segment's own trades",
             f"{'segment':<8} {'from':<20} {'trades':>7} {'expectancy':>11} {'p(E>0)':>8} {'net':>10}"]
    for s in walk["segments"]:
        lines.append(f"S{s['segment']:<7} {s['start_utc'] or 'start':<20} {s['trades']:>7} "
                     f"{_signed(s['expectancy']):>11} {_p(s['expectancy_p_value']):>8} {s['net_profit']:>10.2f}")
    return lines


def sweep_lines(report: dict[str, Any]) -> list[str]:
    """A sweep: one row per variant, the multiple-testing note, and the walk-forward when asked."""
    walk = report["walk_forward"]
    head = f"{'parameters':<34} {'trades':>6} {'win rate':>8} {'expectancy':>10} {'p(E>0)':>7} {'Holm p':>7} " \
           f"{'net':>9} {'max DD':>7}"
    if walk:
        head += f" | {'IS trades':>9} {'IS net':>8} | {'OOS trades':>10} {'OOS exp.':>9} {'OOS net':>8}"
    lines = [head]
    for row in report["rows"]:
        label = ",".join(f"{k}={v}" for k, v in row["params"].items())
        if "error" in row:
            lines.append(f"{label[:34]:<34} error: {row['error']}")
            continue
        rate = "-" if row["win_rate"] is None else f"{row['win_rate']:.2%}"
        line = (f"{label[:34]:<34} {row['trades']:>6} {rate:>8} {_signed(row['expectancy']):>10} "
                f"{_p(row['expectancy_p_value']):>7} {_p(row['expectancy_p_value_adjusted']):>7} "
                f"{row['net_profit']:>9.2f} {row['max_drawdown']:>7.2f}")
        if walk and "in_sample" in row:
            ins, oos = row["in_sample"], row["out_of_sample"]
            line += (f" | {ins['trades']:>9} {ins['net_profit']:>8.2f} | {oos['trades']:>10} "
                     f"{_signed(oos['expectancy']):>9} {oos['net_profit']:>8.2f}")
        lines.append(line)
    lines.append(f"{report['variants']} variants tried ({report['tests']} with trades). p(E>0): one-sided p-value "
                 "of the test that the expectancy per trade is above 0 (H0: at or below break-even); Holm p: the "
                 f"same adjusted for the {report['tests']} variants tested (Holm-Bonferroni).")
    if not walk:
        lines.append("Rows are sorted by net profit on all the data: the top row was chosen on the same data it "
                     "is scored on and flatters; --walk-forward K scores choices on data they were not chosen on.")
        return lines
    lines.append(f"Walk-forward: the candles cut into {walk['folds'] + 1} consecutive segments S0..S{walk['folds']} "
                 f"(S1 from {walk['segments'][1]['start_utc']}). Rows are sorted by their net profit in S0 "
                 "(IS = in-sample, trades inside S0); OOS = the same parameters' trades inside S1..S"
                 f"{walk['folds']}, data the ranking did not see. A trade crossing a cut counts in neither.")
    return lines + _walk_steps(walk)


def _walk_steps(walk: dict[str, Any]) -> list[str]:
    """The anchored walk-forward: each fold's choice and how it did on the next segment, then the pooled result."""
    lines = []
    for step in walk["steps"]:
        k = step["fold"]
        before = "S0" if k == 1 else f"S0..S{k - 1}"
        if step["chosen"] is None:
            lines.append(f"  fold {k}: no variant traded in {before}")
            continue
        chosen = step["chosen"] if isinstance(step["chosen"], str) else \
            ",".join(f"{key}={v}" for key, v in step["chosen"].items())
        ins, oos = step["in_sample"], step["out_of_sample"]
        lines.append(f"  fold {k}: best net profit in {before}: {chosen} ({ins['trades']} trades, net "
                     f"{ins['net_profit']:+.2f}) -> in S{k}: {oos['trades']} trades, expectancy "
                     f"{_signed(oos['expectancy'])}, net {oos['net_profit']:+.2f}")
    pooled = walk["out_of_sample"]
    if pooled:
        lines.append(f"walk-forward out-of-sample (each fold's choice on its next segment): {pooled['trades']} trades, "
                     f"expectancy {_signed(pooled['expectancy'])} per trade, net {pooled['net_profit']:+.2f}, "
                     f"p={_p(pooled['expectancy_p_value'])} (one-sided test that it is above 0)")
    return lines


def ab_lines(report: dict[str, Any], table: str) -> list[str]:
    """An A/B test: the table, what its p-values mean, then one verdict per comparison."""
    lines = [table, "",
             f"{report['variants']} strategies. p(E>0): one-sided p-value of the test that a strategy's expectancy per "
             "trade (net profit per trade, draws counted) is above 0 (H0: at or below break-even); Holm p: adjusted "
             f"over the {report['variants']} strategies.", ""]
    for c in report["comparisons"]:
        lines.append(f"{c['challenger']} vs {c['baseline']}: {c['verdict']}")
        lines.append(comparison_note(c))
    walk = report.get("walk_forward")
    if walk:
        lines += ["", f"Walk-forward: {walk['folds'] + 1} consecutive segments S0..S{walk['folds']} (S1 from "
                  f"{walk['segments'][1]['start_utc']}); IS = trades inside S0, OOS = inside S1..S{walk['folds']}.",
                  f"{'strategy':<34} {'IS trades':>9} {'IS net':>8} | {'OOS trades':>10} {'OOS exp.':>9} {'OOS net':>8}"]
        for row in report["results"]:
            ins, oos = row["in_sample"], row["out_of_sample"]
            lines.append(f"{row['label'][:34]:<34} {ins['trades']:>9} {ins['net_profit']:>8.2f} | "
                         f"{oos['trades']:>10} {_signed(oos['expectancy']):>9} {oos['net_profit']:>8.2f}")
        lines += _walk_steps(walk)
    return lines


def comparison_note(c: dict[str, Any]) -> str:
    """The test behind a verdict (``Comparison.to_dict``): method, raw and Holm-adjusted p, win-rate test."""
    return (f"  [{c['method']}; two-sided p={_p(c['p_value'])}, Holm-adjusted p={_p(c['p_value_adjusted'])} over "
            f"{c['comparisons']} comparison(s); win rates of decided trades alone: p={_p(c['win_rate_p_value'])} "
            f"({c['win_rate_method']})]")
