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

#: ``newest.get(asset, BEFORE_ALL)`` for an asset not seen yet: ``x >= BEFORE_ALL + 1.0`` for any x >= 0.
BEFORE_ALL = -1.0
_BELOW_ZERO = float("inf")  # in ``newest``: the millisecond is negative, kept in ``below_zero``


class FreshTicks:
    """Per-asset filter of repeated ticks (see the module docstring). Not thread-safe: one feeder.

    A tick's millisecond is ``int(x)`` with ``x = t * 1000.0 + 0.5``. State per asset: ``newest``, an
    ``x`` whose ``int`` is the newest millisecond (the ``x`` of the tick that reached it; for a
    negative millisecond +inf, the millisecond itself in ``below_zero``), ``first`` (the first price
    at it) and, only once a second price arrives at the same millisecond, ``others`` (that millisecond
    and the other prices at it; stale when its millisecond is not the newest).

    The common case, a tick of a newer millisecond, is one float comparison and two dictionary
    writes: ``x >= newest.get(asset, BEFORE_ALL) + 1.0`` can only hold when ``int(x)`` is newer (the
    stored ``x`` is at least 0 or +inf), and for millisecond times it holds whenever it is. The
    decoder's hot loop applies it inline (kept: ``newest[asset], first[asset] = x, price``) and hands
    any other tick to :meth:`rest`, which decides exactly.
    """

    __slots__ = ("newest", "first", "others", "below_zero", "duplicates")

    def __init__(self) -> None:
        self.newest: dict[str, float] = {}
        self.first: dict[str, float] = {}
        self.others: dict[str, tuple[int, frozenset[float]]] = {}
        self.below_zero: dict[str, int] = {}
        self.duplicates = 0

    def reset(self) -> None:
        """Forget what was seen (the broker's clock offset changed: times moved)."""
        self.newest.clear()
        self.first.clear()
        self.others.clear()
        self.below_zero.clear()

    def filter(self, ticks: Sequence[Tick]) -> Sequence[Tick]:
        """The fresh ticks of ``ticks`` in order; ``ticks`` itself (no copy) when all are fresh.

        Tick times are finite, as the decoder's always are.
        """
        newest, first = self.newest, self.first
        seen_of = newest.get
        for index, (asset, t, price) in enumerate(ticks):
            x = t * 1000.0 + 0.5
            if x >= seen_of(asset, BEFORE_ALL) + 1.0:  # the common case: a newer millisecond
                newest[asset] = x
                first[asset] = price
            else:
                return self.rest(ticks, index)
        return ticks

    def rest(self, ticks: Sequence[Tick], start: int) -> list[Tick]:
        """The fresh ticks of ``ticks`` when the caller already kept ``ticks[:start]`` as ``filter`` does.

        For callers that apply the common case inline (see the class docstring) and hand over at the
        first tick it does not keep. Decides by whole milliseconds, exactly.
        """
        newest, first, others, below_zero = self.newest, self.first, self.others, self.below_zero
        kept = list(ticks[:start])
        for tick in ticks[start:]:
            asset, t, price = tick
            x = t * 1000.0 + 0.5
            millis = int(x)
            stored = newest.get(asset)
            seen = None if stored is None else below_zero[asset] if stored == _BELOW_ZERO else int(stored)
            if seen is None or millis > seen:
                if x >= 0.0:
                    newest[asset] = x
                else:
                    newest[asset], below_zero[asset] = _BELOW_ZERO, millis
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
