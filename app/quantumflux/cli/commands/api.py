"""``quantumflux api``: the REST + WebSocket API server; ``quantumflux api token`` prints the token."""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys

from quantumflux.cli.main import EXIT_ERROR, CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("api", help="serve the REST + WebSocket API (loopback by default)")
    parser.add_argument("action", nargs="?", choices=["serve", "token"], default="serve",
                        help="serve (default) or token: print the bearer token")
    parser.add_argument("--host", help="bind address (default from config: 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default from config: 8000)")
    parser.add_argument("--demo", action="store_true", help="serve live data from the practice broker in headless Chromium")
    parser.add_argument("--no-attach", action="store_true", help="do not capture a browser; serve stored data only")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a non-loopback bind address and any Host header (default: config api_allow_remote)")
    parser.add_argument("--cors-origin", action="append", default=[], help="allow this browser origin (repeatable)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from quantumflux.api.security import load_or_create_token, token_path

    if args.action == "token":
        token = load_or_create_token()
        print(token)
        print(f"(stored in {token_path()}, readable by you only)", file=sys.stderr, flush=True)
        return 0
    from quantumflux.api.app import create_app
    from quantumflux.api.server import Server
    from quantumflux.cli.commands._app import application
    from quantumflux.config import check_bind_host

    app = application(overrides={"api_host": args.host, "api_port": args.port,
                                 "api_allow_remote": True if args.allow_remote else None})
    settings = app.settings
    try:
        check_bind_host(settings.api_host, settings.api_allow_remote)  # ConfigError: exit 2
        listener = _listen(settings.api_host, settings.api_port)
    except BaseException:
        app.close()
        raise
    try:
        if args.demo or not args.no_attach:
            app.connect(demo=args.demo)
        api = create_app(app.service, load_or_create_token(), cors_origins=args.cors_origin or None,
                         allow_remote=settings.api_allow_remote)
        print(f"QuantumFlux API on http://{settings.api_host}:{settings.api_port}/ (token: `quantumflux api token`)",
              flush=True)
        # uvicorn serves the socket bound above: its own bind failure would exit 3, our "no browser" code.
        Server(api, settings.api_host, settings.api_port).run(sockets=[listener])
    finally:
        listener.close()
        app.close()
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """Bind the API's listening socket now, so a taken port is a clear error before anything starts."""
    try:
        family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        if os.name == "posix":
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((host.strip("[]"), port))
            listener.listen(2048)
        except BaseException:
            listener.close()
            raise
    except OSError as exc:
        reason = "the port is in use (another API or program listens there; pick another with --port)" \
            if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise CommandError(f"cannot listen on {host}:{port}: {reason}", EXIT_ERROR) from exc
    return listener
