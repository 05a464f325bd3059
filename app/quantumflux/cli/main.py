"""The ``quantumflux`` command.

Sub-commands are discovered from ``quantumflux.cli.commands``: each module defines
``register(subparsers)`` that adds its parser with ``set_defaults(func=...)``; the
function takes the parsed ``argparse.Namespace`` and returns an exit code. Command
modules import heavy libraries inside their functions so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from quantumflux import __version__
from quantumflux.cli import commands as _commands

#: Exit codes shared by every command.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NO_BROWSER = 3
EXIT_NO_SOCKET = 4
EXIT_NOT_LOGGED_IN = 5
EXIT_NOT_WRITABLE = 6
EXIT_REFUSED = 7


class CommandError(Exception):
    """An error a user can act on: printed as ``error: message`` with its exit code, no traceback."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quantumflux",
        description="QuantumFlux trading terminal for PocketOption. Without a command it opens the terminal.",
    )
    parser.add_argument("--version", action="version", version=f"quantumflux {__version__}")
    parser.add_argument("--headless", action="store_true", help="run the headless collector (no GUI)")
    parser.add_argument("--demo", action="store_true", help="start the practice broker and a browser on it, then the terminal")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(_commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{_commands.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def _setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    func = getattr(args, "func", None)
    if func is None:
        if args.headless:
            func = _default_headless
        else:
            func = _default_terminal
    from quantumflux.config import ConfigError

    try:
        return int(func(args) or 0)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except ConfigError as exc:  # a bad config.json, QF_* variable or flag value, wherever it is read
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _default_headless(args: argparse.Namespace) -> int:
    from quantumflux.cli.commands import collect

    return collect.run_default(args)


def _default_terminal(args: argparse.Namespace) -> int:
    try:
        from quantumflux.cli.commands import terminal
    except ImportError as exc:  # until the GUI lands
        raise CommandError(f"the terminal is not available: {exc}") from exc
    return terminal.run_default(args)


if __name__ == "__main__":
    sys.exit(main())
