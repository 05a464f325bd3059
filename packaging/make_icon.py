"""Generate the QuantumFlux icon: packaging/quantumflux.svg (the source) and its raster forms.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icon.py

writes ``packaging/quantumflux.svg``, ``resources/icons/quantumflux.png`` (256 px, shipped in the wheel),
``packaging/quantumflux.ico`` (Windows) and ``packaging/quantumflux.icns`` (macOS). The rasters are
rendered from the SVG with Qt (QSvgRenderer + QPainter), so every form shows the same drawing:
three candles on a dark rounded square with a cyan "flux" curve through them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG_PATH = ROOT / "packaging" / "quantumflux.svg"
PNG_PATH = ROOT / "resources" / "icons" / "quantumflux.png"
ICO_PATH = ROOT / "packaging" / "quantumflux.ico"
ICNS_PATH = ROOT / "packaging" / "quantumflux.icns"

#: (x centre, wick top, body top, body bottom, wick bottom, rising?) on a 256 grid.
CANDLES = ((78, 96, 116, 176, 196, False), (128, 60, 80, 150, 172, True), (178, 40, 62, 118, 140, True))
GREEN, RED, CYAN = "#1db954", "#e5484d", "#38d3f5"


def svg_text() -> str:
    """The icon as SVG (256 × 256 user units)."""
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">',
        "  <defs>",
        '    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">',
        '      <stop offset="0" stop-color="#1b2540"/>',
        '      <stop offset="1" stop-color="#0b1020"/>',
        "    </linearGradient>",
        "  </defs>",
        '  <rect x="8" y="8" width="240" height="240" rx="52" ry="52" fill="url(#bg)"/>',
    ]
    for x, wick_top, body_top, body_bottom, wick_bottom, rising in CANDLES:
        colour = GREEN if rising else RED
        parts.append(f'  <rect x="{x - 3}" y="{wick_top}" width="6" height="{wick_bottom - wick_top}" '
                     f'rx="3" fill="{colour}"/>')
        parts.append(f'  <rect x="{x - 17}" y="{body_top}" width="34" height="{body_bottom - body_top}" '
                     f'rx="6" fill="{colour}"/>')
    parts.append(f'  <path d="M 36 200 C 90 214, 110 130, 150 120 S 200 70, 224 52" fill="none" '
                 f'stroke="{CYAN}" stroke-width="12" stroke-linecap="round"/>')
    parts.append(f'  <circle cx="224" cy="52" r="12" fill="{CYAN}"/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def render(svg: bytes, size: int):  # -> QImage
    """Rasterise ``svg`` to a transparent ``size`` × ``size`` QImage."""
    from PySide6.QtCore import QByteArray
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid():
        raise ValueError("the icon SVG is not valid")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - Qt needs an app
    text = svg_text()
    SVG_PATH.write_text(text, encoding="utf-8")
    PNG_PATH.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    for path, size, fmt in ((PNG_PATH, 256, "PNG"), (ICO_PATH, 128, "ICO"), (ICNS_PATH, 512, "ICNS")):
        if not render(data, size).save(str(path), fmt):
            print(f"warning: could not write {path} (no Qt {fmt} image plugin)", file=sys.stderr)
            continue
        print(f"wrote {path.relative_to(ROOT)}")
    print(f"wrote {SVG_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
