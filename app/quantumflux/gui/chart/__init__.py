"""Live candlestick chart (pyqtgraph) that stays fast at a million candles. See docs/chart.md."""

from quantumflux.gui.chart.widget import CandleChart

__all__ = ["CandleChart"]
