"""``quantumflux chrome start|status``: the browser session the capture reads from."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from quantumflux.cli.main import EXIT_ERROR, EXIT_NO_BROWSER, CommandError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("chrome", help="start Chrome with remote debugging, or show its status")
    sub = parser.add_subparsers(dest="chrome_command", metavar="ACTION", required=True)
    start = sub.add_parser("start", help="launch (or reuse) Chrome with a persistent profile")
    start.add_argument("--profile", help="profile directory (default: Settings.chrome_profile)")
    start.add_argument("--port", type=int, help="remote debugging port (default 9222)")
    start.add_argument("--url", help="page to open (default: the PocketOption trading room)")
    start.add_argument("--headless", action="store_true", help="no window (the login must already be in the profile)")
    start.add_argument("--browser", help="path of the Chrome/Chromium executable (or set QF_BROWSER)")
    start.set_defaults(func=run_start)
    status = sub.add_parser("status", help="browser version, tabs, PocketOption socket and login")
    status.add_argument("--port", type=int, help="remote debugging port (default 9222)")
    status.add_argument("--sample", type=float, default=3.0, help="seconds to watch the sockets (default 3)")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=run_status)


def run_start(args: argparse.Namespace) -> int:
    from quantumflux.browser.chrome import BrowserError, launch_browser
    from quantumflux.config import load_settings

    settings = load_settings(chrome_port=args.port, chrome_profile=args.profile)
    url = args.url or settings.trading_url
    try:
        browser = launch_browser(
            settings.chrome_port, settings.chrome_profile, url=url, headless=args.headless,
            browser=args.browser, host=settings.chrome_host,
        )
    except BrowserError as exc:
        raise CommandError(str(exc), EXIT_NO_BROWSER) from exc
    if browser.reused:
        print(f"A browser already listens on {settings.chrome_host}:{settings.chrome_port} "
              f"({browser.version.get('Browser', '?')}); reusing it.")
    else:
        print(f"Started {browser.version.get('Browser', 'the browser')} (pid {browser.process.pid}) "  # type: ignore[union-attr]
              f"with DevTools on {settings.chrome_host}:{settings.chrome_port}")
        print(f"Profile: {settings.chrome_profile}")
    print("Log in to PocketOption in this browser once: the login is kept in the profile across restarts.")
    print(f"Then run: quantumflux collect --attach {settings.chrome_host}:{settings.chrome_port}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from quantumflux.config import load_settings

    settings = load_settings(chrome_port=args.port)
    report = collect_status(settings.chrome_host, settings.chrome_port, args.sample)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_status(report)
    if not report["browser"]:
        return EXIT_NO_BROWSER
    return 0 if report["broker_socket"] else EXIT_ERROR


def collect_status(host: str, port: int, sample: float) -> dict[str, Any]:
    """Version and tabs from DevTools, then ``sample`` seconds of capture to see sockets and login."""
    from argparse import Namespace

    from quantumflux.browser.chrome import devtools_version, list_tabs
    from quantumflux.cli.commands._app import live_application

    info = devtools_version(host, port)
    report: dict[str, Any] = {
        "endpoint": f"{host}:{port}", "browser": None, "tabs": [], "sockets": [],
        "broker_socket": False, "authenticated": False, "login_rejected": False,
    }
    if info is None:
        return report
    report["browser"] = info.get("Browser")
    report["tabs"] = list_tabs(host, port)
    with live_application(Namespace(attach=f"{host}:{port}"), trading=False, socket_timeout=None) as app:
        report.update(app.service.capture_status(sample))
    return report


def _print_status(report: dict[str, Any]) -> None:
    if not report["browser"]:
        print(f"No browser answers DevTools on {report['endpoint']}. Start one: quantumflux chrome start", file=sys.stderr)
        return
    print(f"Browser: {report['browser']} on {report['endpoint']}")
    print(f"Tabs ({len(report['tabs'])}):")
    for tab in report["tabs"]:
        print(f"  - {tab['title'] or '(untitled)'}  {tab['url']}")
    if report["broker_socket"]:
        login = "authenticated" if report["authenticated"] else "login REJECTED" if report["login_rejected"] else "login not seen yet"
        print(f"PocketOption socket: open, {login}")
    else:
        print("PocketOption socket: none seen (open the trading page and log in)")
