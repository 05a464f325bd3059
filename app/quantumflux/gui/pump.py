"""Moves immutable events from worker threads to the GUI thread, coalesced per frame.

Worker threads call :meth:`EventPump.post` (thread-safe, never touches Qt). A QTimer on
the GUI thread drains everything posted since the last frame (about 30 Hz) and hands it
to one handler as a list, so 200 ticks a second cost 30 handler calls, not 200. The
longest handler call is recorded (``max_stall_ms``) — the GUI-thread stall figure.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer


class EventPump(QObject):
    def __init__(self, handler: Callable[[list[Any]], None], interval_ms: int = 33, parent: QObject | None = None,
                 always: bool = False) -> None:
        """``always``: call ``handler`` every frame, with an empty batch when nothing was posted (the terminal
        also takes what the shared market changed on other threads)."""
        super().__init__(parent)
        self._handler = handler
        self._always = always
        self._queue: deque[Any] = deque()
        self._lock = threading.Lock()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timeout)
        self.delivered = 0
        self.max_stall_ms = 0.0
        self.slowest_batch: dict[str, int] = {}  # event kinds of the slowest batch (what to look at)
        self.stalls_ms: deque[float] = deque(maxlen=10000)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def post(self, event: Any) -> None:
        """Thread-safe: queue an immutable event for the GUI thread."""
        with self._lock:
            self._queue.append(event)

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def drain(self) -> int:
        """Deliver everything queued now (the timer calls this); returns how many events."""
        with self._lock:
            if not self._queue and not self._always:
                return 0
            batch = list(self._queue)
            self._queue.clear()
        started = time.perf_counter()
        self._handler(batch)
        elapsed = (time.perf_counter() - started) * 1000.0
        self.stalls_ms.append(elapsed)
        if elapsed > self.max_stall_ms:
            self.max_stall_ms = elapsed
            kinds: dict[str, int] = {}
            for event in batch:
                kinds[type(event).__name__] = kinds.get(type(event).__name__, 0) + 1
            self.slowest_batch = kinds
        self.delivered += len(batch)
        return len(batch)

    def _on_timeout(self) -> None:
        self.drain()
