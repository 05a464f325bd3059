"""What every command shares: the settings, the one ``--attach HOST:PORT`` parser, the application.

Not a command itself (the leading underscore keeps it out of discovery). A command builds the
process's one :class:`~quantumflux.services.application.Application` here (:func:`application`, or
:func:`live_application` connected to the browser or the practice broker) and calls its facade, so
a command and the matching API route run the same code and print the same JSON keys. Heavy modules
are imported inside the functions so ``quantumflux --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from quantumflux.cli.main import (
    EXIT_ERROR,
    EXIT_NO_BROWSER,
    EXIT_NO_SOCKET,
    EXIT_NOT_LOGGED_IN,
    EXIT_USAGE,
    CommandError,
)

if TYPE_CHECKING:
    from quantumflux.config import Settings
    from quantumflux.services.application import Application
    from quantumflux.services.facade import QuantumFluxService

T = TypeVar("T")


def add_common(parser: argparse.ArgumentParser) -> None:
    """``--attach HOST:PORT`` (default from the config, 127.0.0.1:9222) and ``--json``."""
    parser.add_argument("--attach", metavar="HOST:PORT",
                        help="the browser with remote debugging (default: config chrome_host:chrome_port)")
    parser.add_argument("--json", action="store_true", help="print a machine-readable result")


def settings(**overrides: Any) -> Settings:
    """The configuration (file, environment, then ``overrides``); a bad one is a usage error."""
    from quantumflux.config import load_settings

    try:
        return load_settings(**overrides)
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from exc


def endpoint(args: argparse.Namespace, config: Settings) -> tuple[str, int]:
    """``--attach`` parsed (the one parser of every command), else the configured DevTools endpoint."""
    from quantumflux.config import parse_endpoint

    text = getattr(args, "attach", None)
    if not text:
        return config.chrome_host, int(config.chrome_port)
    try:
        return parse_endpoint(text, config.chrome_host)
    except ValueError as exc:
        raise CommandError(f"--attach: {exc}", EXIT_USAGE) from exc


def application(args: argparse.Namespace | None = None, overrides: dict[str, Any] | None = None,
                **options: Any) -> Application:
    """The process's application over the configuration (``--data-dir``, ``--attach`` and the setting
    ``overrides`` applied); ``options`` go to :class:`~quantumflux.services.application.Application`."""
    from quantumflux.services.application import Application

    config = settings(**{"data_root": getattr(args, "data_dir", None), **(overrides or {})})
    if args is not None and getattr(args, "attach", None):
        host, port = endpoint(args, config)
        config = replace(config, chrome_host=host, chrome_port=port)
    return Application(config, **options)


def check_browser(host: str, port: int) -> None:
    """A usable error (exit 3) when nothing answers DevTools at ``host:port``."""
    from quantumflux.browser.chrome import devtools_version

    if devtools_version(host, port, timeout=2.0) is None:
        raise CommandError(f"no browser with remote debugging on {host}:{port}: start one with "
                           f"`quantumflux chrome start --port {port}` and open the trading page", EXIT_NO_BROWSER)


@contextmanager
def live_application(args: argparse.Namespace, *, demo: bool = False, trading: bool = True,
                     socket_timeout: float | None = 15.0, **options: Any) -> Iterator[Application]:
    """The application connected to the browser at ``--attach`` (or the practice broker with ``demo``).

    ``socket_timeout``: wait that long for a logged-in PocketOption socket (None: do not wait, e.g.
    for page-only commands). Closed — capture stopped, page detached, the browser left running —
    when the block ends."""
    from quantumflux.services.application import CollectorError, NotLoggedInError
    from quantumflux.storage.journal import JournalError

    app = application(args, **options)
    try:
        if not demo:
            check_browser(app.settings.chrome_host, app.settings.chrome_port)
        try:
            app.connect(demo=demo, trading=trading)
        except JournalError as exc:
            raise CommandError(str(exc), EXIT_ERROR) from exc
        except OSError as exc:  # the practice broker or its browser could not start
            raise CommandError(f"cannot start the live session: {exc}", EXIT_NO_BROWSER) from exc
        if socket_timeout is not None:
            try:
                app.wait_for_login(socket_timeout)
            except NotLoggedInError as exc:
                raise CommandError(str(exc), EXIT_NOT_LOGGED_IN) from exc
            except CollectorError as exc:
                raise CommandError(str(exc), EXIT_NO_SOCKET) from exc
        yield app
    finally:
        app.close()


def call(service: QuantumFluxService, operation: Callable[[QuantumFluxService], T],
         codes: dict[int, int] | None = None) -> T:
    """Run a facade operation; its errors become one-line command errors: bad input (400, 422) exits 2,
    anything else (nothing found, not possible now) 1, unless ``codes`` maps the status otherwise."""
    from quantumflux.services.facade import ServiceError

    try:
        return operation(service)
    except ServiceError as exc:
        code = (codes or {}).get(exc.status, EXIT_USAGE if exc.status in (400, 422) else EXIT_ERROR)
        raise CommandError(str(exc), code) from exc


def emit(args: argparse.Namespace, data: Any, lines: list[str]) -> None:
    """Print ``data`` as JSON with ``--json``, else the human ``lines``."""
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, default=str))
    else:
        for line in lines:
            print(line)


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)
