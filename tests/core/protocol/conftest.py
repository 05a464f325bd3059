"""Fixtures for the decoder tests: decode a recorded capture with the real decoder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def decode() -> Callable[..., tuple[list, Decoder]]:
    """``decode(name, **decoder_options) -> (events, decoder)`` for a file in tests/fixtures/frames."""
    return decode_capture


@pytest.fixture(scope="session")
def frames_dir() -> Path:
    return FRAMES
