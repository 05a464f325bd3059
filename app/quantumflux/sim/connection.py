"""One client socket of the practice broker: Engine.IO/Socket.IO session, pings, outgoing queue.

Every outgoing message goes through a per-connection queue and one writer task, so frame pairs
of the two-frame form stay together, a slow client never blocks the others, and the delay,
duplicate and malformed faults apply in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from quantumflux.core.protocol.framing import (
    DISCONNECT,
    PING,
    PONG,
    FrameError,
    encode_connect,
    encode_event,
    encode_open,
    parse_text,
)
from quantumflux.sim.subscriptions import Subscriptions
from quantumflux.sim.wire import Message

if TYPE_CHECKING:
    from quantumflux.sim.server import PracticeBroker

log = logging.getLogger(__name__)

_QUEUE_LIMIT = 20000
_CLOSE = ("<close>",)


class ClientConnection:
    """The broker side of one socket. Created and driven on the broker's event loop."""

    def __init__(self, broker: PracticeBroker, socket: ServerConnection) -> None:
        self.broker = broker
        self.socket = socket
        self.sid = uuid.uuid4().hex[:20]
        self.connected_at = time.time()
        self.namespace_open = False
        self.authenticated = False
        self.is_demo = True
        self.subscriptions = Subscriptions()
        self.counts: dict[str, int] = {}
        self._queue: asyncio.Queue[tuple[float, Message]] = asyncio.Queue()
        self._pong = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------------ lifecycle

    async def run(self) -> None:
        """Serve the socket until it closes."""
        broker = self.broker
        self.send((encode_open(self.sid, broker.ping_interval_ms, broker.ping_timeout_ms),))
        self._tasks = [asyncio.create_task(self._writer()), asyncio.create_task(self._pinger())]
        try:
            async for frame in self.socket:
                if isinstance(frame, str):
                    self._on_text(frame)
                else:
                    self._count("binary_in")
        except ConnectionClosed:
            pass
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def send(self, message: Message) -> None:
        """Queue one message (applies the duplicate and malformed faults)."""
        if self._queue.qsize() > _QUEUE_LIMIT:
            log.warning("sim: client %s is not reading; dropping it", self.sid)
            self.abort()
            return
        faults = self.broker.faults
        rng = self.broker.fault_rng
        due = time.monotonic() + faults.delay_ms / 1000.0
        if faults.malformed and rng.random() < faults.malformed:
            self._queue.put_nowait((due, (self.broker.malformed_frame(),)))
        self._queue.put_nowait((due, message))
        if faults.duplicate and rng.random() < faults.duplicate:
            self._queue.put_nowait((due, message))

    def close_after_flush(self) -> None:
        self._queue.put_nowait((time.monotonic(), _CLOSE))

    def abort(self) -> None:
        """Drop the socket abruptly (no close handshake), as a network failure would."""
        transport = getattr(self.socket, "transport", None)
        if transport is not None:
            transport.abort()

    async def _writer(self) -> None:
        try:
            while True:
                due, message = await self._queue.get()
                wait = due - time.monotonic()
                if wait > 0:  # the delay fault: every message leaves delay_ms after it was queued
                    await asyncio.sleep(wait)
                if message is _CLOSE:
                    await self.socket.close()
                    return
                for frame in message:
                    await self.socket.send(frame)
        except ConnectionClosed:
            pass

    async def _pinger(self) -> None:
        interval = self.broker.ping_interval_ms / 1000.0
        timeout = self.broker.ping_timeout_ms / 1000.0
        while True:
            await asyncio.sleep(interval)
            self._pong.clear()
            self.send((PING,))
            try:
                await asyncio.wait_for(self._pong.wait(), timeout)
            except TimeoutError:
                log.info("sim: client %s missed a pong; closing", self.sid)
                with contextlib.suppress(ConnectionClosed):
                    await self.socket.close(1000, "ping timeout")
                return

    # ------------------------------------------------------------------ incoming

    def _count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1

    def _on_text(self, frame: str) -> None:
        try:
            packet = parse_text(frame)
        except FrameError:
            self._count("malformed_in")
            return
        if packet.kind == "pong":
            self._pong.set()
        elif packet.kind == "ping":
            self.send((PONG,))
        elif packet.kind == "connect":
            self.namespace_open = True
            self.send((encode_connect(self.sid),))
        elif packet.kind == "disconnect":
            self.namespace_open = False
            self.authenticated = False
        elif packet.kind in ("event", "binary_event") and packet.name:
            self._count(packet.name)
            if not self.namespace_open:
                return
            try:
                self.broker.on_event(self, packet.name, packet.data)
            except Exception:  # one bad request must not end the session
                log.exception("sim: handling %s failed", packet.name)
        else:
            self._count(packet.kind)

    def reject(self) -> None:
        """``NotAuthorized`` then ``41``, then close the socket."""
        self.authenticated = False
        self.send((encode_event("NotAuthorized"),))
        self.send((DISCONNECT,))
        self.close_after_flush()

    def info(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "authenticated": self.authenticated,
            "is_demo": self.is_demo,
            "connected_for": round(time.time() - self.connected_at, 3),
            "streams": list(self.subscriptions.streams),
            "sentiment": sorted(self.subscriptions.sentiment),
            "events_in": dict(self.counts),
        }
