"""The ``.jsonl`` capture format: reading (lenient) and writing (redacted).

One JSON object per line: ``{"t", "socket", "dir", "opcode", "data"}`` (see docs/protocol.md).
:func:`iter_capture` yields :class:`RawFrame` and skips malformed lines, counting them and
logging the file and line (a receive time that is not finite Unix seconds before 2200 is one);
it never raises mid-file. :class:`CaptureWriter` writes frames
with every login secret (``session``/``ssid`` values in any case, the ``auth`` payload string)
replaced by ``"<redacted>"``.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

from quantumflux.core.protocol.framing import RawFrame

REDACTED = "<redacted>"
#: Receive times are Unix seconds in ``[0, MAX_FRAME_TIME)`` (2200-01-01); others (NaN, negative,
#: milliseconds, 1e300) are skipped as "bad t": they would name no file and stop no candle.
MAX_FRAME_TIME = 7_258_118_400.0
#: Malformed lines logged one by one per file; later ones only go into the counts and the summary.
LOGGED_LINES = 20

_log = logging.getLogger(__name__)
_new_tuple = tuple.__new__
_scan_once = json.JSONDecoder().scan_once
_scan_string = json.decoder.scanstring  # the C string scanner the JSON decoder itself uses
_DIRECTIONS = ("in", "out")
#: The start of a line as RawFrame.to_json writes it, up to the data string: t (a plain JSON float),
#: socket (a JSON string without escapes or control characters), dir, opcode.
_HEAD = re.compile(
    r'\{"t":((?:0|[1-9][0-9]*)\.[0-9]+),"socket":"([^"\\\x00-\x1f]*)","dir":"(in|out)","opcode":([12]),"data":"'
)
#: A whole line whose data has only base64 characters (no escapes, quotes or control characters).
_PLAIN = re.compile(_HEAD.pattern + r'([A-Za-z0-9+/=]*)"\}\n?')
_OPCODES = {"1": 1, "2": 2}
_TAILS = frozenset({"}\n", "}"})  # what may follow the data string (the last line may lack its newline)
#: The same t (up to the comma after it), for lines whose rest was read before.
_TIME = re.compile(r'\{"t":((?:0|[1-9][0-9]*)\.[0-9]+)(?=,)')
_TIME_ONLY = re.compile(r'\{"t":((?:0|[1-9][0-9]*)\.[0-9]+)')
#: Text data up to this length is remembered by its line's rest, at most this many rests at a time.
_REPEATED_LENGTH = 200
_REPEATED_ENTRIES = 64


class CaptureReader:
    """Iterator over the frames of one capture file; counts what it skips.

    ``lines`` (non-blank lines read), ``frames`` (frames yielded), ``malformed`` (a Counter of
    reasons) are up to date while iterating.
    """

    def __init__(self, path: str | Path, logger: logging.Logger | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            if self.path.exists():
                raise FileNotFoundError(f"capture file is a directory or special file, not a capture: {self.path}")
            raise FileNotFoundError(f"capture file not found: {self.path}")
        self.frames = 0
        self.malformed: Counter[str] = Counter()
        self._blank = 0  # blank lines read (with frames and malformed lines: the line number)
        self._log = logger or _log
        self._iterator = self._read()

    def __iter__(self) -> Iterator[RawFrame]:
        # The generator itself (not self): a ``for`` loop then runs without a Python-level __next__.
        return self._iterator

    def __next__(self) -> RawFrame:
        return next(self._iterator)

    @property
    def lines(self) -> int:
        """Non-blank lines read so far: every one is either a frame or a malformed line."""
        return self.frames + self.malformed_lines

    @property
    def malformed_lines(self) -> int:
        return sum(self.malformed.values())

    def _read(self) -> Iterator[RawFrame]:
        head, time_head, scan_string = _HEAD.match, _TIME.match, _scan_string
        opcodes, tails, new, frame_type = _OPCODES, _TAILS, _new_tuple, RawFrame
        # Text lines with escapes whose rest (all after t) was read before: placeholders of two-frame
        # events repeat verbatim, about every other line. rest -> (socket, dir, opcode, data).
        repeated: dict[str, tuple[str, str, int, str]] = {}
        last_rest, last_known = "\n\n", ("", "", 0, "")  # the last rest found there (no line ends so)
        time_only, plain = _TIME_ONLY.fullmatch, _PLAIN.fullmatch
        # errors="replace": a line with invalid UTF-8 is read (and then rejected as a frame or
        # decoded leniently) instead of stopping the whole file.
        with self.path.open(encoding="utf-8", errors="replace", newline="\n") as handle:
            for line in handle:
                # Fast paths: the exact layout RawFrame.to_json writes, read with regex matches and the
                # JSON string scanner; the values are the ones json gives. Any other line is parsed whole.
                if "\\" in line:
                    if line.endswith(last_rest):  # the same rest as the last repeated line: check t only
                        match = time_only(line, 0, len(line) - len(last_rest))
                        known = last_known
                    else:
                        match = time_head(line)
                        known = None if match is None else repeated.get(line[match.end():])
                        if known is not None:
                            last_rest, last_known = line[match.end():], known
                    if match is not None and known is not None:
                        t = float(match[1])
                        if t < MAX_FRAME_TIME:
                            self.frames += 1
                            yield new(frame_type, (t,) + known)
                            continue
                else:  # binary frames: data of base64 characters only, the whole line in one match
                    match = plain(line)
                    if match is not None:
                        t, socket, direction, code, data = match.groups()
                        t = float(t)
                        if t < MAX_FRAME_TIME:
                            self.frames += 1
                            yield new(frame_type, (t, socket, direction, opcodes[code], data))
                            continue
                match = head(line)
                if match is not None:
                    try:
                        data, end = scan_string(line, match.end(), True)
                    except ValueError:
                        pass
                    else:
                        if line[end:] in tails:
                            t, socket, direction, code = match.groups()
                            t, opcode = float(t), opcodes[code]
                            if opcode == 1 and "\\" in line and len(data) <= _REPEATED_LENGTH:
                                if len(repeated) >= _REPEATED_ENTRIES:
                                    repeated.clear()
                                repeated[line[line.index(",", 5):]] = (socket, direction, opcode, data)
                            if t < MAX_FRAME_TIME:
                                self.frames += 1
                                yield new(frame_type, (t, socket, direction, opcode, data))
                                continue
                frame = self._parse(self.frames + self.malformed_lines + self._blank + 1, line)
                if frame is not None:
                    self.frames += 1
                    yield frame
        if self.malformed:
            self._log.warning(
                "%s: %d malformed line(s) skipped (%s)", self.path, self.malformed_lines,
                ", ".join(f"{reason}: {count}" for reason, count in self.malformed.items()),
            )

    def _parse(self, number: int, line: str) -> RawFrame | None:
        """One line parsed as a whole JSON object and checked; None (counted, unless blank) if unusable."""
        try:
            obj, end = _scan_once(line, 0)
            if end + 1 != len(line) and line[end:].strip():
                raise ValueError("extra data")
            t, data, opcode = obj["t"], obj["data"], obj["opcode"]
            frame = _new_tuple(RawFrame, (t, obj["socket"], obj["dir"], opcode, data))
        except (ValueError, StopIteration):
            if not line.strip():
                self._blank += 1
                return None
            return self._skip(number, "not JSON")
        except (KeyError, TypeError):
            return self._skip(number, "missing field")
        if (
            t.__class__ is not float or not 0.0 <= t < MAX_FRAME_TIME  # also false for NaN
            or data.__class__ is not str or opcode.__class__ is not int
            or not 0 < opcode < 3 or frame.dir not in _DIRECTIONS or frame.socket.__class__ is not str
        ):
            return self._checked(number, frame)
        return frame

    def _checked(self, number: int, frame: RawFrame) -> RawFrame | None:
        """Slow path: validate and normalise one frame's field types; None (counted) if unusable."""
        t, socket, direction, opcode, data = frame
        if isinstance(t, bool) or not isinstance(t, int | float) or not 0 <= t < MAX_FRAME_TIME:
            return self._skip(number, "bad t")
        if not isinstance(socket, str) or direction not in _DIRECTIONS:
            return self._skip(number, "bad socket or dir")
        if isinstance(opcode, bool) or opcode not in (1, 2) or not isinstance(data, str):
            return self._skip(number, "bad opcode or data")
        return RawFrame(float(t), socket, direction, int(opcode), data)

    def _skip(self, number: int, reason: str) -> None:
        self.malformed[reason] += 1
        if self.malformed_lines <= LOGGED_LINES:
            self._log.warning("%s:%d: skipped malformed capture line (%s)", self.path, number, reason)
        return None


def iter_capture(path: str | Path, logger: logging.Logger | None = None) -> CaptureReader:
    """Frames of a ``.jsonl`` capture in file order. Raises FileNotFoundError (clear message) if missing."""
    return CaptureReader(path, logger)


# ------------------------------------------------------------------------ writing

#: Keys whose string value is the login secret, in any letter case.
_KEYS = r"(?:session|ssid)"
_KEY_TEXT = re.compile(r'("' + _KEYS + r'"\s*:\s*")((?:[^"\\]|\\.)*)(")', re.IGNORECASE)
_KEY_BYTES = re.compile(rb'("' + _KEYS.encode() + rb'"\s*:\s*")((?:[^"\\]|\\.)*)(")', re.IGNORECASE)
_KEY_LEFT_TEXT = re.compile(r'"' + _KEYS + r'"\s*:', re.IGNORECASE)
_KEY_LEFT_BYTES = re.compile(rb'"' + _KEYS.encode() + rb'"\s*:', re.IGNORECASE)
#: ``["auth","<secret>"]``: the payload itself is the secret.
_AUTH_STRING = re.compile(r'(\[\s*"auth"\s*,\s*")((?:[^"\\]|\\.)*)(")', re.IGNORECASE)
#: ``["auth", <anything but an object>]`` left after the string form was redacted: a number, a list …
_AUTH_OTHER = re.compile(r'\[\s*"auth"\s*,\s*(?![\s{]|"<redacted>")', re.IGNORECASE)
#: A binary-event placeholder of ``auth``: its attachments (the next binary frames) hold the secret.
_AUTH_PLACEHOLDER = re.compile(r'^45(\d+)-(?:/[^,\[]*,)?\d*\[\s*"auth"', re.IGNORECASE)
_HINT_TEXT = re.compile(r"session|ssid|auth", re.IGNORECASE)
_HINT_BYTES = re.compile(rb"session|ssid", re.IGNORECASE)
_MINIMAL_TEXT = '42["auth",{"session":"' + REDACTED + '"}]'
_MINIMAL_BYTES = b'{"session":"' + REDACTED.encode() + b'"}'


def redact_frame(frame: RawFrame) -> RawFrame:
    """The frame with every login secret replaced by ``<redacted>``.

    Secrets: the string value of a ``session`` or ``ssid`` key (any letter case, any event) and the
    string payload of ``42["auth","…"]``. A value of another shape (an object, a number) replaces the
    whole frame data with a minimal redacted auth payload. An ``auth`` attachment in the string form
    needs the frame before it: :class:`CaptureWriter` (or :class:`Redactor`) handles that.
    """
    if frame.opcode == 2:
        try:
            raw = base64.b64decode(frame.data)
        except ValueError:
            return frame
        if not _HINT_BYTES.search(raw):
            return frame
        return frame._replace(data=base64.b64encode(_redact_bytes(raw)).decode("ascii"))
    if not _HINT_TEXT.search(frame.data):
        return frame
    redacted = _redact_text(frame.data)
    return frame if redacted == frame.data else frame._replace(data=redacted)


def _keep_ends(match: re.Match[str]) -> str:
    return match.group(1) + REDACTED + match.group(3)


def _redact_text(text: str) -> str:
    redacted = _AUTH_STRING.sub(_keep_ends, _KEY_TEXT.sub(_keep_ends, text))
    if _KEY_LEFT_TEXT.search(_KEY_TEXT.sub("", redacted)) or _AUTH_OTHER.search(redacted):
        return _MINIMAL_TEXT  # a shape we cannot edit safely: drop it all
    return redacted


def _redact_bytes(raw: bytes) -> bytes:
    redacted = _KEY_BYTES.sub(lambda m: m.group(1) + REDACTED.encode() + m.group(3), raw)
    if _KEY_LEFT_BYTES.search(_KEY_BYTES.sub(b"", redacted)):
        return _MINIMAL_BYTES
    return redacted


class Redactor:
    """:func:`redact_frame` over a sequence of frames, which also knows the attachments of ``auth``.

    After a placeholder ``451-["auth",…]`` the next binary frame(s) of that socket and direction are the
    auth payload: an object is redacted by key, anything else (the bare session string) is replaced whole.
    """

    def __init__(self) -> None:
        self._auth_attachments: dict[tuple[str, str], int] = {}

    def __call__(self, frame: RawFrame) -> RawFrame:
        key = (frame.socket, frame.dir)
        if frame.opcode == 1:
            match = _AUTH_PLACEHOLDER.match(frame.data)
            if match:
                self._auth_attachments[key] = int(match.group(1))
            else:
                self._auth_attachments.pop(key, None)
            return redact_frame(frame)
        pending = self._auth_attachments.get(key, 0)
        if not pending:
            return redact_frame(frame)
        if pending == 1:
            del self._auth_attachments[key]
        else:
            self._auth_attachments[key] = pending - 1
        try:
            raw = base64.b64decode(frame.data)
        except ValueError:
            raw = b""
        if raw.lstrip().startswith(b"{"):
            return frame._replace(data=base64.b64encode(_redact_bytes(raw)).decode("ascii"))
        return frame._replace(data=base64.b64encode(json.dumps(REDACTED).encode()).decode("ascii"))


class CaptureWriter:
    """Appends frames to a ``.jsonl`` capture, redacted, one line each, flushed per write.

    Use as a context manager or call :meth:`close`.
    """

    def __init__(self, path: str | Path, *, append: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[str] = self.path.open("a" if append else "w", encoding="utf-8")
        self._redact = Redactor()
        self.frames = 0

    def write(self, frame: RawFrame) -> None:
        """Write one frame (redacted) and flush it."""
        self._handle.write(self._redact(frame).to_json() + "\n")
        self._handle.flush()
        self.frames += 1

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def write_capture(path: str | Path, frames: Iterable[RawFrame]) -> int:
    """Write ``frames`` (redacted) to a new capture file; returns the number written."""
    with CaptureWriter(path, append=False) as writer:
        for frame in frames:
            writer.write(frame)
        return writer.frames

