"""Backtesting service: loading the sample store, A/B, sweeps on local processes and on Dask."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quantumflux.core.backtest import BacktestConfig, run_backtest
from quantumflux.core.strategies import CandleArrays, SmaCross
from quantumflux.services import backtesting as bt

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def walk(n: int = 4000, seed: int = 2) -> CandleArrays:
    rng = np.random.default_rng(seed)
    close = 1.2 + np.cumsum(rng.normal(0, 3e-4, n))
    return CandleArrays.from_columns(time=60.0 * np.arange(n), open=close, high=close + 1e-4,
                                     low=close - 1e-4, close=close)


def test_parse_params_and_grid() -> None:
    params = bt.parse_params(["fast=5,10", "slow=30"])
    assert params == {"fast": ["5", "10"], "slow": "30"}
    assert bt.expand_grid(params) == [{"fast": "5", "slow": "30"}, {"fast": "10", "slow": "30"}]
    assert bt.StrategySpec.parse("sma_cross:fast=3,slow=9") == bt.StrategySpec("sma_cross", {"fast": "3", "slow": "9"})
    with pytest.raises(ValueError, match="name=value"):
        bt.parse_params(["fast"])


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample data not present")
def test_load_sample_store_and_signal_on_history() -> None:
    arrays, info = bt.load_arrays(SAMPLE, "EURUSD_otc", "1m")
    assert len(arrays) == info["rows"] > 1000
    assert np.all(np.diff(arrays.time) > 0)
    report = bt.signal_on_history(arrays, bt.StrategySpec("rsi_reversal"), "EURUSD_otc", 60)
    assert report.candles == len(arrays) and report.not_ready is None
    assert report.latest is not None and report.latest.asset == "EURUSD_otc"
    short = bt.signal_on_history(arrays.head(10), bt.StrategySpec("confluence"), "EURUSD_otc", 60)
    assert short.not_ready is not None and "needs 50" in short.not_ready
    with pytest.raises(ValueError, match="no NOPE"):
        bt.load_arrays(SAMPLE, "NOPE", "1m")


def test_run_one_equals_core_and_writes_equity(tmp_path: Path) -> None:
    arrays = walk()
    config = BacktestConfig(60, 120, 90.0, 5.0)
    result = bt.run_one(arrays, bt.StrategySpec("sma_cross", {"fast": "4", "slow": "12"}), config)
    direct = run_backtest(SmaCross(fast=4, slow=12), arrays, config)
    assert result.metrics == direct.metrics and result.metrics.trades > 50
    bt.write_equity(result, tmp_path / "out" / "eq.csv", tmp_path / "out" / "eq.png")
    assert len((tmp_path / "out" / "eq.csv").read_text().splitlines()) == result.metrics.trades + 1
    assert (tmp_path / "out" / "eq.png").read_bytes()[:4] == b"\x89PNG"
    summary = bt.summary(result)
    assert {"trades", "wins", "draws", "losses", "win_rate", "net_profit", "max_drawdown"} <= set(summary)


def test_ab_test_runs_each_on_same_data() -> None:
    arrays = walk()
    specs = [bt.StrategySpec("sma_cross"), bt.StrategySpec("rsi_reversal", {"period": "7"})]
    seen = []
    results, comparisons = bt.ab_test(arrays, specs, BacktestConfig(), progress=lambda d, t: seen.append((d, t)))
    assert [label for label, _ in results] == ["sma_cross", "rsi_reversal(period=7)"]
    assert len(comparisons) == 1 and comparisons[0].verdict
    assert seen == [(1, 2), (2, 2)]


def _expected_rows(arrays: CandleArrays, config: BacktestConfig, grid: dict) -> list[dict]:
    return [bt.sweep_task(arrays, "sma_cross", p, config, ()) for p in bt.expand_grid(grid)]


def test_sweep_on_local_processes_matches_serial() -> None:
    arrays, config = walk(), BacktestConfig()
    grid = {"fast": ["3", "5", "30"], "slow": ["20"]}
    progress = []
    rows = bt.sweep(arrays, "sma_cross", grid, config, workers=2, progress=lambda d, t: progress.append(d))
    assert rows == _expected_rows(arrays, config, grid)
    assert "must be longer" in rows[2]["error"] and rows[0]["trades"] > 0
    assert sorted(progress) == [1, 2, 3]
    assert bt.best_first(rows)[-1] is rows[2]


def test_sweep_on_local_dask_cluster() -> None:
    distributed = pytest.importorskip("distributed")
    arrays, config = walk(), BacktestConfig()
    grid = {"fast": ["3", "5"], "slow": ["20", "25"]}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, host="127.0.0.1",
                                  protocol="tcp://", dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        rows = bt.sweep(arrays, "sma_cross", grid, config, cluster=cluster.scheduler_address)
    assert rows == _expected_rows(arrays, config, grid)


def test_sweep_unknown_strategy_fails_fast() -> None:
    with pytest.raises(KeyError, match="unknown strategy"):
        bt.sweep(walk(200), "nope", {}, BacktestConfig())


def test_tick_exits_from_the_store(tmp_path: Path) -> None:
    arrays = walk(600, seed=8)
    rows = ["timestamp,open,high,low,close,volume"] + [
        f"{arrays.time[i]:.0f},{float(arrays.open[i])!r},{float(arrays.high[i])!r},{float(arrays.low[i])!r},"
        f"{float(arrays.close[i])!r},1" for i in range(len(arrays))]
    (tmp_path / "TEST_1m_2026-01-01_00-00-00_part001.csv").write_text("\n".join(rows) + "\n")
    tick_times = np.arange(0.0, arrays.time[-1] + 60, 7.0)
    tick_prices = np.interp(tick_times, arrays.time + 60, arrays.close)
    ticks = ["timestamp,asset,price"] + [f"{t:.0f},TEST,{float(p)!r}" for t, p in zip(tick_times, tick_prices, strict=True)]
    (tmp_path / "TEST_ticks_2026-01-01_00-00-00_part001.csv").write_text("\n".join(ticks) + "\n")
    loaded, _ = bt.load_arrays(tmp_path, "TEST", "1m")
    times, prices = bt.load_tick_arrays(tmp_path, "TEST")
    np.testing.assert_array_equal(times, tick_times)
    config = BacktestConfig(60, 90, 92.0, 1.0, tick_exits=True)
    result = bt.run_one(loaded, bt.StrategySpec("sma_cross", {"fast": "3", "slow": "8"}), config, ticks=(times, prices))
    trades = result.trades
    assert len(trades) > 10
    expected_exit = prices[np.searchsorted(times, trades.entry_time + 90, side="left") - 1]  # last tick before t + E
    np.testing.assert_array_equal(trades.exit_price, expected_exit)
    rows_out = bt.sweep(loaded, "sma_cross", {"fast": ["3", "4"], "slow": "8"}, config, workers=1,
                        ticks=(times, prices))
    assert rows_out[0]["trades"] == len(trades)
    with pytest.raises(ValueError, match="no ticks of NOPE"):
        bt.load_tick_arrays(tmp_path, "NOPE")
