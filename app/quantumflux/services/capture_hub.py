"""One live capture shared by every consumer (collector, GUI, strategies, API).

The hub owns a :class:`~quantumflux.browser.cdp.CdpCapture` and one
:class:`~quantumflux.core.protocol.decoder.Decoder`; frames are decoded once, on the
capture thread, and the decoded events fan out to

- subscriptions: a bounded queue each (``subscribe()``), read on the consumer's thread;
  when a consumer falls behind, the oldest items are dropped and counted, never blocking
  the capture;
- listeners: callables run synchronously on the capture thread (keep them fast).

The hub also keeps the connection picture that ``status`` commands print: browser link,
the page sockets, which of them look like PocketOption, and whether the login succeeded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from quantumflux.browser.cdp import CdpCapture, WebSocketClosed, WebSocketOpened
from quantumflux.core.protocol import events as ev
from quantumflux.core.protocol.framing import RawFrame

log = logging.getLogger(__name__)

_BROKER_URL_HINTS = ("socket.io", "po.market", "pocketoption", "po2.")
_BROKER_EVENTS = (ev.TicksReceived, ev.HistoryReceived, ev.AssetsUpdated, ev.BalanceUpdated,
                  ev.LoginAttempted, ev.LoginSucceeded, ev.LoginRejected)


@dataclass(frozen=True, slots=True)
class SocketState:
    """What the hub knows about one page WebSocket."""

    socket: str
    url: str
    opened: float
    broker: bool = False  # looks like the PocketOption Socket.IO stream
    login: str = "unknown"  # unknown | attempted | ok | rejected
    frames: int = 0
    ticks: int = 0
    last_frame: float = 0.0


@dataclass(frozen=True, slots=True)
class HubState:
    """A snapshot of the capture: link, sockets (open ones), counters and login verdict."""

    connected: bool
    browser: str
    sockets: tuple[SocketState, ...]
    frames: int
    events: int
    last_frame: float
    login_ok_seen: bool
    login_rejected_seen: bool
    broker_socket_seen: bool
    dropped: int

    @property
    def broker_sockets(self) -> tuple[SocketState, ...]:
        return tuple(s for s in self.sockets if s.broker)

    @property
    def authenticated(self) -> bool:
        return any(s.login == "ok" for s in self.broker_sockets)


class Subscription:
    """A consumer's bounded queue of hub items. ``get()`` returns None on timeout or after close.

    A ``deque`` with a maximum length: ``put`` (the capture thread, every item) is one append — when the
    consumer is behind, the oldest item falls out and is counted — and wakes the consumer only when it
    waits for an item (a ``queue.Queue`` took two lock round trips per item)."""

    def __init__(self, hub: CaptureHub, maxsize: int, raw: bool) -> None:
        self._hub = hub
        self._items: deque[Any] = deque(maxlen=maxsize)
        self._ready = threading.Event()
        self.raw = raw
        self.dropped = 0
        self.closed = False

    def put(self, item: Any) -> None:
        items = self._items
        if len(items) == items.maxlen:
            self.dropped += 1
        items.append(item)
        if not self._ready.is_set():
            self._ready.set()

    def get(self, timeout: float | None = None) -> Any | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                return self._items.popleft()
            except IndexError:
                pass
            self._ready.clear()
            if self._items:  # an item arrived between the pop and the clear
                continue
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return None
            if not self._ready.wait(remaining) and deadline is not None and time.monotonic() >= deadline:
                try:
                    return self._items.popleft()
                except IndexError:
                    return None

    def close(self) -> None:
        """Stop receiving items."""
        self.closed = True
        self._hub._remove(self)


def _new_decoder() -> Any:
    from quantumflux.core.protocol.decoder import Decoder

    return Decoder()


class CaptureHub:
    """Capture the browser at ``host:port`` once; decode once; fan out to many consumers.

    Items delivered: decoded events (``quantumflux.core.protocol.events``) and
    :class:`~quantumflux.core.protocol.events.LinkChanged`; with ``raw=True`` also every RawFrame.
    """

    def __init__(
        self,
        host: str,
        port: int,
        decoder: Any = None,
        clock: Callable[[], float] = time.time,
        max_backoff: float = 1.0,
    ) -> None:
        self._decoder = decoder if decoder is not None else _new_decoder()
        self._clock = clock
        self._lock = threading.Lock()
        self._subscriptions: list[Subscription] = []
        self._listeners: list[Callable[[Any], None]] = []
        self._raw_listeners: list[Callable[[RawFrame], None]] = []
        self._sockets: dict[str, SocketState] = {}
        self._frames = self._events = 0
        self._last_frame = 0.0
        self._login_ok = self._login_rejected = self._broker_seen = False
        self.capture = CdpCapture(host, port, self._on_item, clock=clock, max_backoff=max_backoff)

    # ------------------------------------------------------------ consumers

    def subscribe(self, maxsize: int = 100_000, raw: bool = False) -> Subscription:
        """A new bounded queue receiving every item from now on."""
        subscription = Subscription(self, maxsize, raw)
        with self._lock:
            self._subscriptions = [*self._subscriptions, subscription]
        return subscription

    def add_listener(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        """Call ``callback(item)`` on the capture thread for every decoded item; returns a remover."""
        with self._lock:
            self._listeners = [*self._listeners, callback]

        def remove() -> None:
            with self._lock:
                self._listeners = [c for c in self._listeners if c is not callback]

        return remove

    def add_raw_listener(self, callback: Callable[[RawFrame], None]) -> None:
        """Call ``callback(frame)`` on the capture thread for every raw frame (e.g. a frame recorder)."""
        with self._lock:
            self._raw_listeners = [*self._raw_listeners, callback]

    def _remove(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions = [s for s in self._subscriptions if s is not subscription]

    # ------------------------------------------------------------ lifecycle

    def start(self) -> CaptureHub:
        self.capture.start()
        return self

    def stop(self) -> None:
        """Stop the capture thread; subscriptions stay readable for what they hold."""
        self.capture.stop()

    def open_tab(self, url: str) -> bool:
        """Open ``url`` in a new, captured-from-the-start tab."""
        return self.capture.open_tab(url)

    @property
    def state(self) -> HubState:
        with self._lock:
            return HubState(
                connected=self.capture.connected,
                browser=self.capture.browser_version,
                sockets=tuple(self._sockets.values()),
                frames=self._frames,
                events=self._events,
                last_frame=self._last_frame,
                login_ok_seen=self._login_ok,
                login_rejected_seen=self._login_rejected,
                broker_socket_seen=self._broker_seen,
                dropped=sum(s.dropped for s in self._subscriptions),
            )

    @property
    def decoder_stats(self) -> Any:
        return getattr(self._decoder, "stats", None)

    # ------------------------------------------------------- capture thread

    def _on_item(self, item: Any) -> None:
        if isinstance(item, RawFrame):
            for raw_listener in self._raw_listeners:
                raw_listener(item)
            self._track_frame(item)
            self._publish_raw(item)
            events = self._decode(lambda: self._decoder.feed(item))
        elif isinstance(item, WebSocketOpened):
            self._track_open(item)
            events = self._decode(lambda: self._decoder.socket_opened(item.socket, item.url, item.t))
        elif isinstance(item, WebSocketClosed):
            with self._lock:
                self._sockets.pop(item.socket, None)
            events = self._decode(lambda: self._decoder.socket_closed(item.socket, item.t))
        else:
            events = [item]
        for event in events:
            self._track_event(event)
            self._publish(event)

    def _decode(self, call: Callable[[], Any]) -> list[Any]:
        try:
            return list(call() or ())
        except Exception:  # noqa: BLE001 - the decoder counts bad frames; this is the last guard
            log.exception("decoder failed")
            return []

    def _publish(self, item: Any) -> None:
        for listener in self._listeners:
            try:
                listener(item)
            except Exception:  # noqa: BLE001
                log.exception("capture listener failed")
        for subscription in self._subscriptions:
            subscription.put(item)

    def _publish_raw(self, frame: RawFrame) -> None:
        for subscription in self._subscriptions:
            if subscription.raw:
                subscription.put(frame)

    def _track_open(self, item: WebSocketOpened) -> None:
        broker = any(hint in item.url.lower() for hint in _BROKER_URL_HINTS)
        with self._lock:
            self._sockets[item.socket] = SocketState(item.socket, item.url, item.t, broker=broker)
            self._broker_seen |= broker

    def _track_frame(self, frame: RawFrame) -> None:
        with self._lock:
            self._frames += 1
            self._last_frame = frame.t
            state = self._sockets.get(frame.socket) or SocketState(frame.socket, "", frame.t)
            broker = state.broker or (frame.opcode == 1 and frame.data[:4] in ('0{"s', "40{\"", "42[\"", "451-"))
            self._broker_seen |= broker
            self._sockets[frame.socket] = replace(state, broker=broker, frames=state.frames + 1, last_frame=frame.t)

    def _track_event(self, event: Any) -> None:
        socket = getattr(event, "socket", None)
        login = {ev.LoginAttempted: "attempted", ev.LoginSucceeded: "ok", ev.LoginRejected: "rejected"}.get(
            type(event)
        )
        with self._lock:
            self._events += 1
            if isinstance(event, ev.LoginSucceeded):
                self._login_ok = True
            if isinstance(event, ev.LoginRejected):
                self._login_rejected = True
            state = self._sockets.get(socket) if socket else None
            if state is None:
                return
            if isinstance(event, ev.SessionDisconnected) and state.login == "attempted":
                login, self._login_rejected = "rejected", True
            if isinstance(event, ev.TicksReceived):
                state = replace(state, ticks=state.ticks + len(event.ticks))
            if isinstance(event, _BROKER_EVENTS) or login:
                state = replace(state, broker=True, login=login or state.login)
                self._broker_seen = True
            self._sockets[socket] = state
