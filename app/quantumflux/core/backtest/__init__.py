"""Binary-option backtesting: engine (semantics), metrics, statistics, A/B comparison, walk-forward, equity PNG.

``run_backtest(strategy, arrays, config)`` evaluates a strategy over candle arrays and returns
a :class:`BacktestResult` with trades and metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

from quantumflux.core.backtest.abtest import Arm, Comparison, compare, compare_all, format_p, table
from quantumflux.core.backtest.engine import DRAW, LOSS, WIN, BacktestConfig, Trades, simulate
from quantumflux.core.backtest.expectancy import TradeSample, compare_expectancy, expectancy_test
from quantumflux.core.backtest.metrics import (
    Metrics,
    compute_metrics,
    equity_csv,
    longest_streak,
    max_drawdown,
    trade_sample,
)
from quantumflux.core.backtest.png import encode_png, equity_png, line_plot
from quantumflux.core.backtest.stats import holm
from quantumflux.core.backtest.walkforward import (
    Fold,
    WalkForward,
    segment_bounds,
    segment_metrics,
    split_metrics,
    walk_forward,
)
from quantumflux.core.strategies import CandleArrays, Strategy


@dataclass(frozen=True, slots=True, eq=False)
class BacktestResult:
    strategy: str
    config: BacktestConfig
    trades: Trades
    metrics: Metrics

    def arm(self, name: str | None = None) -> Arm:
        """This result as one arm of an A/B comparison."""
        return Arm(name or self.strategy, self.metrics, trade_sample(self.trades, self.config))


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
    "DRAW", "LOSS", "WIN", "Arm", "BacktestConfig", "BacktestResult", "Comparison", "Fold", "Metrics",
    "TradeSample", "Trades", "WalkForward", "compare", "compare_all", "compare_expectancy", "compute_metrics",
    "encode_png", "equity_csv", "equity_png", "expectancy_test", "format_p", "holm", "line_plot",
    "longest_streak", "max_drawdown", "run_backtest", "segment_bounds", "segment_metrics", "simulate",
    "split_metrics", "table", "trade_sample", "walk_forward",
]
