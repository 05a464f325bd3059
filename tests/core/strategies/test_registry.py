"""Strategy registry and discovery of user strategy files, with clear errors for bad ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quantumflux.core.strategies import NotReady, StrategyRegistry, default_registry
from quantumflux.core.strategies.registry import synthetic_candles
from quantumflux.resource_files import resource_path

GOOD_HEADER = """
from dataclasses import dataclass
import numpy as np
from quantumflux.core.strategies import Decision, IndicatorUse, Strategy
"""


def test_builtins_are_registered_with_parameters() -> None:
    registry = StrategyRegistry()
    assert registry.names() == ["sma_cross", "rsi_reversal", "macd_cross", "confluence"]
    assert registry.get("sma_cross").parameters() == {"fast": 10, "slow": 20}
    assert registry.create("rsi_reversal", {"period": "7"}).config.period == 7
    with pytest.raises(KeyError, match="unknown strategy 'nope'; known: sma_cross"):
        registry.get("nope")


def test_example_user_strategy_is_discovered_and_runs_live(tmp_path: Path) -> None:
    shutil.copy(resource_path("strategies", "ema_stoch.py"), tmp_path / "ema_stoch.py")
    registry = default_registry([tmp_path, tmp_path / "missing"])
    assert registry.problems == []
    assert "ema_stoch" in registry.names() and registry.sources["ema_stoch"] == tmp_path / "ema_stoch.py"
    strategy = registry.create("ema_stoch", {"oversold": "30", "overbought": "70"})
    arrays = synthetic_candles(1500)
    batch = strategy.signals(arrays, "A", 60)
    assert batch
    state = strategy.live("A", 60)

    class Bar:
        def __init__(self, i: int) -> None:
            self.time, self.open, self.high = arrays.time[i], arrays.open[i], arrays.high[i]
            self.low, self.close, self.volume = arrays.low[i], arrays.close[i], 0

    live = [r for r in (state.on_closed(Bar(i)) for i in range(len(arrays))) if r and not isinstance(r, NotReady)]
    assert live == batch


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def broken(:\n", "cannot load: SyntaxError"),
        ("x = 1\n", "defines no Strategy subclass"),
        (GOOD_HEADER + """
@dataclass
class C:
    period: int = 5
class S(Strategy):
    name = "mutable"; Config = C; rules = ("r",)
""", "frozen dataclass"),
        (GOOD_HEADER + """
@dataclass(frozen=True)
class C:
    period: int = 5
class S(Strategy):
    name = "unknown_ind"; Config = C; rules = ("r",)
    def indicators(self):
        return [IndicatorUse("vwap", {}, {"vwap": "v"})]
""", "unknown indicator 'vwap'"),
        (GOOD_HEADER + """
@dataclass(frozen=True)
class C:
    period: int = 5
class S(Strategy):
    name = "bad_shape"; Config = C; rules = ("r",)
    def indicators(self):
        return [IndicatorUse("sma", {"period": self.config.period}, {"sma": "s"})]
    def decide(self, now, before):
        return Decision(np.zeros(3), np.zeros(3), np.zeros(3))
""", "returned direction of shape"),
        (GOOD_HEADER + """
@dataclass(frozen=True)
class C:
    period: int = 5
class S(Strategy):
    name = "sma_cross"; Config = C; rules = ("r",)
    def indicators(self):
        return []
    def decide(self, now, before):
        n = len(now["close"]); return Decision(np.zeros(n), np.zeros(n), np.zeros(n))
""", "already exists"),
    ],
)
def test_bad_user_files_are_reported_not_registered(tmp_path: Path, source: str, message: str) -> None:
    (tmp_path / "user.py").write_text(source)
    registry = default_registry([tmp_path])
    assert len(registry.problems) == 1
    problem = registry.problems[0]
    assert problem.path == tmp_path / "user.py" and message in problem.message
    assert registry.names()[:4] == ["sma_cross", "rsi_reversal", "macd_cross", "confluence"]
    assert len(registry.names()) == 4
