"""Regenerate the README screenshot: the terminal live on the practice broker, with indicators.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot.py [OUT.png]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from quantumflux.config import Settings
    from quantumflux.gui.app import Terminal

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshot.png"
    _app = QApplication.instance() or QApplication([])  # kept alive for the run
    with tempfile.TemporaryDirectory() as home:
        os.environ["QF_HOME"] = home
        term = Terminal.build(Settings(data_root=ROOT / "data"), demo=True, settings_file=Path(home) / "t.ini",
                              broker_options={"seed": 11, "tick_rate": 8.0})
        term.window.resize(1600, 950)
        term.start()
        try:
            if not term.wait_until(term.live, 60):
                print("the terminal did not reach LIVE within 60 s", file=sys.stderr)
                return 1
            term.controller._on_timeframe_changed(5)
            for name in ("sma", "bbands", "rsi", "macd"):
                term.window.indicator_actions[name].setChecked(True)
            ticket = term.window.ticket  # one demo trade, so positions and results show
            term.wait_until(ticket.call_button.isEnabled, 20)
            ticket.amount.setValue(10)
            ticket.expiry.setCurrentIndex(ticket.expiry.findData(15))
            ticket.call_button.click()
            term.wait_until(lambda: bool(ticket.closed_deals()), 30)  # the broker's result is shown
            term.window.grab().save(str(out))
            print(f"saved {out}")
        finally:
            term.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
