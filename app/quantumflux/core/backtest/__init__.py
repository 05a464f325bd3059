"""Binary-option backtesting: engine (semantics), metrics, statistics, A/B comparison, equity PNG.

``run_backtest(strategy, arrays, config)`` evaluates a strategy over candle arrays and returns
a :class:`BacktestResult` with trades and metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

from quantumflux.core.backtest.abtest import Comparison, compare, compare_all, table
from quantumflux.core.backtest.engine import DRAW, LOSS, WIN, BacktestConfig, Trades, simulate
from quantumflux.core.backtest.metrics import (
    Metrics,
    compute_metrics,
    equity_csv,
    longest_streak,
    max_drawdown,
)
from quantumflux.core.backtest.png import encode_png, equity_png, line_plot
from quantumflux.core.strategies import CandleArrays, Strategy


@dataclass(frozen=True, slots=True, eq=False)
class BacktestResult:
    strategy: str
    config: BacktestConfig
    trades: Trades
    metrics: Metrics


def run_backtest(strategy: Strategy, arrays: CandleArrays, config: BacktestConfig,
                 ticks: tuple[object, object] | None = None) -> BacktestResult:
    """Signals over the whole series (TA-Lib batch), then trades and metrics.

    ``ticks=(times, prices)`` (sorted) takes exit prices from ticks instead of candle closes.
    """
    if config.tick_exits and ticks is None:
        raise ValueError("tick_exits needs tick data")
    signals, _, _ = strategy.evaluate(arrays)
    trades = simulate(arrays, signals, config, ticks)  # type: ignore[arg-type]
    return BacktestResult(strategy.describe(), config, trades, compute_metrics(trades, config))


__all__ = [
    "DRAW", "LOSS", "WIN", "BacktestConfig", "BacktestResult", "Comparison", "Metrics", "Trades", "compare",
    "compare_all", "compute_metrics", "encode_png", "equity_csv", "equity_png", "line_plot", "longest_streak",
    "max_drawdown", "run_backtest", "simulate", "table",
]
