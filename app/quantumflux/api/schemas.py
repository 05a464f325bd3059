"""Typed request and response bodies (pydantic); they make the OpenAPI schema.

Request fields are checked here with the same parsers the services use (timeframes, expiries,
amounts in whole cents), so a mistake is a 422 naming the field and the reason before anything runs.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from quantumflux.core.model import Timeframe
from quantumflux.core.orders import parse_amount, parse_expiry


def _timeframe(value: str | None) -> str | None:
    if value is not None:
        Timeframe.parse(value)  # ValueError names the value and the accepted forms
    return value


def _timeframes(values: list[str]) -> list[str]:
    for value in values:
        Timeframe.parse(value)
    return values


class Health(BaseModel):
    status: str
    version: str


class AssetOut(BaseModel):
    symbol: str
    label: str
    type: str
    payout: float | None
    otc: bool
    active: bool | None
    source: Literal["live", "stored"]


class CandleOut(BaseModel):
    time: float
    iso: str
    open: float
    high: float
    low: float
    close: float
    volume: int


class FormingOut(BaseModel):
    time: float
    open: float
    high: float
    low: float
    close: float
    volume: int


class CandlesOut(BaseModel):
    asset: str
    timeframe: str
    source: str
    candles: list[CandleOut]
    forming: FormingOut | None


class TickOut(BaseModel):
    time: float
    price: float


class TicksOut(BaseModel):
    asset: str
    ticks: list[TickOut]


class SignalOut(BaseModel):
    asset: str
    direction: Literal["call", "put"]
    time: float
    iso: str
    timeframe: int
    expiry: int
    strategy: str
    rule: str
    confidence: float
    values: dict[str, float | None]


class SignalsOut(BaseModel):
    asset: str
    strategy: str
    label: str
    timeframe: str
    source: str
    candles: int
    last_candle_time: float | None
    not_ready: str | None
    signal: SignalOut | None
    latest_signal: SignalOut | None
    signals: list[SignalOut]


class StrategyOut(BaseModel):
    name: str
    description: str
    parameters: dict[str, Any]
    warmup: int
    source: str


class TradeIn(BaseModel):
    client_id: str = Field(min_length=1, max_length=80, description="caller's id; a retry with the same id never trades twice")
    asset: str = Field(min_length=1, max_length=64)
    direction: Literal["call", "put"]
    amount: float = Field(gt=0, le=1_000_000)
    expiry: str = Field(default="60s", description="e.g. 60s, 5m")
    real: bool = False
    dry_run: bool = False

    @field_validator("amount")
    @classmethod
    def _whole_cents(cls, value: float) -> float:
        return parse_amount(value)  # the page takes whole cents: 1.234 is a mistake, not 1.23

    @field_validator("expiry")
    @classmethod
    def _an_expiry(cls, value: str) -> str:
        parse_expiry(value)
        return value


class FavoritesIn(BaseModel):
    add: list[str] = Field(default_factory=list, max_length=50)
    remove: list[str] = Field(default_factory=list, max_length=50)
    select: Literal["first", "last", "all"] | None = None
    min_payout: float | None = Field(default=None, ge=0, le=1000)


class PageAssetIn(BaseModel):
    asset: str = Field(min_length=1, max_length=64)
    period: str | None = Field(default=None, description="chart period, e.g. 1m")


class BacktestIn(BaseModel):
    asset: str = Field(min_length=1, max_length=64)
    strategy: str = Field(min_length=1, max_length=64)
    timeframe: str = "1m"
    params: dict[str, float | int | str] = Field(default_factory=dict)
    expiry: str | None = None
    payout: float = Field(default=92.0, gt=0, le=1000)
    stake: float = Field(default=1.0, gt=0)
    data: str | None = Field(default=None, description="a data directory or CSV inside the data root (or a folder "
                                                        "in api_data_dirs); default: live/stored data")
    walk_forward: int | None = Field(default=None, ge=1, le=20,
                                     description="cut the candles into K+1 segments; each segment's metrics")

    _timeframes = field_validator("timeframe", "expiry")(_timeframe)


class AbTestIn(BaseModel):
    asset: str = Field(min_length=1, max_length=64)
    strategies: list[str] = Field(min_length=2, max_length=10)
    timeframe: str = "1m"
    expiry: str | None = None
    payout: float = Field(default=92.0, gt=0, le=1000)
    data: str | None = None
    walk_forward: int | None = Field(default=None, ge=1, le=20,
                                     description="cut the candles into K+1 segments: in/out-of-sample figures")

    _timeframes = field_validator("timeframe", "expiry")(_timeframe)


class JobOut(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float
    result: Any = None
    error: str | None = None


class CollectorIn(BaseModel):
    timeframes: list[str] = Field(default_factory=lambda: ["1m"], min_length=1, max_length=8)
    assets: list[str] | None = None

    _timeframes = field_validator("timeframes")(_timeframes)


class StrategyEnableIn(BaseModel):
    assets: list[str] = Field(min_length=1, max_length=50)
    timeframe: str = "1m"
    expiry: str | None = None
    mode: Literal["paper", "demo", "real"] = "paper"
    params: dict[str, float | int | str] = Field(default_factory=dict)
    stake: float = Field(default=1.0, gt=0, le=1_000_000)

    _timeframes = field_validator("timeframe", "expiry")(_timeframe)
