"""The API's outer guard over real HTTP: token before body, body size cap, Host check, one bind rule."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import websocket

from quantumflux.api.embedded import EmbeddedApi
from quantumflux.config import Settings
from quantumflux.services.application import Application
from quantumflux.services.facade import QuantumFluxService

DATA_ROOT = Path(__file__).resolve().parents[2] / "data"
TOKEN = "t" * 43  # the token tests/api/conftest.py serves with
MAX_BODY_BYTES = 1024 * 1024  # quantumflux.api.guard.MAX_BODY_BYTES, the documented limit


def _raw_request(url: str, head: str, timeout: float = 5.0) -> tuple[int, str]:
    """Send only a request head (no body) and read the answer: proves the server did not wait for the body."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        answer = b""
        try:
            while b"\r\n\r\n" not in answer or len(answer) < 12:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
            sock.settimeout(0.5)
            while chunk := sock.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
    assert answer, "no answer: the server waited for the body"
    status = int(answer.split(b" ", 2)[1])
    return status, answer.decode("latin-1")


@pytest.fixture
def api_url(stored_service: QuantumFluxService, serve_api: Any) -> Iterator[str]:
    with serve_api(stored_service) as url:
        yield url


def test_no_token_is_401_before_the_body_is_read(api_url: str):
    port = urlsplit(api_url).port
    started = time.monotonic()
    status, answer = _raw_request(api_url, f"POST /trades HTTP/1.1\nHost: 127.0.0.1:{port}\n"
                                           "Content-Type: text/plain\nContent-Length: 300000000\n")
    assert status == 401 and "token" in answer
    assert time.monotonic() - started < 3


def test_a_body_over_the_limit_is_413_from_its_length_or_as_it_streams(api_url: str):
    port = urlsplit(api_url).port
    status, answer = _raw_request(api_url, f"POST /trades HTTP/1.1\nHost: 127.0.0.1:{port}\n"
                                           f"Authorization: Bearer {TOKEN}\nContent-Type: application/json\n"
                                           f"Content-Length: {MAX_BODY_BYTES + 1}\n")
    assert status == 413 and str(MAX_BODY_BYTES) in answer
    sent = 0

    def chunks() -> Iterator[bytes]:  # chunked: no Content-Length to judge by
        nonlocal sent
        for _ in range(64):
            sent += 65536
            yield b" " * 65536

    try:
        response = httpx.post(api_url + "/backtests", content=chunks(), timeout=10,
                              headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        assert response.status_code == 413 and "too large" in response.json()["error"]
    except httpx.WriteError:  # the server answered and closed while the client was still sending
        pass
    assert sent <= 64 * 65536
    small = httpx.post(api_url + "/backtests", json={"asset": "EURUSD_otc", "strategy": "sma_cross"},
                       headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert small.status_code == 202  # ordinary bodies still go through


@pytest.mark.parametrize("path", ["/health", "/docs", "/openapi.json", "/assets"])
def test_a_foreign_host_header_is_refused(api_url: str, path: str):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    refused = httpx.get(api_url + path, headers={**auth, "Host": "rebound.attacker.example"}, timeout=10)
    assert refused.status_code == 400 and "loopback" in refused.json()["error"]
    port = urlsplit(api_url).port
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "[::1]", "localhost"):
        assert httpx.get(api_url + path, headers={**auth, "Host": host}, timeout=10).status_code == 200, host


def test_a_foreign_host_cannot_open_the_stream(api_url: str):
    ws_url = api_url.replace("http://", "ws://") + f"/ws/stream?token={TOKEN}"
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(ws_url, timeout=5, host="rebound.attacker.example")
    ok = websocket.create_connection(ws_url, timeout=5)
    ok.close()


def test_allow_remote_accepts_any_host(stored_service: QuantumFluxService, serve_api: Any):
    with serve_api(stored_service, allow_remote=True) as url:
        assert httpx.get(url + "/health", headers={"Host": "quantumflux.lan:8000"}, timeout=10).status_code == 200
        assert httpx.get(url + "/assets", headers={"Host": "quantumflux.lan"}, timeout=10).status_code == 401


def test_the_terminals_api_follows_the_same_bind_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from quantumflux.api.guard import MAX_BODY_BYTES as limit
    from quantumflux.config import ConfigError

    assert limit == MAX_BODY_BYTES
    monkeypatch.setenv("QF_HOME", str(tmp_path))
    wildcard = EmbeddedApi(Application(Settings(data_root=DATA_ROOT, api_host="0.0.0.0")).service, token=TOKEN)
    with pytest.raises(ConfigError, match="0.0.0.0"):
        wildcard.start()
    assert not wildcard.running
    wildcard.close()

    async def serve_remote_allowed() -> int:
        from quantumflux.services.terminal_session import free_port

        api = EmbeddedApi(Application(Settings(data_root=DATA_ROOT, api_host="127.0.0.1", api_port=free_port(),
                                               api_allow_remote=True)).service, token=TOKEN)
        api.start()
        try:
            for _ in range(200):
                if api.started:
                    break
                await asyncio.sleep(0.05)
            async with httpx.AsyncClient() as client:
                answer = await client.get(api.url + "/health", headers={"Host": "terminal.lan"}, timeout=10)
            return answer.status_code
        finally:
            api.stop()
            await api.wait_stopped()
            api.close()

    assert asyncio.run(serve_remote_allowed()) == 200
