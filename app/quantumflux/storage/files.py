"""File naming, row formatting and crash repair shared by the CSV writers and the loader.

File names are ``<ASSET>_<tf>_<YYYY-MM-DD_HH-MM-SS>_part<NNN>.csv`` (candles) and
``<ASSET>_ticks_<YYYY-MM-DD_HH-MM-SS>_part<NNN>.csv`` (ticks). The asset part is the
broker symbol with every character outside ``A-Z a-z 0-9 # _ + - .`` percent-encoded
(``%`` itself too, and a leading ``.``), so ``#AAPL_otc`` stays ``#AAPL_otc`` and
``EUR/USD`` becomes ``EUR%2FUSD``: the encoding is reversible, never ambiguous.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from quantumflux.core.model import Candle, Timeframe

#: Longest file-name-encoded asset part: the longest name (``.<asset>_ticks_<session>_part999.csv.tmp``)
#: then stays under the 255-byte limit of common file systems.
MAX_ASSET_NAME = 200

CANDLE_HEADER = "timestamp,open,high,low,close,volume"
TICK_HEADER = "timestamp,asset,price"
TICKS_TAG = "ticks"

_SAFE = re.compile(r"[A-Za-z0-9#_+\-.]")
_NAME_RE = re.compile(
    r"^(?P<asset>.+)_(?P<tf>\d+[smhdw]|ticks)_(?P<session>\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2})"
    r"_part(?P<part>\d{3,})\.csv$"
)


class AssetNameError(ValueError):
    """An asset symbol that cannot name a file (empty, or too long once encoded)."""


class StoreNotWritableError(OSError):
    """The output directory cannot be created or written (permissions, read-only disk, a file in the way)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot write CSV data under {path}: {reason}")
        self.path = path
        self.reason = reason


# ----------------------------------------------------------------------- naming


def encode_asset(asset: str) -> str:
    """Asset symbol → file-name-safe text (reversible, see module docstring)."""
    if not asset:
        raise AssetNameError("asset symbol is empty")
    out = []
    for index, char in enumerate(asset):
        if _SAFE.fullmatch(char) and not (index == 0 and char == "."):
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
    return "".join(out)


def decode_asset(text: str) -> str:
    """Inverse of :func:`encode_asset`."""
    data = bytearray()
    index = 0
    while index < len(text):
        char = text[index]
        if char == "%" and re.fullmatch(r"[0-9A-Fa-f]{2}", text[index + 1 : index + 3]):
            data.append(int(text[index + 1 : index + 3], 16))
            index += 3
        else:
            data.extend(char.encode("utf-8"))
            index += 1
    return data.decode("utf-8", errors="replace")


def session_stamp(session_start: float) -> str:
    """``2026-01-02_03-04-05`` (UTC) for a session start in Unix seconds."""
    return datetime.fromtimestamp(int(session_start), tz=UTC).strftime("%Y-%m-%d_%H-%M-%S")


@dataclass(frozen=True, slots=True)
class FileName:
    """The parts of a store file name. ``timeframe`` is ``None`` for tick files."""

    asset: str
    timeframe: Timeframe | None
    session: str
    part: int

    @property
    def is_ticks(self) -> bool:
        return self.timeframe is None

    def render(self) -> str:
        """The file name; AssetNameError when the asset cannot name a file."""
        tag = TICKS_TAG if self.timeframe is None else str(self.timeframe)
        asset = encode_asset(self.asset)
        if len(asset) > MAX_ASSET_NAME:
            raise AssetNameError(f"asset symbol too long for a file name ({len(asset)} characters encoded, "
                                 f"at most {MAX_ASSET_NAME}): {self.asset[:40]!r}…")
        return f"{asset}_{tag}_{self.session}_part{self.part:03d}.csv"


def parse_file_name(name: str) -> FileName | None:
    """Parse a store file name; ``None`` when it does not follow the layout."""
    match = _NAME_RE.match(name)
    if not match:
        return None
    tag = match.group("tf")
    try:
        timeframe = None if tag == TICKS_TAG else Timeframe.parse(tag)
    except ValueError:
        return None
    return FileName(decode_asset(match.group("asset")), timeframe, match.group("session"), int(match.group("part")))


# ------------------------------------------------------------------- formatting


def format_price(value: float) -> str:
    """Shortest text that reads back as the price, without float noise (``0.1+0.2`` → ``0.3``)."""
    text = repr(round(float(value), 10))
    return text[:-2] if text.endswith(".0") and "e" not in text else text


def format_time(t: float, millis: bool = False) -> str:
    """ISO-8601 UTC: ``2026-01-02T03:04:00Z`` or, with ``millis``, ``2026-01-02T03:04:00.123Z``.

    Milliseconds are rounded (not truncated), so ``…40.123`` stored as ``…40.12299999`` stays ``.123``.
    """
    total_ms = round(t * 1000) if millis else round(t) * 1000
    seconds, ms = divmod(total_ms, 1000)
    base = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{ms:03d}Z" if millis else f"{base}Z"


def candle_line(stamp: str, candle: Candle) -> str:
    """The candle as a ``CANDLE_HEADER`` row; ``stamp`` is ``format_time(candle.time)``."""
    prices = (format_price(v) for v in (candle.open, candle.high, candle.low, candle.close))
    return ",".join((stamp, *prices, str(int(candle.volume))))


# ------------------------------------------------------------------ crash repair


def repair_tail(path: Path) -> bool:
    """Truncate a file after its last newline (a torn last line from a crash); drop trailing NULs.

    Returns True when the file was changed. A file left without a complete header line is removed.
    """
    size = path.stat().st_size
    if size == 0:
        path.unlink()
        return True
    with path.open("rb+") as handle:
        handle.seek(-1, os.SEEK_END)
        if handle.read(1) == b"\n":
            return False
        keep = _last_newline_end(handle, size)
        handle.truncate(keep)
    if keep == 0:
        path.unlink()
    return True


def _last_newline_end(handle, size: int) -> int:  # type: ignore[no-untyped-def]
    position = size
    block = 4096
    while position > 0:
        start = max(0, position - block)
        handle.seek(start)
        chunk = handle.read(position - start)
        index = chunk.rfind(b"\n")
        if index >= 0:
            return start + index + 1
        position = start
    return 0


def tail_lines(path: Path, count: int = 64, max_bytes: int = 65536) -> list[str]:
    """The last complete lines of a file (at most ``count``), read from its end only."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        start = max(0, size - max_bytes)
        handle.seek(start)
        data = handle.read()
    lines = data.decode("utf-8", errors="replace").split("\n")
    if start > 0:
        lines = lines[1:]  # first line may be cut by the window
    lines = [line.rstrip("\r") for line in lines if line.strip("\r\x00")]
    if data and not data.endswith(b"\n") and lines:
        lines = lines[:-1]
    return lines[-count:]
