"""Shared plumbing of the page/trading commands: ``--attach HOST:PORT``, ``--json``, page and session set-up.

Not a command itself (the leading underscore keeps it out of discovery). Heavy modules are
imported inside the functions so ``quantumflux --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from quantumflux.cli.main import EXIT_ERROR, EXIT_NO_BROWSER, EXIT_NO_SOCKET, EXIT_USAGE, CommandError


def add_common(parser: argparse.ArgumentParser) -> None:
    """``--attach HOST:PORT`` (default from the config, 127.0.0.1:9222) and ``--json``."""
    parser.add_argument("--attach", metavar="HOST:PORT",
                        help="the browser with remote debugging (default: config chrome_host:chrome_port)")
    parser.add_argument("--json", action="store_true", help="print a machine-readable result")


def settings() -> Any:
    from quantumflux.config import load_settings

    try:
        return load_settings()
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from exc


def endpoint(args: argparse.Namespace, config: Any) -> tuple[str, int]:
    """``--attach`` parsed, else the configured DevTools endpoint."""
    if not getattr(args, "attach", None):
        return config.chrome_host, int(config.chrome_port)
    host, _, port_text = args.attach.rpartition(":")
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise CommandError(f"--attach needs HOST:PORT, got {args.attach!r}", EXIT_USAGE)
    return host, int(port_text)


def _check_browser(host: str, port: int) -> None:
    from quantumflux.browser.chrome import devtools_version

    if devtools_version(host, port, timeout=2.0) is None:
        raise CommandError(f"no browser with remote debugging on {host}:{port}: start one with "
                           f"`quantumflux chrome start --port {port}` and open the trading page", EXIT_NO_BROWSER)


@contextmanager
def attached_page(args: argparse.Namespace) -> Iterator[Any]:
    """The trading tab of the browser at ``--attach``; detached (never closed) afterwards."""
    from quantumflux.browser.page import PageError, TradingPage

    host, port = endpoint(args, settings())
    _check_browser(host, port)
    try:
        page = TradingPage.attach(host, port)
    except PageError as exc:
        code = EXIT_NO_SOCKET if "no tab" in str(exc) else EXIT_NO_BROWSER
        raise CommandError(str(exc), code) from exc
    try:
        yield page
    finally:
        page.detach()


@contextmanager
def trading_session(args: argparse.Namespace, socket_timeout: float = 15.0) -> Iterator[Any]:
    """A :class:`~quantumflux.services.trading.TradingSession` with a live capture and the journal."""
    from quantumflux.core.risk import RiskGuard, RiskLimits
    from quantumflux.services.capture_hub import CaptureHub
    from quantumflux.services.collector import CollectorError, wait_for_broker_socket
    from quantumflux.services.trading import TradingSession

    config = settings()
    host, port = endpoint(args, config)
    _check_browser(host, port)
    journal = open_journal(config)
    hub = CaptureHub(host, port).start()
    session = None
    try:
        try:
            wait_for_broker_socket(hub, socket_timeout)
        except CollectorError as exc:
            raise CommandError(str(exc), EXIT_NO_SOCKET) from exc
        guard = RiskGuard(RiskLimits(allow_real=config.allow_real_trading))
        session = TradingSession(config, hub, host, port, journal, guard,
                                 confirm_timeout=getattr(args, "confirm_timeout", 10.0))
        yield session
    finally:
        if session is not None:
            session.close()
        hub.stop()
        journal.close()


def open_journal(config: Any) -> Any:
    from quantumflux.storage.journal import JournalError, TradeJournal, default_journal_path

    try:
        return TradeJournal(default_journal_path(config.data_root))
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_ERROR) from exc


def page_errors() -> tuple[type[Exception], ...]:
    from quantumflux.browser.page import PAGE_ERRORS

    return PAGE_ERRORS


def emit(args: argparse.Namespace, data: Any, lines: list[str]) -> None:
    """Print ``data`` as JSON with ``--json``, else the human ``lines``."""
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, default=str))
    else:
        for line in lines:
            print(line)


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)
