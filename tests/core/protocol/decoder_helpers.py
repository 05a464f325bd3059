"""Helpers for the decoder tests: decode a fixture capture with the real decoder."""

from __future__ import annotations

from pathlib import Path

from quantumflux.core.protocol.capture import iter_capture
from quantumflux.core.protocol.decoder import Decoder

FRAMES = Path(__file__).parents[2] / "fixtures" / "frames"


def decode_capture(name: str, **options: object) -> tuple[list, Decoder]:
    """All events of ``tests/fixtures/frames/<name>`` (then ``flush()``), and the decoder."""
    decoder = Decoder(**options)  # type: ignore[arg-type]
    events: list = []
    for frame in iter_capture(FRAMES / name):
        events.extend(decoder.feed(frame))
    events.extend(decoder.flush())
    return events, decoder


def only(events: list, kind: type) -> list:
    return [event for event in events if isinstance(event, kind)]
