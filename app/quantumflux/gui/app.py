"""Assemble the terminal: the application (one service graph), its live source, window, controller; shut it
down cleanly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quantumflux.config import Settings, user_data_dir
from quantumflux.gui.controller import Notice, TerminalController
from quantumflux.gui.window import TerminalWindow
from quantumflux.runtime import tune_interpreter
from quantumflux.services.application import Application, MarketState, TerminalSession

if TYPE_CHECKING:
    from quantumflux.services.facade import QuantumFluxService

def tune_interpreter_for_gui() -> None:
    """Keep the GUI thread responsive next to the worker threads (once per process; see
    :mod:`quantumflux.runtime`)."""
    tune_interpreter()


@dataclass
class Terminal:
    """The assembled terminal over the process's application. ``start()`` shows it live; ``shutdown()``
    stops all it started."""

    window: TerminalWindow
    controller: TerminalController
    app: Application
    source: TerminalSession

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
        api_factory: Callable[[QuantumFluxService], Any] | None = None,
        app: Application | None = None,
    ) -> Terminal:
        """``api_factory(service)`` builds the embedded API over the application's facade (given by the entry
        point: gui never imports api). ``app``: the process's application (built here when not given)."""
        app = app or Application(settings, stale_after=stale_after, historical_after=historical_after)
        window = TerminalWindow(settings_file=settings_file or user_data_dir() / "terminal.ini")
        source = TerminalSession(app.settings, demo=demo, broker_options=dict(broker_options or {}))
        controller = TerminalController(window, app.market, stored_assets=app.stored.assets, status_source=app.status,
                                        data_dir=str(app.settings.realtime_dir),
                                        api_factory=(lambda: api_factory(app.service)) if api_factory else None)
        return cls(window, controller, app, source)

    @property
    def state(self) -> MarketState:
        """The application's one market state (read it under ``app.market.lock`` off the GUI thread)."""
        return self.app.market.state

    @property
    def session(self) -> TerminalSession:
        return self.source

    def start(self) -> Terminal:
        try:
            self.app.connect(self.source)
        except Exception as exc:  # noqa: BLE001 - the terminal still opens on stored data
            self.controller.post(Notice(f"live session unavailable: {exc}", "error"))
        else:
            self.controller.collector = self.app.collector
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
        """Orders from the ticket go through the application's trading session (demo account by default);
        the strategy panel shows the application's one strategy runner."""
        trading, runner = self.app.trading, self.app.runner
        if trading is not None:
            self.controller.set_trading(trading.trade_handler, trading.page_switcher)
        if runner is not None:
            self.controller.set_strategy_runner(runner, runner.registry.names())

    def shutdown(self) -> None:
        self.controller.stop()
        self.app.close()
