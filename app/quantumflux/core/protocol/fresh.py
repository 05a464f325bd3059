"""One rule for repeated ticks, applied once in the decoder so every consumer sees the same ticks.

The same tick reaches the capture more than once when two tabs show PocketOption (each tab has its
own broker socket and receives the same ``updateStream``), when the broker repeats a frame, or when
a socket reconnects. :class:`FreshTicks` keeps, per asset, the newest tick time in milliseconds and
the prices seen at that millisecond; a tick is dropped when

* its millisecond time is older than the asset's newest (late or repeated), or
* it has the newest millisecond time and a price already seen at that time (an exact repeat).

Milliseconds are the resolution of the tick files, so the CSV store, the candles of the chart, the
API, the strategy runner and a replay of the same capture all agree tick for tick.
"""

from __future__ import annotations

from collections.abc import Sequence

from quantumflux.core.model import Tick


class FreshTicks:
    """Per-asset filter of repeated ticks (see the module docstring). Not thread-safe: one feeder."""

    __slots__ = ("_last", "duplicates")

    def __init__(self) -> None:
        # asset -> (newest time in ms, first price at that ms, other prices at that ms or None)
        self._last: dict[str, tuple[int, float, frozenset[float] | None]] = {}
        self.duplicates = 0

    def reset(self) -> None:
        """Forget what was seen (the broker's clock offset changed: times moved)."""
        self._last.clear()

    def filter(self, ticks: Sequence[Tick]) -> Sequence[Tick]:
        """The fresh ticks of ``ticks`` in order; ``ticks`` itself (no copy) when all are fresh."""
        last = self._last
        kept: list[Tick] | None = None
        for index, tick in enumerate(ticks):
            asset, t, price = tick
            millis = int(t * 1000.0 + 0.5)
            seen = last.get(asset)
            if seen is None or millis > seen[0]:
                last[asset] = (millis, price, None)
            elif millis == seen[0] and price != seen[1] and (seen[2] is None or price not in seen[2]):
                last[asset] = (millis, seen[1], (seen[2] or frozenset()) | {price})
            else:
                if kept is None:
                    kept = list(ticks[:index])
                self.duplicates += 1
                continue
            if kept is not None:
                kept.append(tick)
        return ticks if kept is None else kept
