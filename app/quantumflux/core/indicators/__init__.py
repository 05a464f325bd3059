"""Technical indicators (TA-Lib): batch functions, a registry for menus, O(1) streaming updaters.

Batch functions take float64 numpy arrays and return arrays of the same length with NaN
during the warm-up::

    sma(close, period) ema(close, period) rsi(close, period=14)
    macd(close, fast=12, slow=26, signal=9) -> (macd, signal, hist)
    bbands(close, period=20, nbdev=2.0) -> (upper, middle, lower)
    stoch(high, low, close, fastk=5, slowk=3, slowd=3) -> (k, d)
    atr(high, low, close, period=14)

``INDICATORS`` maps each name to an :class:`IndicatorSpec` (params with defaults, outputs, pane).
``open_stream(name, **params)`` gives an O(1) per-candle updater equal to the batch values.
"""

from quantumflux.core.indicators.batch import as_float64, atr, bbands, ema, macd, rsi, sma, stoch
from quantumflux.core.indicators.native import available as native_streaming_available
from quantumflux.core.indicators.registry import INDICATORS, IndicatorParam, IndicatorSpec, open_stream

__all__ = [
    "INDICATORS",
    "IndicatorParam",
    "IndicatorSpec",
    "as_float64",
    "atr",
    "bbands",
    "ema",
    "macd",
    "native_streaming_available",
    "open_stream",
    "rsi",
    "sma",
    "stoch",
]
