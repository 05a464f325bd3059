"""Sweep reports (Holm over the variants tried, walk-forward) and A/B reports against plain per-trade loops, through
the service, the CLI and the API's service layer (the same keys in both)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

from quantumflux.cli.main import main
from quantumflux.config import Settings
from quantumflux.core.backtest import BacktestConfig
from quantumflux.core.strategies import CandleArrays
from quantumflux.services import backtesting as bt
from quantumflux.services.application import Application
from quantumflux.services.backtest_reports import backtest_report, bounds_for, sweep_report

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
START = 1_767_225_600.0


def random_walk(n: int = 3000, seed: int = 17) -> CandleArrays:
    """A pure random walk: no strategy has an edge on it."""
    rng = np.random.default_rng(seed)
    close = np.round(1.1 + np.cumsum(rng.choice([-1, 0, 1], n)) * 1e-4, 5)
    return CandleArrays.from_columns(time=START + 60.0 * np.arange(n), open=close, high=close + 5e-5,
                                     low=close - 5e-5, close=close)


def plain_holm(p_values: list[float]) -> list[float]:
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    out, running = [0.0] * len(p_values), 0.0
    for rank, i in enumerate(order):
        running = max(running, (len(p_values) - rank) * p_values[i])
        out[i] = min(1.0, running)
    return out


GRID = {"fast": [str(f) for f in range(2, 11)], "slow": [str(s) for s in range(12, 23)]}  # 9 x 11 = 99


def test_a_sweep_reports_holm_adjusted_p_values_over_the_variants_tried() -> None:
    arrays, config = random_walk(), BacktestConfig(60, 60, 92.0)
    rows = bt.sweep(arrays, "sma_cross", GRID, config, workers=1)
    report = sweep_report(rows, config)
    assert (report["variants"], report["tests"], report["adjustment"]) == (99, 99, "holm")
    by_params = {tuple(r["params"].items()): r for r in report["rows"]}
    raw = [by_params[tuple(p.items())]["expectancy_p_value"] for p in bt.expand_grid(GRID)]
    adjusted = [by_params[tuple(p.items())]["expectancy_p_value_adjusted"] for p in bt.expand_grid(GRID)]
    assert adjusted == pytest.approx(plain_holm(raw))
    nets = [r["net_profit"] for r in report["rows"]]
    assert nets == sorted(nets, reverse=True)
    # on a random walk some raw p-values are small by chance; after Holm none is (FWER <= 5 %)
    assert min(raw) < 0.2 and min(adjusted) >= min(1.0, 99 * min(raw)) - 1e-12


def _segments_by_loop(entry: np.ndarray, exit_: np.ndarray, bounds: list[float]) -> list[int]:
    out = []
    for e, x in zip(entry.tolist(), exit_.tolist(), strict=True):
        edges = [-math.inf, *bounds, math.inf]
        out.append(next((k for k in range(len(edges) - 1) if edges[k] <= e and x <= edges[k + 1]), -1))
    return out


def test_walk_forward_matches_a_plain_loop() -> None:
    arrays, config = random_walk(2400, seed=5), BacktestConfig(60, 180, 85.0)
    grid = {"fast": ["2", "4", "6"], "slow": ["9", "15"]}
    folds = 3
    report = sweep_report(bt.sweep(arrays, "sma_cross", grid, config, workers=1, keep_trades=True), config,
                          bounds_for(arrays, folds))
    n = len(arrays)
    bounds = [float(arrays.time[round(k * n / (folds + 1))]) for k in range(1, folds + 1)]
    walk = report["walk_forward"]
    assert [s["start"] for s in walk["segments"]] == [None, *bounds]
    runs = {}
    for params in bt.expand_grid(grid):
        trades = bt.run_one(arrays, bt.StrategySpec("sma_cross", params), config).trades
        runs[tuple(params.items())] = (trades.profit.tolist(), _segments_by_loop(trades.entry_time,
                                                                                 trades.exit_time, bounds))
    for row in report["rows"]:  # each row: in-sample = trades inside S0, out-of-sample = inside S1..S3
        profits, segments = runs[tuple(row["params"].items())]
        inside = [p for p, s in zip(profits, segments, strict=True) if s == 0]
        later = [p for p, s in zip(profits, segments, strict=True) if s > 0]
        assert (row["in_sample"]["trades"], row["out_of_sample"]["trades"]) == (len(inside), len(later))
        assert row["in_sample"]["net_profit"] == pytest.approx(sum(inside))
        assert row["out_of_sample"]["net_profit"] == pytest.approx(sum(later))
    scores = [r["in_sample"]["net_profit"] for r in report["rows"]]
    assert scores == sorted(scores, reverse=True)
    pooled_trades, pooled_net = 0, 0.0
    for step in walk["steps"]:
        k = step["fold"]
        best, best_net = None, -math.inf
        for params in bt.expand_grid(grid):  # grid order: the first of equal scores wins
            profits, segments = runs[tuple(params.items())]
            chosen = [p for p, s in zip(profits, segments, strict=True) if 0 <= s < k]
            if chosen and sum(chosen) > best_net:
                best, best_net = params, sum(chosen)
        assert step["chosen"] == best
        profits, segments = runs[tuple(best.items())]
        tested = [p for p, s in zip(profits, segments, strict=True) if s == k]
        assert step["in_sample"]["net_profit"] == pytest.approx(best_net)
        assert (step["out_of_sample"]["trades"], step["out_of_sample"]["net_profit"]) == (
            len(tested), pytest.approx(sum(tested)))
        pooled_trades += len(tested)
        pooled_net += sum(tested)
    assert walk["out_of_sample"]["trades"] == pooled_trades > 0
    assert walk["out_of_sample"]["net_profit"] == pytest.approx(pooled_net)
    assert walk["out_of_sample"]["expectancy_p_value_method"].startswith("normal")  # 3-candle trades overlap


def test_one_backtest_cut_into_segments() -> None:
    arrays, config = random_walk(1200, seed=8), BacktestConfig(60, 60, 92.0)
    result = bt.run_one(arrays, bt.StrategySpec("sma_cross", {"fast": "3", "slow": "8"}), config)
    report = backtest_report(result, bounds_for(arrays, 2))
    segments = report["walk_forward"]["segments"]
    assert len(segments) == 3 and report["trades"] == result.metrics.trades
    counted = _segments_by_loop(result.trades.entry_time, result.trades.exit_time,
                                [s["start"] for s in segments[1:]])
    assert [s["trades"] for s in segments] == [counted.count(k) for k in range(3)]
    assert sum(s["trades"] for s in segments) + counted.count(-1) == report["trades"]
    assert backtest_report(result)["walk_forward"] is None
    with pytest.raises(ValueError, match="too few"):
        bounds_for(arrays.head(5), 3)


def test_sweep_command_prints_the_caveat_and_the_out_of_sample_column(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    arrays = random_walk(2000, seed=3)
    path = tmp_path / "EURUSD_otc_1m.csv"
    path.write_text("timestamp,open,high,low,close,volume\n" + "".join(
        f"{t:.0f},{o!r},{h!r},{lo!r},{c!r},0\n" for t, o, h, lo, c in
        zip(arrays.time, arrays.open.tolist(), arrays.high.tolist(), arrays.low.tolist(), arrays.close.tolist(),
            strict=True)), encoding="utf-8")
    base = ["backtest", "--data", str(path), "--asset", "EURUSD_otc", "--strategy", "sma_cross", "--param",
            "fast=2,3,4", "--param", "slow=9,12", "--workers", "1"]
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "6 variants tried" in out and "Holm p" in out and "flatters" in out
    assert main([*base, "--walk-forward", "2"]) == 0
    out = capsys.readouterr().out
    assert "OOS trades" in out and "fold 2: best net profit in S0..S1" in out
    assert "walk-forward out-of-sample" in out
    assert main([*base, "--walk-forward", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["walk_forward"]["folds"] == 2 and len(report["walk_forward"]["steps"]) == 2
    assert all("out_of_sample" in row for row in report["rows"])
    assert main([*base, "--walk-forward", "0"]) == 2


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample data not present")
def test_cli_and_api_report_the_same_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    service = Application(Settings(data_root=tmp_path)).service
    strategies = ["sma_cross", "rsi_reversal", "confluence:threshold=0.25"]
    jobs = {"ab": service.start_abtest(asset="EURUSD_otc", strategies=strategies, data=str(SAMPLE), walk_forward=2),
            "bt": service.start_backtest(asset="EURUSD_otc", strategy="sma_cross", data=str(SAMPLE), walk_forward=2)}
    deadline = time.time() + 60
    while any(job.status not in ("done", "failed") for job in jobs.values()) and time.time() < deadline:
        time.sleep(0.05)
    assert all(job.status == "done" for job in jobs.values()), {k: j.error for k, j in jobs.items()}
    argv = ["abtest", "--data", str(SAMPLE), "--asset", "EURUSD_otc", "--walk-forward", "2", "--json"]
    assert main([*argv, *(x for s in strategies for x in ("--strategy", s))]) == 0
    cli = json.loads(capsys.readouterr().out)
    api = jobs["ab"].result
    assert set(cli) - {"source", "candles"} == set(api)
    assert [set(r) for r in cli["results"]] == [set(r) for r in api["results"]]
    assert [set(c) for c in cli["comparisons"]] == [set(c) for c in api["comparisons"]]
    assert [c["p_value"] for c in cli["comparisons"]] == [c["p_value"] for c in api["comparisons"]]  # seeded
    assert cli["walk_forward"] == api["walk_forward"] and len(cli["walk_forward"]["steps"]) == 2
    assert {step["chosen"] for step in cli["walk_forward"]["steps"]} <= {r["label"] for r in cli["results"]}
    for row in cli["results"]:  # each strategy: trades inside S0 and inside S1..S2, none counted twice
        assert row["in_sample"]["trades"] + row["out_of_sample"]["trades"] <= row["trades"]
    assert main(["backtest", "--data", str(SAMPLE), "--asset", "EURUSD_otc", "--strategy", "sma_cross",
                 "--walk-forward", "2", "--json"]) == 0
    single = json.loads(capsys.readouterr().out)
    assert set(single) - {"asset"} == set(jobs["bt"].result)
    assert single["walk_forward"] == jobs["bt"].result["walk_forward"]
