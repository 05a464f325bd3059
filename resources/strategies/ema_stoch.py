"""Example user strategy file: copy it into your strategies folder and edit it.

A strategy file defines one or more ``Strategy`` subclasses. Each needs:

- ``name``: lower-case identifier, unique (it is what ``--strategy`` takes);
- ``Config``: a frozen dataclass; every field has an int or float default (the parameters);
- ``rules``: the names of the rules that can fire (``decide`` returns indexes into it);
- ``indicators()``: the TA-Lib indicators it reads, each output mapped to a value key;
- ``decide(now, before)``: vectorised numpy over value arrays at the just-closed candle ``t``
  (``now``) and ``t-1`` (``before``); returns direction (+1 call, -1 put, 0 nothing), rule
  index and confidence per candle. It must not look further back or ahead: the same code runs
  on whole arrays in a backtest and on one-element arrays live.

``now["close"]`` is always available. Values are NaN during warm-up; no rule fires there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quantumflux.core.strategies import CALL, NONE, PUT, Decision, IndicatorUse, Strategy


@dataclass(frozen=True)
class EmaStochConfig:
    ema_period: int = 50
    fastk: int = 14
    slowk: int = 3
    slowd: int = 3
    oversold: float = 20.0
    overbought: float = 80.0

    def __post_init__(self) -> None:
        if not 0 < self.oversold < self.overbought < 100:
            raise ValueError("ema_stoch: need 0 < oversold < overbought < 100")


class EmaStoch(Strategy):
    """Trend-filtered stochastic cross: call when %K crosses above %D in the oversold zone while the
    close is above the EMA; put on the mirror cross in the overbought zone below the EMA."""

    name = "ema_stoch"
    description = "stochastic %K/%D cross in the oversold/overbought zone, with the EMA as trend filter"
    Config = EmaStochConfig
    rules = ("k_crossed_above_d_oversold_uptrend", "k_crossed_below_d_overbought_downtrend")

    def indicators(self) -> list[IndicatorUse]:
        c = self.config
        return [
            IndicatorUse("ema", {"period": c.ema_period}, {"ema": "ema"}),
            IndicatorUse("stoch", {"fastk": c.fastk, "slowk": c.slowk, "slowd": c.slowd}, {"k": "k", "d": "d"}),
        ]

    def decide(self, now, before) -> Decision:
        c = self.config
        up = (before["k"] <= before["d"]) & (now["k"] > now["d"]) & (now["k"] < c.oversold)
        up &= now["close"] > now["ema"]
        down = (before["k"] >= before["d"]) & (now["k"] < now["d"]) & (now["k"] > c.overbought)
        down &= now["close"] < now["ema"]
        direction = np.where(up, CALL, np.where(down, PUT, NONE)).astype(np.int8)
        return Decision(direction, np.where(up, 0, 1).astype(np.int16), np.ones(len(direction)))
