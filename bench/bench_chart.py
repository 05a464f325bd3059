"""Chart benchmarks: first paint, tick update + repaint and pan/zoom frames at 10k and 1M candles,
for ``CandleChart`` and for a baseline written the common way (one QPicture re-recorded from a
per-candle Python loop, as in pyqtgraph's CandlestickItem example). Offscreen Qt; prints figures.

Run: ``.venv/bin/python bench/bench_chart.py`` (about a minute; the 1M baseline is measured once
per figure because each measurement re-records a million candles).

What is measured (wall time, ``time.perf_counter``):
- first paint: ``set_data`` (or the baseline's picture recording) + processing events + a full
  ``widget.grab()`` render of the whole widget;
- tick: ``update_forming`` + ``flush()`` (the frame timer's work) + ``processEvents()``, which is the
  on-screen path: Qt repaints the dirty region of the viewport. The same with a full
  ``widget.grab()`` render of the whole widget is printed too;
- pan/zoom frame: ``setXRange`` (10 % pan, or 10 % zoom) + ``processEvents()`` repaint.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from quantumflux.core.model import Candle  # noqa: E402
from quantumflux.gui.chart import CandleChart  # noqa: E402

SIZE = (1280, 800)


def make_candles(count: int, seed: int = 7) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    times = 1_700_000_000 + np.arange(count, dtype=np.float64) * 60.0
    close = 1.1 + np.cumsum(rng.normal(0.0, 0.0004, count))
    open_ = np.r_[close[0], close[:-1]]
    high = np.maximum(open_, close) + rng.random(count) * 0.0003
    low = np.minimum(open_, close) - rng.random(count) * 0.0003
    volume = rng.integers(5, 300, count).astype(np.float64)
    return times, open_, high, low, close, volume


def pump() -> None:
    app = QtWidgets.QApplication.instance()
    app.processEvents()
    app.processEvents()


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000.0


class BaselineCandlestickItem(pg.GraphicsObject):
    """The common way: one QPicture recorded from a per-candle loop over every candle."""

    def __init__(self) -> None:
        super().__init__()
        self.data: list[tuple[float, ...]] = []
        self.picture = QtGui.QPicture()

    def set_data(self, data: list[tuple[float, ...]]) -> None:
        self.data = data
        self.generate_picture()
        self.informViewBoundsChanged()
        self.update()

    def generate_picture(self) -> None:
        self.picture = QtGui.QPicture()
        painter = QtGui.QPainter(self.picture)
        painter.setPen(pg.mkPen("w"))
        width = 0.35
        for (t, open_, close, low, high) in self.data:
            painter.drawLine(QtCore.QPointF(t, low), QtCore.QPointF(t, high))
            painter.setBrush(pg.mkBrush("g" if close >= open_ else "r"))
            painter.drawRect(QtCore.QRectF(t - width, open_, width * 2, close - open_))
        painter.end()

    def paint(self, painter, *args) -> None:
        painter.drawPicture(0, 0, self.picture)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802
        return QtCore.QRectF(self.picture.boundingRect())


def bench_chart(count: int) -> dict[str, float]:
    data = make_candles(count)
    chart = CandleChart(show_volume=True)
    chart.resize(*SIZE)
    chart.show()
    pump()
    results = {"first_paint": timed(lambda: (chart.set_data(*data), pump(), chart.grab()))}
    last_time, last_close = data[0][-1], data[4][-1]
    rng = np.random.default_rng(1)
    price = [last_close]

    def tick(full: bool) -> None:
        price[0] += rng.normal(0, 0.0001)
        p = price[0]
        chart.update_forming(Candle("BENCH", 60, last_time + 60, last_close, max(p, last_close) + 0.0001,
                                    min(p, last_close) - 0.0001, p, 10))
        chart.flush()
        chart.grab() if full else pump()

    for _ in range(20):
        tick(False)
    before = chart.forming_item.paints
    ticks = [timed(lambda: tick(False)) for _ in range(300)]
    if chart.forming_item.paints <= before:
        raise RuntimeError("tick repaint did not paint the forming candle: the measurement is wrong")
    results["tick"] = statistics.median(ticks)
    results["tick_full_grab"] = statistics.median([timed(lambda: tick(True)) for _ in range(60)])
    view = chart.price_pane.view

    def pan(fraction: float) -> None:
        (x0, x1), _ = view.viewRange()
        shift = (x1 - x0) * fraction
        view.setXRange(x0 + shift, x1 + shift, padding=0)
        pump()

    def zoom(factor: float) -> None:
        (x0, x1), _ = view.viewRange()
        middle, half = (x0 + x1) / 2, (x1 - x0) / 2 * factor
        view.setXRange(middle - half, middle + half, padding=0)
        pump()

    frames = [timed(lambda i=i: pan(-0.1 if i % 20 < 10 else 0.1)) for i in range(60)]
    results["pan_120"] = statistics.median(frames)
    results["pan_120_max"] = max(frames)
    view.setXRange(-count * 0.02, count * 1.02, padding=0)
    pump()
    frames = [timed(lambda i=i: zoom(0.9 if i % 2 else 1 / 0.9)) for i in range(40)]
    frames += [timed(lambda i=i: pan(-0.1 if i % 2 else 0.1)) for i in range(40)]
    results["pan_zoom_all"] = statistics.median(frames)
    results["pan_zoom_all_max"] = max(frames)
    chart.close()
    chart.deleteLater()
    pump()
    gc.collect()
    return results


def bench_baseline(count: int, repeats: int) -> dict[str, float]:
    data = make_candles(count)
    rows = list(zip(np.arange(count, dtype=np.float64), data[1], data[4], data[3], data[2], strict=True))
    widget = pg.PlotWidget()
    widget.resize(*SIZE)
    widget.show()
    item = BaselineCandlestickItem()
    widget.addItem(item)
    pump()
    results = {"first_paint": timed(lambda: (item.set_data(rows), widget.setXRange(count - 120, count + 4),
                                              pump(), widget.grab()))}
    price = data[4][-1]

    def tick() -> None:
        item.set_data([*rows, (float(count), price, price + 0.0001, price - 0.0002, price + 0.0002)])
        pump()

    results["tick"] = statistics.median([timed(tick) for _ in range(repeats)])
    view = widget.getViewBox()

    def pan() -> None:
        (x0, x1), _ = view.viewRange()
        view.setXRange(x0 - 12, x1 - 12, padding=0)
        pump()

    results["pan_120"] = statistics.median([timed(pan) for _ in range(repeats)])
    widget.close()
    widget.deleteLater()
    pump()
    gc.collect()
    return results


def main() -> None:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    started = time.perf_counter()
    ours = {count: bench_chart(count) for count in (10_000, 1_000_000)}
    base = {10_000: bench_baseline(10_000, repeats=5), 1_000_000: bench_baseline(1_000_000, repeats=1)}
    print(f"CandleChart benchmark, offscreen {SIZE[0]}x{SIZE[1]}, volume pane on, times in ms (median)")
    print(f"{'figure':<44}{'candles':>10}{'CandleChart':>13}{'baseline':>12}{'ratio':>9}  target")
    rows = [("first paint (set_data + full render)", "first_paint", "<= 300"),
            ("tick update + dirty-region repaint", "tick", "<= 2"),
            ("pan frame, 120 candles visible", "pan_120", "<= 16")]
    for label, key, target in rows:
        for count in (10_000, 1_000_000):
            ours_ms, base_ms = ours[count][key], base[count][key]
            print(f"{label:<44}{count:>10,}{ours_ms:>13.2f}{base_ms:>12.1f}{base_ms / ours_ms:>8.0f}x  {target}")
    for count in (10_000, 1_000_000):
        figures = ours[count]
        print(f"{count:>9,} candles: tick + full widget.grab() {figures['tick_full_grab']:.2f}; "
              f"pan frame max {figures['pan_120_max']:.2f}; zoomed out to all candles (re-aggregated) "
              f"pan/zoom frame median {figures['pan_zoom_all']:.2f}, max {figures['pan_zoom_all_max']:.2f}")
    ratio = ours[1_000_000]["tick"] / ours[10_000]["tick"]
    print(f"tick at 1M / tick at 10k: {ratio:.2f} (target <= 1.3)")
    print("baseline at 1M measured once per figure (each tick re-records a million candles); "
          f"total run {time.perf_counter() - started:.0f} s")
    del app


if __name__ == "__main__":
    main()
