"""Public types of the strategy runner: modes, the executor protocol, events and status rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from quantumflux.core.model import Direction, Timeframe

MODES = ("paper", "demo", "real")


class Executor(Protocol):
    """What places demo/real orders: ``TradingSession.place`` has this signature."""

    def place(self, asset: str, direction: Direction | str, amount: float, expiry: int | str,
              source: str = "manual", client_id: str | None = None, real: bool = False) -> Any: ...


@dataclass(frozen=True, slots=True)
class RunnerEvent:
    """Something the runner did: ``kind`` is signal, order, settled, unknown or error."""

    kind: str
    strategy: str
    asset: str
    time: float
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "strategy": self.strategy, "asset": self.asset, "time": self.time, **self.data}


@dataclass(frozen=True, slots=True)
class StrategyStatus:
    """One enabled strategy: its set-up and its live counters (``refusals`` by guard rule)."""

    label: str
    name: str
    params: Mapping[str, Any]
    assets: tuple[str, ...]
    timeframe: int
    expiry: int
    mode: str
    stake: float
    candles: int
    waiting: str | None  # "ASSET: why it cannot decide yet; ..." (warm-up), None once every asset can
    signals: int
    orders: int
    refused: int
    refusals: Mapping[str, int]
    failed: int
    open: int
    closed: int
    unknown: int
    pnl: float
    last_signal: Mapping[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]
        data["params"], data["refusals"], data["assets"] = dict(self.params), dict(self.refusals), list(self.assets)
        data["timeframe_label"] = str(Timeframe(self.timeframe))
        return data


def account_of(mode: str | None) -> str:
    return "paper" if mode in (None, "paper") else mode


def seconds_of(value: int | str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return Timeframe.parse(value).seconds


def check_setup(mode: str, assets: tuple[str, ...], stake: float, expiry: int, has_executor: bool,
                 allow_real: bool) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if not assets:
        raise ValueError("give at least one asset")
    if not (isinstance(stake, int | float) and stake > 0):
        raise ValueError(f"stake must be a positive amount, got {stake!r}")
    if expiry <= 0:
        raise ValueError(f"expiry must be positive, got {expiry}")
    if mode == "real" and not allow_real:
        raise ValueError("real-account trading is off: set allow_real_trading in the config and pass --real")
    if mode in ("demo", "real") and not has_executor:
        raise ValueError(f"{mode} trading needs an attached trading session (the page); paper needs none")
