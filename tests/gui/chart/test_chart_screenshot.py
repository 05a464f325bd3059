"""Rendered pixels: a chart with indicators is not blank and shows the theme's up/down colours."""

from __future__ import annotations

import numpy as np
from PySide6 import QtGui
from tests.gui.chart.conftest import make_candles

from quantumflux.gui.theme import DARK, LIGHT


def pixels(image: QtGui.QImage) -> np.ndarray:
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width(), 2::-1].copy()


def count(rgb: np.ndarray, color: str) -> int:
    wanted = QtGui.QColor(color)
    return int(np.all(rgb == (wanted.red(), wanted.green(), wanted.blue()), axis=-1).sum())


def render(chart, path) -> np.ndarray:
    chart.flush()
    assert chart.grab().save(str(path))
    return pixels(QtGui.QImage(str(path)))


def test_screenshot_with_indicators_shows_candles_in_theme_colours(chart, tmp_path):
    data = make_candles(400)
    chart.set_data(*data)
    for name, params in (("sma", {"period": 20}), ("bbands", {}), ("rsi", {}), ("macd", {})):
        chart.add_indicator(name, **params)
    chart.add_signal_marker(data[0][380], "call")
    chart.add_trade_marker(data[0][360], data[0][365], float(data[4][360]), "put", "loss")
    rgb = render(chart, tmp_path / "chart_dark.png")
    assert rgb.shape[0] >= 600 and rgb.shape[1] >= 900
    packed = rgb[..., 0].astype(np.uint32) << 16 | rgb[..., 1].astype(np.uint32) << 8 | rgb[..., 2]
    colours = len(np.unique(packed))
    assert colours > 50  # candles, lines, text: not a blank or single-colour image
    assert count(rgb, DARK.background) > rgb.shape[0] * rgb.shape[1] * 0.4
    up, down = count(rgb, DARK.up), count(rgb, DARK.down)
    visible = slice(len(data[0]) - 120, None)
    rising = int((data[4][visible] >= data[1][visible]).sum())
    assert up > 30 * rising / 2 and down > 30 * (120 - rising) / 2  # every visible body has pixels
    assert count(rgb, LIGHT.up) == 0 and count(rgb, LIGHT.background) < 10


def test_theme_switch_recolours_everything(chart, tmp_path):
    chart.set_data(*make_candles(300))
    chart.add_indicator("rsi")
    chart.set_theme("light")
    assert chart.theme == "light"
    rgb = render(chart, tmp_path / "chart_light.png")
    assert count(rgb, LIGHT.background) > rgb.shape[0] * rgb.shape[1] * 0.4
    assert count(rgb, LIGHT.up) > 100 and count(rgb, LIGHT.down) > 100
    assert count(rgb, DARK.up) == 0 and count(rgb, DARK.down) == 0 and count(rgb, DARK.grid) == 0
    chart.set_theme("dark")
    rgb = render(chart, tmp_path / "chart_dark_again.png")
    assert count(rgb, DARK.up) > 100 and count(rgb, LIGHT.up) == 0
