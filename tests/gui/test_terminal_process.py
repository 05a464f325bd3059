"""The terminal as a user starts it: a real process, the API on the Qt loop (qasync), clean exit."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from quantumflux.services.terminal_session import free_port

pytestmark = pytest.mark.slow


def test_terminal_serves_the_api_on_its_loop_and_exits_cleanly(tmp_path: Path):
    api_port, chrome_port = free_port(), free_port()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QF_HOME": str(tmp_path / "home"),
           "QF_API_PORT": str(api_port), "QF_CHROME_PORT": str(chrome_port)}
    process = subprocess.Popen([sys.executable, "-m", "quantumflux", "terminal", "--api", "--exit-after", "25"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 20
        health = None
        while time.time() < deadline and process.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{api_port}/health", timeout=1).json()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert health is not None and health["status"] == "ok", process.stderr.read() if process.poll() else ""
        token = (tmp_path / "home" / "api-token").read_text().strip()
        assets = httpx.get(f"http://127.0.0.1:{api_port}/assets", headers={"Authorization": f"Bearer {token}"},
                           timeout=10)
        assert assets.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{api_port}/assets", timeout=10).status_code == 401
        process.send_signal(__import__("signal").SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (tmp_path / "home" / "api-token").stat().st_mode & 0o077 == 0


def test_without_a_display_it_says_what_to_do(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["QF_HOME"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "quantumflux", "terminal"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert "no display" in result.stderr and "--headless" in result.stderr
