"""Server time offset: how far the broker's clock is ahead of true UTC (see docs/protocol.md).

The broker has been seen stamping times about 2 h ahead of UTC (a server-local offset).
The offset is measured from live tick times against local receive times, rounded to the
nearest 30 minutes. The first :data:`EARLY_SAMPLES` samples decide it (their median; it is
provisional from the first sample on); afterwards it only changes when a different
rounded offset persists for :data:`PERSIST_SAMPLES` samples spanning at least
:data:`PERSIST_SECONDS` of receive time. Differences beyond ±15 h are not time zones
(a replayed or synthetic capture) and are ignored.
"""

from __future__ import annotations

STEP = 1800.0
LIMIT = 15 * 3600.0
EARLY_SAMPLES = 5
PERSIST_SAMPLES = 20
PERSIST_SECONDS = 60.0


def rounded_offset(broker_time: float, receive_time: float) -> float | None:
    """``broker_time - receive_time`` rounded to 30 min, or ``None`` when not plausible."""
    delta = broker_time - receive_time
    if receive_time <= 0 or not -LIMIT <= delta <= LIMIT:
        return None
    return float(round(delta / STEP) * STEP)


class OffsetTracker:
    """Decides the offset (seconds, broker minus true UTC) from (broker time, receive time) samples."""

    __slots__ = (
        "enabled", "offset", "decided", "settled", "_early", "_attempts", "_candidate", "_count", "_since",
    )

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.offset = 0.0
        #: An offset is in force (measured, or assumed 0 because none could be measured).
        self.decided = not enabled
        #: The early samples are complete; from now on only a persistent change moves the offset.
        self.settled = not enabled
        self._early: list[float] = []
        self._attempts = 0
        self._candidate: float | None = None
        self._count = 0
        self._since = 0.0

    @property
    def samples_needed(self) -> int:
        """Samples still wanted before the offset settles (0 once settled)."""
        return 0 if self.settled else EARLY_SAMPLES - self._attempts

    def assume_none(self) -> None:
        """No sample came in time: use 0 until samples say otherwise."""
        self.decided = True

    def observe(self, broker_time: float, receive_time: float) -> bool:
        """Take one sample; returns True when the offset in force changed (or was first decided)."""
        if not self.enabled:
            return False
        value = rounded_offset(broker_time, receive_time)
        if not self.settled:
            return self._observe_early(value)
        if value is None:
            return False
        if value == self.offset:
            self._candidate, self._count = None, 0
            return False
        if value != self._candidate:
            self._candidate, self._count, self._since = value, 1, receive_time
            return False
        self._count += 1
        if self._count >= PERSIST_SAMPLES and receive_time - self._since >= PERSIST_SECONDS:
            self.offset, self._candidate, self._count = value, None, 0
            return True
        return False

    def _observe_early(self, value: float | None) -> bool:
        self._attempts += 1
        if self._attempts >= EARLY_SAMPLES:
            self.settled = True
        if value is None:  # implausible (synthetic clock): after enough of them, assume no offset
            if self.settled and not self.decided:
                self.decided = True
                return True
            return False
        self._early.append(value)
        ordered = sorted(self._early)
        median = ordered[len(ordered) // 2]
        changed = not self.decided or median != self.offset
        self.decided = True
        self.offset = median
        return changed
