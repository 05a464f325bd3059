"""Push capture of every page's WebSocket traffic over the Chrome DevTools Protocol.

One worker thread holds the browser-level DevTools WebSocket (websocket-client),
discovers and auto-attaches (flatten) every page target, enables ``Network`` in each
session and turns ``Network.webSocket*`` events into capture items:

- :class:`~quantumflux.core.protocol.framing.RawFrame` for each frame (in and out),
- :class:`WebSocketOpened` / :class:`WebSocketClosed` for the page's sockets,
- :class:`~quantumflux.core.protocol.events.LinkChanged` when the DevTools connection comes up or goes away.

When the browser goes away the worker retries with backoff and resumes by itself.
Items go to one ``sink`` callable, called on the worker thread (keep it fast).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import websocket

from quantumflux.browser.chrome import devtools_version
from quantumflux.core.protocol.events import LinkChanged
from quantumflux.core.protocol.framing import RawFrame

log = logging.getLogger(__name__)

#: Target types whose Network domain is enabled (the socket may live in a frame or worker).
_CAPTURED_TYPES = {"page", "iframe", "worker", "shared_worker", "service_worker"}
#: New targets start paused until Network is enabled in them, so no early socket is missed.
_AUTO_ATTACH = {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True}


class WebSocketOpened(NamedTuple):
    """The page opened a WebSocket (``url`` is empty when it was already open before capture began)."""

    t: float
    socket: str
    url: str


class WebSocketClosed(NamedTuple):
    """A page WebSocket closed (or the browser link carrying it was lost)."""

    t: float
    socket: str


CaptureItem = RawFrame | WebSocketOpened | WebSocketClosed | LinkChanged
Sink = Callable[[CaptureItem], None]


class CdpCapture:
    """Capture WebSocket frames from every tab of the browser at ``host:port``.

    ``clock`` gives the receive time stamped on each item (Unix seconds). ``start()``
    launches the worker; ``stop()`` ends it. Counters: ``frames``, ``connects``.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sink: Sink,
        clock: Callable[[], float] = time.time,
        max_backoff: float = 1.0,
    ) -> None:
        self.host = host
        self.port = port
        self._sink = sink
        self._clock = clock
        self._max_backoff = max_backoff
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ws: websocket.WebSocket | None = None
        self._next_id = 0
        self._send_lock = threading.Lock()
        self._sessions: dict[str, str] = {}  # sessionId -> target type
        self._attached_targets: set[str] = set()
        self._open_sockets: dict[str, str] = {}  # requestId -> url
        self._socket_sessions: dict[str, str | None] = {}  # requestId -> the session that reports it
        self.connected = False
        self.frames = 0
        self.connects = 0
        self.browser_version = ""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> CdpCapture:
        if self._thread is not None:
            raise RuntimeError("capture already started")
        self._thread = threading.Thread(target=self._run, name="cdp-capture", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker and close the DevTools connection."""
        self._stop.set()
        ws = self._ws
        if ws is not None:
            try:
                ws.close(timeout=0.2)
            except Exception:  # noqa: BLE001 - closing a broken socket
                pass
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    @property
    def open_sockets(self) -> dict[str, str]:
        """Sockets currently open (request id → URL)."""
        return dict(self._open_sockets)

    # ------------------------------------------------------------------- worker

    def _run(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            info = devtools_version(self.host, self.port, timeout=1.0)
            if info is None:
                self._stop.wait(backoff)
                backoff = min(self._max_backoff, backoff * 2)
                continue
            try:
                self._session(info)
                backoff = 0.1
            except (OSError, websocket.WebSocketException, ValueError) as exc:
                log.info("DevTools connection ended: %s", exc)
            finally:
                self._link_lost("browser connection lost")
            self._stop.wait(backoff)
            backoff = min(self._max_backoff, backoff * 2)

    def _session(self, info: dict[str, Any]) -> None:
        # skip_utf8_validation: websocket-client checks fragmented text messages byte by byte in
        # Python (Chrome fragments every large CDP message, e.g. a broker history), holding the GIL
        # for tens of ms and stalling the GUI thread. str.decode in recv() still rejects bad UTF-8.
        ws = websocket.create_connection(
            info["webSocketDebuggerUrl"], timeout=5, suppress_origin=True, enable_multithread=True,
            skip_utf8_validation=True,
        )
        self._ws = ws
        self.browser_version = str(info.get("Browser", ""))
        self._sessions.clear()
        self._attached_targets.clear()
        self._socket_sessions.clear()
        self._send("Target.setAutoAttach", _AUTO_ATTACH)
        self._send("Target.setDiscoverTargets", {"discover": True})
        self.connected = True
        self.connects += 1
        self._emit(LinkChanged(self._clock(), True, self.browser_version))
        ws.settimeout(0.5)
        while not self._stop.is_set():
            try:
                message = ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            if not message:
                raise websocket.WebSocketConnectionClosedException("DevTools socket closed")
            self._dispatch(json.loads(message))

    def _link_lost(self, detail: str) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                ws.close(timeout=0.2)
            except Exception:  # noqa: BLE001
                pass
        now = self._clock()
        for socket_id in list(self._open_sockets):
            self._emit(WebSocketClosed(now, socket_id))
        self._open_sockets.clear()
        if self.connected:
            self.connected = False
            self._emit(LinkChanged(now, False, detail))

    def open_tab(self, url: str) -> bool:
        """Open ``url`` in a new tab (captured from its first request). False when not connected."""
        try:
            return self._send("Target.createTarget", {"url": url})
        except (OSError, websocket.WebSocketException):
            return False

    def _send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> bool:
        with self._send_lock:
            ws = self._ws
            if ws is None:
                return False
            self._next_id += 1
            message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
            if session:
                message["sessionId"] = session
            ws.send(json.dumps(message))
            return True

    def _emit(self, item: CaptureItem) -> None:
        try:
            self._sink(item)
        except Exception:  # noqa: BLE001 - a consumer bug must not stop the capture
            log.exception("capture consumer failed on %s", type(item).__name__)

    # ----------------------------------------------------------------- dispatch

    def _dispatch(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        if method is None:
            return  # a command response
        params = message.get("params") or {}
        handler = _HANDLERS.get(method)
        if handler is None:
            return
        try:
            handler(self, params, message.get("sessionId"))
        except (TypeError, ValueError, AttributeError):  # an unexpected CDP shape: skip this event only
            log.exception("unexpected %s event", method)

    def _owned(self, socket_id: str, session: str | None) -> bool:
        """True when ``session`` reports this socket (a target attached twice reports it twice)."""
        owner = self._socket_sessions.setdefault(socket_id, session)
        return owner == session

    def _on_frame(self, params: dict[str, Any], direction: str, session: str | None) -> None:
        socket_id = str(params.get("requestId", ""))
        if not self._owned(socket_id, session):
            return
        response = params.get("response") or {}
        t = self._clock()
        if socket_id not in self._open_sockets:  # already open when the capture attached
            self._open_sockets[socket_id] = ""
            self._emit(WebSocketOpened(t, socket_id, ""))
        self.frames += 1
        opcode = int(response.get("opcode", 1))
        self._emit(RawFrame(t, socket_id, direction, opcode, str(response.get("payloadData", ""))))

    def _on_received(self, params: dict[str, Any], session: str | None) -> None:
        self._on_frame(params, "in", session)

    def _on_sent(self, params: dict[str, Any], session: str | None) -> None:
        self._on_frame(params, "out", session)

    def _on_created(self, params: dict[str, Any], session: str | None) -> None:
        socket_id = str(params.get("requestId", ""))
        if not self._owned(socket_id, session):
            return
        url = str(params.get("url", ""))
        self._open_sockets[socket_id] = url
        self._emit(WebSocketOpened(self._clock(), socket_id, url))

    def _on_closed(self, params: dict[str, Any], session: str | None) -> None:
        socket_id = str(params.get("requestId", ""))
        if not self._owned(socket_id, session):
            return
        self._socket_sessions.pop(socket_id, None)
        if self._open_sockets.pop(socket_id, None) is not None:
            self._emit(WebSocketClosed(self._clock(), socket_id))

    def _on_attached(self, params: dict[str, Any], _session: str | None) -> None:
        session = params.get("sessionId")
        info = params.get("targetInfo") or {}
        if not session:
            return
        kind = str(info.get("type", ""))
        self._sessions[session] = kind
        self._attached_targets.add(str(info.get("targetId", "")))
        if kind in _CAPTURED_TYPES:
            self._send("Network.enable", {"maxPostDataSize": 0}, session)
            if kind in ("page", "iframe"):
                self._send("Page.enable", None, session)  # frameNavigated: the old document's sockets are gone
            # Frames and workers inside the page (out-of-process iframes) get their own sessions.
            self._send("Target.setAutoAttach", _AUTO_ATTACH, session)
        if params.get("waitingForDebugger"):
            self._send("Runtime.runIfWaitingForDebugger", None, session)

    def _on_detached(self, params: dict[str, Any], _session: str | None) -> None:
        session = str(params.get("sessionId", ""))
        self._sessions.pop(session, None)
        self._close_session_sockets(session)
        self._attached_targets.discard(str(params.get("targetId", "")))

    def _on_navigated(self, params: dict[str, Any], session: str | None) -> None:
        """A main-frame navigation or reload: Chrome reports no close for the old document's sockets."""
        frame = params.get("frame") or {}
        if frame.get("parentId") or session is None:
            return
        self._close_session_sockets(session)

    def _close_session_sockets(self, session: str) -> None:
        now = self._clock()
        for socket_id in [s for s, owner in self._socket_sessions.items() if owner == session]:
            del self._socket_sessions[socket_id]
            if self._open_sockets.pop(socket_id, None) is not None:
                self._emit(WebSocketClosed(now, socket_id))

    def _on_target(self, params: dict[str, Any], _session: str | None) -> None:
        info = params.get("targetInfo") or {}
        target = str(info.get("targetId", ""))
        if info.get("type") == "page" and target and target not in self._attached_targets and not info.get("attached"):
            self._attached_targets.add(target)
            self._send("Target.attachToTarget", {"targetId": target, "flatten": True})

    def _on_target_destroyed(self, params: dict[str, Any], _session: str | None) -> None:
        self._attached_targets.discard(str(params.get("targetId", "")))


_HANDLERS: dict[str, Callable[[CdpCapture, dict[str, Any], str | None], None]] = {
    "Network.webSocketFrameReceived": CdpCapture._on_received,
    "Network.webSocketFrameSent": CdpCapture._on_sent,
    "Network.webSocketCreated": CdpCapture._on_created,
    "Network.webSocketClosed": CdpCapture._on_closed,
    "Page.frameNavigated": CdpCapture._on_navigated,
    "Target.attachedToTarget": CdpCapture._on_attached,
    "Target.detachedFromTarget": CdpCapture._on_detached,
    "Target.targetCreated": CdpCapture._on_target,
    "Target.targetInfoChanged": CdpCapture._on_target,
    "Target.targetDestroyed": CdpCapture._on_target_destroyed,
}
