"""O(1) incremental indicators whose values equal TA-Lib's batch output bit for bit.

Each updater replays TA-Lib's own arithmetic (same running sums, same operation order), so
feeding the closes of a series one by one gives exactly ``talib.X(series)[i]`` at every index
``i`` — the tests compare with ``==`` over long random series. ``update(...)`` commits a closed
candle and returns the value(s) (NaN during the warm-up); ``preview(...)`` returns what the
value would be with a forming candle without changing the state. Cost per update does not
depend on how much history was fed.

Close-based updaters take ``update(close)``; high/low/close ones take ``update(high, low, close)``.
``update_candle(candle)`` works for both with any object having ``high``, ``low``, ``close``.
"""

from __future__ import annotations

import math
from collections import deque

NAN = math.nan


class StreamingIndicator:
    """Base class: ``inputs`` names the candle fields ``update`` takes, ``outputs`` its results."""

    inputs: tuple[str, ...] = ("close",)
    outputs: tuple[str, ...] = ("value",)
    #: Index of the first defined value (TA-Lib lookback).
    lookback: int = 0

    def __init__(self) -> None:
        self.count = 0

    def update(self, *values: float) -> float | tuple[float, ...]:
        raise NotImplementedError

    def preview(self, *values: float) -> float | tuple[float, ...]:
        raise NotImplementedError

    def seed(self, columns: dict[str, object]) -> float | tuple[float, ...]:
        """Feed a whole history (one update per value; the C handles do this in one call)."""
        result: float | tuple[float, ...] = math.nan
        for values in zip(*(columns[name] for name in self.inputs), strict=True):
            result = self.update(*(float(v) for v in values))
        return result

    def update_candle(self, candle: object) -> float | tuple[float, ...]:
        return self.update(*(getattr(candle, name) for name in self.inputs))

    def preview_candle(self, candle: object) -> float | tuple[float, ...]:
        return self.preview(*(getattr(candle, name) for name in self.inputs))

    @property
    def ready(self) -> bool:
        """True once values are defined (more than ``lookback`` inputs were fed)."""
        return self.count > self.lookback


class _RunningSum:
    """TA-Lib's ``INT_SMA`` running total: add the new value, read, then drop the oldest."""

    __slots__ = ("period", "window", "total", "count")

    def __init__(self, period: int) -> None:
        self.period = period
        self.window: deque[float] = deque()
        self.total = 0.0
        self.count = 0

    def push(self, value: float) -> float:
        """Commit ``value``; returns the window total including it (NaN before ``period`` values)."""
        self.count += 1
        self.window.append(value)
        if self.count < self.period:
            self.total += value
            return NAN
        full = self.total + value
        self.total = full - self.window.popleft()
        return full

    def peek(self, value: float) -> float:
        if self.count + 1 < self.period:
            return NAN
        return self.total + value


class SMA(StreamingIndicator):
    """Simple moving average, equal to ``talib.SMA``."""

    outputs = ("sma",)

    def __init__(self, period: int = 20) -> None:
        super().__init__()
        self.period = int(period)
        self.lookback = self.period - 1
        self._sum = _RunningSum(self.period)

    def update(self, close: float) -> float:
        self.count += 1
        return self._sum.push(close) / self.period

    def preview(self, close: float) -> float:
        return self._sum.peek(close) / self.period


class _Ema:
    """TA-Lib ``INT_EMA``: seeded with the plain sum / period of the first values."""

    __slots__ = ("period", "k", "count", "seed", "value")

    def __init__(self, period: int) -> None:
        self.period = period
        self.k = 2.0 / (period + 1)
        self.count = 0
        self.seed = 0.0
        self.value = NAN

    def push(self, x: float) -> float:
        self.count += 1
        if self.count < self.period:
            self.seed += x
            return NAN
        if self.count == self.period:
            self.value = (self.seed + x) / self.period
        else:
            self.value = ((x - self.value) * self.k) + self.value
        return self.value

    def peek(self, x: float) -> float:
        if self.count + 1 < self.period:
            return NAN
        if self.count + 1 == self.period:
            return (self.seed + x) / self.period
        return ((x - self.value) * self.k) + self.value


class EMA(StreamingIndicator):
    """Exponential moving average, equal to ``talib.EMA``."""

    outputs = ("ema",)

    def __init__(self, period: int = 20) -> None:
        super().__init__()
        self.period = int(period)
        self.lookback = self.period - 1
        self._ema = _Ema(self.period)

    def update(self, close: float) -> float:
        self.count += 1
        return self._ema.push(close)

    def preview(self, close: float) -> float:
        return self._ema.peek(close)


class RSI(StreamingIndicator):
    """Wilder's RSI, equal to ``talib.RSI`` (sums of gains/losses, then Wilder smoothing)."""

    outputs = ("rsi",)

    def __init__(self, period: int = 14) -> None:
        super().__init__()
        self.period = int(period)
        self.lookback = self.period
        self._previous = NAN
        self._gain = 0.0
        self._loss = 0.0

    def _step(self, close: float) -> tuple[float, float, float]:
        """(gain, loss, rsi) after ``close``; does not commit."""
        n = self.count  # closes already fed
        if n == 0:
            return 0.0, 0.0, NAN
        change = close - self._previous
        gain, loss = self._gain, self._loss
        if n <= self.period:
            if change < 0:
                loss -= change
            else:
                gain += change
            if n < self.period:
                return gain, loss, NAN
            gain /= self.period
            loss /= self.period
        else:
            loss *= self.period - 1
            gain *= self.period - 1
            if change < 0:
                loss -= change
            else:
                gain += change
            loss /= self.period
            gain /= self.period
        total = gain + loss
        value = 100.0 * (gain / total) if total != 0.0 else 0.0
        return gain, loss, value

    def update(self, close: float) -> float:
        self._gain, self._loss, value = self._step(close)
        self._previous = close
        self.count += 1
        return value

    def preview(self, close: float) -> float:
        return self._step(close)[2]


class MACD(StreamingIndicator):
    """MACD ``(macd, signal, hist)``, equal to ``talib.MACD``.

    TA-Lib seeds the fast EMA on the ``fast`` closes that end where the slow EMA's seed ends
    (both start at index ``slow - 1``), so the fast EMA here skips the first ``slow - fast`` closes.
    """

    outputs = ("macd", "signal", "hist")

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        super().__init__()
        self.fast, self.slow, self.signal = int(fast), int(slow), int(signal)
        if self.slow < self.fast:
            self.fast, self.slow = self.slow, self.fast
        self.lookback = self.slow + self.signal - 2
        self._fast = _Ema(self.fast)
        self._slow = _Ema(self.slow)
        self._signal = _Ema(self.signal)

    def _skip_fast(self) -> bool:
        return self.count < self.slow - self.fast

    def update(self, close: float) -> tuple[float, float, float]:
        fast = NAN if self._skip_fast() else self._fast.push(close)
        slow = self._slow.push(close)
        self.count += 1
        if math.isnan(slow):
            return NAN, NAN, NAN
        line = fast - slow
        signal = self._signal.push(line)
        if math.isnan(signal):
            return NAN, NAN, NAN
        return line, signal, line - signal

    def preview(self, close: float) -> tuple[float, float, float]:
        fast = NAN if self._skip_fast() else self._fast.peek(close)
        slow = self._slow.peek(close)
        if math.isnan(slow):
            return NAN, NAN, NAN
        line = fast - slow
        signal = self._signal.peek(line)
        if math.isnan(signal):
            return NAN, NAN, NAN
        return line, signal, line - signal


class BBANDS(StreamingIndicator):
    """Bollinger Bands ``(upper, middle, lower)``, equal to ``talib.BBANDS`` with an SMA middle.

    Replays TA-Lib's variance from running sums: ``sum(x²)/n - mean²`` (0 when not positive).
    """

    outputs = ("upper", "middle", "lower")

    def __init__(self, period: int = 20, nbdev: float = 2.0) -> None:
        super().__init__()
        self.period = int(period)
        self.nbdev = float(nbdev)
        self.lookback = self.period - 1
        self._sum = _RunningSum(self.period)
        self._squares = _RunningSum(self.period)

    def _bands(self, total: float, squares: float) -> tuple[float, float, float]:
        if math.isnan(total):
            return NAN, NAN, NAN
        middle = total / self.period
        variance = squares / self.period - middle * middle
        deviation = math.sqrt(variance) if variance > 0.0 else 0.0
        if self.nbdev != 1.0:
            deviation = deviation * self.nbdev
        return middle + deviation, middle, middle - deviation

    def update(self, close: float) -> tuple[float, float, float]:
        self.count += 1
        return self._bands(self._sum.push(close), self._squares.push(close * close))

    def preview(self, close: float) -> tuple[float, float, float]:
        return self._bands(self._sum.peek(close), self._squares.peek(close * close))


class ATR(StreamingIndicator):
    """Wilder's average true range, equal to ``talib.ATR`` (period ≥ 2)."""

    inputs = ("high", "low", "close")
    outputs = ("atr",)

    def __init__(self, period: int = 14) -> None:
        super().__init__()
        self.period = int(period)
        if self.period < 2:
            raise ValueError("streaming ATR needs period >= 2")
        self.lookback = self.period
        self._previous_close = NAN
        self._seed = 0.0
        self._value = NAN

    def _true_range(self, high: float, low: float) -> float:
        greatest = high - low
        to_high = abs(self._previous_close - high)
        if to_high > greatest:
            greatest = to_high
        to_low = abs(self._previous_close - low)
        if to_low > greatest:
            greatest = to_low
        return greatest

    def _step(self, high: float, low: float) -> tuple[float, float]:
        """(seed, value) after this candle; does not commit."""
        n = self.count
        if n == 0:
            return 0.0, NAN
        true_range = self._true_range(high, low)
        if n < self.period:
            return self._seed + true_range, NAN
        if n == self.period:
            return self._seed, (self._seed + true_range) / self.period
        value = self._value * (self.period - 1)
        value += true_range
        return self._seed, value / self.period

    def update(self, high: float, low: float, close: float) -> float:
        self._seed, self._value = self._step(high, low)
        self._previous_close = close
        self.count += 1
        return self._value

    def preview(self, high: float, low: float, close: float) -> float:
        return self._step(high, low)[1]


class STOCH(StreamingIndicator):
    """Slow stochastic ``(k, d)`` with SMA smoothing, equal to ``talib.STOCH``.

    The raw %K needs the high/low extremes of the last ``fastk`` candles: a fixed window, so
    each update costs O(fastk) — constant in history length.
    """

    inputs = ("high", "low", "close")
    outputs = ("k", "d")

    def __init__(self, fastk: int = 5, slowk: int = 3, slowd: int = 3) -> None:
        super().__init__()
        self.fastk, self.slowk, self.slowd = int(fastk), int(slowk), int(slowd)
        self.lookback = self.fastk + self.slowk + self.slowd - 3
        self._highs: deque[float] = deque(maxlen=self.fastk)
        self._lows: deque[float] = deque(maxlen=self.fastk)
        self._k_sum = _RunningSum(self.slowk)
        self._d_sum = _RunningSum(self.slowd)

    def _raw_k(self, high: float, low: float, close: float, commit: bool) -> float:
        highs, lows = self._highs, self._lows
        if commit:
            highs.append(high)
            lows.append(low)
            highest, lowest, filled = max(highs), min(lows), len(highs) == self.fastk
        else:
            keep = self.fastk - 1
            recent_highs = list(highs)[-keep:] if keep else []
            recent_lows = list(lows)[-keep:] if keep else []
            highest, lowest = max(recent_highs + [high]), min(recent_lows + [low])
            filled = len(highs) + 1 >= self.fastk
        if not filled:
            return NAN
        diff = (highest - lowest) / 100.0
        return (close - lowest) / diff if diff != 0.0 else 0.0

    def update(self, high: float, low: float, close: float) -> tuple[float, float]:
        self.count += 1
        raw = self._raw_k(high, low, close, commit=True)
        if math.isnan(raw):
            return NAN, NAN
        k_total = self._k_sum.push(raw)
        if math.isnan(k_total):
            return NAN, NAN
        k = k_total / self.slowk
        d_total = self._d_sum.push(k)
        if math.isnan(d_total):
            return NAN, NAN
        return k, d_total / self.slowd

    def preview(self, high: float, low: float, close: float) -> tuple[float, float]:
        raw = self._raw_k(high, low, close, commit=False)
        if math.isnan(raw):
            return NAN, NAN
        k_total = self._k_sum.peek(raw)
        if math.isnan(k_total):
            return NAN, NAN
        k = k_total / self.slowk
        d_total = self._d_sum.peek(k)
        if math.isnan(d_total):
            return NAN, NAN
        return k, d_total / self.slowd


#: Streaming updater class by indicator name (same names and parameters as the batch functions).
STREAMING: dict[str, type[StreamingIndicator]] = {
    "sma": SMA, "ema": EMA, "rsi": RSI, "macd": MACD, "bbands": BBANDS, "stoch": STOCH, "atr": ATR,
}
