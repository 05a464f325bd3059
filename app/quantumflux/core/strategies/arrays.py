"""Column arrays of closed candles: strategies and the backtester read the candle engine's own type."""

from quantumflux.core.candles.arrays import COLUMNS, CandleArrays

__all__ = ["COLUMNS", "CandleArrays"]
