"""Assemble the terminal: settings → market state, session, window, controller; shut it down cleanly."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quantumflux.config import Settings, user_data_dir
from quantumflux.gui.controller import Notice, TerminalController
from quantumflux.gui.window import TerminalWindow
from quantumflux.services.market_state import MarketState
from quantumflux.services.stored_history import StoredHistory
from quantumflux.services.terminal_session import TerminalSession

_tuned = False

#: How long a worker thread running Python may hold the GIL before the GUI thread gets it (default 5 ms).
GIL_SWITCH_INTERVAL = 0.001


def tune_interpreter_for_gui() -> None:
    """Keep the GUI thread responsive next to the worker threads (once per process).

    * GC: Qt, pyqtgraph, pandas, numpy and TA-Lib leave ~130,000 long-lived objects; a full
      collection walks them all, which held the GUI thread for 50-60 ms whenever Python decided to
      run one while the terminal streamed. Frozen, they are never walked again and a full
      collection costs ~1 ms. Reference counting still frees them as usual; only reference cycles
      among them would wait.
    * GIL: a chart frame makes many short Python calls, and each one waits for the GIL when the
      capture or the history reader is busy in Python; a 1 ms switch interval instead of 5 ms
      shortens each wait (the asset-switch stall fell from ~90 to ~60 ms median in
      ``bench/bench_gui_stall.py``).
    """
    global _tuned
    if not _tuned:
        _tuned = True
        sys.setswitchinterval(GIL_SWITCH_INTERVAL)
        gc.collect()
        gc.freeze()


@dataclass
class Terminal:
    """The assembled terminal. ``start()`` shows it live; ``shutdown()`` stops all it started."""

    window: TerminalWindow
    controller: TerminalController
    session: TerminalSession
    state: MarketState
    trading: Any = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        demo: bool = False,
        settings_file: Path | None = None,
        broker_options: dict | None = None,
        stale_after: float = 5.0,
        historical_after: float = 30.0,
        api_factory: Callable[[Settings, Any], Any] | None = None,
    ) -> Terminal:
        """``api_factory(settings, hub)`` builds the embedded API (given by the entry point: gui never imports api)."""
        stored = StoredHistory.from_settings(settings)
        state = MarketState(stored_history=stored, stale_after=stale_after, historical_after=historical_after,
                            defer_stored=True)
        window = TerminalWindow(settings_file=settings_file or user_data_dir() / "terminal.ini")
        session = TerminalSession(settings, demo=demo, broker_options=dict(broker_options or {}))
        controller = TerminalController(window, state, stored_assets=stored.assets, status_source=session.status,
                                        data_dir=str(settings.realtime_dir),
                                        api_factory=(lambda: api_factory(settings, session.hub)) if api_factory else None)
        return cls(window, controller, session, state)

    def start(self) -> Terminal:
        try:
            self.session.start(self.controller.post)
        except Exception as exc:  # noqa: BLE001 - the terminal still opens on stored data
            self.controller.post(Notice(f"live session unavailable: {exc}", "error"))
        else:
            from quantumflux.services.collector_control import CollectorControl

            self.controller.collector = CollectorControl(self.session.hub, self.session.settings)
            self.window.collector_panel.toggle.setEnabled(True)
            self._attach_trading()
        self.controller.start()
        self.window.show()
        tune_interpreter_for_gui()
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self.window.apply_default_layout)  # once the window is laid out
        return self

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Run the Qt event loop until ``condition()`` holds or ``timeout`` seconds pass (scripts, benchmarks)."""
        import time

        from PySide6.QtWidgets import QApplication

        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() >= deadline:
                return False
            QApplication.processEvents()
            time.sleep(0.02)
        return True

    def live(self) -> bool:
        """The selected asset's chart is LIVE."""
        from quantumflux.core.source import SourceState

        return self.window.badge.state is SourceState.LIVE

    def _attach_trading(self) -> None:
        """Orders from the ticket go through the page of the attached browser (demo account by default)."""
        from quantumflux.services.trading import TradingSession

        settings = self.session.settings
        self.trading = TradingSession.create(settings, self.session.hub, settings.chrome_host, self.session.port)
        self.controller.set_trading(self.trading.trade_handler, self.trading.page_switcher)
        from quantumflux.services.strategy_runner import StrategyRunner

        runner = StrategyRunner(self.session.hub, self.trading.journal, self.trading.guard, executor=self.trading,
                                allow_real=False).start()
        self.controller.set_strategy_runner(runner, runner.registry.names())

    def shutdown(self) -> None:
        self.controller.stop()
        if self.trading is not None:
            self.trading.close()
        self.session.stop()
