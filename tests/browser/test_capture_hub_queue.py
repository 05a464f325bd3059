"""CaptureHub fan-out without a browser: bounded subscriptions, listeners, state from decoded frames."""

from __future__ import annotations

import base64
import json
import socket

from quantumflux.browser.cdp import WebSocketClosed, WebSocketOpened
from quantumflux.core.protocol import events as ev
from quantumflux.core.protocol.events import LinkChanged
from quantumflux.core.protocol.framing import RawFrame, encode_binary_event, encode_event
from quantumflux.services.capture_hub import CaptureHub


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _feed(hub: CaptureHub, item: object) -> None:
    hub._on_item(item)  # the capture thread's entry point, driven by hand here


def _tick_frames(socket_id: str, t: float, price: float) -> list[RawFrame]:
    text, payload = encode_binary_event("updateStream", [["EURUSD_otc", t, price]])
    return [RawFrame(t, socket_id, "in", 1, text), RawFrame(t, socket_id, "in", 2, base64.b64encode(payload).decode())]


def test_every_consumer_gets_every_decoded_tick_and_slow_ones_drop_oldest() -> None:
    hub = CaptureHub("127.0.0.1", _free_port())
    fast, slow = hub.subscribe(), hub.subscribe(maxsize=3)
    raw = hub.subscribe(raw=True)
    seen: list[object] = []
    remove = hub.add_listener(seen.append)
    _feed(hub, LinkChanged(1.0, True, "test"))
    _feed(hub, WebSocketOpened(1.0, "s1", "ws://127.0.0.1/socket.io/?EIO=4&transport=websocket"))
    now = 1_764_000_000.0
    for i in range(5):
        for frame in _tick_frames("s1", now + i, 1.1 + i / 100):
            _feed(hub, frame)
    ticks = []
    while (item := fast.get(timeout=0)) is not None:
        if isinstance(item, ev.TicksReceived):
            ticks.extend(item.ticks)
    assert [round(t.price, 2) for t in ticks] == [1.1, 1.11, 1.12, 1.13, 1.14]
    kept = [slow.get(timeout=0) for _ in range(3)]
    assert slow.get(timeout=0) is None and slow.dropped > 0
    assert isinstance(kept[-1], ev.TicksReceived) and round(kept[-1].ticks[0].price, 2) == 1.14
    assert sum(isinstance(x, RawFrame) for x in iter(lambda: raw.get(timeout=0), None)) == 10
    assert sum(isinstance(x, ev.TicksReceived) for x in seen) == 5
    remove()
    _feed(hub, RawFrame(now, "s1", "in", 1, encode_event("successauth")))
    assert not any(isinstance(x, ev.LoginSucceeded) for x in seen)
    state = hub.state
    assert state.broker_socket_seen and state.authenticated and state.sockets[0].ticks == 5
    assert state.dropped == slow.dropped
    _feed(hub, WebSocketClosed(now + 9, "s1"))
    assert hub.state.sockets == ()


def test_rejected_login_is_reported() -> None:
    hub = CaptureHub("127.0.0.1", _free_port())
    now = 1_764_000_000.0
    _feed(hub, WebSocketOpened(now, "s2", ""))
    _feed(hub, RawFrame(now, "s2", "out", 1, encode_event("auth", {"session": "secret", "isDemo": 1, "uid": 1})))
    _feed(hub, RawFrame(now, "s2", "in", 1, encode_event("NotAuthorized")))
    state = hub.state
    assert state.login_rejected_seen and not state.authenticated
    assert state.sockets[0].broker and state.sockets[0].login == "rejected"
    assert "secret" not in json.dumps([s.url for s in state.sockets])
