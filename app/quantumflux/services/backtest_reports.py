"""JSON reports of backtests, sweeps and A/B tests: one builder for the CLI's ``--json`` and the API's job
results, so both carry the same keys (docs/backtest.md lists them).

- Every result row has the backtest's metrics (``summary``), among them ``expectancy_p_value``: the
  one-sided test that the expectancy per trade is above 0 (break-even).
- Sweeps and A/B tests try several variants: each row also has ``expectancy_p_value_adjusted``, Holm-adjusted
  over the ``tests`` variants that produced a p-value, and the report says how many ``variants`` were tried.
- ``walk_forward`` (with ``folds``): a backtest's segments; for a sweep or an A/B test each variant's in-sample /
  out-of-sample figures and the anchored walk-forward choice among them, scored on data it was not chosen on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from quantumflux.core.backtest import (
    BacktestConfig,
    BacktestResult,
    Comparison,
    holm,
    segment_bounds,
    segment_metrics,
    split_metrics,
    walk_forward,
)
from quantumflux.core.model import iso_utc
from quantumflux.core.strategies import CandleArrays
from quantumflux.services.backtesting import best_first, summary

ADJUSTMENT = "holm"


def bounds_for(arrays: CandleArrays, folds: int | None) -> Any:
    """Walk-forward boundaries (``folds`` cuts, ``folds + 1`` segments), or None without walk-forward.
    Raises ValueError when the candles are too few."""
    return None if not folds else segment_bounds(arrays.time, int(folds))


def _segments(bounds: Any) -> list[dict[str, Any]]:
    edges = [None, *(float(b) for b in bounds), None]
    return [{"segment": k, "start": edges[k], "end": edges[k + 1],
             "start_utc": None if edges[k] is None else iso_utc(edges[k]),
             "end_utc": None if edges[k + 1] is None else iso_utc(edges[k + 1])} for k in range(len(bounds) + 1)]


def backtest_report(result: BacktestResult, bounds: Any = None) -> dict[str, Any]:
    """One backtest: ``summary`` plus, with ``bounds``, ``walk_forward.segments`` (each segment's metrics)."""
    report = summary(result)
    report["walk_forward"] = None
    if bounds is not None:
        metrics = segment_metrics(result.trades, result.config, bounds)
        report["walk_forward"] = {
            "folds": len(bounds),
            "segments": [{**segment, **m.to_dict()} for segment, m in zip(_segments(bounds), metrics, strict=True)],
        }
    return report


def sweep_report(rows: list[dict[str, Any]], config: BacktestConfig, bounds: Any = None) -> dict[str, Any]:
    """Sweep rows (from ``sweep(..., keep_trades=bounds is not None)``) with Holm-adjusted p-values, sorted by
    net profit — or, with ``bounds``, by in-sample net profit, with in/out-of-sample figures and the
    walk-forward choice."""
    adjusted = holm([math.nan if row.get("expectancy_p_value") is None else row["expectancy_p_value"]
                     for row in rows])
    tested = sum(not math.isnan(p) for p in adjusted)
    for row, p in zip(rows, adjusted, strict=True):
        if "error" not in row:
            row["expectancy_p_value_adjusted"] = None if math.isnan(p) else p
    report: dict[str, Any] = {"variants": len(rows), "tests": tested, "adjustment": ADJUSTMENT,
                              "walk_forward": None}
    if bounds is None:
        report["rows"] = best_first(rows)
        return report
    runs = [row.pop("_trades", None) for row in rows]
    report["walk_forward"] = _walk_forward(rows, runs, [row["params"] for row in rows], config, bounds)
    report["rows"] = sorted(rows, key=_in_sample_score, reverse=True)
    return report


def _walk_forward(rows: list[dict[str, Any]], runs: list[Any], names: list[Any], config: BacktestConfig,
                  bounds: Any) -> dict[str, Any]:
    """Each row's ``in_sample`` (trades inside S0) and ``out_of_sample`` (inside S1..SK) figures, and the
    anchored walk-forward over the variants (``chosen``: the variant's name)."""
    for row, trades in zip(rows, runs, strict=True):
        if trades is not None:
            in_sample, out_of_sample = split_metrics(trades, config, bounds)
            row["in_sample"], row["out_of_sample"] = in_sample.to_dict(), out_of_sample.to_dict()
    result = walk_forward(runs, config, bounds)
    return {
        "folds": len(bounds), "selection": "net_profit", "segments": _segments(bounds),
        "steps": [{"fold": fold.index, "chosen": names[fold.chosen] if fold.chosen >= 0 else None,
                   "in_sample": fold.in_sample.to_dict() if fold.in_sample else None,
                   "out_of_sample": fold.out_of_sample.to_dict() if fold.out_of_sample else None}
                  for fold in result.folds],
        "out_of_sample": result.out_of_sample.to_dict() if result.out_of_sample else None,
    }


def _in_sample_score(row: dict[str, Any]) -> float:
    inside = row.get("in_sample")
    return -math.inf if not inside or not inside["trades"] else float(inside["net_profit"])


def ab_report(results: Sequence[tuple[str, BacktestResult]], comparisons: Sequence[Comparison],
              bounds: Any = None) -> dict[str, Any]:
    """An A/B test: each strategy's summary with its Holm-adjusted expectancy p-value (over the strategies),
    each comparison with the baseline (``Comparison.to_dict``) and, with ``bounds``, the strategies'
    in-sample/out-of-sample figures and the walk-forward choice among them (``chosen``: a label)."""
    adjusted = holm([result.metrics.expectancy_p_value for _, result in results])
    rows = [{"label": label, **summary(result), "expectancy_p_value_adjusted": None if math.isnan(p) else p}
            for (label, result), p in zip(results, adjusted, strict=True)]
    walk = None
    if bounds is not None and results:
        walk = _walk_forward(rows, [result.trades for _, result in results], [label for label, _ in results],
                             results[0][1].config, bounds)
    return {"variants": len(rows), "adjustment": ADJUSTMENT, "results": rows,
            "comparisons": [comparison.to_dict() for comparison in comparisons], "walk_forward": walk}
