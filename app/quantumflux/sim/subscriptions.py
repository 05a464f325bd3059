"""What one client of the practice broker asked to receive: price streams and sentiment (``chafor``).

The real broker streams ``updateStream`` ticks only for the assets a client subscribed to, and only
for the last four of them ("pocket option only sends data for the last 4 assets you subscribed to",
the BinaryOptionsTools-v2 maintainers, issues #28 and #82). A client subscribes an asset by showing it
(``changeSymbol``) or with ``subscribeSymbol``; ``unsubscribeSymbol`` (also spelled ``unSubscribeSymbol``)
drops it. ``subfor``/``unsubfor`` add and remove an asset's *sentiment* feed (``chafor``), which is
separate from its prices. See docs/practice-broker.md, "Subscriptions".
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

#: Assets streamed to one client at most; subscribing a fifth drops the least recently subscribed.
MAX_STREAMS = 4
#: Client events that change what a client receives.
STREAM_ADD = frozenset({"changeSymbol", "subscribeSymbol"})
STREAM_DROP = frozenset({"unsubscribeSymbol", "unSubscribeSymbol"})
SENTIMENT_ADD = "subfor"
SENTIMENT_DROP = "unsubfor"
SUBSCRIPTION_EVENTS = STREAM_ADD | STREAM_DROP | {SENTIMENT_ADD, SENTIMENT_DROP}


def asset_of(payload: Any) -> str | None:
    """The asset an event names: a bare string (``42["subfor","EURUSD_otc"]``) or ``{"asset": …}``."""
    if isinstance(payload, dict):
        payload = payload.get("asset", payload.get("symbol"))
    return payload if isinstance(payload, str) and payload else None


class Subscriptions:
    """One client's streamed assets (most recent last, at most ``MAX_STREAMS``) and sentiment assets."""

    def __init__(self, limit: int = MAX_STREAMS) -> None:
        self.limit = limit
        self._streams: OrderedDict[str, None] = OrderedDict()
        self.sentiment: set[str] = set()

    @property
    def streams(self) -> tuple[str, ...]:
        """The streamed assets, least recently subscribed first."""
        return tuple(self._streams)

    def apply(self, name: str, asset: str) -> None:
        """Apply one subscription event (one of ``SUBSCRIPTION_EVENTS``) for ``asset``."""
        if name in STREAM_ADD:
            self._streams.pop(asset, None)
            self._streams[asset] = None
            while len(self._streams) > self.limit:
                self._streams.popitem(last=False)
        elif name in STREAM_DROP:
            self._streams.pop(asset, None)
        elif name == SENTIMENT_ADD:
            self.sentiment.add(asset)
        elif name == SENTIMENT_DROP:
            self.sentiment.discard(asset)

    def __contains__(self, asset: object) -> bool:
        return asset in self._streams
