"""Strategies: frozen config + declared indicators + one vectorised rule, batch and live.

Batch: ``strategy.signals(arrays, asset, timeframe, expiry)`` or ``strategy.evaluate(arrays)``.
Live: ``state = strategy.live(asset, timeframe, expiry)``; ``state.on_closed(candle)`` returns a
``Signal``, ``None`` or ``NotReady(reason)``; ``state.preview(candle)`` commits nothing.
"""

from quantumflux.core.strategies.arrays import CandleArrays
from quantumflux.core.strategies.base import (
    CALL,
    NONE,
    PUT,
    Decision,
    IndicatorUse,
    NotEnoughData,
    NotReady,
    SignalArrays,
    Strategy,
    StrategyState,
)
from quantumflux.core.strategies.builtin import BUILTIN, Confluence, MacdCross, RsiReversal, SmaCross
from quantumflux.core.strategies.registry import StrategyProblem, StrategyRegistry, default_registry, validate

__all__ = [
    "BUILTIN", "CALL", "NONE", "PUT", "CandleArrays", "Confluence", "Decision", "IndicatorUse", "MacdCross",
    "NotEnoughData", "NotReady", "RsiReversal", "SignalArrays", "SmaCross", "Strategy", "StrategyProblem",
    "StrategyRegistry", "StrategyState", "default_registry", "validate",
]
