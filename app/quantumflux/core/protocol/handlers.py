"""Per-event payload handlers of the :class:`~quantumflux.core.protocol.decoder.Decoder`.

A mixin: each handler takes ``(frame, payload, event_name)`` and returns events. Handlers
read payloads through :mod:`payloads` (which raises ``PayloadError`` for a wrong shape; the
decoder counts it) and route events that carry broker timestamps through ``self._timed``,
which corrects or holds them for the server time offset. The hot ``updateStream`` path
lives in the decoder itself.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from quantumflux.core.model import Tick
from quantumflux.core.protocol import payload_extras as extras
from quantumflux.core.protocol import payloads
from quantumflux.core.protocol.events import (
    AssetsUpdated,
    BalanceUpdated,
    DealsClosed,
    DealsOpened,
    Event,
    FavoritesUpdated,
    HistoryReceived,
    HistoryRequested,
    LoginAttempted,
    LoginRejected,
    LoginSucceeded,
    OrderFailed,
    OrderOpened,
    OrderRequested,
    PageChoiceChanged,
    PendingCancelRequested,
    PendingOrderCancelled,
    PendingOrderFailed,
    PendingOrderOpened,
    PendingOrderRequested,
    PendingOrdersUpdated,
    SentimentUpdated,
    TicksReceived,
)
from quantumflux.core.protocol.framing import RawFrame
from quantumflux.core.protocol.fresh import FreshTicks
from quantumflux.core.protocol.offset import OffsetTracker

#: updateStream frames between two offset samples once the offset has settled.
SAMPLE_EVERY = 16
MILLISECONDS = 1e12
_INF = float("inf")
_MS = payloads.MAX_SECONDS  # the fast path takes plain seconds below it; anything else goes the careful way
_new_tuple = tuple.__new__


class EventHandlers:
    """Handlers for every event except ``updateStream``; mixed into the Decoder."""

    _tracker: OffsetTracker
    _fresh: FreshTicks
    _since_sample: int
    _ticks: int
    _last_choice: dict[str, Any]
    _page_chose: set[str]
    _malformed_counts: Counter[str]

    def _timed(self, event: Event) -> list[Event]:  # provided by the Decoder
        raise NotImplementedError

    def _offset_changed(self, frame: RawFrame) -> list[Event]:  # provided by the Decoder
        raise NotImplementedError

    def _malformed(self, reason: str, frame: RawFrame | None) -> None:  # provided by the Decoder
        raise NotImplementedError

    # ------------------------------------------------------------------ incoming

    def _stream(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        """``updateStream`` outside the fast path: early offset samples and unusual payloads."""
        if payload.__class__ is not list:
            raise payloads.PayloadError("payload is not a list")
        return self._stream_checked(frame, payload)

    def _stream_checked(self, frame: RawFrame, payload: list[Any]) -> list[Event]:
        """The careful path: validates every row, normalises ms/ints, samples the offset early on."""
        raw: list[tuple[str, float, float]] = []
        for row in payload:
            try:
                asset, t, price = row[0], payloads.seconds(row[1]), payloads.number(row[2], "")
                if not isinstance(asset, str) or not asset:
                    raise payloads.PayloadError("")
            except (payloads.PayloadError, TypeError, IndexError, KeyError, ValueError):
                self._malformed("updateStream: bad tick row", frame)
                continue
            raw.append((asset, t, price))
        out: list[Event] = []
        tracker = self._tracker
        if not tracker.settled and raw:
            changed = False
            for _asset, t, _price in raw[: max(1, tracker.samples_needed)]:
                changed = tracker.observe(t, frame.t) or changed
            if changed:
                out.extend(self._offset_changed(frame))
        if raw:
            offset = tracker.offset
            ticks = tuple(self._fresh.filter([Tick(asset, t - offset, price) for asset, t, price in raw]))
            if ticks:
                self._ticks += len(ticks)
                out.append(TicksReceived(frame.t, frame.socket, ticks))
        return out

    def _history(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        asset, period, ticks, candles, index, skipped = payloads.history(payload, name)
        self._skipped_rows(name, skipped, frame)
        event = HistoryReceived(frame.t, frame.socket, asset, period, tuple(ticks), tuple(candles), index, name)
        return self._timed(event)

    def _assets(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        found, skipped = payloads.assets(payload)
        self._skipped_rows(name, skipped, frame)
        return [AssetsUpdated(frame.t, frame.socket, tuple(found))]

    def _balance(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        return [BalanceUpdated(frame.t, frame.socket, payloads.balance(payload))]

    # Deal times are true UTC on the wire (not the broker clock of ticks and history; docs/protocol.md,
    # "Time base"): deal events are neither held for the offset nor shifted by it.

    def _order_opened(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        return [OrderOpened(frame.t, frame.socket, payloads.deal(payload, closed=False))]

    def _order_failed(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        error, asset, amount = payloads.fail_order(payload)
        return [OrderFailed(frame.t, frame.socket, error, asset, amount)]

    def _deals_opened(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        found, skipped = payloads.deals(payload, closed=False)
        self._skipped_rows(name, skipped, frame)
        return [DealsOpened(frame.t, frame.socket, tuple(found))]

    def _deals_closed(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        found, skipped = payloads.deals(payload, closed=True)
        self._skipped_rows(name, skipped, frame)
        return [DealsClosed(frame.t, frame.socket, tuple(found), None)]

    def _close_order(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        found, returned, skipped = payloads.close_order(payload)
        self._skipped_rows(name, skipped, frame)
        return [DealsClosed(frame.t, frame.socket, tuple(found), returned)]

    def _pending_list(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        found, skipped = extras.pending_orders(payload)
        self._skipped_rows(name, skipped, frame)
        return [PendingOrdersUpdated(frame.t, frame.socket, tuple(found))]

    def _pending_opened(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        return [PendingOrderOpened(frame.t, frame.socket, extras.pending_order(payload))]

    def _pending_failed(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        error, asset, amount = payloads.fail_order(payload)
        return [PendingOrderFailed(frame.t, frame.socket, error, asset, amount)]

    def _pending_cancelled(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        ok = name.startswith("success")
        error = None if ok else payloads.fail_order(payload)[0] if payload is not None else name
        return [PendingOrderCancelled(frame.t, frame.socket, extras.ticket(payload), ok, error)]

    def _favorites(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        return [FavoritesUpdated(frame.t, frame.socket, tuple(extras.favorites(payload)))]

    def _sentiment(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        found, skipped = extras.sentiment(payload)
        self._skipped_rows(name, skipped, frame)
        return [SentimentUpdated(frame.t, frame.socket, tuple(found))] if found else []

    def _charts(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        """``updateCharts`` is the broker's saved chart layout: it names the page's choice only until the
        page itself sends ``changeSymbol`` on that socket (the page's own action wins; the two can cross
        on the wire at login)."""
        choice = payloads.chart_choice(payload)
        if choice is None or self._last_choice.get(frame.socket) == choice or frame.socket in self._page_chose:
            return []
        self._last_choice[frame.socket] = choice
        return [PageChoiceChanged(frame.t, frame.socket, choice, "updateCharts")]

    def _login_succeeded(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        return [LoginSucceeded(frame.t, frame.socket)]

    def _login_rejected(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        return [LoginRejected(frame.t, frame.socket, payloads.rejection(payload, name))]

    # ------------------------------------------------------------------ outgoing

    def _login(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        is_demo, uid = payloads.login(payload)  # reads isDemo and uid only: the session stays unread
        return [LoginAttempted(frame.t, frame.socket, is_demo, uid)]

    def _change_symbol(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        choice = payloads.change_symbol(payload)
        self._last_choice[frame.socket] = choice
        self._page_chose.add(frame.socket)
        return [PageChoiceChanged(frame.t, frame.socket, choice, "changeSymbol")]

    def _history_request(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        asset, period, index, t, offset = payloads.history_request(payload)
        return self._timed(HistoryRequested(frame.t, frame.socket, asset, period, index, t, offset))

    def _open_order(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        asset, amount, direction, expiry, request_id, is_demo = payloads.open_order(payload)
        return [OrderRequested(frame.t, frame.socket, asset, amount, direction, expiry, request_id, is_demo)]

    def _pending_request(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        return [PendingOrderRequested(frame.t, frame.socket, extras.pending_order(payload))]

    def _pending_cancel_request(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        return [PendingCancelRequested(frame.t, frame.socket, extras.ticket(payload))]

    def _skipped_rows(self, name: str, skipped: int, frame: RawFrame) -> None:
        if skipped:
            self._malformed_counts[f"{name}: bad row"] += skipped - 1
            self._malformed(f"{name}: bad row", frame)
