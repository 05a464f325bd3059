"""``quantumflux decode FRAMES.jsonl``: print a capture's decoded events as JSON lines."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "decode",
        help="print the decoded events of a recorded capture as JSON lines",
        description="Decode a .jsonl capture with the live decoder and print one JSON object per event "
        "(its kind and fields; enums as their values) on stdout, then a summary on stderr: frames, "
        "events by kind, unknown events, malformed frames and lines, server time offset.",
    )
    parser.add_argument("capture", metavar="FRAMES.jsonl", help="the recorded capture")
    parser.add_argument("--kind", action="append", metavar="KIND",
                        help="print only events of this kind (e.g. TicksReceived); repeatable")
    parser.add_argument("--raw-times", action="store_true",
                        help="do not correct the broker's time offset (print broker timestamps as sent)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import os
    import sys

    from quantumflux.cli.main import EXIT_ERROR, CommandError
    from quantumflux.core.protocol.capture import iter_capture
    from quantumflux.core.protocol.decoder import Decoder
    from quantumflux.core.protocol.events import EVENT_KINDS, event_to_dict

    kinds = set(args.kind or ())
    unknown_kinds = kinds - set(EVENT_KINDS)
    if unknown_kinds:
        raise CommandError(f"unknown event kind(s): {', '.join(sorted(unknown_kinds))} "
                           f"(known: {', '.join(sorted(EVENT_KINDS))})", EXIT_ERROR)
    try:
        reader = iter_capture(args.capture)
    except FileNotFoundError as exc:
        raise CommandError(str(exc), EXIT_ERROR) from exc
    decoder = Decoder(correct_offset=not args.raw_times)
    out = sys.stdout
    printed = 0
    try:
        for frame in reader:
            printed += _print(decoder.feed(frame), kinds, out, json.dumps, event_to_dict)
        printed += _print(decoder.flush(), kinds, out, json.dumps, event_to_dict)
        out.flush()
    except BrokenPipeError:  # e.g. piped into head: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        raise CommandError(f"cannot read {args.capture}: {exc}", EXIT_ERROR) from exc
    _summary(decoder, reader, printed)
    return 0


def _print(events: list[Any], kinds: set[str], out: Any, dumps: Any, to_dict: Any) -> int:
    printed = 0
    for event in events:
        if kinds and type(event).__name__ not in kinds:
            continue
        out.write(dumps(to_dict(event), separators=(",", ":")) + "\n")
        printed += 1
    return printed


def _summary(decoder: Any, reader: Any, printed: int) -> None:
    import sys

    stats = decoder.stats
    lines = [
        f"frames {stats.frames}, events printed {printed}, ticks {stats.ticks}",
        "events: " + (", ".join(f"{kind} {count}" for kind, count in sorted(stats.events.items())) or "none"),
        f"unknown events: {sum(stats.unknown.values())}"
        + (f" ({', '.join(f'{name} {count}' for name, count in stats.unknown.most_common(10))})"
           if stats.unknown else ""),
        f"malformed frames: {sum(stats.malformed.values())}"
        + (f" ({', '.join(f'{reason} {count}' for reason, count in stats.malformed.most_common(10))})"
           if stats.malformed else ""),
        f"malformed capture lines: {reader.malformed_lines}",
        f"server time offset: {decoder.offset:+.0f} s",
    ]
    if stats.unpaired:
        lines.append("binary frames without placeholder: " + ", ".join(
            f"{name} {count}" for name, count in stats.unpaired.items()))
    print("\n".join(lines), file=sys.stderr)
