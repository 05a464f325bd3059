"""Candle engine: live per-asset candle formation, history merge, timeframe derivation.

See ``docs/candles.md`` for the semantics (period alignment, clock close, partial first candle,
late ticks, history merge rules).
"""

from quantumflux.core.candles.arrays import CandleArrays, CandleBuffer, concat
from quantumflux.core.candles.book import CandleBook
from quantumflux.core.candles.derive import (
    aggregate_tick_arrays,
    aggregate_ticks,
    derive,
    period_starts,
    tick_candles,
)
from quantumflux.core.candles.views import MultiTimeframeBook, TimeframeView

__all__ = [
    "CandleArrays",
    "CandleBook",
    "CandleBuffer",
    "MultiTimeframeBook",
    "TimeframeView",
    "aggregate_tick_arrays",
    "aggregate_ticks",
    "concat",
    "derive",
    "period_starts",
    "tick_candles",
]
