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
from quantumflux.core.protocol import payloads
from quantumflux.core.protocol.events import (
    AssetsUpdated,
    BalanceUpdated,
    DealsClosed,
    DealsOpened,
    Event,
    HistoryReceived,
    HistoryRequested,
    LoginAttempted,
    LoginRejected,
    LoginSucceeded,
    OrderFailed,
    OrderOpened,
    OrderRequested,
    PageChoiceChanged,
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

    def _order_opened(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        deal = payloads.deal(payload, closed=False)
        out: list[Event] = []
        if not self._tracker.decided and deal.open_time is not None:
            if self._tracker.observe(deal.open_time, frame.t):  # a deal opened now is a clock sample
                out.extend(self._offset_changed(frame))
        return out + self._timed(OrderOpened(frame.t, frame.socket, deal))

    def _order_failed(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        error, asset, amount = payloads.fail_order(payload)
        return [OrderFailed(frame.t, frame.socket, error, asset, amount)]

    def _deals_opened(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        found, skipped = payloads.deals(payload, closed=False)
        self._skipped_rows(name, skipped, frame)
        return self._timed(DealsOpened(frame.t, frame.socket, tuple(found)))

    def _deals_closed(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        found, skipped = payloads.deals(payload, closed=True)
        self._skipped_rows(name, skipped, frame)
        return self._timed(DealsClosed(frame.t, frame.socket, tuple(found), None))

    def _close_order(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        found, profit, skipped = payloads.close_order(payload)
        self._skipped_rows(name, skipped, frame)
        return self._timed(DealsClosed(frame.t, frame.socket, tuple(found), profit))

    def _charts(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        choice = payloads.chart_choice(payload)
        if choice is None or self._last_choice.get(frame.socket) == choice:
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
        return [PageChoiceChanged(frame.t, frame.socket, choice, "changeSymbol")]

    def _history_request(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        asset, period, index, t, offset = payloads.history_request(payload)
        return self._timed(HistoryRequested(frame.t, frame.socket, asset, period, index, t, offset))

    def _open_order(self, frame: RawFrame, payload: Any, name: str) -> list[Event]:
        asset, amount, direction, expiry, request_id, is_demo = payloads.open_order(payload)
        return [OrderRequested(frame.t, frame.socket, asset, amount, direction, expiry, request_id, is_demo)]

    def _skipped_rows(self, name: str, skipped: int, frame: RawFrame) -> None:
        if skipped:
            self._malformed_counts[f"{name}: bad row"] += skipped - 1
            self._malformed(f"{name}: bad row", frame)
