"""``quantumflux collect`` (and ``quantumflux --headless``): the headless collector."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from quantumflux.cli.main import (
    EXIT_NO_BROWSER,
    EXIT_NO_SOCKET,
    EXIT_NOT_LOGGED_IN,
    EXIT_NOT_WRITABLE,
    EXIT_USAGE,
    CommandError,
)

log = logging.getLogger("quantumflux.collect")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("collect", help="capture live data from the browser into chunked CSV files")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--attach", metavar="HOST:PORT", help="use the browser listening here (default 127.0.0.1:9222)")
    mode.add_argument("--launch", action="store_true", help="start (and supervise) the browser, or reuse one on the port")
    parser.add_argument("--url", help="with --launch: page to open (default: the PocketOption trading room)")
    parser.add_argument("--headless", action="store_true", help="with --launch: no browser window")
    parser.add_argument("--browser", help="with --launch: Chrome/Chromium executable")
    parser.add_argument("--profile", help="with --launch: profile directory (default: Settings.chrome_profile)")
    parser.add_argument("--port", type=int, help="with --launch: remote debugging port (default 9222)")
    parser.add_argument("--assets", default="all", help="comma-separated assets to keep, or 'all' (default)")
    parser.add_argument("--timeframe", default="1m", help="candle timeframe(s), comma-separated (default 1m)")
    parser.add_argument("--data-dir", help="output root (default: Settings.realtime_dir)")
    parser.add_argument("--no-ticks", action="store_true", help="do not write tick CSVs (candles only)")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--save-frames", metavar="FILE.jsonl", help="also record raw frames (auth redacted)")
    parser.add_argument("--socket-timeout", type=float, default=30.0,
                        help="seconds to wait for a logged-in PocketOption socket (default 30)")
    parser.set_defaults(func=run)


def run_default(args: argparse.Namespace) -> int:
    """``quantumflux --headless``: collect with defaults, launching (or reusing) the browser."""
    parser = argparse.ArgumentParser(prog="quantumflux --headless")
    register(parser.add_subparsers())
    defaults = parser.parse_args(["collect", "--launch"])
    defaults.headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    defaults.verbose = getattr(args, "verbose", 0)
    return run(defaults)


def _config(args: argparse.Namespace) -> Any:
    from quantumflux.cli.commands._app import settings as load_settings
    from quantumflux.config import parse_endpoint
    from quantumflux.core.model import Timeframe
    from quantumflux.services.collector_run import CollectConfig, CollectorOptions

    host, port = None, args.port
    if args.attach:
        try:
            host, port = parse_endpoint(args.attach)
        except ValueError as exc:
            raise CommandError(f"--attach: {exc}", EXIT_USAGE) from exc
    if (args.url or args.headless or args.browser or args.profile) and not args.launch:
        raise CommandError("--url, --headless, --browser and --profile need --launch", EXIT_USAGE)
    settings = load_settings(chrome_port=port, chrome_host=host, chrome_profile=args.profile)
    try:
        timeframes = tuple(sorted({Timeframe.parse(t) for t in args.timeframe.split(",") if t.strip()}))
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from exc
    if not timeframes:
        raise CommandError("--timeframe needs at least one timeframe", EXIT_USAGE)
    names = {a.strip().lower() for a in args.assets.split(",") if a.strip()}
    assets = None if not names or "all" in names else frozenset(names)
    if args.duration is not None and args.duration <= 0:
        raise CommandError("--duration must be positive", EXIT_USAGE)
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else settings.realtime_dir
    return CollectConfig(
        data_dir=data_dir,
        history_dir=data_dir / "history" if args.data_dir else settings.collect_dir,
        profile=settings.chrome_profile,
        host=settings.chrome_host,
        port=settings.chrome_port,
        launch=bool(args.launch),
        url=(args.url or settings.trading_url) if args.launch else None,
        headless=args.headless,
        browser=args.browser,
        options=CollectorOptions(timeframes=timeframes, assets=assets, write_ticks=not args.no_ticks),
        save_frames=Path(args.save_frames).expanduser() if args.save_frames else None,
        socket_timeout=args.socket_timeout,
        candles_per_file=settings.candles_per_file,
        ticks_per_file=settings.ticks_per_file,
        csv_fsync=settings.csv_fsync,
    )


def run(args: argparse.Namespace) -> int:
    from quantumflux.services import collector_run as errors
    from quantumflux.services.collector_run import CollectorSession, NotWritableError

    config = _config(args)
    stop = threading.Event()
    previous = _install_signal_handlers(stop)
    session = CollectorSession(config)
    line = StatusLine(sys.stderr)
    try:
        try:
            session.open()
        except NotWritableError as exc:
            raise CommandError(str(exc), EXIT_NOT_WRITABLE) from exc
        handler = _add_log_file(config.data_dir)
        print(f"collecting into {config.data_dir} (log: {handler.baseFilename}); Ctrl+C to stop", file=sys.stderr)
        session.run(stop, duration=args.duration, on_status=line.show)
    except errors.NoBrowserError as exc:
        raise CommandError(str(exc), EXIT_NO_BROWSER) from exc
    except errors.NotLoggedInError as exc:
        raise CommandError(str(exc), EXIT_NOT_LOGGED_IN) from exc
    except errors.NoSocketError as exc:
        raise CommandError(str(exc), EXIT_NO_SOCKET) from exc
    finally:
        final = session.close()
        _restore_signal_handlers(previous)
        line.finish()
    if final is not None:
        summary = (f"collected {final.ticks_written} ticks and {final.candles_written} candles for "
                   f"{len(final.assets)} asset(s) in {final.files} file(s) over {final.uptime:.0f} s")
        print(summary, file=sys.stderr)
        log.info(summary)
    return 0


class StatusLine:
    """One status line rewritten in place on a terminal; plain lines (every 10 s) otherwise."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._count = 0
        self._width = 0

    def show(self, status: Any) -> None:
        text = status.line()
        self._count += 1
        if self.tty:
            pad = max(0, self._width - len(text))
            self.stream.write("\r" + text + " " * pad)
            self._width = len(text)
        elif self._count % 10 == 1:
            self.stream.write(text + "\n")
        self.stream.flush()
        log.debug(text)

    def finish(self) -> None:
        if self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()


def _add_log_file(data_dir: Path) -> logging.FileHandler:
    handler = logging.FileHandler(data_dir / "collector.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
        for other in root.handlers:
            if other is not handler and other.level == logging.NOTSET:
                other.setLevel(logging.WARNING)
    return handler


def _install_signal_handlers(stop: threading.Event) -> dict[int, Any]:
    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, lambda *_: stop.set())
    return previous


def _restore_signal_handlers(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)
