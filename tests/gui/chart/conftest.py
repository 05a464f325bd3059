"""Chart test helpers: deterministic candles and a shown chart."""

from __future__ import annotations

from datetime import UTC

import numpy as np
import pytest

from quantumflux.gui.chart import CandleChart

START = 1_764_000_000.0  # 2025-11-24 16:00 UTC, a round minute


def make_candles(count: int, seed: int = 3, timeframe: int = 60) -> tuple[np.ndarray, ...]:
    """A random walk with real up and down candles, strictly increasing times."""
    rng = np.random.default_rng(seed)
    times = START + np.arange(count, dtype=np.float64) * timeframe
    close = 1.2 + np.cumsum(rng.normal(0.0, 0.0005, count))
    open_ = np.r_[close[0] - 0.0002, close[:-1]]
    high = np.maximum(open_, close) + rng.random(count) * 0.0004
    low = np.minimum(open_, close) - rng.random(count) * 0.0004
    volume = rng.integers(1, 100, count).astype(np.float64)
    return times, open_, high, low, close, volume


@pytest.fixture
def chart(qtbot):
    widget = CandleChart(tz=UTC, clock=lambda: START)
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
