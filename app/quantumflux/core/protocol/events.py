"""Domain events the frame decoder emits (see docs/protocol.md).

Every event is a frozen slotted dataclass whose first two fields are ``t_recv`` (local
receive time of the frame, Unix seconds) and ``socket`` (the capture's socket id). Broker
timestamps inside events (ticks, candles, deals, history requests) are true UTC: the
decoder has already removed the server time offset.

No event ever carries the ``auth`` session value: :class:`LoginAttempted` only says that a
login happened, on which account kind and for which user id.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from typing import Any, Union

from quantumflux.core.model import Asset, Balance, Candle, Deal, Direction, PageChoice, PendingOrder, Tick


@dataclass(frozen=True, slots=True)
class TicksReceived:
    """Live ticks of one ``updateStream`` frame (several assets possible), in frame order."""

    t_recv: float
    socket: str
    ticks: tuple[Tick, ...]


@dataclass(frozen=True, slots=True)
class HistoryReceived:
    """Broker history for one asset: ``updateHistoryNew(Fast)`` or a ``loadHistoryPeriod(Fast)`` answer.

    ``candles`` are in ascending time with OHLC mapped from the broker's ``[t, open, close, high, low]``;
    ``ticks`` likewise ascending. ``index`` echoes the request index (``None`` when the payload has none,
    as in ``updateHistoryNew*``);
    ``event`` is the broker event name.
    """

    t_recv: float
    socket: str
    asset: str
    period: int
    ticks: tuple[Tick, ...]
    candles: tuple[Candle, ...]
    index: int | None
    event: str


@dataclass(frozen=True, slots=True)
class AssetsUpdated:
    """The broker's asset list (``updateAssets``)."""

    t_recv: float
    socket: str
    assets: tuple[Asset, ...]


@dataclass(frozen=True, slots=True)
class BalanceUpdated:
    """``successupdateBalance``."""

    t_recv: float
    socket: str
    balance: Balance


@dataclass(frozen=True, slots=True)
class OrderOpened:
    """``successopenOrder``: the broker accepted an order; ``deal.request_id`` echoes ``requestId``."""

    t_recv: float
    socket: str
    deal: Deal


@dataclass(frozen=True, slots=True)
class OrderFailed:
    """``failopenOrder``. There is no request id: match a pending order by (asset, amount)."""

    t_recv: float
    socket: str
    error: str
    asset: str | None
    amount: float | None


@dataclass(frozen=True, slots=True)
class DealsOpened:
    """``updateOpenedDeals``: the deals currently open."""

    t_recv: float
    socket: str
    deals: tuple[Deal, ...]


@dataclass(frozen=True, slots=True)
class DealsClosed:
    """``updateClosedDeals`` or ``successcloseOrder``.

    ``returned`` (``successcloseOrder`` only, else None) is the broker's top-level ``profit``: the gross
    amount the deals paid back to the balance (stake + win; 1.92 for a won 1.00 stake at 92 %, 0 for a
    loss). Net profit is each deal's ``profit``.
    """

    t_recv: float
    socket: str
    deals: tuple[Deal, ...]
    returned: float | None


@dataclass(frozen=True, slots=True)
class PendingOrdersUpdated:
    """``successupdatePending``: the account's pending orders (all of them, replacing the last list)."""

    t_recv: float
    socket: str
    orders: tuple[PendingOrder, ...]


@dataclass(frozen=True, slots=True)
class PendingOrderOpened:
    """``successopenPendingOrder``: the broker accepted a pending order (``order.ticket`` names it)."""

    t_recv: float
    socket: str
    order: PendingOrder


@dataclass(frozen=True, slots=True)
class PendingOrderFailed:
    """``failopenPendingOrder`` (``error``, and the asset/amount when given)."""

    t_recv: float
    socket: str
    error: str
    asset: str | None
    amount: float | None


@dataclass(frozen=True, slots=True)
class PendingOrderCancelled:
    """``successcancelPendingOrder`` (``ok`` True) or ``failcancelPendingOrder`` (``ok`` False, ``error``)."""

    t_recv: float
    socket: str
    ticket: str | None
    ok: bool
    error: str | None


@dataclass(frozen=True, slots=True)
class PendingOrderRequested:
    """Outgoing ``openPendingOrder`` (the user placed a pending order in the page)."""

    t_recv: float
    socket: str
    order: PendingOrder


@dataclass(frozen=True, slots=True)
class PendingCancelRequested:
    """Outgoing ``cancelPendingOrder``."""

    t_recv: float
    socket: str
    ticket: str | None


@dataclass(frozen=True, slots=True)
class FavoritesUpdated:
    """``updateFavorites``: the page's favourite symbols, in the page's order."""

    t_recv: float
    socket: str
    symbols: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SentimentUpdated:
    """``chafor``: traders' sentiment per asset (``(asset, value)``, the share of calls in percent).

    Not a payout: public clients name it market sentiment and the page asks for it with ``subfor``.
    """

    t_recv: float
    socket: str
    values: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class PageChoiceChanged:
    """The page shows another asset/period. ``source``: ``changeSymbol`` (outgoing) or ``updateCharts``."""

    t_recv: float
    socket: str
    choice: PageChoice
    source: str


@dataclass(frozen=True, slots=True)
class HistoryRequested:
    """Outgoing ``loadHistoryPeriod(Fast)``: the page asked for older history."""

    t_recv: float
    socket: str
    asset: str
    period: int
    index: int | None
    time: float | None
    offset: int | None


@dataclass(frozen=True, slots=True)
class OrderRequested:
    """Outgoing ``openOrder`` (the user or the terminal placed a trade in the page)."""

    t_recv: float
    socket: str
    asset: str
    amount: float
    direction: Direction
    expiry: int
    request_id: str | None
    is_demo: bool


@dataclass(frozen=True, slots=True)
class LoginAttempted:
    """Outgoing ``auth``. The session value is never kept."""

    t_recv: float
    socket: str
    is_demo: bool
    uid: int | None


@dataclass(frozen=True, slots=True)
class LoginSucceeded:
    """``successauth`` / ``auth/success``."""

    t_recv: float
    socket: str


@dataclass(frozen=True, slots=True)
class LoginRejected:
    """``NotAuthorized`` / ``notAuthorized`` / ``auth_error``."""

    t_recv: float
    socket: str
    reason: str


@dataclass(frozen=True, slots=True)
class SessionDisconnected:
    """Socket.IO namespace disconnect (``41``): the server rejected or closed the session."""

    t_recv: float
    socket: str


@dataclass(frozen=True, slots=True)
class SocketOpened:
    """A broker WebSocket was created (``is_demo`` from the host name when recognisable)."""

    t_recv: float
    socket: str
    url: str
    is_demo: bool | None


@dataclass(frozen=True, slots=True)
class SocketClosed:
    """A broker WebSocket was closed."""

    t_recv: float
    socket: str


@dataclass(frozen=True, slots=True)
class ServerOffsetMeasured:
    """The broker stamps times ``offset`` seconds ahead of true UTC; the decoder now subtracts it."""

    t_recv: float
    socket: str
    offset: float


@dataclass(frozen=True, slots=True)
class LinkChanged:
    """The capture's DevTools connection came up (``connected``) or went away; ``detail`` says why.

    Not decoded from a frame: the capture (``browser.cdp``) emits it, and it travels with the decoded
    events to every consumer (a dropped link makes open paper trades unknown, the source STALE …)."""

    t: float
    connected: bool
    detail: str = ""


Event = Union[  # noqa: UP007 - a runtime alias usable with isinstance()
    TicksReceived,
    HistoryReceived,
    AssetsUpdated,
    BalanceUpdated,
    OrderOpened,
    OrderFailed,
    DealsOpened,
    DealsClosed,
    PendingOrdersUpdated,
    PendingOrderOpened,
    PendingOrderFailed,
    PendingOrderCancelled,
    PendingOrderRequested,
    PendingCancelRequested,
    FavoritesUpdated,
    SentimentUpdated,
    PageChoiceChanged,
    HistoryRequested,
    OrderRequested,
    LoginAttempted,
    LoginSucceeded,
    LoginRejected,
    SessionDisconnected,
    SocketOpened,
    SocketClosed,
    ServerOffsetMeasured,
]

#: What a capture hub delivers to its consumers: decoded events and the capture's link notices.
CaptureEvent = Union[Event, LinkChanged]  # noqa: UP007

#: Event class name → class, for every event the decoder can emit.
EVENT_KINDS: dict[str, type] = {cls.__name__: cls for cls in Event.__args__}  # type: ignore[attr-defined]


def event_kind(event: Event) -> str:
    """The event's kind name (its class name), e.g. ``TicksReceived``."""
    return type(event).__name__


def event_to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready dict: ``{"kind": …, fields…}`` with nested dataclasses/NamedTuples as dicts, enums as values."""
    out: dict[str, Any] = {"kind": type(event).__name__}
    for item in fields(event):  # type: ignore[arg-type]
        out[item.name] = _plain(getattr(event, item.name))
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Tick):
        return {"asset": value.asset, "time": value.time, "price": value.price}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return {item.name: _plain(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value
