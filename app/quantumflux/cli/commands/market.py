"""Market data commands over the same service facade as the API: ``assets``, ``candles``, ``ticks``,
``indicators``, ``status``. Without ``--attach`` they read the stored data; with it they first watch the
live session for ``--wait`` seconds (broker history and ticks merged with the store)."""

from __future__ import annotations

import argparse
from typing import Any


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--attach", metavar="HOST:PORT", help="read the live session of the browser there too")
    parser.add_argument("--wait", type=float, default=5.0, help="seconds to watch the live session (default 5)")
    parser.add_argument("--data-dir", help="data root (default from config)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("assets", help="assets with payout and open state (live) or with stored candles")
    _common(p)
    p.set_defaults(func=lambda a: _run(a, lambda s: s.assets()))

    p = subparsers.add_parser("candles", help="closed candles of an asset (and the forming one when live)")
    p.add_argument("asset")
    p.add_argument("--timeframe", default="1m")
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--since", type=float, help="only candles from this Unix time on")
    _common(p)
    p.set_defaults(func=lambda a: _run(a, lambda s: _loads(s.candles_json(a.asset, a.timeframe, a.count, a.since))))

    p = subparsers.add_parser("ticks", help="live ticks of an asset seen while watching (needs --attach)")
    p.add_argument("asset")
    p.add_argument("--since", type=float)
    p.add_argument("--limit", type=int, default=100)
    _common(p)
    p.set_defaults(func=lambda a: _run(a, lambda s: s.ticks(a.asset, a.since, a.limit)))

    p = subparsers.add_parser("indicators", help="TA-Lib indicator values over an asset's candles")
    p.add_argument("asset")
    p.add_argument("--timeframe", default="1m")
    p.add_argument("--names", default="sma,rsi", help="comma-separated: sma, ema, rsi, macd, bbands, stoch, atr")
    p.add_argument("--count", type=int, default=10)
    _common(p)
    p.set_defaults(func=lambda a: _run(a, lambda s: s.indicators(a.asset, a.timeframe,
                                                                 [n for n in a.names.split(",") if n], a.count)))

    p = subparsers.add_parser("status", help="capture, broker socket, login, server time offset")
    _common(p)
    p.set_defaults(func=lambda a: _run(a, lambda s: s.status()))


def _loads(body: bytes) -> Any:
    import json

    return json.loads(body)


def _run(args: argparse.Namespace, operation: Any) -> int:
    import json
    import time

    from quantumflux.cli.commands._app import application, call, live_application

    if args.attach:
        with live_application(args, trading=False, socket_timeout=None) as app:
            time.sleep(max(0.0, args.wait))
            result = call(app.service, operation)
    else:
        app = application(args)
        try:
            result = call(app.service, operation)
        finally:
            app.close()
    if args.json:
        print(json.dumps(result, sort_keys=True, default=str))
    else:
        _print(result)
    return 0


def _print(result: Any) -> None:
    if isinstance(result, list):
        for row in result:
            print("  ".join(f"{k}={v}" for k, v in row.items()) if isinstance(row, dict) else row)
    elif isinstance(result, dict) and "candles" in result:
        print(f"{result['asset']} {result['timeframe']} ({result['source']})")
        for c in result["candles"]:
            print(f"{c['iso']}  O {c['open']}  H {c['high']}  L {c['low']}  C {c['close']}  V {c['volume']}")
        if result.get("forming"):
            f = result["forming"]
            print(f"forming  O {f['open']}  H {f['high']}  L {f['low']}  C {f['close']}  V {f['volume']}")
    elif isinstance(result, dict):
        for key, value in result.items():
            print(f"{key}: {value}")
