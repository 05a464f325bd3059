"""Batch indicators over float64 numpy arrays, computed with TA-Lib.

Every function takes 1-D arrays (any float dtype; converted to contiguous float64) and
returns float64 arrays of the same length with ``NaN`` during the warm-up. This module
(and the streaming module beside it) is the only place in the project that imports talib.
"""

from __future__ import annotations

import numpy as np
import talib

Array = np.ndarray


def as_float64(values: object) -> Array:
    """Contiguous 1-D float64 copy/view of ``values`` (TA-Lib requires it)."""
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"indicator input must be 1-D, got shape {array.shape}")
    return array


def _check_period(name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or int(value) != value or int(value) < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def sma(close: object, period: int = 20) -> Array:
    """Simple moving average (TA-Lib ``SMA``). First value at index ``period - 1``."""
    return talib.SMA(as_float64(close), timeperiod=_check_period("period", period, 2))


def ema(close: object, period: int = 20) -> Array:
    """Exponential moving average (TA-Lib ``EMA``: seeded with the SMA of the first ``period``)."""
    return talib.EMA(as_float64(close), timeperiod=_check_period("period", period, 2))


def rsi(close: object, period: int = 14) -> Array:
    """Wilder's relative strength index (TA-Lib ``RSI``). First value at index ``period``."""
    return talib.RSI(as_float64(close), timeperiod=_check_period("period", period, 2))


def macd(close: object, fast: int = 12, slow: int = 26, signal: int = 9) -> tuple[Array, Array, Array]:
    """MACD line, signal line and histogram (TA-Lib ``MACD``)."""
    fast = _check_period("fast", fast, 2)
    slow = _check_period("slow", slow, 2)
    signal = _check_period("signal", signal, 1)
    if fast >= slow:
        raise ValueError(f"macd fast ({fast}) must be shorter than slow ({slow})")
    line, sig, hist = talib.MACD(as_float64(close), fastperiod=fast, slowperiod=slow, signalperiod=signal)
    return line, sig, hist


def bbands(close: object, period: int = 20, nbdev: float = 2.0) -> tuple[Array, Array, Array]:
    """Bollinger Bands ``(upper, middle, lower)`` around an SMA (TA-Lib ``BBANDS``, population stdev)."""
    period = _check_period("period", period, 2)
    if not nbdev > 0:
        raise ValueError(f"nbdev must be positive, got {nbdev!r}")
    upper, middle, lower = talib.BBANDS(
        as_float64(close), timeperiod=period, nbdevup=float(nbdev), nbdevdn=float(nbdev), matype=0
    )
    return upper, middle, lower


def stoch(
    high: object, low: object, close: object, fastk: int = 5, slowk: int = 3, slowd: int = 3
) -> tuple[Array, Array]:
    """Slow stochastic ``(k, d)`` with SMA smoothing (TA-Lib ``STOCH``)."""
    k, d = talib.STOCH(
        as_float64(high),
        as_float64(low),
        as_float64(close),
        fastk_period=_check_period("fastk", fastk, 1),
        slowk_period=_check_period("slowk", slowk, 1),
        slowk_matype=0,
        slowd_period=_check_period("slowd", slowd, 1),
        slowd_matype=0,
    )
    return k, d


def atr(high: object, low: object, close: object, period: int = 14) -> Array:
    """Wilder's average true range (TA-Lib ``ATR``). First value at index ``period``."""
    return talib.ATR(as_float64(high), as_float64(low), as_float64(close), timeperiod=_check_period("period", period, 1))
