"""Live paper results against the backtest of the same strategy on the candles the session persisted, and the
``performance`` command that shows them side by side."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from quantumflux.cli.main import main
from quantumflux.core.backtest import LOSS, WIN, BacktestConfig
from quantumflux.services.backtesting import StrategySpec, load_arrays, load_tick_arrays, run_one
from quantumflux.services.strategy_performance import backtest_expectation
from quantumflux.storage.csv_store import ChunkedCsvStore

sys.path.insert(0, str(Path(__file__).parent))
from test_strategy_runner import ASSET, feed_ticks, make_runner, price_path  # noqa: E402

LABEL = "sma_cross(fast=2,slow=3)"


@pytest.fixture
def session(tmp_path: Path) -> tuple[Path, Path, list]:
    """A paper session on synthetic ticks that also persisted its ticks and 5 s candles."""
    runner, journal, clock = make_runner(tmp_path)
    store = ChunkedCsvStore(tmp_path / "realtime", session_start=clock.now)
    runner.store = store
    runner.enable("sma_cross", {"fast": 2, "slow": 3}, [ASSET], "5s", "10s")
    times, prices = price_path(1200, seed=13)
    feed_ticks(runner, clock, times, prices)
    store.close()
    trades = [t for t in runner.paper.finished if t.status == "closed"]
    journal.close()
    return tmp_path / "journal.sqlite3", tmp_path / "realtime", trades


def test_live_paper_trades_equal_the_backtest_on_the_same_candles(session: tuple[Path, Path, list]) -> None:
    _, data, live = session
    arrays, _ = load_arrays(data, ASSET, "5s")
    result = run_one(arrays, StrategySpec("sma_cross", {"fast": 2, "slow": 3}), BacktestConfig(5, 10, 80.0))
    backtest = result.trades
    assert len(backtest) > 20
    names = {WIN: "win", LOSS: "loss", 0: "draw"}
    expected = [(float(t), names[int(o)], float(p)) for t, o, p in
                zip(backtest.entry_time, backtest.outcome, backtest.profit, strict=True)]
    assert [(t.entry_time, t.outcome, t.profit) for t in live] == expected
    assert np.allclose([t.exit_price for t in live], backtest.exit_price)


def grid_path(grid: str, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Ticks on a time grid: ``whole`` seconds, ``half`` seconds or millisecond ``fractional`` times (so some land
    exactly on a candle boundary, i.e. on an expiry instant, on the first two)."""
    rng = np.random.default_rng(seed)
    start = 1_800_000_000.0
    if grid == "whole":
        times = start + np.cumsum(rng.integers(1, 3, count)).astype(float)
    elif grid == "half":
        times = start + np.cumsum(rng.integers(1, 3, count)) * 0.5
    else:
        times = np.round(start + 0.3 + np.cumsum(rng.uniform(0.2, 1.4, count)), 3)
    prices = np.round(1.1 + np.cumsum(rng.choice([-0.001, 0.0, 0.001], count)), 3)
    return times, prices


@pytest.mark.parametrize("grid", ["whole", "half", "fractional"])
def test_paper_trades_equal_the_candle_and_tick_backtests_on_every_tick_time_grid(tmp_path: Path, grid: str) -> None:
    """The same session's paper trades equal the candle backtest on the candles it persisted, and the
    ``--tick-exits`` backtest on the ticks it persisted (also at an expiry that is not a multiple of the
    period), trade for trade: entry, exit price, outcome, profit."""
    runner, journal, clock = make_runner(tmp_path)
    store = ChunkedCsvStore(tmp_path / "realtime", session_start=clock.now)
    runner.store = store
    runner.enable("sma_cross", {"fast": 2, "slow": 3}, [ASSET], "5s", "10s")
    runner.enable("sma_cross", {"fast": 2, "slow": 3}, [ASSET], "5s", "7s", label="odd expiry")
    times, prices = grid_path(grid, 2500, seed=5)
    feed_ticks(runner, clock, times, prices)
    store.close()
    journal.close()
    arrays, _ = load_arrays(tmp_path / "realtime", ASSET, "5s")
    ticks = load_tick_arrays(tmp_path / "realtime", ASSET)
    spec = StrategySpec("sma_cross", {"fast": 2, "slow": 3})
    names = {WIN: "win", LOSS: "loss", 0: "draw"}

    def rows(trades: object) -> list[tuple[float, float, float, str, float]]:
        return [(float(t), float(e), float(x), names[int(o)], float(p)) for t, e, x, o, p in
                zip(trades.entry_time, trades.entry_price, trades.exit_price, trades.outcome,  # type: ignore[attr-defined]
                    trades.profit, strict=True)]  # type: ignore[attr-defined]

    for label, expiry in (("sma_cross(fast=2,slow=3)", 10), ("odd expiry", 7)):
        live = [(t.entry_time, t.entry_price, t.exit_price, t.outcome, t.profit)
                for t in runner.paper.finished if t.status == "closed" and t.source == label]
        assert len(live) > 60, (label, len(live))
        by_tick = run_one(arrays, spec, BacktestConfig(5, expiry, 80.0, tick_exits=True), ticks=ticks).trades
        assert rows(by_tick)[:len(live)] == live
        assert len(by_tick) - len(live) <= 2  # the last signals' trades still open when the session ended
        if expiry % 5 == 0:
            by_candle = run_one(arrays, spec, BacktestConfig(5, expiry, 80.0)).trades
            assert rows(by_candle)[:len(live)] == live
            on_boundary = sum(float(x) in set(times.tolist()) for x in by_candle.exit_time)
            assert grid == "fractional" or on_boundary > 20  # ticks at exactly t + E: the case that differed


def test_performance_command_shows_live_and_backtest_side_by_side(session: tuple[Path, Path, list],
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    journal, data, live = session
    code = main(["performance", "--journal", str(journal), "--data", str(data), "--timeframe", "5s", "--json"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)["strategies"]
    assert [(r["strategy"], r["account"]) for r in rows] == [(LABEL, "paper")]
    row = rows[0]
    wins = sum(t.outcome == "win" for t in live)
    assert (row["trades"], row["wins"]) == (len(live), wins)
    assert row["pnl"] == pytest.approx(sum(t.profit for t in live))
    expected = row["backtest"]
    assert expected["available"] and (expected["trades"], expected["wins"]) == (len(live), wins)
    assert expected["net_profit"] == pytest.approx(row["pnl"])
    code = main(["performance", "--journal", str(journal), "--data", str(data), "--timeframe", "5s"])
    text = capsys.readouterr().out
    assert code == 0 and f"{LABEL}  [paper]" in text and "  backtest: trades" in text
    assert f"expectancy {row['statistics']['expectancy']:+.3f} per trade, p=" in text


def test_expectation_says_why_when_there_is_nothing_to_backtest(tmp_path: Path) -> None:
    missing = backtest_expectation(LABEL, tmp_path, [ASSET], "5s", 10, 80.0)
    assert missing["available"] is False and ASSET in missing["reason"]
    bad = backtest_expectation(LABEL, tmp_path, [ASSET], "1m", 10, 80.0)
    assert bad["available"] is False and "multiple" in bad["reason"]
