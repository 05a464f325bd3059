"""WebSocket stream hub: topic subscriptions (at most :data:`MAX_TOPICS` each) with bounded per-client queues.

A slow client never makes the queue grow without bound: when its queue is full the
oldest message is dropped and counted; the count is reported to the client in the next
message it receives (``dropped`` field) and in ``/status``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: Topics one connection may hold; a subscribe past it is refused with an error message.
MAX_TOPICS = 256
#: Longest topic accepted (characters).
MAX_TOPIC_LENGTH = 200


@dataclass
class Subscriber:
    """One connected client: its topics and its bounded queue."""

    topics: set[str] = field(default_factory=set)
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    dropped: int = 0

    def wants(self, topic: str) -> bool:
        # Topic "candles:EURUSD_otc:1m" is matched by itself, "candles:EURUSD_otc", "candles" or "*".
        if "*" in self.topics or topic in self.topics:
            return True
        parts = topic.split(":")
        return any(":".join(parts[:n]) in self.topics for n in range(1, len(parts)))


class StreamHub:
    """Fan-out from any thread to asyncio subscribers on one event loop."""

    def __init__(self, queue_size: int = 1000) -> None:
        self.queue_size = queue_size
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.published = 0

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, topics: Iterable[str] = ()) -> Subscriber:
        sub = Subscriber(set(topics), asyncio.Queue(maxsize=self.queue_size))
        with self._lock:
            self._subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def topics(self) -> set[str]:
        """Every topic some connected subscriber holds."""
        with self._lock:
            return {topic for sub in self._subscribers for topic in sub.topics}

    @property
    def dropped_total(self) -> int:
        with self._lock:
            return sum(s.dropped for s in self._subscribers)

    def publish(self, topic: str, data: Any) -> None:
        """Thread-safe: deliver ``{"topic", "data"}`` to every subscriber that wants it."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        message = {"topic": topic, "data": data}
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(topic, message)
        else:
            loop.call_soon_threadsafe(self._deliver, topic, message)

    def _deliver(self, topic: str, message: dict[str, Any]) -> None:
        self.published += 1
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            if not sub.wants(topic):
                continue
            if sub.queue.full():
                try:
                    sub.queue.get_nowait()
                except asyncio.QueueEmpty:
                    pass
                sub.dropped += 1
            sub.queue.put_nowait(message)
