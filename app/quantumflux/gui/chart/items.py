"""Graphics items that draw numpy arrays in one native call each.

Each item follows pyqtgraph's update pattern: a setter stores new geometry, calls
``prepareGeometryChange()`` and ``update()``; ``boundingRect()`` is exact. ``changes`` counts setter
calls and ``paints`` counts paint calls, so tests can prove which items a tick touched.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals
from PySide6 import QtCore, QtGui

Array = np.ndarray

#: Antialiased indicator lines look smoother but cost several ms per frame in the raster engine.
ANTIALIAS_LINES = False


def cosmetic_pen(color: str, width: float = 1.0) -> QtGui.QPen:
    pen = QtGui.QPen(QtGui.QColor(color))
    pen.setWidthF(width)
    pen.setCosmetic(True)
    return pen


class ArrayItem(pg.GraphicsObject):
    """Base: a pen, a brush, a bounding rect and the change/paint counters."""

    def __init__(self, color: str, fill: bool = False, width: float = 1.0) -> None:
        super().__init__()
        self._bounds = QtCore.QRectF()
        self.changes = 0
        self.paints = 0
        self.set_color(color, fill, width)

    def set_color(self, color: str, fill: bool | None = None, width: float | None = None) -> None:
        """Change the colour (theme switch); keeps the geometry."""
        if fill is not None:
            self._fill = fill
        self._pen = cosmetic_pen(color, width if width is not None else getattr(self, "_width", 1.0))
        self._width = self._pen.widthF()
        self._brush = QtGui.QBrush(QtGui.QColor(color)) if self._fill else QtGui.QBrush()
        self.update()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt API)
        return self._bounds

    def _set_bounds(self, left: float, top: float, right: float, bottom: float) -> None:
        self.prepareGeometryChange()
        if np.isfinite([left, top, right, bottom]).all():
            self._bounds = QtCore.QRectF(left, top, right - left, bottom - top)
        else:
            self._bounds = QtCore.QRectF()
        self.changes += 1
        self.update()


class RectsItem(ArrayItem):
    """Many rectangles (``x, y, w, h`` rows) drawn with one ``QPainter.drawRects`` call."""

    def __init__(self, color: str) -> None:
        super().__init__(color, fill=True)
        self._array = internals.PrimitiveArray(QtCore.QRectF, 4)

    def set_rects(self, rects: Array) -> None:
        self._array.resize(len(rects))
        if len(rects):
            self._array.ndarray()[:] = rects
            left, right = rects[:, 0].min(), (rects[:, 0] + rects[:, 2]).max()
            top, bottom = rects[:, 1].min(), (rects[:, 1] + rects[:, 3]).max()
            self._set_bounds(left, top, right, bottom)
        else:
            self._set_bounds(np.nan, np.nan, np.nan, np.nan)

    def rects(self) -> Array:
        """A copy of the rectangles currently drawn."""
        return self._array.ndarray().copy()

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        self.paints += 1
        if len(self._array):
            painter.setPen(self._pen)
            painter.setBrush(self._brush)
            painter.drawRects(*self._array.drawargs())


class SegmentsItem(ArrayItem):
    """Many separate line segments (``x1, y1, x2, y2`` rows) drawn with one ``drawLines`` call."""

    def __init__(self, color: str, width: float = 1.0) -> None:
        super().__init__(color, width=width)
        self._array = internals.PrimitiveArray(QtCore.QLineF, 4)

    def set_segments(self, segments: Array) -> None:
        self._array.resize(len(segments))
        if len(segments):
            self._array.ndarray()[:] = segments
            xs, ys = segments[:, 0::2], segments[:, 1::2]
            self._set_bounds(xs.min(), ys.min(), xs.max(), ys.max())
        else:
            self._set_bounds(np.nan, np.nan, np.nan, np.nan)

    def segments(self) -> Array:
        return self._array.ndarray().copy()

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        self.paints += 1
        if len(self._array):
            painter.setPen(self._pen)
            painter.drawLines(*self._array.drawargs())


class PolylineItem(ArrayItem):
    """One polyline through ``(x, y)``; NaN values break the line."""

    def __init__(self, color: str, width: float = 1.5) -> None:
        super().__init__(color, width=width)
        self._path = QtGui.QPainterPath()
        self._points = (np.zeros(0), np.zeros(0))

    def set_points(self, x: Array, y: Array) -> None:
        self._points = (x, y)
        finite = np.isfinite(y)
        if finite.any():
            self._path = pg.arrayToQPath(x, y, connect="finite")
            self._set_bounds(x[finite].min(), np.nanmin(y), x[finite].max(), np.nanmax(y))
        else:
            self._path = QtGui.QPainterPath()
            self._set_bounds(np.nan, np.nan, np.nan, np.nan)

    def points(self) -> tuple[Array, Array]:
        return self._points

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        self.paints += 1
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, ANTIALIAS_LINES)
        painter.setPen(self._pen)
        painter.drawPath(self._path)


class FormingCandleItem(ArrayItem):
    """The candle still forming: one wick and one body, coloured by its direction."""

    def __init__(self, up_color: str, down_color: str) -> None:
        super().__init__(up_color, fill=True)
        self._candle: tuple[float, float, float, float, float] | None = None
        self.set_colors(up_color, down_color)

    def set_colors(self, up_color: str, down_color: str) -> None:
        self._up = (cosmetic_pen(up_color), QtGui.QBrush(QtGui.QColor(up_color)))
        self._down = (cosmetic_pen(down_color), QtGui.QBrush(QtGui.QColor(down_color)))
        self.update()

    @property
    def candle(self) -> tuple[float, float, float, float, float] | None:
        """``(x, open, high, low, close)`` or None."""
        return self._candle

    def set_candle(self, candle: tuple[float, float, float, float, float] | None) -> None:
        self._candle = candle
        if candle is None:
            self._set_bounds(np.nan, np.nan, np.nan, np.nan)
            return
        x, _, high, low, _ = candle
        self._set_bounds(x - 0.5, low, x + 0.5, high)

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        self.paints += 1
        if self._candle is None:
            return
        x, open_, high, low, close = self._candle
        pen, brush = self._up if close >= open_ else self._down
        painter.setPen(pen)
        painter.setBrush(brush)
        painter.drawLine(QtCore.QPointF(x, low), QtCore.QPointF(x, high))
        half = 0.35
        painter.drawRect(QtCore.QRectF(x - half, min(open_, close), 2 * half, abs(close - open_)))
