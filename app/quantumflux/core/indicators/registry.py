"""Descriptions of the indicators for menus (GUI, API): names, parameters, outputs, pane."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from quantumflux.core.indicators import batch


@dataclass(frozen=True, slots=True)
class IndicatorParam:
    """One numeric parameter: ``kind`` is ``"int"`` or ``"float"``; ``minimum`` is inclusive."""

    name: str
    default: float
    kind: str = "int"
    minimum: float = 1


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """What an indicator needs and yields.

    ``inputs`` names the candle columns passed positionally (``close`` or ``high, low, close``);
    ``outputs`` names the arrays returned (a single array when there is one output);
    ``pane`` is ``"price"`` (overlay on the candles) or ``"separate"`` (own pane below).
    """

    name: str
    title: str
    function: Callable[..., object]
    inputs: tuple[str, ...]
    params: tuple[IndicatorParam, ...]
    outputs: tuple[str, ...]
    pane: str

    @property
    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}

    def compute(self, columns: dict[str, object], **params: float) -> dict[str, object]:
        """Run over ``columns`` (a mapping with the needed inputs); returns ``{output: array}``."""
        unknown = set(params) - {p.name for p in self.params}
        if unknown:
            raise ValueError(f"{self.name}: unknown parameter(s) {sorted(unknown)}")
        values = {**self.defaults, **params}
        args = [columns[name] for name in self.inputs]
        kwargs = {p.name: (int(values[p.name]) if p.kind == "int" else float(values[p.name])) for p in self.params}
        result = self.function(*args, **kwargs)
        if len(self.outputs) == 1:
            return {self.outputs[0]: result}
        return dict(zip(self.outputs, result, strict=True))


def _p(name: str, default: float, kind: str = "int", minimum: float = 1) -> IndicatorParam:
    return IndicatorParam(name, default, kind, minimum)


#: Every indicator by name, in menu order.
INDICATORS: dict[str, IndicatorSpec] = {
    spec.name: spec
    for spec in (
        IndicatorSpec("sma", "Simple moving average", batch.sma, ("close",), (_p("period", 20, minimum=2),),
                      ("sma",), "price"),
        IndicatorSpec("ema", "Exponential moving average", batch.ema, ("close",), (_p("period", 20, minimum=2),),
                      ("ema",), "price"),
        IndicatorSpec("bbands", "Bollinger Bands", batch.bbands, ("close",),
                      (_p("period", 20, minimum=2), _p("nbdev", 2.0, "float", 0.01)),
                      ("upper", "middle", "lower"), "price"),
        IndicatorSpec("rsi", "Relative strength index", batch.rsi, ("close",), (_p("period", 14, minimum=2),),
                      ("rsi",), "separate"),
        IndicatorSpec("macd", "MACD", batch.macd, ("close",),
                      (_p("fast", 12, minimum=2), _p("slow", 26, minimum=2), _p("signal", 9)),
                      ("macd", "signal", "hist"), "separate"),
        IndicatorSpec("stoch", "Stochastic", batch.stoch, ("high", "low", "close"),
                      (_p("fastk", 5), _p("slowk", 3), _p("slowd", 3)), ("k", "d"), "separate"),
        IndicatorSpec("atr", "Average true range", batch.atr, ("high", "low", "close"), (_p("period", 14),),
                      ("atr",), "separate"),
    )
}


def _native_params(name: str, values: dict[str, float]) -> list[float]:
    if name == "bbands":
        return [values["period"], values["nbdev"], values["nbdev"], 0]
    if name == "stoch":
        return [values["fastk"], values["slowk"], 0, values["slowd"], 0]
    return [values[p.name] for p in INDICATORS[name].params]


def open_stream(name: str, **params: float) -> object:
    """An O(1) streaming updater for ``name`` (``update``/``preview``/``update_candle``).

    Uses TA-Lib's own C streaming handles when the library has them (exactly equal to the
    batch functions), else the pure-Python updaters of :mod:`.streaming`.
    """
    from quantumflux.core.indicators import native, streaming

    if name not in INDICATORS:
        raise ValueError(f"unknown indicator {name!r}; known: {', '.join(INDICATORS)}")
    spec = INDICATORS[name]
    unknown = set(params) - {p.name for p in spec.params}
    if unknown:
        raise ValueError(f"{name}: unknown parameter(s) {sorted(unknown)}")
    values = {**spec.defaults, **params}
    if native.available():
        return native.NativeStream(name, _native_params(name, values))
    return streaming.STREAMING[name](**{k: v for k, v in values.items()})
