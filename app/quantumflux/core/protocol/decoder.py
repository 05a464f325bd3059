"""Frame decoder: raw WebSocket frames → domain events (see docs/protocol.md).

``Decoder.feed`` takes one :class:`RawFrame` and returns the events it completes. It never
raises: malformed frames and unknown events are counted per kind (``stats``) and logged at
most once per kind per minute. Events are routed with per-direction dispatch tables; the
``updateStream`` path is tuned for throughput (millions of ticks per minute).

Repeated ticks (a second tab, a repeated frame, a reconnect) are dropped here, once, by one rule
(``fresh.py``), so every consumer sees the same ticks; ``stats.duplicates`` counts them.

Server time offset: broker-clock timestamps (ticks, history, history requests) are corrected to
true UTC (see ``offset.py``); deal times are already UTC on the wire and are left alone. Until
the offset is known, events that carry broker-clock timestamps other than ticks (history,
history requests) are held back — at most until the first ticks arrive, 5 s of receive time
pass, ``flush()`` or ``socket_closed()`` is called — then released corrected.
"""

from __future__ import annotations

import json
import logging
import time
from binascii import Error as Base64Error
from binascii import a2b_base64
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from quantumflux.core.model import Tick
from quantumflux.core.protocol import payloads
from quantumflux.core.protocol.events import (
    Event,
    ServerOffsetMeasured,
    SessionDisconnected,
    SocketClosed,
    SocketOpened,
    TicksReceived,
)
from quantumflux.core.protocol.framing import PLACEHOLDER, FrameError, RawFrame, fast_loads, parse_text
from quantumflux.core.protocol.fresh import BEFORE_ALL as _BEFORE_ALL
from quantumflux.core.protocol.fresh import FreshTicks
from quantumflux.core.protocol.handlers import _INF, _MS, SAMPLE_EVERY, EventHandlers, _new_tuple
from quantumflux.core.protocol.offset import OffsetTracker
from quantumflux.core.protocol.shapes import classify, shift_times, substitute_placeholders
from quantumflux.core.protocol.stats import DecoderStats, RateLimitedLog, bounded_key

try:  # optional: a C JSON parser about twice as fast on the hot updateStream payload (docs/protocol.md)
    from orjson import loads as _loads_bytes
except ImportError:  # pragma: no cover - the stdlib scanner then reads it, to the same events
    _loads_bytes = None

_scan_once = json.JSONDecoder().scan_once
#: On the orjson route a price must be below this: larger integers are floats there, ints in json.
_ORJSON_LIMIT = 2.0**63
_new_object = object.__new__
_set_time = TicksReceived.t_recv.__set__  # type: ignore[attr-defined]
_set_socket = TicksReceived.socket.__set__  # type: ignore[attr-defined]
_set_ticks = TicksReceived.ticks.__set__  # type: ignore[attr-defined]
_STREAM_PREFIX = '42["updateStream",'
#: Receive-time seconds that timestamped events wait for the offset before they go out uncorrected.
HOLD_SECONDS = 5.0
#: Events that carry nothing the terminal needs; counted as ``ignored``, never logged.
IGNORED_EVENTS = frozenset({
    "ps", "subscribeSymbol", "unsubscribeSymbol", "unSubscribeSymbol", "subfor", "unsubfor", "signals/update",
    "successsignals/stats", "signals/stats", "updateTime", "user_ready", "chat_room_list",
    "chat_room_list_update", "successfavorite/change", "favorite/change", "favorite/get", "favorite/load",
    "successfavorite/load", "successindicator/load", "indicator/load", "successprice-alert/load",
    "price-alert/load", "closeOrder", "successupdateOpenedExpresses", "updatePriceAlerts",
    "changeMarketSentiment", "updateIndicators", "ping-server", "copySignalOrder", "successcopySignalOrder",
})

Handler = Callable[[RawFrame, Any, str], list[Event]]


class _Malformed(Exception):
    """Internal: a frame or payload to count as malformed under ``reason``."""


class Decoder(EventHandlers):
    """Stateful decoder for one capture (any number of sockets). Not thread-safe: one feeder."""

    def __init__(
        self,
        *,
        correct_offset: bool = True,
        logger: logging.Logger | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = RateLimitedLog(logger or logging.getLogger(__name__), clock=clock)
        self._tracker = OffsetTracker(enabled=correct_offset)
        self._fresh = FreshTicks()
        self._reported_offset = 0.0
        self._held: list[Event] = []
        self._held_since = 0.0
        self._pending_in: dict[str, Any] = {}
        self._pending_out: dict[str, Any] = {}
        self._placeholder_text: dict[str, str] = {}
        self._frames = 0
        self._ticks = 0
        self._kinds: defaultdict[type, int] = defaultdict(int)
        self._unknown: Counter[str] = Counter()
        self._malformed_counts: Counter[str] = Counter()
        self._ignored: Counter[str] = Counter()
        self._unpaired: Counter[str] = Counter()
        self._last_choice: dict[str, Any] = {}
        self._page_chose: set[str] = set()  # sockets on which the page sent changeSymbol
        self._since_sample = 0
        self._fast_tick_events = 0
        self._incoming: dict[str, Handler] = {
            "updateStream": self._stream,
            "updateHistoryNewFast": self._history,
            "updateHistoryNew": self._history,
            "loadHistoryPeriod": self._history,
            "loadHistoryPeriodFast": self._history,
            "updateAssets": self._assets,
            "successupdateBalance": self._balance,
            "successopenOrder": self._order_opened,
            "failopenOrder": self._order_failed,
            "updateOpenedDeals": self._deals_opened,
            "updateClosedDeals": self._deals_closed,
            "successcloseOrder": self._close_order,
            "updateCharts": self._charts,
            "successupdatePending": self._pending_list,
            "successopenPendingOrder": self._pending_opened,
            "failopenPendingOrder": self._pending_failed,
            "successcancelPendingOrder": self._pending_cancelled,
            "failcancelPendingOrder": self._pending_cancelled,
            "updateFavorites": self._favorites,
            "chafor": self._sentiment,
            "successauth": self._login_succeeded,
            "auth/success": self._login_succeeded,
            "NotAuthorized": self._login_rejected,
            "notAuthorized": self._login_rejected,
            "auth_error": self._login_rejected,
        }
        self._outgoing: dict[str, Handler] = {
            "auth": self._login,
            "changeSymbol": self._change_symbol,
            "loadHistoryPeriod": self._history_request,
            "loadHistoryPeriodFast": self._history_request,
            "openOrder": self._open_order,
            "openPendingOrder": self._pending_request,
            "cancelPendingOrder": self._pending_cancel_request,
        }

    # ------------------------------------------------------------------ public API

    @property
    def offset(self) -> float:
        """Seconds the broker's clock is ahead of true UTC (subtracted from broker timestamps)."""
        return self._tracker.offset

    @property
    def stats(self) -> DecoderStats:
        """A snapshot of the counters (frames, ticks, events by kind, unknown, malformed, …)."""
        return DecoderStats(
            frames=self._frames,
            ticks=self._ticks,
            events=self._event_counts(),
            unknown=Counter(self._unknown),
            malformed=Counter(self._malformed_counts),
            ignored=Counter(self._ignored),
            unpaired=Counter(self._unpaired),
            duplicates=self._fresh.duplicates,
        )

    def _event_counts(self) -> Counter[str]:
        counts = Counter({cls.__name__: n for cls, n in self._kinds.items()})
        if self._fast_tick_events:
            counts["TicksReceived"] += self._fast_tick_events
        return counts

    def feed(self, frame: RawFrame) -> list[Event]:
        """Decode one frame; returns the events it completes (often none). Never raises."""
        self._frames += 1
        try:
            if self._held and frame.t - self._held_since >= HOLD_SECONDS:
                return self._feed_after_hold(frame)
            if frame.__class__ is RawFrame:
                # The two frames of nearly all traffic, incoming: the placeholder of a two-frame event
                # seen verbatim before, and the binary attachment of a pending ``updateStream``.
                t_recv, socket, direction, opcode, data = frame
                if direction != "out":
                    if opcode == 2:
                        pending = self._pending_in.pop(socket, None)
                        if pending != "updateStream":
                            return self._binary_paired(frame, False, pending)
                        if _loads_bytes is not None:
                            try:
                                payload = _loads_bytes(a2b_base64(data))
                            except (ValueError, TypeError):
                                return self._binary_paired(frame, False, pending)  # json says what is wrong
                            return self._stream_fast(frame, payload, t_recv, socket, _ORJSON_LIMIT)
                        try:
                            text = a2b_base64(data).decode()
                            payload, end = _scan_once(text, 0)
                        except (ValueError, TypeError, StopIteration):
                            pass
                        else:
                            if end == len(text):
                                return self._stream_fast(frame, payload, t_recv, socket)
                        return self._binary_paired(frame, False, pending)
                    if opcode == 1 and data.__class__ is str:
                        name = self._placeholder_text.get(data)
                        if name is not None:
                            pending_in = self._pending_in
                            if socket in pending_in:
                                self._malformed("placeholder without binary frame", frame)
                            pending_in[socket] = name
                            return []
            return self._feed_other(frame)
        except _Malformed as exc:
            self._malformed(str(exc), frame)
        except Exception as exc:  # the boundary: nothing escapes the decoder
            self._malformed(f"unexpected {type(exc).__name__}", frame)
        return []

    def _feed_other(self, frame: RawFrame) -> list[Event]:
        """``feed`` for every frame but the two common incoming shapes (raises ``_Malformed``)."""
        if frame.opcode == 2:
            return self._binary(frame)
        if frame.opcode != 1 or frame.data.__class__ is not str:
            raise _Malformed("unknown opcode or data type")
        name = self._placeholder_text.get(frame.data)
        if name is not None:  # the common two-frame placeholder, seen verbatim before
            pending = self._pending_out if frame.dir == "out" else self._pending_in
            if frame.socket in pending:
                self._malformed("placeholder without binary frame", frame)
            pending[frame.socket] = name
            return []
        if frame.data.startswith(_STREAM_PREFIX) and frame.dir != "out":  # single-frame updateStream
            data = frame.data
            try:
                message, end = _scan_once(data, 2)
            except StopIteration:
                end = -1
            if end == len(data) and len(message) == 2:
                return self._stream_fast(frame, message[1], frame.t, frame.socket)
        return self._counted(self._text(frame))

    def _feed_after_hold(self, frame: RawFrame) -> list[Event]:
        """Held events waited long enough: release them uncorrected, then decode the frame."""
        self._tracker.assume_none()
        out = self._counted(self._release(frame))
        self._frames -= 1
        return out + self.feed(frame)

    def socket_opened(self, socket: str, url: str, t: float) -> list[Event]:
        """A broker WebSocket was created (CDP ``Network.webSocketCreated``)."""
        self._drop_pending(socket)
        return self._counted([SocketOpened(t, socket, url, _is_demo_url(url))])

    def socket_closed(self, socket: str, t: float) -> list[Event]:
        """A broker WebSocket closed: pending placeholders are dropped and held events released."""
        self._drop_pending(socket)
        out = self.flush()
        return out + self._counted([SocketClosed(t, socket)])

    def flush(self) -> list[Event]:
        """Release held events now (offset assumed 0 if none was measured). Call at the end of a capture."""
        if not self._held:
            return []
        self._tracker.assume_none()
        return self._counted(self._release(None))

    # ------------------------------------------------------------------ framing

    def _text(self, frame: RawFrame) -> list[Event]:
        data = frame.data
        outgoing = frame.dir == "out"
        if data == "2" or data == "3":
            return []
        try:
            packet = parse_text(data)
        except FrameError as exc:
            raise _Malformed(_reason(exc)) from None
        kind = packet.kind
        if kind == "event":
            return self._dispatch(frame, outgoing, packet.name, packet.data)
        if kind == "binary_event":
            if packet.attachments == 0:
                return self._dispatch(frame, outgoing, packet.name, packet.data)
            if packet.attachments == 1 and packet.data == PLACEHOLDER:
                if packet.name in self._incoming or packet.name in self._outgoing:
                    if len(self._placeholder_text) < 256:
                        self._placeholder_text[data] = packet.name
                self._set_pending(frame, outgoing, packet.name)
            else:
                self._set_pending(frame, outgoing, [packet.name, packet.data, packet.attachments, []])
            return []
        if kind == "disconnect":
            return [SessionDisconnected(frame.t, frame.socket)]
        if kind in ("error", "ack"):
            self._ignored[kind] += 1
        return []

    def _set_pending(self, frame: RawFrame, outgoing: bool, value: Any) -> None:
        pending = self._pending_out if outgoing else self._pending_in
        if frame.socket in pending:
            self._malformed("placeholder without binary frame", frame)
        pending[frame.socket] = value

    def _drop_pending(self, socket: str) -> None:
        for pending in (self._pending_in, self._pending_out):
            if pending.pop(socket, None) is not None:
                self._malformed_counts["placeholder without binary frame"] += 1

    def _binary(self, frame: RawFrame) -> list[Event]:
        """Binary frames (counted here): ``updateStream`` straight to the fast path, the rest dispatched."""
        outgoing = frame.dir == "out"
        pending = (self._pending_out if outgoing else self._pending_in).pop(frame.socket, None)
        return self._binary_paired(frame, outgoing, pending)

    def _binary_paired(self, frame: RawFrame, outgoing: bool, pending: Any) -> list[Event]:
        """A binary frame whose pending placeholder (or None) was taken: decode it and route it."""
        try:
            data = a2b_base64(frame.data).decode()
            try:
                payload, end = _scan_once(data, 0)
            except StopIteration:
                end = -1
            if end != len(data):
                payload = fast_loads(data)
        except (ValueError, Base64Error, TypeError):
            raise _Malformed("binary payload is not base64 JSON") from None
        if pending == "updateStream" and not outgoing:
            return self._stream_fast(frame, payload, frame.t, frame.socket)
        return self._counted(self._binary_event(frame, outgoing, pending, payload))

    def _binary_event(self, frame: RawFrame, outgoing: bool, pending: Any, payload: Any) -> list[Event]:
        if pending.__class__ is str:
            return self._dispatch(frame, outgoing, pending, payload)
        if pending is None:
            name = classify(payload, outgoing)
            self._unpaired[name or "unclassified"] += 1
            if name is None:
                raise _Malformed("binary frame without placeholder")
            return self._dispatch(frame, outgoing, name, payload)
        name, template, count, attachments = pending
        attachments.append(payload)
        if len(attachments) < count:
            (self._pending_out if outgoing else self._pending_in)[frame.socket] = pending
            return []
        return self._dispatch(frame, outgoing, name, substitute_placeholders(template, attachments))

    def _stream_fast(
        self, frame: RawFrame, payload: Any, t_recv: float, socket: str, limit: float = _INF,
    ) -> list[Event]:
        """``updateStream`` payload → TicksReceived (counted here). The hot path of the whole terminal.

        Well-formed rows (str, float, float; finite; seconds) are turned into ticks in one loop; anything
        else, and the first samples of the offset, go through the careful ``_stream_checked``.
        ``t_recv`` and ``socket`` are the frame's. (No keyword-only defaults here: Python looks each one
        up in a dict on every call.)

        A payload orjson read (``limit`` finite) is used only when every row is well formed with prices
        below ``limit``: then it equals what json reads. Otherwise the binary frame is read again with
        json and takes the path it always took.
        """
        if payload.__class__ is not list:
            raise _Malformed("updateStream: payload is not a list")
        tracker = self._tracker
        if not tracker.settled:
            if limit != _INF:
                return self._binary_paired(frame, False, "updateStream")
            return self._counted(self._stream_checked(frame, payload))
        offset, low = tracker.offset, -limit
        ticks: list[Tick] = []
        append = ticks.append
        try:
            for asset, t, price in payload:
                if asset.__class__ is not str or t.__class__ is not float or price.__class__ is not float:
                    raise ValueError
                if not (0.0 < t < _MS and low < price < limit):  # also false for NaN
                    raise ValueError
                append(_new_tuple(Tick, (asset, t - offset, price)))
        except (ValueError, TypeError):
            if limit != _INF:
                return self._binary_paired(frame, False, "updateStream")
            return self._counted(self._stream_checked(frame, payload))
        if not ticks:
            return []
        self._since_sample += 1
        if self._since_sample >= SAMPLE_EVERY:
            self._since_sample = 0
            if tracker.observe(ticks[0][1] + offset, t_recv):
                return self._counted(self._offset_changed(frame) + self._stream_checked(frame, payload))
        # The repeated-tick rule (fresh.py), its common case inline: a newer millisecond than the
        # asset's newest. From the first other tick on, FreshTicks.rest decides.
        fresh = self._fresh
        newest, first = fresh.newest, fresh.first
        seen_of = newest.get
        for tick in ticks:
            asset, t, price = tick
            x = t * 1000.0 + 0.5
            if x >= seen_of(asset, _BEFORE_ALL) + 1.0:
                newest[asset] = x
                first[asset] = price
            else:
                ticks = fresh.rest(ticks, _index_of(ticks, tick))
                if not ticks:
                    return []
                break
        self._ticks += len(ticks)
        self._fast_tick_events += 1
        # TicksReceived(t_recv, socket, ticks) without the frozen dataclass __init__'s three
        # object.__setattr__ calls: the same object, about 40 % cheaper.
        event = _new_object(TicksReceived)
        _set_time(event, t_recv)
        _set_socket(event, socket)
        _set_ticks(event, tuple(ticks))
        return [event]

    def _dispatch(self, frame: RawFrame, outgoing: bool, name: str, payload: Any) -> list[Event]:
        handler = (self._outgoing if outgoing else self._incoming).get(name)
        if handler is not None:
            try:
                return handler(frame, payload, name)
            except payloads.PayloadError as exc:
                raise _Malformed(f"{name}: {exc}") from None
        if name in IGNORED_EVENTS:
            self._ignored[name] += 1
            return []
        key = bounded_key(self._unknown, f"{name} (out)" if outgoing else name)
        self._unknown[key] += 1
        self._log.warning(
            "unknown:" + key, "unknown event %r (%s) counted and skipped (%d so far)",
            key, frame.dir, self._unknown[key],
        )
        return []

    # ------------------------------------------------------------------ bookkeeping

    def _malformed(self, reason: str, frame: RawFrame | None) -> None:
        key = bounded_key(self._malformed_counts, reason)
        self._malformed_counts[key] += 1
        direction = getattr(frame, "dir", "?")
        self._log.warning(
            "malformed:" + key, "malformed frame (%s, %s) counted and skipped (%d so far)",
            key, direction if direction in ("in", "out") else "?", self._malformed_counts[key],
        )

    def _counted(self, out: list[Event]) -> list[Event]:
        for event in out:
            self._kinds[event.__class__] += 1
        return out

    def _offset_changed(self, frame: RawFrame) -> list[Event]:
        """After a tracker change: the report (if the value differs from the last one) and held events."""
        out: list[Event] = []
        offset = self._tracker.offset
        if offset != self._reported_offset:
            self._reported_offset = offset
            self._fresh.reset()  # tick times moved: what was seen before is no measure of what is new
            out.append(ServerOffsetMeasured(frame.t, frame.socket, offset))
            self._log.logger.info("broker clock is %+.0f s from UTC; broker timestamps are corrected", offset)
        if self._held:
            out.extend(self._release(None))
        return out

    def _release(self, frame: RawFrame | None) -> list[Event]:
        held, self._held = self._held, []
        offset = self._tracker.offset
        return [shift_times(event, offset) for event in held]

    def _timed(self, event: Event) -> list[Event]:
        """Emit an event carrying broker timestamps, or hold it until the offset is known."""
        if self._tracker.decided:
            offset = self._tracker.offset
            return [shift_times(event, offset) if offset else event]
        if not self._held:
            self._held_since = event.t_recv
        self._held.append(event)
        return []


def _index_of(items: list[Any], item: Any) -> int:
    """Position of ``item`` itself (not of an equal one) in ``items``."""
    return next(index for index, each in enumerate(items) if each is item)


def _reason(exc: Exception) -> str:
    """A bounded reason from a framing error (no frame content)."""
    text = str(exc).split(":")[0]
    return text.split("'")[0].strip() or "bad frame"


def _is_demo_url(url: str) -> bool | None:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None
    if host.startswith("demo") or ".demo" in host or "-demo" in host:
        return True
    if "po.market" in host or "pocketoption" in host or "po2.market" in host:
        return False
    return None
