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

#: Below every millisecond: ``newest.get(asset, BEFORE_ALL)`` for an asset not seen yet.
BEFORE_ALL = float("-inf")


class FreshTicks:
    """Per-asset filter of repeated ticks (see the module docstring). Not thread-safe: one feeder.

    State per asset: ``newest`` (the newest millisecond), ``first`` (the first price at it) and, only
    once a second price arrives at the same millisecond, ``others`` (that millisecond and the other
    prices at it; stale when its millisecond is not the newest). The common case, a tick of a newer
    millisecond, is two dictionary writes and no allocation; the decoder's hot loop applies it inline
    (``int(t * 1000.0 + 0.5) > newest.get(asset, BEFORE_ALL)`` → kept, ``newest[asset], first[asset] = …``)
    and hands any other tick to :meth:`rest`.
    """

    __slots__ = ("newest", "first", "others", "duplicates")

    def __init__(self) -> None:
        self.newest: dict[str, int] = {}
        self.first: dict[str, float] = {}
        self.others: dict[str, tuple[int, frozenset[float]]] = {}
        self.duplicates = 0

    def reset(self) -> None:
        """Forget what was seen (the broker's clock offset changed: times moved)."""
        self.newest.clear()
        self.first.clear()
        self.others.clear()

    def filter(self, ticks: Sequence[Tick]) -> Sequence[Tick]:
        """The fresh ticks of ``ticks`` in order; ``ticks`` itself (no copy) when all are fresh."""
        newest, first = self.newest, self.first
        seen_of = newest.get
        for index, (asset, t, price) in enumerate(ticks):
            millis = int(t * 1000.0 + 0.5)
            if millis > seen_of(asset, BEFORE_ALL):  # the common case: a newer millisecond
                newest[asset] = millis
                first[asset] = price
            else:
                return self.rest(ticks, index)
        return ticks

    def rest(self, ticks: Sequence[Tick], start: int) -> list[Tick]:
        """The fresh ticks of ``ticks`` when the caller already kept ``ticks[:start]`` as ``filter`` does.

        For callers that apply the common case inline (see the class docstring) and hand over at the
        first tick that is not of a newer millisecond.
        """
        newest, first, others = self.newest, self.first, self.others
        kept = list(ticks[:start])
        for tick in ticks[start:]:
            asset, t, price = tick
            millis = int(t * 1000.0 + 0.5)
            seen = newest.get(asset, BEFORE_ALL)
            if millis > seen:
                newest[asset] = millis
                first[asset] = price
            elif millis == seen and price != first[asset]:
                millis_others, prices = others.get(asset, (None, frozenset()))
                if millis_others != millis:
                    prices = frozenset()
                if price in prices:
                    self.duplicates += 1
                    continue
                others[asset] = (millis, prices | {price})
            else:
                self.duplicates += 1
                continue
            kept.append(tick)
        return kept
