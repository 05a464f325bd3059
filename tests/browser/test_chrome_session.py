"""Chrome session management against a real headless Chromium."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from quantumflux.browser.chrome import (
    BrowserNotFound,
    BrowserSupervisor,
    browser_flags,
    devtools_version,
    find_browser,
    launch_browser,
    list_tabs,
)

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_find_browser_explicit_path_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "my-chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    assert find_browser(fake) == fake
    monkeypatch.setenv("QF_BROWSER", str(fake))
    assert find_browser() == fake
    with pytest.raises(BrowserNotFound, match="not found"):
        find_browser(tmp_path / "missing")


def test_find_browser_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("QF_BROWSER", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BrowserNotFound, match="--browser PATH"):
        find_browser()
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert find_browser() == fake


def test_flags_bind_devtools_to_localhost(tmp_path: Path) -> None:
    flags = browser_flags(9333, tmp_path, headless=True, url="http://x/")
    assert "--remote-debugging-port=9333" in flags
    assert "--remote-debugging-address=127.0.0.1" in flags
    assert f"--user-data-dir={tmp_path}" in flags
    assert "--headless=new" in flags and flags[-1] == "http://x/"
    assert "--headless=new" not in browser_flags(9333, tmp_path)


def test_nothing_listening_answers_none() -> None:
    port = free_port()
    assert devtools_version("127.0.0.1", port, timeout=0.5) is None
    assert list_tabs("127.0.0.1", port) == []


@pytest.mark.browser
def test_launch_reuse_stop_and_profile_persists(tmp_path: Path) -> None:
    port, profile = free_port(), tmp_path / "profile"
    browser = launch_browser(port, profile, url="about:blank", headless=True)
    try:
        assert not browser.reused and browser.alive()
        assert browser.version["Browser"].startswith(("Chrome/", "HeadlessChrome/"))
        assert browser.websocket_url.startswith(f"ws://127.0.0.1:{port}/devtools/browser/")
        assert any(tab["url"] == "about:blank" for tab in list_tabs("127.0.0.1", port))
        again = launch_browser(port, profile, headless=True)
        assert again.reused and again.process is None
        again.stop()  # a reused browser is never stopped by us
        assert browser.alive()
    finally:
        browser.stop()
    assert not browser.alive()
    assert devtools_version("127.0.0.1", port) is None
    assert (profile / "Default").is_dir()  # the profile persists for the next start


@pytest.mark.browser
def test_supervisor_restarts_a_killed_browser(tmp_path: Path) -> None:
    port, profile = free_port(), tmp_path / "profile"

    def relaunch():
        return launch_browser(port, profile, headless=True, reuse=False)

    supervisor = BrowserSupervisor(relaunch(), relaunch, interval=0.1).start()
    try:
        first = supervisor.browser.process
        first.kill()
        first.wait()
        deadline = 20.0
        import time

        start = time.monotonic()
        while supervisor.restarts == 0 and time.monotonic() - start < deadline:
            time.sleep(0.1)
        assert supervisor.restarts == 1
        assert supervisor.browser.process is not first
        assert devtools_version("127.0.0.1", port) is not None
    finally:
        supervisor.stop()
    assert devtools_version("127.0.0.1", port) is None


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quantumflux", *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})}, cwd=ROOT,
    )


def test_chrome_status_without_browser_exits_no_browser() -> None:
    from quantumflux.cli.main import EXIT_NO_BROWSER

    result = _cli("chrome", "status", "--port", str(free_port()), "--json")
    assert result.returncode == EXIT_NO_BROWSER
    assert json.loads(result.stdout)["browser"] is None


@pytest.mark.browser
def test_chrome_start_then_status(tmp_path: Path) -> None:
    port, profile = free_port(), tmp_path / "profile"
    result = _cli("chrome", "start", "--port", str(port), "--profile", str(profile), "--headless", "--url", "about:blank")
    try:
        assert result.returncode == 0, result.stderr
        assert "log in" in result.stdout.lower()
        status = _cli("chrome", "status", "--port", str(port), "--json", "--sample", "0.5")
        report = json.loads(status.stdout)
        assert report["browser"] and report["tabs"]
        assert report["broker_socket"] is False  # about:blank opens no socket
        assert status.returncode == 1
    finally:
        info = devtools_version("127.0.0.1", port)
        if info:
            import websocket

            ws = websocket.create_connection(info["webSocketDebuggerUrl"], suppress_origin=True)
            ws.send(json.dumps({"id": 1, "method": "Browser.close"}))
            ws.close()
