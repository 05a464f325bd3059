"""Decoder counters and a per-kind rate-limited logger."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Longest event name / reason kept as a counter key or logged (longer ones are cut).
KEY_LENGTH = 60
#: Distinct unknown event names kept; further names count under ``"<other>"``.
MAX_KEYS = 500


@dataclass(frozen=True)
class DecoderStats:
    """A snapshot of the decoder's counters.

    ``events`` counts emitted events by kind (class name); ``unknown`` counts unknown event
    names; ``malformed`` counts malformed frames/payloads/rows by reason; ``ignored`` counts
    known events the terminal does not need (``ps``, ``chafor``, …); ``unpaired`` counts binary
    frames that had no pending placeholder, by the kind their shape suggested; ``duplicates`` counts
repeated ticks dropped (a second tab, a repeated frame; ``ticks`` counts only the ones kept).
    """

    frames: int = 0
    ticks: int = 0
    events: Counter[str] = field(default_factory=Counter)
    unknown: Counter[str] = field(default_factory=Counter)
    malformed: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)
    unpaired: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "frames": self.frames,
            "ticks": self.ticks,
            "events": dict(self.events),
            "unknown": dict(self.unknown),
            "malformed": dict(self.malformed),
            "ignored": dict(self.ignored),
            "unpaired": dict(self.unpaired),
            "duplicates": self.duplicates,
        }


def bounded_key(counter: Counter[str], key: str) -> str:
    """``key`` cut to :data:`KEY_LENGTH`, or ``<other>`` once the counter holds :data:`MAX_KEYS` keys."""
    key = key[:KEY_LENGTH]
    if key not in counter and len(counter) >= MAX_KEYS:
        return "<other>"
    return key


class RateLimitedLog:
    """Logs a message at most once per kind per ``interval`` seconds (of ``clock``)."""

    def __init__(
        self, logger: logging.Logger, interval: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.logger = logger
        self.interval = interval
        self.clock = clock
        self._last: dict[str, float] = {}

    def warning(self, kind: str, message: str, *args: Any) -> bool:
        """Log ``message % args`` unless ``kind`` was logged less than ``interval`` ago; True if logged."""
        now = self.clock()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval:
            return False
        if len(self._last) >= MAX_KEYS and kind not in self._last:
            kind = "<other>"
            last = self._last.get(kind)
            if last is not None and now - last < self.interval:
                return False
        self._last[kind] = now
        self.logger.warning(message, *args)
        return True
