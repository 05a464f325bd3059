"""The API's outermost layer: Host check, token before body, body size cap (pure ASGI middleware).

It runs before FastAPI reads anything, for the stand-alone ``quantumflux api`` and the
terminal's embedded API alike:

1. **Host**: unless remote access is allowed, a request (or WebSocket handshake) whose ``Host``
   is not a loopback name (``localhost``, ``127.x.x.x``, ``[::1]``) gets 400. A page that
   rebinds its own DNS name to 127.0.0.1 still sends its own name, so it cannot reach the API.
2. **Token**: every HTTP route but the public ones (``/health`` and the OpenAPI pages) needs
   ``Authorization: Bearer <token>``; without it the answer is 401 *before the body is read*.
   CORS preflights (``OPTIONS``) pass through to the CORS middleware.
3. **Body size**: a body larger than :data:`MAX_BODY_BYTES` gets 413, from its
   ``Content-Length`` at once, or as soon as a chunked body grows past the limit; the body is
   never held beyond the limit.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from quantumflux.api.security import token_matches
from quantumflux.config import host_name, is_loopback_host

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Largest request body the API accepts (bytes). Every body it takes is a small JSON object.
MAX_BODY_BYTES = 1024 * 1024
#: Paths served without a token.
PUBLIC_PATHS = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
TOKEN_ERROR = "missing or wrong bearer token (see `quantumflux api token`)"


class ApiGuard:
    """Wrap the API app: see the module docstring. ``allow_remote`` turns the Host check off."""

    def __init__(self, app: App, *, token: str, allow_remote: bool = False,
                 max_body: int = MAX_BODY_BYTES, public_paths: frozenset[str] = PUBLIC_PATHS) -> None:
        self.app = app
        self.token = token
        self.allow_remote = allow_remote
        self.max_body = max_body
        self.public_paths = public_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = headers.get("host")
        if not self.allow_remote and host is not None and not is_loopback_host(host_name(host)):
            await _refuse(kind, send, 400, f"Host {host!r} is not a loopback name: the API answers only "
                                           "localhost, 127.0.0.1 and [::1] unless it runs with --allow-remote")
            return
        if kind == "websocket":  # the stream checks its token itself (header or ?token=)
            await self.app(scope, receive, send)
            return
        if (scope["method"] != "OPTIONS" and scope["path"] not in self.public_paths
                and not token_matches(self.token, headers.get("authorization"))):
            await _refuse(kind, send, 401, TOKEN_ERROR, {"www-authenticate": "Bearer"})
            return
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                await _refuse(kind, send, 400, f"bad Content-Length {length!r}")
                return
            if int(length) > self.max_body:
                await _refuse(kind, send, 413, self._too_large())
                return
        if scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS") and length is None \
                and "chunked" not in headers.get("transfer-encoding", ""):
            await self.app(scope, receive, send)
            return
        body = await self._read_body(receive)
        if body is None:
            await _refuse(kind, send, 413, self._too_large())
            return
        await self.app(scope, _replay(body, receive), send)

    def _too_large(self) -> str:
        return f"request body too large: at most {self.max_body} bytes"

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it passes the limit (the rest is never read)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see an empty body
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", ())}


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(kind: str, send: Send, status: int, message: str, extra: dict[str, str] | None = None) -> None:
    if kind == "websocket":  # closing before accept: the server answers the handshake with 403
        await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
        return
    body = json.dumps({"error": message}).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
