"""Streaming updaters equal TA-Lib batch output exactly, preview never commits, cost is O(1)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantumflux.core import indicators as ind
from quantumflux.core.indicators import streaming

CASES = [
    ("sma", {"period": 20}),
    ("sma", {"period": 2}),
    ("ema", {"period": 20}),
    ("rsi", {"period": 14}),
    ("macd", {"fast": 12, "slow": 26, "signal": 9}),
    ("macd", {"fast": 5, "slow": 13, "signal": 1}),
    ("bbands", {"period": 20, "nbdev": 2.0}),
    ("bbands", {"period": 10, "nbdev": 1.0}),
    ("stoch", {"fastk": 5, "slowk": 3, "slowd": 3}),
    ("atr", {"period": 14}),
]


def _series(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 1.08 + np.cumsum(rng.normal(0, 2e-4, n))
    close[50:70] = close[49]  # a flat stretch (zero ranges, zero gains/losses)
    high = close + rng.uniform(0, 3e-4, n)
    low = close - rng.uniform(0, 3e-4, n)
    high[50:70] = low[50:70] = close[50:70]
    return {"high": high, "low": low, "close": close}


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize(("name", "params"), CASES)
def test_stream_equals_batch_bit_for_bit(name: str, params: dict[str, float]) -> None:
    if not ind.native_streaming_available() and name not in {"sma", "ema"}:
        pytest.skip("pure-Python fallback is exact only for sma/ema")
    columns = _series(3000, seed=len(name))
    spec = ind.INDICATORS[name]
    expected = [np.asarray(v) for v in spec.compute(columns, **params).values()]
    stream = ind.open_stream(name, **params)
    mismatches = 0
    for i in range(len(columns["close"])):
        inputs = [columns[c][i] for c in spec.inputs]
        previewed = stream.preview(*inputs)
        committed = stream.update(*inputs)
        previewed = previewed if isinstance(previewed, tuple) else (previewed,)
        committed = committed if isinstance(committed, tuple) else (committed,)
        for out, pre, ref in zip(committed, previewed, expected, strict=True):
            mismatches += not (_same(out, ref[i]) and _same(pre, ref[i]))
    assert mismatches == 0
    assert stream.ready


def test_preview_does_not_commit() -> None:
    stream = ind.open_stream("rsi", period=14)
    closes = _series(100, 3)["close"]
    for value in closes[:60]:
        stream.update(value)
    first = stream.preview(closes[60] + 0.01)
    assert stream.preview(closes[60] - 0.01) != first
    assert stream.preview(closes[60] + 0.01) == first
    assert stream.update(closes[60]) == ind.rsi(closes[:61], 14)[-1]


def test_update_candle_reads_named_fields() -> None:
    class Bar:
        def __init__(self, high: float, low: float, close: float) -> None:
            self.high, self.low, self.close = high, low, close

    columns = _series(120, 5)
    stream = ind.open_stream("atr", period=14)
    for i in range(120):
        value = stream.update_candle(Bar(columns["high"][i], columns["low"][i], columns["close"][i]))
    assert value == ind.atr(columns["high"], columns["low"], columns["close"], 14)[-1]


@pytest.mark.parametrize("name", ["sma", "ema"])
def test_python_fallback_is_exact_for_moving_averages(name: str) -> None:
    closes = _series(2000, 9)["close"]
    updater = streaming.STREAMING[name](20)
    got = np.array([updater.update(c) for c in closes])
    np.testing.assert_array_equal(got, getattr(ind, name)(closes, 20))


def test_unknown_indicator_and_parameter_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown indicator"):
        ind.open_stream("vwap")
    with pytest.raises(ValueError, match="unknown parameter"):
        ind.open_stream("sma", length=3)


@pytest.mark.parametrize(("name", "params"), CASES)
@pytest.mark.parametrize("history", [1, 30, 2000])
def test_seeded_stream_continues_exactly(name: str, params: dict[str, float], history: int) -> None:
    if not ind.native_streaming_available() and name not in {"sma", "ema"}:
        pytest.skip("pure-Python fallback is exact only for sma/ema")
    columns = _series(2500, seed=4)
    spec = ind.INDICATORS[name]
    expected = [np.asarray(v) for v in spec.compute(columns, **params).values()]
    stream = ind.open_stream(name, **params)
    stream.seed({k: v[:history] for k, v in columns.items()})
    assert stream.count == history
    for i in range(history, 2500):
        out = stream.update(*[columns[c][i] for c in spec.inputs])
        out = out if isinstance(out, tuple) else (out,)
        assert all(_same(o, ref[i]) for o, ref in zip(out, expected, strict=True))


@pytest.mark.parametrize(("name", "params"), CASES)
def test_python_fallback_agrees_closely_with_talib(name: str, params: dict[str, float]) -> None:
    columns = _series(1500, seed=6)
    spec = ind.INDICATORS[name]
    expected = [np.asarray(v) for v in spec.compute(columns, **params).values()]
    updater = streaming.STREAMING[name](**params)
    rows = [updater.update(*[columns[c][i] for c in spec.inputs]) for i in range(1500)]
    got = np.array([row if isinstance(row, tuple) else (row,) for row in rows]).T
    for out, ref in zip(got, expected, strict=True):
        np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
        np.testing.assert_allclose(out[~np.isnan(ref)], ref[~np.isnan(ref)], rtol=1e-9, atol=1e-12)
