"""Live CDP capture from real headless Chromium on the real practice broker."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import websocket

from quantumflux.browser.chrome import BrowserProcess, launch_browser
from quantumflux.core.protocol import events as ev
from quantumflux.core.protocol.events import LinkChanged
from quantumflux.core.protocol.framing import RawFrame
from quantumflux.services.capture_hub import CaptureHub
from quantumflux.sim.server import PracticeBroker

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class Recorder:
    """Collects every raw frame and decoded item of a hub, with the socket ids that carried ticks."""

    def __init__(self, hub: CaptureHub) -> None:
        self.frames: list[RawFrame] = []
        self.items: list[object] = []
        hub.add_raw_listener(self.frames.append)
        hub.add_listener(self.items.append)

    def tick_sockets(self) -> set[str]:
        return {item.socket for item in list(self.items) if isinstance(item, ev.TicksReceived)}

    def ticks_on(self, socket_id: str) -> int:
        return sum(len(i.ticks) for i in list(self.items) if isinstance(i, ev.TicksReceived) and i.socket == socket_id)


@pytest.fixture
def broker() -> Iterator[PracticeBroker]:
    with PracticeBroker(seed=7, assets=6, tick_rate=5.0) as running:
        yield running


@pytest.fixture
def browser(tmp_path: Path, broker: PracticeBroker) -> Iterator[BrowserProcess]:
    process = launch_browser(free_port(), tmp_path / "profile", url=broker.url, headless=True)
    yield process
    process.stop()


def page_command(port: int, url_prefix: str, method: str) -> None:
    """Send one CDP command to the first page whose URL starts with ``url_prefix``."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as response:
        tabs = json.loads(response.read())
    page = next(t for t in tabs if t.get("type") == "page" and t.get("url", "").startswith(url_prefix))
    ws = websocket.create_connection(page["webSocketDebuggerUrl"], suppress_origin=True, timeout=5)
    try:
        ws.send(json.dumps({"id": 1, "method": method}))
        while json.loads(ws.recv()).get("id") != 1:
            pass
    finally:
        ws.close()


def test_frames_in_and_out_and_decoded_ticks(browser: BrowserProcess, broker: PracticeBroker) -> None:
    hub = CaptureHub("127.0.0.1", browser.port).start()
    record = Recorder(hub)
    try:
        wait_until(lambda: len(record.tick_sockets()) == 1 and record.ticks_on(next(iter(record.tick_sockets()))) >= 20,
                   20, "decoded ticks")
        wait_until(lambda: any(f.dir == "out" for f in record.frames), 30, "an outgoing frame (pong or ps)")
    finally:
        hub.stop()
    directions = {f.dir for f in record.frames}
    opcodes = {f.opcode for f in record.frames if f.dir == "in"}
    assert directions == {"in", "out"} and opcodes == {1, 2}  # text and binary frames
    assert record.frames == sorted(record.frames, key=lambda f: f.t)
    state = hub.state
    assert state.broker_socket_seen and state.frames == len(record.frames)
    # every decoded tick is one the broker really emitted, with its exact time and price
    emitted = {(t.asset, round(t.time, 3), t.price) for t in broker.emitted_ticks()}
    seen = [t for i in record.items if isinstance(i, ev.TicksReceived) for t in i.ticks]
    assert seen and all((t.asset, round(t.time, 3), t.price) in emitted for t in seen)
    assert isinstance(record.items[0], LinkChanged) and record.items[0].connected


def test_follows_reload_and_new_tab(browser: BrowserProcess, broker: PracticeBroker) -> None:
    hub = CaptureHub("127.0.0.1", browser.port).start()
    record = Recorder(hub)
    try:
        wait_until(lambda: len(record.tick_sockets()) == 1, 20, "ticks on the first socket")
        first = next(iter(record.tick_sockets()))
        page_command(browser.port, broker.url, "Page.reload")
        wait_until(lambda: len(record.tick_sockets()) == 2, 20, "ticks on the reloaded page's socket")
        closed = [i for i in record.items if isinstance(i, ev.SocketClosed)]
        assert [c.socket for c in closed] == [first]
        assert hub.open_tab(broker.url)
        wait_until(lambda: len(record.tick_sockets()) == 3, 20, "ticks in the new tab")
        newest = (record.tick_sockets() - {first}) - {c.socket for c in closed}
        # the new tab was captured from its very first frame: its Engine.IO open frame is there
        opened = [f for f in record.frames if f.dir == "in" and f.data.startswith('0{"sid"')]
        assert {f.socket for f in opened} >= newest
    finally:
        hub.stop()


def test_capture_resumes_after_the_browser_is_killed(
    tmp_path: Path, browser: BrowserProcess, broker: PracticeBroker
) -> None:
    hub = CaptureHub("127.0.0.1", browser.port, max_backoff=0.5).start()
    record = Recorder(hub)
    replacement: BrowserProcess | None = None
    try:
        wait_until(lambda: len(record.tick_sockets()) == 1, 20, "ticks before the kill")
        assert browser.process is not None
        browser.process.kill()
        browser.process.wait()
        wait_until(lambda: not hub.state.connected, 10, "the capture to notice")
        links = [i for i in record.items if isinstance(i, LinkChanged)]
        assert [link.connected for link in links] == [True, False]
        replacement = launch_browser(browser.port, tmp_path / "profile", url=broker.url, headless=True)
        wait_until(lambda: len(record.tick_sockets()) == 2, 20, "ticks after the browser came back")
        links = [i for i in record.items if isinstance(i, LinkChanged)]
        assert [link.connected for link in links] == [True, False, True]
        assert hub.capture.connects == 2
    finally:
        hub.stop()
        if replacement is not None:
            replacement.stop()


def test_chrome_status_sees_the_logged_in_socket(browser: BrowserProcess, broker: PracticeBroker) -> None:
    from quantumflux.cli.commands.chrome import collect_status

    report = collect_status("127.0.0.1", browser.port, sample=10)
    assert report["browser"] and any(tab["url"].startswith(broker.url) for tab in report["tabs"])
    assert report["broker_socket"] and report["authenticated"] and not report["login_rejected"]
    assert any(s["pocketoption"] and (s["ticks"] > 0 or s["login"] == "ok") for s in report["sockets"])
    assert broker.page_session not in str(report)
