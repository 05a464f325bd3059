"""The first-run window fits the screen: every dock inside the available area on laptop and desktop screens.

Each case runs the real window in a fresh process on Qt's offscreen platform with a configured screen size
(``offscreen:configfile=…``), as the window is laid out on a user's first start (nothing remembered)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = r"""
import json, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from quantumflux.gui.window import TerminalWindow
window = TerminalWindow(settings_file=Path(sys.argv[1]))
window.restore()
window.show()
for _ in range(30):
    app.processEvents()
window.apply_default_layout()
for _ in range(30):
    app.processEvents()
area = window.screen().availableGeometry()
def box(r):
    return [r.x(), r.y(), r.width(), r.height()]
docks = {d.objectName(): box(d.geometry().translated(window.geometry().topLeft())) for d in window._docks}
print(json.dumps({"area": box(area), "frame": box(window.frameGeometry()), "docks": docks,
                  "chart": box(window.chart.geometry()), "visible": all(d.isVisible() for d in window._docks)}))
"""


@pytest.mark.parametrize("size", [(1366, 768), (1600, 1000), (1920, 1080)])
def test_the_first_window_fits_the_screen(tmp_path: Path, size: tuple[int, int]) -> None:
    width, height = size
    config = tmp_path / "screens.json"
    config.write_text(json.dumps({"screens": [{"name": "screen", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {"QT_QPA_PLATFORM": f"offscreen:configfile={config}", "QF_HOME": str(tmp_path / "home"),
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "terminal.ini")], capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    ax, ay, aw, ah = report["area"]
    assert (aw, ah) == (width, height)
    x, y, w, h = report["frame"]
    assert ax <= x and ay <= y and x + w <= ax + aw and y + h <= ay + ah, f"window {report['frame']} off {size}"
    assert report["visible"]
    for name, (dx, dy, dw, dh) in report["docks"].items():
        assert dw > 0 and dh > 0 and dx >= ax and dx + dw <= ax + aw and dy >= ay and dy + dh <= ay + ah, \
            f"{name} {report['docks'][name]} cut off"
    assert report["chart"][2] >= 400, "the chart keeps a usable width"
