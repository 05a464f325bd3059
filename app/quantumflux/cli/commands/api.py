"""``quantumflux api``: the REST + WebSocket API server; ``quantumflux api token`` prints the token."""

from __future__ import annotations

import argparse

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
        print(f"(stored in {token_path()}, readable by you only)", flush=True)
        return 0
    import uvicorn

    from quantumflux.api.app import create_app
    from quantumflux.cli.commands._app import application

    app = application(overrides={"api_host": args.host, "api_port": args.port})
    settings = app.settings
    if not is_loopback_host(settings.api_host) and not args.allow_remote:
        app.close()
        raise CommandError(f"refusing to bind {settings.api_host}: the API binds loopback unless --allow-remote",
                           EXIT_USAGE)
    try:
        if args.demo or not args.no_attach:
            app.connect(demo=args.demo)
        api = create_app(app.service, load_or_create_token(), cors_origins=args.cors_origin or None)
        print(f"QuantumFlux API on http://{settings.api_host}:{settings.api_port}/ (token: `quantumflux api token`)",
              flush=True)
        uvicorn.run(api, host=settings.api_host, port=settings.api_port, log_level="warning")
    finally:
        app.close()
    return 0
