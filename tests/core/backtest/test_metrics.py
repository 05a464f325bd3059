"""Metrics, statistics against known values, A/B verdicts, equity CSV and PNG."""

from __future__ import annotations

import math
import struct
import zlib

import numpy as np
import pytest

from quantumflux.core.backtest import (
    LOSS,
    WIN,
    BacktestConfig,
    compute_metrics,
    equity_csv,
    equity_png,
    longest_streak,
    max_drawdown,
    simulate,
    stats,
)
from quantumflux.core.strategies import CandleArrays, SignalArrays


def test_wilson_interval_known_value() -> None:
    low, high = stats.wilson_interval(7, 10)
    assert low == pytest.approx(0.3968, abs=1e-4) and high == pytest.approx(0.8922, abs=1e-4)
    assert all(math.isnan(v) for v in stats.wilson_interval(0, 0))


def test_exact_binomial_matches_known_p_values() -> None:
    assert stats.binomial_test(7, 10, 0.5).p_value == pytest.approx(0.34375)
    assert stats.binomial_test(3, 20, 0.5).p_value == pytest.approx(0.002576828, rel=1e-6)
    assert stats.binomial_test(3, 20, 0.5).method.startswith("exact")
    big = stats.binomial_test(150_500, 300_000, 0.5)
    assert big.method.startswith("normal") and 0.05 < big.p_value < 0.1


def test_fisher_and_z_test_known_values() -> None:
    assert stats.fisher_exact(3, 1, 1, 3) == pytest.approx(0.4857143, rel=1e-6)
    small = stats.two_proportion_test(3, 4, 1, 4)
    assert small.method.startswith("Fisher") and small.p_value == pytest.approx(0.4857143, rel=1e-6)
    z = stats.two_proportion_test(600, 1000, 500, 1000)
    assert z.method.startswith("two-proportion") and z.statistic == pytest.approx(-4.4947, abs=1e-3)
    assert z.p_value == pytest.approx(6.97e-6, rel=0.02)
    assert stats.sample_size_per_group(0.5, 0.55) == pytest.approx(1564.7, abs=0.5)
    assert stats.normal_quantile(0.975) == pytest.approx(1.959963985, abs=1e-9)


def test_drawdown_and_streaks() -> None:
    assert max_drawdown(np.array([1.0, -2.0, -1.0, 3.0, -0.5])) == 3.0
    assert max_drawdown(np.array([-1.0])) == 1.0
    assert longest_streak(np.array([WIN, LOSS, LOSS, 0, LOSS, LOSS, LOSS, WIN])) == 3
    assert longest_streak(np.array([], dtype=np.int8)) == 0


def _trades():
    data = CandleArrays.from_columns(time=60.0 * np.arange(8), close=[1, 2, 1, 1, 3, 2, 2, 4])
    index = np.arange(7)
    sig = SignalArrays(index, np.ones(7, dtype=np.int8), np.zeros(7, dtype=np.int16), np.ones(7))
    config = BacktestConfig(60, 60, 92.0, 1.0)
    return simulate(data, sig, config), config


def test_metrics_from_trades() -> None:
    trades, config = _trades()
    m = compute_metrics(trades, config)
    # moves: +1, -1, 0, +2, -1, 0, +2 -> W L D W L D W
    assert (m.trades, m.wins, m.draws, m.losses) == (7, 3, 2, 2)
    assert m.win_rate == pytest.approx(0.6) and m.break_even_win_rate == pytest.approx(1 / 1.92)
    assert m.net_profit == pytest.approx(3 * 0.92 - 2) and m.expectancy == pytest.approx((3 * 0.92 - 2) / 7)
    assert m.max_drawdown == pytest.approx(1.08) and m.longest_losing_streak == 1
    assert m.to_dict()["wins"] == 3


def test_equity_csv_and_png() -> None:
    trades, _ = _trades()
    lines = equity_csv(trades).splitlines()
    assert lines[0].startswith("trade,entry_time") and len(lines) == 8
    assert lines[1].split(",")[7] == "win" and float(lines[-1].split(",")[-1]) == pytest.approx(0.76)
    png = equity_png(trades.equity, 200, 100)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (200, 100)
    idat_length = struct.unpack(">I", png[33:37])[0]
    raw = zlib.decompress(png[41:41 + idat_length])
    pixels = np.frombuffer(raw, dtype=np.uint8).reshape(100, 1 + 200 * 3)[:, 1:].reshape(100, 200, 3)
    assert (pixels == [31, 119, 180]).all(axis=2).sum() > 150  # the line is drawn


def test_equity_csv_numeric_columns_parse_as_floats_and_round_trip() -> None:
    """numpy 2 prints ``np.float64(1.07982)`` for ``repr`` of a numpy scalar: the CSV must hold plain numbers."""
    import csv
    import io

    data = CandleArrays.from_columns(time=60.0 * np.arange(6), close=[1.07982, 1.07991, 1.0798, 1.1, 0.99999, 1.2])
    sig = SignalArrays(np.arange(5), np.array([1, -1, 1, -1, 1], dtype=np.int8), np.zeros(5, dtype=np.int16),
                       np.ones(5))
    trades = simulate(data, sig, BacktestConfig(60, 60, 92.0, 1.0))
    rows = list(csv.DictReader(io.StringIO(equity_csv(trades))))
    assert len(rows) == len(trades) == 5
    numeric = ("trade", "entry_time", "exit_time", "entry_price", "exit_price", "profit", "equity")
    for k, row in enumerate(rows):
        values = {name: float(row[name]) for name in numeric}  # ValueError on "np.float64(...)"
        assert values["entry_price"] == trades.entry_price[k] and values["exit_price"] == trades.exit_price[k]
        assert values["equity"] == pytest.approx(trades.equity[k])
        assert row["direction"] in ("call", "put") and row["outcome"] in ("win", "draw", "loss")
        assert row["exit_time_utc"].endswith("Z")
    assert rows[0]["entry_price"] == "1.07982"
