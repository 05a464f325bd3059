"""Built-in strategies with the exact rules of the spec (evaluated on the just-closed candle t)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from quantumflux.core.strategies.base import CALL, NONE, PUT, Decision, IndicatorUse, Strategy


def _cross(now_a: np.ndarray, now_b: np.ndarray, before_a: np.ndarray, before_b: np.ndarray) -> Decision:
    """Call when ``a`` crosses above ``b`` (a[t-1] <= b[t-1] and a[t] > b[t]); put on the mirror cross."""
    up = (before_a <= before_b) & (now_a > now_b)
    down = (before_a >= before_b) & (now_a < now_b)
    direction = np.where(up, CALL, np.where(down, PUT, NONE)).astype(np.int8)
    rule = np.where(up, 0, 1).astype(np.int16)
    return Decision(direction, rule, np.ones(len(direction)))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True, slots=True)
class SmaCrossConfig:
    fast: int = 10
    slow: int = 20

    def __post_init__(self) -> None:
        _require(self.fast >= 2, f"sma_cross: fast must be >= 2, got {self.fast}")
        _require(self.slow > self.fast, f"sma_cross: slow ({self.slow}) must be longer than fast ({self.fast})")


class SmaCross(Strategy):
    name = "sma_cross"
    description = "call when SMA(fast) crosses above SMA(slow); put when it crosses below"
    Config = SmaCrossConfig
    rules = ("fast_crossed_above_slow", "fast_crossed_below_slow")

    def indicators(self) -> list[IndicatorUse]:
        return [
            IndicatorUse("sma", {"period": self.config.fast}, {"sma": "fast"}),
            IndicatorUse("sma", {"period": self.config.slow}, {"sma": "slow"}),
        ]

    def decide(self, now: Mapping[str, np.ndarray], before: Mapping[str, np.ndarray]) -> Decision:
        return _cross(now["fast"], now["slow"], before["fast"], before["slow"])


@dataclass(frozen=True, slots=True)
class RsiReversalConfig:
    period: int = 14
    lower: float = 30.0
    upper: float = 70.0

    def __post_init__(self) -> None:
        _require(self.period >= 2, f"rsi_reversal: period must be >= 2, got {self.period}")
        _require(0 < self.lower < self.upper < 100, "rsi_reversal: need 0 < lower < upper < 100")


class RsiReversal(Strategy):
    name = "rsi_reversal"
    description = "call when RSI climbs back over lower (rsi[t-1] < lower <= rsi[t]); put when it falls back under upper"
    Config = RsiReversalConfig
    rules = ("rsi_left_oversold", "rsi_left_overbought")

    def indicators(self) -> list[IndicatorUse]:
        return [IndicatorUse("rsi", {"period": self.config.period}, {"rsi": "rsi"})]

    def decide(self, now: Mapping[str, np.ndarray], before: Mapping[str, np.ndarray]) -> Decision:
        lower, upper = self.config.lower, self.config.upper
        up = (before["rsi"] < lower) & (lower <= now["rsi"])
        down = (before["rsi"] > upper) & (upper >= now["rsi"])
        direction = np.where(up, CALL, np.where(down, PUT, NONE)).astype(np.int8)
        return Decision(direction, np.where(up, 0, 1).astype(np.int16), np.ones(len(direction)))


@dataclass(frozen=True, slots=True)
class MacdCrossConfig:
    fast: int = 12
    slow: int = 26
    signal: int = 9

    def __post_init__(self) -> None:
        _require(self.fast >= 2 and self.signal >= 1, "macd_cross: need fast >= 2 and signal >= 1")
        _require(self.slow > self.fast, f"macd_cross: slow ({self.slow}) must be longer than fast ({self.fast})")


class MacdCross(Strategy):
    name = "macd_cross"
    description = "call when the MACD line crosses above its signal line; put when it crosses below"
    Config = MacdCrossConfig
    rules = ("macd_crossed_above_signal", "macd_crossed_below_signal")

    def indicators(self) -> list[IndicatorUse]:
        params = {"fast": self.config.fast, "slow": self.config.slow, "signal": self.config.signal}
        return [IndicatorUse("macd", params, {"macd": "macd", "signal": "signal", "hist": "hist"})]

    def decide(self, now: Mapping[str, np.ndarray], before: Mapping[str, np.ndarray]) -> Decision:
        return _cross(now["macd"], now["signal"], before["macd"], before["signal"])


@dataclass(frozen=True, slots=True)
class ConfluenceConfig:
    rsi_period: int = 14
    macd_fast: int = 12
    macd_slow: int = 26
    macd_signal: int = 9
    bb_period: int = 20
    bb_nbdev: float = 2.0
    ema_period: int = 50
    atr_period: int = 14
    weight_rsi: float = 0.3
    weight_macd: float = 0.2
    weight_bollinger: float = 0.3
    weight_trend: float = 0.2
    threshold: float = 0.3

    def __post_init__(self) -> None:
        weights = (self.weight_rsi, self.weight_macd, self.weight_bollinger, self.weight_trend)
        _require(all(w >= 0 for w in weights) and sum(weights) > 0, "confluence: weights must be >= 0, not all 0")
        _require(0 < self.threshold < 1, f"confluence: threshold must be in (0, 1), got {self.threshold}")
        _require(self.macd_slow > self.macd_fast >= 2, "confluence: need 2 <= macd_fast < macd_slow")
        _require(min(self.rsi_period, self.bb_period, self.ema_period, self.atr_period) >= 2,
                 "confluence: periods must be >= 2")
        _require(self.bb_nbdev > 0, "confluence: bb_nbdev must be positive")


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` clipped to [-1, 1]; 0 where the denominator is not positive.

    (``minimum(maximum(x, -1), 1)`` is ``np.clip``'s own result, NaN included, without its Python wrapper:
    this runs on one-element arrays for every live candle.)"""
    positive = denominator > 0
    return np.where(positive, np.minimum(np.maximum(numerator / np.where(positive, denominator, 1.0), -1.0), 1.0),
                    0.0)


class Confluence(Strategy):
    """Weighted score in [-1, 1] of four components, each in [-1, 1] (positive favours a call):

    - ``rsi``: ``(50 - RSI) / 50`` (oversold → call)
    - ``macd``: ``clip(hist / ATR)`` (positive momentum → call)
    - ``bollinger``: ``clip((middle - close) / (upper - middle))`` (near the lower band → call)
    - ``trend``: ``clip((close - EMA) / ATR)`` (above the trend EMA → call)

    ``score = Σ weight·component / Σ weight``; call when ``score > threshold``, put when
    ``score < -threshold``; confidence is ``|score|``.
    """

    name = "confluence"
    description = "weighted RSI, MACD histogram, Bollinger position and EMA trend score; call/put beyond ±threshold"
    Config = ConfluenceConfig
    rules = ("score_above_threshold", "score_below_threshold")
    uses_previous = False

    def indicators(self) -> list[IndicatorUse]:
        c = self.config
        return [
            IndicatorUse("rsi", {"period": c.rsi_period}, {"rsi": "rsi"}),
            IndicatorUse("macd", {"fast": c.macd_fast, "slow": c.macd_slow, "signal": c.macd_signal}, {"hist": "hist"}),
            IndicatorUse("bbands", {"period": c.bb_period, "nbdev": c.bb_nbdev},
                         {"upper": "bb_upper", "middle": "bb_middle", "lower": "bb_lower"}),
            IndicatorUse("ema", {"period": c.ema_period}, {"ema": "ema"}),
            IndicatorUse("atr", {"period": c.atr_period}, {"atr": "atr"}),
        ]

    def decide(self, now: Mapping[str, np.ndarray], before: Mapping[str, np.ndarray]) -> Decision:
        c = self.config
        components = {
            "score_rsi": (50.0 - now["rsi"]) / 50.0,
            "score_macd": _ratio(now["hist"], now["atr"]),
            "score_bollinger": _ratio(now["bb_middle"] - now["close"], now["bb_upper"] - now["bb_middle"]),
            "score_trend": _ratio(now["close"] - now["ema"], now["atr"]),
        }
        weights = (c.weight_rsi, c.weight_macd, c.weight_bollinger, c.weight_trend)
        total = sum(weights)
        score = sum(w * part for w, part in zip(weights, components.values(), strict=True)) / total
        up, down = score > c.threshold, score < -c.threshold
        direction = np.where(up, CALL, np.where(down, PUT, NONE)).astype(np.int8)
        return Decision(direction, np.where(up, 0, 1).astype(np.int16), np.abs(score), {"score": score, **components})


BUILTIN: tuple[type[Strategy], ...] = (SmaCross, RsiReversal, MacdCross, Confluence)
