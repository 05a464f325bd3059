"""``quantumflux sim``: run the practice broker until Ctrl+C or SIGTERM."""

from __future__ import annotations

import argparse

from quantumflux.config import is_loopback_host


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "sim",
        help="run the practice broker (a local PocketOption stand-in with a trading page)",
        description="Run the practice broker: PocketOption's socket protocol, a trading page, "
        "deterministic prices or a replay of recorded CSVs. Prints the page address.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument("--seed", type=int, default=0, help="price seed (same seed, same prices)")
    parser.add_argument("--assets", type=int, default=48, help="number of listed assets (default 48)")
    parser.add_argument("--tick-rate", type=float, default=4.0, help="ticks per second per asset (default 4)")
    parser.add_argument("--tick-jitter", type=float, default=0.8, metavar="FRACTION",
                        help="tick time jitter as a fraction of a tick step (default 0.8; 0 puts every tick on "
                        "the grid: whole seconds at --tick-rate 1, half seconds at 2)")
    parser.add_argument("--replay", default=None, help="tick/candle CSV file or folder to replay")
    parser.add_argument("--speed", type=float, default=1.0, help="replay speed factor (default 1)")
    parser.add_argument("--faults", default=None, help="fault spec, e.g. drop_after=30,malformed=0.01")
    parser.add_argument("--session", default=None, help="the only session value accepted (default: any)")
    parser.add_argument("--min-expiry", type=int, default=5, help="shortest order expiry in seconds (default 5)")
    parser.add_argument("--clock-offset", type=float, default=0.0, metavar="HOURS",
                        help="stamp tick and history times this many hours ahead, like the real broker's clock; "
                             "deal times stay UTC (default 0)")
    parser.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    parser.set_defaults(func=run)




def run(args: argparse.Namespace) -> int:
    import signal
    import threading
    from pathlib import Path

    from quantumflux.cli.main import EXIT_OK, EXIT_USAGE, CommandError
    from quantumflux.sim import PracticeBroker
    from quantumflux.sim.replay import ReplayError

    if not is_loopback_host(args.host) and not args.allow_remote:
        raise CommandError(f"refusing to bind {args.host}: the practice broker is loopback-only "
                           "unless --allow-remote is given", EXIT_USAGE)
    if not 0 <= args.port <= 65535:
        raise CommandError(f"port must be between 0 and 65535, got {args.port}", EXIT_USAGE)
    try:
        broker = PracticeBroker(
            host=args.host, port=args.port, seed=args.seed, assets=args.assets, tick_rate=args.tick_rate,
            tick_jitter=args.tick_jitter, replay=Path(args.replay) if args.replay else None, speed=args.speed, faults=args.faults,
            session=args.session, min_expiry=args.min_expiry, allow_remote=args.allow_remote,
            clock_offset=args.clock_offset * 3600.0,
        )
    except ReplayError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from exc
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from exc
    try:
        broker.start()
    except OSError as exc:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from exc
    stopped = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    print(f"practice broker: {broker.url}", flush=True)
    print(f"socket: {broker.ws_url}", flush=True)
    print("control (loopback only): GET /control/ledger, POST /control/faults|drop|restart "
          "(Content-Type: application/json); Ctrl+C stops",
          flush=True)
    try:
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        broker.stop()
    print("practice broker stopped", flush=True)
    return EXIT_OK
