"""A user strategy file for the live runner tests: call when a candle closes above the previous close, put when
below (its signals are easy to check against the broker's own ticks)."""

SOURCE = '''
from dataclasses import dataclass
import numpy as np
from quantumflux.core.strategies import CALL, NONE, PUT, Decision, Strategy


@dataclass(frozen=True)
class MomentumConfig:
    pass


class Momentum(Strategy):
    """Test strategy: call when a candle closes above the previous close, put when below."""

    name = "momentum"
    Config = MomentumConfig
    rules = ("close_up", "close_down")

    def indicators(self):
        return []

    def decide(self, now, before):
        up, down = now["close"] > before["close"], now["close"] < before["close"]
        direction = np.where(up, CALL, np.where(down, PUT, NONE)).astype(np.int8)
        return Decision(direction, np.where(up, 0, 1).astype(np.int16), np.ones(len(direction)))
'''


def install(folder) -> tuple:
    """Write the strategy file into ``folder/strategies``; returns the strategy folders to search."""
    strategies = folder / "strategies"
    strategies.mkdir(exist_ok=True)
    (strategies / "momentum.py").write_text(SOURCE, encoding="utf-8")
    return (strategies,)
