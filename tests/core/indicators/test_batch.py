"""Batch indicators: shapes, warm-up NaNs, known values and the registry."""

from __future__ import annotations

import numpy as np
import pytest

from quantumflux.core import indicators as ind


def _walk(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 0.1, n))
    high = close + rng.uniform(0, 0.05, n)
    low = close - rng.uniform(0, 0.05, n)
    return high, low, close


def test_sma_matches_definition_and_warmup() -> None:
    close = np.arange(1.0, 11.0)
    out = ind.sma(close, 3)
    assert np.isnan(out[:2]).all()
    assert out[2] == pytest.approx(2.0)
    assert out[-1] == pytest.approx(9.0)


def test_rsi_all_gains_is_100_and_warmup_length() -> None:
    out = ind.rsi(np.arange(1.0, 40.0), 14)
    assert np.isnan(out[:14]).all()
    assert out[14] == pytest.approx(100.0)


def test_multi_output_shapes_and_ordering() -> None:
    high, low, close = _walk(300)
    upper, middle, lower = ind.bbands(close, 20, 2.0)
    valid = ~np.isnan(middle)
    assert (upper[valid] >= middle[valid]).all() and (middle[valid] >= lower[valid]).all()
    line, signal, hist = ind.macd(close)
    np.testing.assert_allclose(hist[~np.isnan(hist)], (line - signal)[~np.isnan(hist)])
    k, d = ind.stoch(high, low, close)
    assert len(k) == len(d) == 300
    a = ind.atr(high, low, close, 14)
    assert np.isnan(a[:14]).all() and (a[14:] > 0).all()


def test_bad_parameters_are_rejected() -> None:
    with pytest.raises(ValueError, match="period"):
        ind.sma(np.ones(10), 0)
    with pytest.raises(ValueError, match="shorter"):
        ind.macd(np.ones(50), fast=26, slow=12)


def test_registry_describes_and_computes_every_indicator() -> None:
    high, low, close = _walk(200)
    columns = {"high": high, "low": low, "close": close}
    assert set(ind.INDICATORS) == {"sma", "ema", "rsi", "macd", "bbands", "stoch", "atr"}
    for spec in ind.INDICATORS.values():
        assert spec.pane in {"price", "separate"}
        result = spec.compute(columns)
        assert tuple(result) == spec.outputs
        for array in result.values():
            assert len(array) == 200 and not np.isnan(array[-1])
    with pytest.raises(ValueError, match="unknown"):
        ind.INDICATORS["sma"].compute(columns, bogus=3)
