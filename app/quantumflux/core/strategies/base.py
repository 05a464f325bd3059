"""The strategy interface: a frozen config, declared indicators, one vectorised rule.

A strategy declares the indicators it reads (:class:`IndicatorUse`) and a ``decide`` hook that
maps indicator values at the just-closed candle ``t`` (``now``) and at ``t-1`` (``before``) to
a direction per candle. The same ``decide`` runs over whole arrays in a backtest
(:meth:`Strategy.evaluate`) and over one-element arrays per closed candle live
(:class:`StrategyState`), fed by TA-Lib batch arrays and by equal O(1) streaming updaters
respectively — so a backtest and a live run cannot disagree.

A rule fires only where every indicator value it reads is defined (not NaN); the declared
``warmup`` is the number of closed candles needed before that can happen.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from quantumflux.core.indicators import INDICATORS, open_stream
from quantumflux.core.model import Candle, Direction, Signal
from quantumflux.core.strategies.arrays import CandleArrays

CALL, PUT, NONE = 1, -1, 0


class NotEnoughData(ValueError):
    """Raised when a series is shorter than a strategy's warm-up."""


@dataclass(frozen=True, slots=True)
class NotReady:
    """Returned live instead of a signal while the strategy cannot decide yet, with the reason."""

    reason: str


@dataclass(frozen=True, slots=True)
class IndicatorUse:
    """One indicator a strategy reads: ``outputs`` maps the indicator's outputs to value keys."""

    indicator: str
    params: Mapping[str, float]
    outputs: Mapping[str, str]

    def __post_init__(self) -> None:
        spec = INDICATORS.get(self.indicator)
        if spec is None:
            raise ValueError(f"unknown indicator {self.indicator!r}; known: {', '.join(INDICATORS)}")
        missing = set(self.outputs) - set(spec.outputs)
        if missing:
            raise ValueError(f"{self.indicator} has no output(s) {sorted(missing)}; it has {list(spec.outputs)}")


@dataclass(frozen=True, slots=True)
class Decision:
    """Per-candle result of ``decide``: direction (+1 call, -1 put, 0 none), rule index, confidence."""

    direction: np.ndarray
    rule: np.ndarray
    confidence: np.ndarray
    values: Mapping[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SignalArrays:
    """Batch signals as arrays: candle index, direction (+1/-1), rule index, confidence."""

    index: np.ndarray
    direction: np.ndarray
    rule: np.ndarray
    confidence: np.ndarray

    def __len__(self) -> int:
        return len(self.index)


class Strategy:
    """Base class. Subclasses set ``name``, ``description``, ``Config``, ``rules`` and implement
    :meth:`indicators` and :meth:`decide`. ``uses_previous`` says whether ``decide`` reads ``before``.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    Config: ClassVar[type] = object
    rules: ClassVar[tuple[str, ...]] = ()
    uses_previous: ClassVar[bool] = True

    def __init__(self, config: Any = None, **params: Any) -> None:
        if config is None:
            config = self.parse_params(params)
        elif params:
            config = dataclasses.replace(config, **params)
        if not isinstance(config, self.Config):
            raise TypeError(f"{self.name}: config must be a {self.Config.__name__}")
        self.config = config
        self.uses = tuple(self.indicators())
        lookbacks = [open_stream(use.indicator, **use.params).lookback for use in self.uses]
        self.warmup = (max(lookbacks) if lookbacks else 0) + 1 + (1 if self.uses_previous else 0)

    # ------------------------------------------------------------------ hooks

    def indicators(self) -> list[IndicatorUse]:
        """The indicators this strategy reads (hook)."""
        raise NotImplementedError

    def decide(self, now: Mapping[str, np.ndarray], before: Mapping[str, np.ndarray]) -> Decision:
        """Vectorised rule over value arrays at ``t`` and ``t-1`` (hook). Must not look further back."""
        raise NotImplementedError

    # ------------------------------------------------------------- parameters

    @classmethod
    def parameters(cls) -> dict[str, Any]:
        """Parameter names with their defaults."""
        return {f.name: f.default for f in dataclasses.fields(cls.Config)}

    @classmethod
    def parse_params(cls, params: Mapping[str, Any]) -> Any:
        """Build a config from (possibly string) values; unknown names and bad values raise ValueError."""
        known = {f.name: f for f in dataclasses.fields(cls.Config)}
        unknown = set(params) - set(known)
        if unknown:
            raise ValueError(
                f"{cls.name}: unknown parameter(s) {', '.join(sorted(unknown))}; known: {', '.join(known) or 'none'}"
            )
        values = {}
        for key, raw in params.items():
            kind = type(known[key].default)
            try:
                values[key] = kind(float(raw)) if kind is int and isinstance(raw, str) and "." in raw else kind(raw)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{cls.name}: parameter {key}={raw!r} is not a valid {kind.__name__}") from exc
            if kind is int and isinstance(raw, str) and "." in raw and float(raw) != int(float(raw)):
                raise ValueError(f"{cls.name}: parameter {key}={raw!r} must be a whole number")
        return cls.Config(**values)

    def describe(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in dataclasses.asdict(self.config).items())
        return f"{self.name}({params})"

    # ------------------------------------------------------------------ batch

    def compute(self, arrays: CandleArrays) -> dict[str, np.ndarray]:
        """Every declared indicator over the whole series (TA-Lib batch), by value key."""
        arrays.validate()
        columns = {name: arrays.column(name) for name in ("open", "high", "low", "close", "volume")}
        values: dict[str, np.ndarray] = {"close": columns["close"]}
        for use in self.uses:
            result = INDICATORS[use.indicator].compute(columns, **use.params)
            for output, key in use.outputs.items():
                values[key] = np.asarray(result[output])
        return values

    def evaluate(self, arrays: CandleArrays) -> tuple[SignalArrays, dict[str, np.ndarray], Decision]:
        """Signals over a whole series as arrays (what the backtester uses)."""
        count = len(arrays)
        if count < self.warmup:
            raise NotEnoughData(f"{self.name} needs at least {self.warmup} closed candles, got {count}")
        now = self.compute(arrays)
        before = {key: np.concatenate(([np.nan], value[:-1])) for key, value in now.items()}
        decision = self.decide(now, before)
        defined = np.ones(count, dtype=bool)
        for value in now.values():
            defined &= ~np.isnan(value)
        if self.uses_previous:
            for value in before.values():
                defined &= ~np.isnan(value)
        index = np.flatnonzero(defined & (decision.direction != NONE))
        signals = SignalArrays(
            index=index,
            direction=np.asarray(decision.direction[index], dtype=np.int8),
            rule=np.asarray(decision.rule[index], dtype=np.int16),
            confidence=np.asarray(decision.confidence[index], dtype=np.float64),
        )
        return signals, now, decision

    def signals(self, arrays: CandleArrays, asset: str, timeframe: int, expiry: int | None = None) -> list[Signal]:
        """Batch signals as :class:`Signal` objects (``time`` = close time of the signal candle)."""
        found, now, decision = self.evaluate(arrays)
        before = {key: np.concatenate(([np.nan], value[:-1])) for key, value in now.items()}
        return [
            self._make_signal(asset, timeframe, expiry, float(arrays.time[i]) + timeframe, int(d), int(r), float(c),
                              now, before, decision.values, i)
            for i, d, r, c in zip(found.index, found.direction, found.rule, found.confidence, strict=True)
        ]

    def _make_signal(self, asset: str, timeframe: int, expiry: int | None, close_time: float, direction: int,
                     rule: int, confidence: float, now: Mapping[str, np.ndarray], before: Mapping[str, np.ndarray],
                     extra: Mapping[str, np.ndarray], i: int) -> Signal:
        values = {key: float(array[i]) for key, array in now.items()}
        if self.uses_previous:
            values.update({f"{key}_prev": float(array[i]) for key, array in before.items() if key != "close"})
        values.update({key: float(array[i]) for key, array in extra.items()})
        return Signal(
            asset=asset,
            direction=Direction.CALL if direction == CALL else Direction.PUT,
            time=close_time,
            timeframe=timeframe,
            expiry=int(expiry or timeframe),
            strategy=self.name,
            rule=self.rules[rule],
            confidence=confidence,
            values=values,
        )

    # ------------------------------------------------------------------- live

    def live(self, asset: str, timeframe: int, expiry: int | None = None,
             history: CandleArrays | None = None) -> StrategyState:
        """A live state fed one closed candle at a time, optionally seeded with closed-candle ``history``
        (TA-Lib opens its streaming handles over the whole history in one call)."""
        state = StrategyState(self, asset, timeframe, expiry)
        if history is not None and len(history):
            state.seed(history)
        return state


class StrategyState:
    """Live evaluation: ``on_closed(candle)`` per closed candle, O(1) per candle.

    Returns a :class:`Signal`, ``None`` (no rule fired) or :class:`NotReady` (warm-up, with why).
    ``preview(candle)`` evaluates a forming candle without committing it.
    """

    def __init__(self, strategy: Strategy, asset: str, timeframe: int, expiry: int | None = None) -> None:
        self.strategy = strategy
        self.asset = asset
        self.timeframe = int(timeframe)
        self.expiry = int(expiry or timeframe)
        self._streams = [(use, open_stream(use.indicator, **use.params)) for use in strategy.uses]
        # per stream: the candle fields it reads and which of its outputs go to which value key
        self._feeds = [(stream, tuple(stream.inputs),  # type: ignore[attr-defined]
                        tuple((i, use.outputs[o]) for i, o in enumerate(INDICATORS[use.indicator].outputs)
                              if o in use.outputs))
                       for use, stream in self._streams]
        self._before: dict[str, np.ndarray] = {}
        self._before_undefined = True  # some value at t-1 is NaN (or there is no t-1 yet)
        self.count = 0
        self.last_time: float | None = None

    def seed(self, history: CandleArrays) -> None:
        """Commit a whole history of closed candles at once (before any ``on_closed``)."""
        if self.count:
            raise RuntimeError("seed() must come before any on_closed()")
        columns = {name: history.column(name) for name in ("open", "high", "low", "close", "volume")}
        values = {"close": np.array([history.close[-1]])}
        for use, stream in self._streams:
            result = stream.seed(columns)
            outputs = result if isinstance(result, tuple) else (result,)
            for output, value in zip(INDICATORS[use.indicator].outputs, outputs, strict=True):
                if output in use.outputs:
                    values[use.outputs[output]] = np.array([value])
        self._before = values
        self._before_undefined = any(math.isnan(v[0]) for v in values.values())
        self.count = len(history)
        self.last_time = float(history.time[-1])

    def _values(self, candle: Candle, commit: bool) -> tuple[dict[str, np.ndarray], bool]:
        """The value arrays at ``candle`` (each stream updated, or only peeked at) and whether one is NaN."""
        close = candle.close
        values = {"close": np.array([close])}
        undefined = close != close
        for stream, fields, picks in self._feeds:
            inputs = [getattr(candle, name) for name in fields]
            result = stream.update(*inputs) if commit else stream.preview(*inputs)
            for index, key in picks:
                value = result[index] if type(result) is tuple else result
                undefined = undefined or value != value
                values[key] = np.array([value])
        return values, undefined

    def _decide(self, candle: Candle, now: dict[str, np.ndarray], undefined: bool,
                count: int) -> Signal | None | NotReady:
        if count < self.strategy.warmup:
            return NotReady(f"{self.strategy.name} needs {self.strategy.warmup} closed candles, has {count}")
        before = self._before or {key: np.array([math.nan]) for key in now}
        decision = self.strategy.decide(now, before)
        direction = int(decision.direction[0])
        if self.strategy.uses_previous:
            undefined = undefined or self._before_undefined
        if direction == NONE or undefined:
            return None
        return self.strategy._make_signal(
            self.asset, self.timeframe, self.expiry, candle.time + self.timeframe, direction,
            int(decision.rule[0]), float(decision.confidence[0]), now, before, decision.values, 0,
        )

    def on_closed(self, candle: Candle) -> Signal | None | NotReady:
        """Commit a closed candle and decide on it. Partial candles are skipped (not committed)."""
        if getattr(candle, "partial", False):
            return NotReady("partial candle (its period began before the source started) skipped")
        if self.last_time is not None and candle.time <= self.last_time:
            raise ValueError(f"closed candles must arrive in time order: {candle.time} after {self.last_time}")
        now, undefined = self._values(candle, commit=True)
        self.count += 1
        self.last_time = candle.time
        result = self._decide(candle, now, undefined, self.count)
        self._before, self._before_undefined = now, undefined
        return result

    def preview(self, candle: Candle) -> Signal | None | NotReady:
        """What the strategy would say if ``candle`` (still forming) closed now. Commits nothing."""
        now, undefined = self._values(candle, commit=False)
        return self._decide(candle, now, undefined, self.count + 1)
