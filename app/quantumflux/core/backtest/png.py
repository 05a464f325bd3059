"""A tiny PNG line-plot writer (numpy + zlib): the equity curve without matplotlib."""

from __future__ import annotations

import struct
import zlib

import numpy as np

BACKGROUND = (255, 255, 255)
AXIS = (170, 170, 170)
LINE = (31, 119, 180)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(pixels: np.ndarray) -> bytes:
    """Encode an ``(height, width, 3)`` uint8 RGB array as PNG bytes."""
    height, width, _ = pixels.shape
    rows = np.concatenate([np.zeros((height, 1), dtype=np.uint8), pixels.reshape(height, width * 3)], axis=1)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + _chunk(b"IEND", b""))


def line_plot(values: np.ndarray, width: int = 800, height: int = 300, margin: int = 10) -> np.ndarray:
    """Pixels of a line plot of ``values`` (index on x), with a grey zero line when 0 is in range.

    Many points per pixel column are drawn as a vertical span from the column's low to high
    (joined to the previous column), so no extreme is lost.
    """
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    pixels[:] = BACKGROUND
    series = np.concatenate(([0.0], np.asarray(values, dtype=np.float64)))
    low, high = float(series.min()), float(series.max())
    if high == low:
        high, low = high + 1.0, low - 1.0
    plot_w, plot_h = width - 2 * margin, height - 2 * margin

    def to_row(v: np.ndarray | float) -> np.ndarray:
        return (margin + np.round((high - np.asarray(v)) / (high - low) * (plot_h - 1))).astype(np.int64)

    if low <= 0 <= high:
        pixels[int(to_row(0.0)), margin:width - margin] = AXIS
    if len(series) < plot_w:  # few points: interpolate so consecutive points are joined
        series = np.interp(np.linspace(0, len(series) - 1, plot_w), np.arange(len(series)), series)
    columns = margin + (np.arange(len(series)) * (plot_w - 1) // max(len(series) - 1, 1))
    starts = np.flatnonzero(np.r_[True, np.diff(columns) > 0])
    column_low = np.minimum.reduceat(series, starts)
    column_high = np.maximum.reduceat(series, starts)
    previous_last = np.r_[series[0], series[np.r_[starts[1:] - 1]]]
    span_low = to_row(np.maximum(column_high, previous_last))
    span_high = to_row(np.minimum(column_low, previous_last))
    for x, top, bottom in zip(columns[starts], span_low, span_high, strict=True):
        pixels[top:bottom + 1, x] = LINE
        if x + 1 < width - margin:
            pixels[top:bottom + 1, x + 1] = LINE  # 2 px wide
    return pixels


def equity_png(equity: np.ndarray, width: int = 800, height: int = 300) -> bytes:
    """PNG bytes of an equity curve."""
    return encode_png(line_plot(equity, width, height))
