"""Engine.IO v4 / Socket.IO v4 framing as PocketOption uses it (see docs/protocol.md).

Both directions: ``parse_text`` classifies one text frame, the ``encode_*`` helpers
build frames (used by the practice broker and tests). ``RawFrame`` is the capture
format: ``(t, socket, dir, opcode, data)`` with binary data base64-encoded.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

TEXT = 1
BINARY = 2
PLACEHOLDER = {"_placeholder": True, "num": 0}


class RawFrame(NamedTuple):
    """One WebSocket frame as captured: receive time, socket id, ``in``/``out``, opcode, data.

    ``data`` is the text for opcode 1 and base64 for opcode 2, exactly as CDP and the
    ``.jsonl`` capture format carry it.
    """

    t: float
    socket: str
    dir: str
    opcode: int
    data: str

    def to_json(self) -> str:
        return json.dumps(
            {"t": self.t, "socket": self.socket, "dir": self.dir, "opcode": self.opcode, "data": self.data},
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, line: str) -> RawFrame:
        """Parse one capture line; raises ValueError with the reason when it is not a frame."""
        try:
            obj = json.loads(line)
            return cls(float(obj["t"]), str(obj["socket"]), str(obj["dir"]), int(obj["opcode"]), str(obj["data"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a capture frame: {exc}") from exc

    def payload_bytes(self) -> bytes:
        """The binary payload (base64-decoded) of an opcode-2 frame."""
        return base64.b64decode(self.data)


@dataclass(frozen=True, slots=True)
class Packet:
    """A classified text frame.

    kind: ``open`` (data: dict), ``ping``, ``pong``, ``connect`` (data: dict|None), ``disconnect``,
    ``event`` (name, data), ``binary_event`` (name, placeholders: attachments count), ``ack``,
    ``error`` (data), ``noop``, ``upgrade``.
    """

    kind: str
    name: str | None = None
    data: Any = None
    attachments: int = 0


class FrameError(ValueError):
    """A frame that does not follow the Engine.IO/Socket.IO framing."""


_ENGINE = {"0": "open", "1": "close", "2": "ping", "3": "pong", "5": "upgrade", "6": "noop"}


def parse_text(data: str) -> Packet:
    """Classify one text frame. Raises FrameError for malformed frames."""
    if not data:
        raise FrameError("empty frame")
    head = data[0]
    if head in _ENGINE:
        kind = _ENGINE[head]
        if kind == "open":
            try:
                return Packet("open", data=json.loads(data[1:]) if len(data) > 1 else {})
            except ValueError as exc:
                raise FrameError(f"bad open frame: {exc}") from exc
        return Packet(kind, data=data[1:] or None)
    if head != "4":
        raise FrameError(f"unknown engine.io packet type {head!r}")
    if len(data) < 2:
        raise FrameError("message frame without socket.io type")
    sio = data[1]
    rest = data[2:]
    if sio == "0":
        return Packet("connect", data=_loads_or_none(rest))
    if sio == "1":
        return Packet("disconnect")
    if sio == "4":
        return Packet("error", data=_loads_or_none(rest))
    if sio in ("2", "3"):  # event / ack, optional namespace and ack id before the JSON array
        arr = _loads_array(rest)
        if sio == "3":
            return Packet("ack", data=arr)
        if not arr or not isinstance(arr[0], str):
            raise FrameError("event without a name")
        return Packet("event", name=arr[0], data=arr[1] if len(arr) > 1 else None)
    if sio in ("5", "6"):  # binary event / binary ack: "451-[...]"
        dash = rest.find("-")
        if dash <= 0 or not rest[:dash].isdigit():
            raise FrameError("binary event without attachment count")
        count = int(rest[:dash])
        arr = _loads_array(rest[dash + 1 :])
        if not arr or not isinstance(arr[0], str):
            raise FrameError("binary event without a name")
        return Packet("binary_event", name=arr[0], data=arr[1] if len(arr) > 1 else None, attachments=count)
    raise FrameError(f"unknown socket.io packet type {sio!r}")


_scan_once = json.JSONDecoder().scan_once


def fast_loads(text: str) -> Any:
    """``json.loads`` for one JSON document, calling the C scanner directly (hot path).

    Same result and same errors (ValueError) as ``json.loads``; leading/trailing whitespace is
    handled by falling back to ``json.loads``.
    """
    try:
        value, end = _scan_once(text, 0)
    except StopIteration:
        return json.loads(text)
    if end != len(text):
        return json.loads(text)
    return value


def _loads_or_none(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise FrameError(f"bad JSON: {exc}") from exc


def _loads_array(text: str) -> list[Any]:
    # Skip an optional "/namespace," prefix and ack id digits before the array.
    start = text.find("[")
    if start < 0:
        raise FrameError("event frame without a JSON array")
    try:
        arr = json.loads(text[start:])
    except ValueError as exc:
        raise FrameError(f"bad JSON: {exc}") from exc
    if not isinstance(arr, list):
        raise FrameError("event payload is not an array")
    return arr


# ----------------------------------------------------------------------- encoding


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def encode_open(sid: str, ping_interval: int = 25000, ping_timeout: int = 20000, max_payload: int = 1000000) -> str:
    return "0" + _dumps(
        {"sid": sid, "upgrades": [], "pingInterval": ping_interval, "pingTimeout": ping_timeout, "maxPayload": max_payload}
    )


def encode_connect(sid: str | None = None) -> str:
    """``40`` from the client, ``40{"sid":…}`` from the server."""
    return "40" if sid is None else "40" + _dumps({"sid": sid})


def encode_event(name: str, payload: Any = None) -> str:
    """Single-frame form: ``42["name",payload]`` (``42["name"]`` without payload)."""
    return "42" + _dumps([name] if payload is None else [name, payload])


def encode_binary_event(name: str, payload: Any) -> tuple[str, bytes]:
    """Two-frame form: the placeholder text frame and the binary attachment (UTF-8 JSON)."""
    return "451-" + _dumps([name, PLACEHOLDER]), _dumps(payload).encode("utf-8")


PING = "2"
PONG = "3"
DISCONNECT = "41"
