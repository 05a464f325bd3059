"""Indicators on the chart: computed by ``quantumflux.core.indicators`` and drawn by layers.

Indicators are recomputed over the closed candles when the history changes (``set_data``,
``append_closed``), never on a tick; the forming candle has no indicator preview.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from quantumflux.core.indicators import INDICATORS, IndicatorSpec
from quantumflux.gui.chart.layers import HistogramLayer, Layer, LineLayer, VolumeLayer
from quantumflux.gui.chart.series import GrowableArray
from quantumflux.gui.theme import Palette

#: Horizontal guides and fixed Y ranges of oscillator panes.
GUIDES: dict[str, tuple[float, ...]] = {"rsi": (30.0, 70.0), "stoch": (20.0, 80.0)}
FIXED_RANGES: dict[str, tuple[float, float]] = {"rsi": (0.0, 100.0), "stoch": (0.0, 100.0)}
#: Built into the chart rather than computed by core: tick volume.
VOLUME = "volume"
#: Incremental update on candle close: tail length (minimum, and per period of the longest parameter)
#: and the most candles appended at once before falling back to a full recompute.
TAIL_MINIMUM = 4096
TAIL_PER_PERIOD = 50
MAX_INCREMENT = 256


def available() -> list[str]:
    """Names accepted by ``CandleChart.add_indicator``."""
    return [*INDICATORS, VOLUME]


@dataclass
class ChartIndicator:
    """One indicator instance: its spec, parameters, output layers and (for panes) its pane."""

    id: int
    name: str
    params: dict[str, float]
    spec: IndicatorSpec | None
    layers: dict[str, Layer]
    color_index: int
    pane: object | None = None
    values: dict[str, np.ndarray] = field(default_factory=dict)
    _store: dict[str, GrowableArray] = field(default_factory=dict)

    @property
    def label(self) -> str:
        if self.spec is None:
            return "Vol"
        shown = ",".join(_number(v) for v in {**self.spec.defaults, **self.params}.values())
        return f"{self.name.upper()}({shown})"

    @property
    def separate(self) -> bool:
        return self.spec is None or self.spec.pane != "price"

    @property
    def tail_length(self) -> int:
        """Candles of history enough to reproduce the newest values exactly (to float precision):
        recursive indicators (EMA, RSI, MACD, ATR) forget their seed after a few dozen periods."""
        longest = max([int(v) for v in {**self.spec.defaults, **self.params}.values()] + [1])
        return max(TAIL_MINIMUM, TAIL_PER_PERIOD * longest)

    def recompute(self, columns: dict[str, np.ndarray], full: bool = True) -> None:
        """Compute over the closed candles (no-op for volume, which reads the buffer).

        With ``full=False`` and a few candles appended since the last run, only the newest values
        are computed, over a tail of ``tail_length`` candles, and appended: O(tail), not O(history).
        Earlier values never change (indicators are causal)."""
        if self.spec is None:
            return
        size = len(columns["close"])
        done = len(next(iter(self._store.values()))) if self._store else 0
        appended = size - done
        tail = self.tail_length
        if not full and 0 < appended <= MAX_INCREMENT and done >= tail:
            window = {name: columns[name][size - tail - appended:] for name in self.spec.inputs}
            for output, values in self.spec.compute(window, **self.params).items():
                self._store[output].extend(np.asarray(values)[-appended:])
        elif full or appended:
            computed = self.spec.compute(columns, **self.params)
            self._store = {output: GrowableArray(values) for output, values in computed.items()}
        self.values = {output: stored.view() for output, stored in self._store.items()}
        for output, layer in self.layers.items():
            layer.set_values(self.values[output])

    def readout(self, index: int, digits: int) -> str:
        parts = []
        for layer in self.layers.values():
            value = layer.value_at(index)
            if value is not None and np.isfinite(value):
                parts.append(_number(value, digits if abs(value) < 10 else 2))
        return f"{self.label} {' '.join(parts)}" if parts else ""

    def apply_palette(self, palette: Palette) -> None:
        for position, layer in enumerate(self.layers.values()):
            if isinstance(layer, LineLayer):
                layer.set_color(_color(self, position, palette))
            elif isinstance(layer, HistogramLayer):
                layer.set_colors(palette.volume_up, palette.volume_down)
            else:
                layer.apply_palette(palette)


def build(indicator_id: int, name: str, params: dict[str, float], palette: Palette, color_index: int,
          columns: dict[str, np.ndarray], volume_layer: VolumeLayer | None = None) -> ChartIndicator:
    """Create the indicator and compute it once (bad names or parameters raise ValueError first)."""
    if name == VOLUME:
        if params:
            raise ValueError("volume takes no parameters")
        return ChartIndicator(indicator_id, name, {}, None, {"volume": volume_layer}, color_index)
    spec = INDICATORS.get(name)
    if spec is None:
        raise ValueError(f"unknown indicator {name!r} (available: {', '.join(available())})")
    spec.compute({name: np.zeros(0) for name in spec.inputs}, **params)  # bad parameters raise here
    layers: dict[str, Layer] = {}
    for output in spec.outputs:
        layers[output] = HistogramLayer(palette.volume_up, palette.volume_down) if output == "hist" \
            else LineLayer(palette.series[0])
    indicator = ChartIndicator(indicator_id, name, dict(params), spec, layers, color_index)
    indicator.recompute(columns)
    indicator.apply_palette(palette)
    return indicator


def _color(indicator: ChartIndicator, position: int, palette: Palette) -> str:
    if indicator.name == "bbands":  # upper and lower share a colour, the middle differs
        position = 0 if position != 1 else 1
    return palette.series[(indicator.color_index + position) % len(palette.series)]


def _number(value: float, digits: int = 2) -> str:
    if float(value).is_integer() and abs(value) < 1e9:
        return str(int(value))
    return f"{value:.{digits}f}"
