"""A plain Socket.IO-over-WebSocket test client for the practice broker (websocket-client).

It reads frame by frame, reassembles the two-frame form, answers pings when told to, and keeps
every frame it saw so tests can assert on the raw framing.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

import websocket

from quantumflux.core.protocol.framing import FrameError, RawFrame, parse_text


@dataclass
class Event:
    name: str
    payload: Any
    form: str  # "single" or "binary"
    received: float


@dataclass
class WireClient:
    url: str
    answer_pings: bool = True
    timeout: float = 5.0
    socket: websocket.WebSocket = field(init=False)
    open_data: dict[str, Any] = field(init=False, default_factory=dict)
    connect_data: Any = field(init=False, default=None)
    capture: list[RawFrame] = field(init=False, default_factory=list)
    frames: list[tuple[int, Any]] = field(init=False, default_factory=list)
    events: list[Event] = field(init=False, default_factory=list)
    pings: int = field(init=False, default=0)
    malformed: int = field(init=False, default=0)
    messages: int = field(init=False, default=0)
    _pending: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.socket = websocket.create_connection(self.url, timeout=self.timeout)
        while self.read() != "open":
            pass

    def close(self) -> None:
        self.socket.close()

    def send(self, text: str) -> None:
        self.capture.append(RawFrame(time.time(), self.url, "out", 1, text))
        self.socket.send(text)

    def send_event(self, name: str, payload: Any = None) -> None:
        self.send("42" + json.dumps([name] if payload is None else [name, payload]))

    def connect_namespace(self) -> dict[str, Any]:
        self.send("40")
        while self.read() != "connect":
            pass
        return self.connect_data

    def login(self, session: str = "practice-test", is_demo: int = 1) -> Event:
        """Namespace connect, auth, and wait for the first answer (successauth or NotAuthorized)."""
        self.connect_namespace()
        self.send_event("auth", {"session": session, "isDemo": is_demo, "uid": 1, "platform": 2})
        return self.wait_for({"successauth", "NotAuthorized"})

    def subscribe(self, *assets: str, period: int = 60) -> None:
        """Show each asset (``changeSymbol``), as the page does: the broker streams a client's last four."""
        for asset in assets:
            self.send_event("changeSymbol", {"asset": asset, "period": period})

    def read(self) -> Event | str | None:
        """Read one frame; returns a completed event, an engine packet kind, or None (mid-pair)."""
        opcode, data = self.socket.recv_data()
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise websocket.WebSocketConnectionClosedException("the server closed the socket")
        self.frames.append((opcode, data))
        binary = opcode == websocket.ABNF.OPCODE_BINARY
        text = base64.b64encode(data).decode() if binary else data.decode("utf-8", errors="replace")
        self.capture.append(RawFrame(time.time(), self.url, "in", 2 if binary else 1, text))
        if opcode == websocket.ABNF.OPCODE_BINARY:
            name, self._pending = self._pending, None
            try:
                payload = json.loads(data.decode())
            except ValueError:
                self.malformed += 1
                return None
            if name is None:
                self.malformed += 1
                return None
            return self._event(name, payload, "binary")
        text = data.decode()
        try:
            packet = parse_text(text)
        except FrameError:
            self.malformed += 1
            return None
        if packet.kind == "ping":
            self.pings += 1
            if self.answer_pings:
                self.send("3")
            return "ping"
        if packet.kind == "binary_event":
            self._pending = packet.name
            return None
        if packet.kind == "event":
            return self._event(packet.name, packet.data, "single")
        if packet.kind == "open" and not self.open_data:
            self.open_data = packet.data
        if packet.kind == "connect":
            self.connect_data = packet.data
        return packet.kind

    def _event(self, name: str, payload: Any, form: str) -> Event:
        self.messages += 1
        event = Event(name, payload, form, time.time())
        self.events.append(event)
        return event

    def wait_for(self, names: set[str] | str, timeout: float = 5.0, predicate=None) -> Event:  # type: ignore[no-untyped-def]
        names = {names} if isinstance(names, str) else names
        deadline = time.time() + timeout
        while time.time() < deadline:
            item = self.read()
            if isinstance(item, Event) and item.name in names and (predicate is None or predicate(item)):
                return item
        raise AssertionError(f"no {names} within {timeout} s")

    def read_for(self, seconds: float) -> None:
        deadline = time.time() + seconds
        while time.time() < deadline:
            self.read()

    def named(self, name: str) -> list[Event]:
        return [event for event in self.events if event.name == name]

    def ticks(self) -> list[tuple[str, float, float]]:
        return [tuple(tick) for event in self.named("updateStream") for tick in event.payload]  # type: ignore[misc]
