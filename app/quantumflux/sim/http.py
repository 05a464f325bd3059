"""Plain HTTP beside the socket: the trading page, its config, and the loopback-only control API.

``websockets`` hands every request to :func:`route` before the WebSocket handshake; a returned
response ends the request, ``None`` lets the handshake proceed (only for ``/socket.io/``).
Request bodies are not accepted by the HTTP parser, so control parameters travel in the query
string (``POST /control/faults?drop_after=30&malformed=0.01``) of a POST that says
``Content-Type: application/json`` (see :func:`_foreign_page`).
"""

from __future__ import annotations

import http
import ipaddress
import json
import mimetypes
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from quantumflux.config import host_name, is_loopback_host
from quantumflux.resource_files import resource_path

if TYPE_CHECKING:
    from websockets.asyncio.server import ServerConnection

    from quantumflux.sim.server import PracticeBroker

SOCKET_PATH = "/socket.io/"


def response(status: int, body: bytes, content_type: str) -> Response:
    headers = Headers()
    headers["Content-Type"] = content_type
    headers["Content-Length"] = str(len(body))
    headers["Cache-Control"] = "no-store"
    headers["Connection"] = "close"
    return Response(status, http.HTTPStatus(status).phrase, headers, body)


def json_response(data: Any, status: int = 200) -> Response:
    return response(status, json.dumps(data).encode("utf-8"), "application/json")


def text_response(status: int, text: str) -> Response:
    return response(status, (text + "\n").encode("utf-8"), "text/plain; charset=utf-8")


def is_loopback(connection: ServerConnection) -> bool:
    address = connection.remote_address
    try:
        return ipaddress.ip_address(address[0]).is_loopback if address else False
    except ValueError:
        return False


def route(broker: PracticeBroker, connection: ServerConnection, request: Request) -> Response | None:
    """Answer one HTTP request, or return None to accept a WebSocket handshake."""
    parts = urlsplit(request.path)
    path, query = parts.path, dict(parse_qsl(parts.query))
    method = getattr(request, "method", "GET")
    if path == SOCKET_PATH:
        if query.get("EIO") != "4" or query.get("transport") != "websocket":
            return text_response(400, "only EIO=4 with transport=websocket is served")
        if broker.refusing():
            return text_response(503, "reconnects are refused for now (fault refuse_reconnect)")
        return None
    if path.startswith("/control/"):
        if not is_loopback(connection):
            return text_response(403, "the control endpoint only answers loopback clients")
        refusal = _foreign_page(request, method)
        if refusal is not None:
            return refusal
        return _control(broker, method, path, query)
    if method != "GET":
        return text_response(405, f"{method} is not allowed here")
    if path == "/page-config.json":
        return json_response(broker.page_config())
    if path in ("/", "/index.html"):
        return _file(("sim_page", "index.html"))
    if path == "/selectors.json":
        return _file(("selectors.json",))
    if path.startswith("/static/"):
        return _file(("sim_page", *path[len("/static/") :].split("/")))
    if path == "/healthz":
        return json_response({"ok": True})
    return text_response(404, f"not found: {path}")


def _file(parts: tuple[str, ...]) -> Response:
    if any(part in ("", ".", "..") or "\\" in part for part in parts):
        return text_response(404, "not found")
    try:
        path = resource_path(*parts)
    except FileNotFoundError:
        return text_response(404, f"not found: {'/'.join(parts)} (the page resources are not installed)")
    if not path.is_file():
        return text_response(404, f"not found: {'/'.join(parts)}")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
        content_type += "; charset=utf-8"
    return response(200, path.read_bytes(), content_type)


def _foreign_page(request: Request, method: str) -> Response | None:
    """Refuse what a web page in the user's browser could send to the control API; None when it is fine.

    A page may POST ``text/plain`` (or a form) to any loopback port without asking, so a control POST
    must say ``Content-Type: application/json``, which a page on another origin can only send after a
    CORS preflight the broker never grants. The ``Host`` must be a loopback name (a page that rebinds
    its own DNS name to 127.0.0.1 still sends its name) and an ``Origin``, when sent, must be the broker's.
    """
    headers = request.headers
    host = headers.get("Host", "")
    if host and not is_loopback_host(host_name(host)):
        return text_response(403, f"the control endpoint answers loopback host names only, not {host!r}")
    origin = headers.get("Origin")
    if origin is not None and origin != f"http://{host}":
        return text_response(403, f"the control endpoint refuses requests from another origin ({origin!r})")
    content_type = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if method == "POST" and content_type != "application/json":
        return text_response(415, "control POSTs need Content-Type: application/json (parameters go in the query "
                                  "string), so that no web page can send them")
    return None


def _control(broker: PracticeBroker, method: str, path: str, query: dict[str, str]) -> Response:
    reads = {
        "/control/ledger": lambda: [entry.to_dict() for entry in broker.ledger],
        "/control/state": broker.state,
        "/control/faults": lambda: broker.faults.to_dict(),
    }
    if method == "GET" and path in reads:
        return json_response(reads[path]())
    if method != "POST":
        return text_response(405, f"use GET for {', '.join(reads)} and POST for the other control paths")
    if path == "/control/faults":
        spec = query.pop("spec", None)
        if spec is None:
            spec = ",".join(f"{key}={value}" for key, value in query.items())
        try:
            broker.set_faults(spec)
        except ValueError as exc:
            return text_response(400, str(exc))
        return json_response(broker.faults.to_dict())
    if path == "/control/drop":
        return json_response({"dropped": broker.drop_connections()})
    if path == "/control/restart":
        broker.schedule_restart()
        return json_response({"restarting": True}, status=202)
    return text_response(404, f"unknown control path: {path}")
