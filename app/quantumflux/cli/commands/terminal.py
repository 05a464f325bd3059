"""``quantumflux`` / ``quantumflux terminal``: the trading terminal window."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from quantumflux.cli.main import EXIT_USAGE, CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("terminal", help="open the trading terminal (the default without a command)")
    parser.add_argument("--demo", action="store_true", help="start the practice broker and a headless browser on it")
    parser.add_argument("--port", type=int, help="browser remote-debugging port to attach to (default from config)")
    parser.add_argument("--data-dir", help="data root (default from config)")
    parser.add_argument("--api", action="store_true", help="also serve the REST/WebSocket API (on the Qt loop)")
    parser.add_argument("--exit-after", type=float, help=argparse.SUPPRESS)  # smoke tests: close after N seconds
    parser.add_argument("--report-live", help=argparse.SUPPRESS)  # smoke tests: write the badge state on LIVE
    parser.set_defaults(func=run)


def _has_display() -> bool:
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"))


def run_default(args: argparse.Namespace) -> int:
    return run(args)


def run(args: argparse.Namespace) -> int:
    if not _has_display():
        raise CommandError(
            "no display to open the terminal on. Run it under a virtual screen "
            "(`xvfb-run -a quantumflux --demo`, or `./dev run`), or collect without a GUI: `quantumflux --headless`.",
            EXIT_USAGE,
        )
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from quantumflux.config import load_settings
    from quantumflux.gui.app import Terminal

    settings = load_settings(chrome_port=getattr(args, "port", None), data_root=getattr(args, "data_dir", None))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from quantumflux.api.embedded import EmbeddedApi

    terminal = Terminal.build(settings, demo=bool(getattr(args, "demo", False)), api_factory=EmbeddedApi).start()
    window = terminal.window
    stop_requested: list[int] = []

    def _request_stop(signum: int, _frame: object) -> None:
        stop_requested.append(signum)

    previous = {sig: signal.signal(sig, _request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    watchdog = QTimer()
    watchdog.setInterval(200)
    watchdog.timeout.connect(lambda: window.close() if stop_requested else None)
    watchdog.start()
    if getattr(args, "exit_after", None):
        QTimer.singleShot(int(args.exit_after * 1000), window.close)
    live_reporter = _live_reporter(terminal.controller.window, getattr(args, "report_live", None))
    import asyncio

    import qasync

    loop = qasync.QEventLoop(app)  # asyncio parts (the embedded API) run on the Qt loop
    asyncio.set_event_loop(loop)
    if getattr(args, "api", False):
        QTimer.singleShot(0, lambda: window.api_action.setChecked(True))
    try:
        loop.run_forever()
    finally:
        watchdog.stop()
        if live_reporter is not None:
            live_reporter.stop()
        terminal.shutdown()
        for task in asyncio.all_tasks(loop):
            task.cancel()
        asyncio.set_event_loop(None)
        loop.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _live_reporter(window: object, path: str | None) -> object | None:
    """Smoke tests (``--report-live FILE``): write the badge state to FILE when it first becomes LIVE."""
    if not path:
        return None
    from PySide6.QtCore import QTimer

    from quantumflux.core.source import SourceState

    timer = QTimer()
    timer.setInterval(100)

    def _check() -> None:
        state = window.badge.state  # type: ignore[attr-defined]
        if state is SourceState.LIVE:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(f"{state.name}\n")
            timer.stop()

    timer.timeout.connect(_check)
    timer.start()
    return timer
