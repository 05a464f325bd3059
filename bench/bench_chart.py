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


class Timer:
    """Wall and process-CPU milliseconds of each measured action (CPU time is what the chart
    itself costs; wall time also counts waiting for a core on a busy machine)."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}

    def __call__(self, name: str, action) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        self.cpu.setdefault(name, []).append((time.process_time() - cpu) * 1000.0)
        self.wall.setdefault(name, []).append((time.perf_counter() - wall) * 1000.0)

    def median(self, name: str, cpu: bool = False) -> float:
        return statistics.median((self.cpu if cpu else self.wall)[name])

    def maximum(self, name: str) -> float:
        return max(self.wall[name])


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
        rising, falling = pg.mkBrush("g"), pg.mkBrush("r")  # made once, not per candle as in the example
        for (t, open_, close, low, high) in self.data:
            painter.drawLine(QtCore.QPointF(t, low), QtCore.QPointF(t, high))
            painter.setBrush(rising if close >= open_ else falling)
            painter.drawRect(QtCore.QRectF(t - width, open_, width * 2, close - open_))
        painter.end()

    def paint(self, painter, *args) -> None:
        painter.drawPicture(0, 0, self.picture)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802
        return QtCore.QRectF(self.picture.boundingRect())


class ChartRun:
    """One shown ``CandleChart`` with ``count`` candles and the actions that are timed on it."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.data = make_candles(count)
        self.chart = CandleChart(show_volume=True)
        self.chart.resize(*SIZE)
        self.chart.show()
        self.view = self.chart.price_pane.view
        self.timer = Timer()
        self.price = float(self.data[4][-1])
        self.rng = np.random.default_rng(1)
        pump()

    def first_paint(self) -> None:
        self.timer("first_paint", lambda: (self.chart.set_data(*self.data), pump(), self.chart.grab()))

    def tick(self, name: str = "", full: bool = False) -> None:
        last_time, last_close = self.data[0][-1], float(self.data[4][-1])

        def action() -> None:
            self.price += self.rng.normal(0, 0.0001)
            p = self.price
            self.chart.update_forming(Candle("BENCH", 60, last_time + 60, last_close, max(p, last_close) + 1e-4,
                                             min(p, last_close) - 1e-4, p, 10))
            self.chart.flush()
            self.chart.grab() if full else pump()

        self.timer(name, action) if name else action()

    def pan(self, name: str, fraction: float) -> None:
        def action() -> None:
            (x0, x1), _ = self.view.viewRange()
            shift = (x1 - x0) * fraction
            self.view.setXRange(x0 + shift, x1 + shift, padding=0)
            pump()

        self.timer(name, action)

    def zoom(self, name: str, factor: float) -> None:
        def action() -> None:
            (x0, x1), _ = self.view.viewRange()
            middle, half = (x0 + x1) / 2, (x1 - x0) / 2 * factor
            self.view.setXRange(middle - half, middle + half, padding=0)
            pump()

        self.timer(name, action)

    def show_all(self) -> None:
        self.view.setXRange(-self.count * 0.02, self.count * 1.02, padding=0)
        pump()

    def close(self) -> None:
        self.chart.close()
        self.chart.deleteLater()
        pump()
        gc.collect()


def bench_charts(counts: tuple[int, ...]) -> dict[int, Timer]:
    """Measure every size, interleaving the sizes action by action so that a busy machine slows
    them alike (the 1M / 10k tick ratio is then about the chart, not about when it ran)."""
    runs = [ChartRun(count) for count in counts]
    for run in runs:
        run.first_paint()
    for run in runs:
        for _ in range(20):
            run.tick()
    before = [run.chart.forming_item.paints for run in runs]
    for _ in range(300):
        for run in runs:
            run.tick("tick")
    for run, painted in zip(runs, before, strict=True):
        if run.chart.forming_item.paints < painted + 300:
            raise RuntimeError("a tick repaint did not paint the forming candle: the measurement is wrong")
    for _ in range(60):
        for run in runs:
            run.tick("tick_full_grab", full=True)
    for i in range(60):
        for run in runs:
            run.pan("pan", -0.1 if i % 20 < 10 else 0.1)
    for run in runs:
        run.show_all()
    for i in range(40):
        for run in runs:
            run.zoom("pan_zoom_all", 0.9 if i % 2 else 1 / 0.9)
            run.pan("pan_zoom_all", -0.1 if i % 2 else 0.1)
    for run in runs:
        run.close()
    return {run.count: run.timer for run in runs}


def bench_close(count: int) -> Timer:
    """A candle closes with SMA, Bollinger Bands, RSI and MACD on: append + recompute + repaint."""
    data = make_candles(count)
    chart = CandleChart(show_volume=True)
    chart.resize(*SIZE)
    chart.show()
    chart.set_data(*data)
    for name in ("sma", "bbands", "rsi", "macd"):
        chart.add_indicator(name)
    pump()
    timer = Timer()
    for step in range(1, 11):
        close = float(data[4][-1]) + step * 1e-4
        candle = Candle("BENCH", 60, data[0][-1] + 60 * step, close, close + 1e-4, close - 2e-4, close, 5)
        timer("close", lambda candle=candle: (chart.append_closed(candle), chart.flush(), pump()))
    chart.close()
    chart.deleteLater()
    pump()
    return timer


def bench_baseline(count: int, repeats: int) -> Timer:
    """The baseline; with ``repeats == 0`` (used at 1M) nothing is re-run: the pan frame is the first
    frame's render, and the tick is derived as the measured recording time plus that repaint, the
    two things a baseline tick repeats."""
    data = make_candles(count)
    rows = list(zip(np.arange(count, dtype=np.float64), data[1], data[4], data[3], data[2], strict=True))
    widget = pg.PlotWidget()
    widget.resize(*SIZE)
    widget.show()
    item = BaselineCandlestickItem()
    widget.addItem(item)
    pump()
    timer = Timer()
    timer("record", lambda: item.set_data(rows))
    timer("render", lambda: (widget.setXRange(count - 120, count + 4), pump(), widget.grab()))
    for key in ("wall", "cpu"):
        values = getattr(timer, key)
        values["first_paint"] = [values["record"][0] + values["render"][0]]
    price = data[4][-1]
    forming = (float(count), price, price + 0.0001, price - 0.0002, price + 0.0002)
    for _ in range(repeats):
        timer("tick", lambda: (item.set_data([*rows, forming]), pump()))
    view = widget.getViewBox()

    def pan() -> None:
        (x0, x1), _ = view.viewRange()
        view.setXRange(x0 - 12, x1 - 12, padding=0)
        pump()

    for _ in range(repeats):
        timer("pan", pan)
    if not repeats:  # at 1M each frame replays two million recorded commands: use the first frame
        timer.wall["pan"], timer.cpu["pan"] = timer.wall["render"], timer.cpu["render"]
        for key in ("wall", "cpu"):
            values = getattr(timer, key)
            values["tick"] = [values["record"][0] + values["pan"][0]]
    widget.close()
    widget.deleteLater()
    pump()
    gc.collect()
    return timer


def main() -> None:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    started = time.perf_counter()
    ours = bench_charts((10_000, 1_000_000))
    closing = bench_close(1_000_000)
    base = {10_000: bench_baseline(10_000, repeats=5), 1_000_000: bench_baseline(1_000_000, repeats=0)}
    print(f"CandleChart benchmark: offscreen {SIZE[0]}x{SIZE[1]}, price + volume panes; milliseconds, "
          f"median (CPU = this process' CPU time); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'figure':<38}{'candles':>10}{'chart wall':>12}{'chart CPU':>11}{'baseline':>11}{'ratio':>8}  target")
    rows = [("first paint (set_data + full render)", "first_paint", "<= 300"),
            ("tick update + dirty-region repaint", "tick", "<= 2"),
            ("pan frame, 120 candles visible", "pan", "<= 16")]
    for label, key, target in rows:
        for count in (10_000, 1_000_000):
            wall, cpu, baseline = ours[count].median(key), ours[count].median(key, cpu=True), base[count].median(key)
            print(f"{label:<38}{count:>10,}{wall:>12.2f}{cpu:>11.2f}{baseline:>11.0f}{baseline / wall:>7.0f}x  {target}")
    for count in (10_000, 1_000_000):
        timer = ours[count]
        print(f"{count:>9,} candles: tick + full widget.grab() {timer.median('tick_full_grab'):.2f}; pan frame max "
              f"{timer.maximum('pan'):.1f}; all candles in view (re-aggregated): pan/zoom frame median "
              f"{timer.median('pan_zoom_all'):.2f} (CPU {timer.median('pan_zoom_all', cpu=True):.2f}), "
              f"max {timer.maximum('pan_zoom_all'):.1f}")
    ratio = ours[1_000_000].median("tick") / ours[10_000].median("tick")
    ratio_cpu = ours[1_000_000].median("tick", cpu=True) / ours[10_000].median("tick", cpu=True)
    print(f"tick at 1M / tick at 10k: {ratio:.2f} wall, {ratio_cpu:.2f} CPU (target <= 1.3)")
    print(f"candle close at 1M with SMA+BBANDS+RSI+MACD (append, indicators extended over a tail window, repaint): "
          f"median {closing.median('close'):.1f} (CPU {closing.median('close', cpu=True):.1f})")
    one = base[1_000_000]
    print(f"baseline at 1M, measured once: recording {one.median('record'):.0f}, render {one.median('render'):.0f}, "
          "(= its pan frame); its tick is derived as recording + repaint (not re-run)")
    print(f"total run {time.perf_counter() - started:.0f} s")
    del app


if __name__ == "__main__":
    main()
