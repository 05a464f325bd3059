"""``quantumflux api``: the REST + WebSocket API server; ``quantumflux api token`` prints the token."""

from __future__ import annotations

import argparse
import sys

from quantumflux.cli.main import EXIT_USAGE, CommandError
from quantumflux.config import is_loopback_host


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("api", help="serve the REST + WebSocket API (loopback by default)")
    parser.add_argument("action", nargs="?", choices=["serve", "token"], default="serve",
                        help="serve (default) or token: print the bearer token")
    parser.add_argument("--host", help="bind address (default from config: 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default from config: 8000)")
    parser.add_argument("--demo", action="store_true", help="serve live data from the practice broker in headless Chromium")
    parser.add_argument("--no-attach", action="store_true", help="do not capture a browser; serve stored data only")
    parser.add_argument("--allow-remote", action="store_true", help="allow a non-loopback bind address")
    parser.add_argument("--cors-origin", action="append", default=[], help="allow this browser origin (repeatable)")
    parser.set_defaults(func=run)




def run(args: argparse.Namespace) -> int:
    from quantumflux.api.security import load_or_create_token, token_path

    if args.action == "token":
        token = load_or_create_token()
        print(token)
        print(f"(stored in {token_path()}, readable by you only)", file=sys.stderr, flush=True)
        return 0
    from quantumflux.config import load_settings

    settings = load_settings(api_host=args.host, api_port=args.port)
    if not is_loopback_host(settings.api_host) and not args.allow_remote:
        raise CommandError(f"refusing to bind {settings.api_host}: the API binds loopback unless --allow-remote",
                           EXIT_USAGE)
    import uvicorn

    from quantumflux.api.app import create_app
    from quantumflux.services.facade import QuantumFluxService
    from quantumflux.services.terminal_session import TerminalSession

    service = QuantumFluxService(settings)
    session = None
    if args.demo or not args.no_attach:
        session = TerminalSession(settings, demo=args.demo).start()
        service.attach(session.hub, browser_port=session.port)
    app = create_app(service, load_or_create_token(), cors_origins=args.cors_origin or None)
    print(f"QuantumFlux API on http://{settings.api_host}:{settings.api_port}/ (token: `quantumflux api token`)",
          flush=True)
    try:
        uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_level="warning")
    finally:
        service.close()
        if session is not None:
            session.stop()
    return 0
