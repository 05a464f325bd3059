"""Backtest metrics from trades: counts, win rate with Wilson interval, break-even, p-values, P&L."""

from __future__ import annotations

import io
import math
from dataclasses import asdict, dataclass

import numpy as np

from quantumflux.core.backtest.engine import DRAW, LOSS, WIN, BacktestConfig, Trades
from quantumflux.core.backtest.expectancy import TradeSample, expectancy_test
from quantumflux.core.backtest.stats import binomial_test, wilson_interval
from quantumflux.core.model import iso_utc


@dataclass(frozen=True, slots=True)
class Metrics:
    """Summary of a backtest. Win rate and its tests count decided trades (wins + losses); draws
    return the stake and are excluded. ``break_even_win_rate = 1 / (1 + payout/100)``.
    ``expectancy`` is net profit per trade (draws count, as 0); ``expectancy_p_value`` the one-sided
    test of ``expectancy <= 0`` against ``> 0`` (:func:`~quantumflux.core.backtest.expectancy.expectancy_test`)."""

    trades: int
    wins: int
    draws: int
    losses: int
    win_rate: float
    win_rate_low: float
    win_rate_high: float
    break_even_win_rate: float
    p_value: float
    p_value_method: str
    expectancy: float
    expectancy_p_value: float
    expectancy_p_value_method: str
    net_profit: float
    max_drawdown: float
    longest_losing_streak: int
    signals_beyond_data: int
    signals_skipped_concurrent: int

    def to_dict(self) -> dict[str, object]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


def max_drawdown(profits: np.ndarray) -> float:
    """Largest fall of the cumulative P&L from a previous peak (the start, 0, counts as a peak)."""
    if len(profits) == 0:
        return 0.0
    equity = np.concatenate(([0.0], np.cumsum(profits)))
    return float(np.max(np.maximum.accumulate(equity) - equity))


def longest_streak(outcome: np.ndarray, value: int = LOSS) -> int:
    """Longest run of consecutive ``value`` outcomes (a draw or win ends a losing streak)."""
    hits = np.concatenate(([0], (np.asarray(outcome) == value).astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(hits))
    return int((edges[1::2] - edges[::2]).max()) if len(edges) else 0


def trade_sample(trades: Trades, config: BacktestConfig, asset: str = "") -> TradeSample:
    """The trades as a :class:`TradeSample` (one stake and payout; holding periods entry → exit)."""
    return TradeSample.of(trades.profit, config.stake * config.payout / 100.0, config.stake, trades.entry_time,
                          trades.exit_time, asset)


def compute_metrics(trades: Trades, config: BacktestConfig) -> Metrics:
    wins = int((trades.outcome == WIN).sum())
    losses = int((trades.outcome == LOSS).sum())
    draws = int((trades.outcome == DRAW).sum())
    decided = wins + losses
    break_even = 1.0 / (1.0 + config.payout / 100.0)
    low, high = wilson_interval(wins, decided)
    test = binomial_test(wins, decided, break_even)
    net = float(trades.profit.sum())
    expectancy = expectancy_test(trade_sample(trades, config))
    return Metrics(
        trades=len(trades), wins=wins, draws=draws, losses=losses,
        win_rate=wins / decided if decided else math.nan,
        win_rate_low=low, win_rate_high=high, break_even_win_rate=break_even,
        p_value=test.p_value, p_value_method=test.method,
        expectancy=net / len(trades) if len(trades) else math.nan,
        expectancy_p_value=expectancy.p_value, expectancy_p_value_method=expectancy.method,
        net_profit=net, max_drawdown=max_drawdown(trades.profit),
        longest_losing_streak=longest_streak(trades.outcome),
        signals_beyond_data=trades.beyond_data, signals_skipped_concurrent=trades.skipped_concurrent,
    )


def equity_csv(trades: Trades) -> str:
    """Equity curve as CSV text: one row per trade in entry order, with the cumulative P&L.

    Prices are written as plain decimal numbers, the shortest text that reads back as the same float
    (``repr`` of a Python float: with numpy 2 the repr of a numpy scalar is ``np.float64(...)``).
    """
    out = io.StringIO()
    out.write("trade,entry_time,exit_time,exit_time_utc,direction,entry_price,exit_price,outcome,profit,equity\n")
    names = {WIN: "win", DRAW: "draw", LOSS: "loss"}
    equity = trades.equity
    for k in range(len(trades)):
        out.write(
            f"{k + 1},{trades.entry_time[k]:.0f},{trades.exit_time[k]:.0f},{iso_utc(float(trades.exit_time[k]))},"
            f"{'call' if trades.direction[k] > 0 else 'put'},{float(trades.entry_price[k])!r},"
            f"{float(trades.exit_price[k])!r},"
            f"{names[int(trades.outcome[k])]},{trades.profit[k]:.10g},{equity[k]:.10g}\n"
        )
    return out.getvalue()
