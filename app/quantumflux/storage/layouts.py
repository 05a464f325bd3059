"""Reading one CSV file of any known layout: header recognition, tolerant row parsing.

Used by :mod:`quantumflux.storage.loader`; see docs/data-formats.md for the layouts.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.errors import ParserWarning

from quantumflux.core.model import Timeframe
from quantumflux.storage.files import CANDLE_HEADER, TICK_HEADER, TICKS_TAG, encode_asset, parse_file_name

log = logging.getLogger("quantumflux.storage.loader")

_TIME_NAMES = ("timestamp", "time", "datetime", "date", "t")
_INDEX_NAMES = ("", "unnamed: 0", "index")
_CANDLE_COLUMNS = ("time", "open", "high", "low", "close", "volume")
_TICK_COLUMNS = ("time", "asset", "price")
_EPOCH = pd.Timestamp(0, tz="UTC")


class UnknownLayoutError(ValueError):
    """A CSV file whose header matches no layout the loader knows."""

    def __init__(self, path: Path, header: list[str], expected: str) -> None:
        super().__init__(f"{path}: unknown CSV layout, header {','.join(header)!r} ({expected})")
        self.path = path
        self.header = header


@dataclass(frozen=True, slots=True)
class Layout:
    """A recognised header: what the file holds and where each column is."""

    kind: str  # "candles" or "ticks"
    columns: dict[str, int]  # our column name -> position in the file
    ours: bool  # the store's own layout (a line without final newline is torn)


# ----------------------------------------------------------------- recognition


def detect_layout(path: Path, header: list[str]) -> Layout:
    """Recognise a header by its column names; raises UnknownLayoutError naming the file and header."""
    names = [name.strip().lower().lstrip("\ufeff") for name in header]
    positions: dict[str, int] = {}
    for position, name in enumerate(names):
        if position == 0 and name in _INDEX_NAMES and len(names) > 2:
            continue
        key = "time" if name in _TIME_NAMES else name
        if key == "tick_count":
            key = "volume"
        positions.setdefault(key, position)
    joined = ",".join(names)
    if "time" in positions and all(k in positions for k in ("open", "high", "low", "close")):
        return Layout("candles", positions, joined == CANDLE_HEADER)
    if "time" in positions and "price" in positions:
        return Layout("ticks", positions, joined == TICK_HEADER)
    raise UnknownLayoutError(path, header, "expected a time column and open/high/low/close, or time and price")


def parse_times(values: pd.Series) -> np.ndarray:
    """Unix seconds from epoch numbers (s or ms) or ISO-8601 text; NaN where unreadable."""
    first = next((value for value in values[:8] if value), "")
    if ":" in first:  # ISO text: skip the (slow, failing) numeric attempt
        numeric = np.full(len(values), np.nan)
    else:
        numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    numeric = np.where(numeric > 1e12, numeric / 1000.0, numeric)
    text_rows = np.isnan(numeric)
    if text_rows.any():
        parsed = pd.to_datetime(values[text_rows], utc=True, format="ISO8601", errors="coerce")
        micros = (parsed - _EPOCH).to_numpy().astype("timedelta64[us]")
        # integer microseconds / 1e6: correctly rounded (pandas' Timedelta division leaves float noise)
        numeric[text_rows] = np.where(np.isnat(micros), np.nan, micros.astype("int64") / 1e6)
    return numeric


# --------------------------------------------------------------------- reading


def read_raw(path: Path) -> tuple[list[str], str, int, bool]:
    """Header fields, body text, count of non-blank data lines, and whether the last line was cut."""
    text = path.read_bytes().replace(b"\x00", b"").decode("utf-8", errors="replace")
    head, _, body = text.partition("\n")
    header = next(csv.reader([head.rstrip("\r")]), [])
    complete = text.endswith("\n")
    lines = _count_lines(body)
    return header, body, lines, complete


def read_file(path: Path, kind: str | None = None, asset: str | None = None) -> tuple[pd.DataFrame, int]:
    """Read one CSV file of any known layout; returns (frame, skipped rows).

    ``kind`` (``candles``/``ticks``) is checked against the file's layout when given; ``asset``
    fills the asset column of tick files that have none (taken from the file name otherwise).
    """
    path = Path(path)
    header, body, lines, complete = read_raw(path)
    if not header:
        return empty_frame(kind or "candles"), 0
    layout = detect_layout(path, header)
    if kind is not None and layout.kind != kind:
        raise UnknownLayoutError(path, header, f"this file holds {layout.kind}, not {kind}")
    skipped = 0
    if layout.ours and not complete and body.strip():
        body = body[: body.rfind("\n") + 1] if "\n" in body else ""  # torn last line from a crash
        skipped += 1
        lines -= 1
    result, bad = parse_body(body, lines, len(header), layout, asset or _asset_from_name(path))
    skipped += bad
    if skipped:
        log.warning("%s: skipped %d torn or corrupt row(s)", path, skipped)
    return result, skipped


_EMPTY_LINE = re.compile(r"(?:^|\n)(?=\r?\n)")


def _count_lines(body: str) -> int:
    """Lines of a CSV body the C reader sees as rows: empty lines (the reader skips them) not counted."""
    if not body:
        return 0
    lines = body.count("\n") + (0 if body.endswith("\n") else 1)
    if "\n\n" in body or "\n\r\n" in body or body[0] in "\r\n":
        lines -= len(_EMPTY_LINE.findall(body))
    if not body.endswith("\n") and not body[body.rfind("\n") + 1 :].strip("\r"):
        lines -= 1
    return lines


def parse_body(body: str, lines: int, width: int, layout: Layout, asset: str | None) -> tuple[pd.DataFrame, int]:
    """Rows of a CSV body (no header) in ``layout``; returns (good rows, skipped count).

    Numbers are parsed by the C reader directly; when a value is not a number the body is read
    again as text and the bad rows are dropped one by one. A row with more fields than the header
    is bad (it fills the extra sentinel column); an unterminated quote only spoils its own row.
    """
    frame = _read_body(body, width, layout)
    extra = frame.pop(width)
    result = _columns_from(frame, layout, asset)
    required = result if layout.kind == "candles" else result[["time", "price"]]
    good = required.notna().all(axis=1).to_numpy() & (extra.isna() | (extra == "")).to_numpy()
    skipped = lines - len(frame) + int((~good).sum())
    return result[good].reset_index(drop=True), skipped


def _read_body(body: str, width: int, layout: Layout) -> pd.DataFrame:
    numeric = {position for name, position in layout.columns.items() if name not in ("time", "asset")}
    # Quotes are not special (QUOTE_NONE): no layout quotes numbers or times, and a stray quote in a
    # damaged row must not swallow the rows after it. A quoted text field is unquoted afterwards.
    options: dict[str, Any] = {"header": None, "names": list(range(width + 1)), "index_col": False,
                               "keep_default_na": False, "on_bad_lines": "skip", "skip_blank_lines": True,
                               "engine": "c", "quoting": csv.QUOTE_NONE}
    typed = {p: ("float64" if p in numeric else str) for p in range(width + 1)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParserWarning)  # rows with too many fields: marked bad below
        try:
            return pd.read_csv(io.StringIO(body), dtype=typed, **options)
        except (ValueError, TypeError):
            return pd.read_csv(io.StringIO(body), dtype=str, **options)  # a value is not a number


def _columns_from(frame: pd.DataFrame, layout: Layout, asset: str | None) -> pd.DataFrame:
    columns = layout.columns
    out = pd.DataFrame({"time": parse_times(frame[columns["time"]])})
    if layout.kind == "candles":
        for name in ("open", "high", "low", "close"):
            out[name] = pd.to_numeric(frame[columns[name]], errors="coerce").to_numpy(dtype="float64")
        volume = pd.to_numeric(frame[columns["volume"]], errors="coerce") if "volume" in columns else 0.0
        out["volume"] = volume if np.isscalar(volume) else np.asarray(volume, dtype="float64")
        out["volume"] = out["volume"].fillna(0.0)
        return out
    if "asset" in columns:
        assets = frame[columns["asset"]]
        quoted = assets.str.startswith('"') & assets.str.endswith('"') & (assets.str.len() >= 2)
        if quoted.any():
            assets = assets.where(~quoted, assets.str[1:-1].str.replace('""', '"'))
        if asset and encode_asset(asset) != asset:  # the store writes awkward symbols file-name encoded
            assets = assets.where(assets != encode_asset(asset), asset)
        out["asset"] = assets.to_numpy()
    else:
        out["asset"] = asset or ""
    out["price"] = pd.to_numeric(frame[columns["price"]], errors="coerce").to_numpy(dtype="float64")
    return out


def _asset_from_name(path: Path) -> str | None:
    parsed = file_identity(path)
    return parsed[0] if parsed else None


def file_identity(path: Path) -> tuple[str, str | None]:
    """(asset, ``1m``/``ticks``/None) from a store file name or an older ``ASSET_1m…`` name."""
    parsed = parse_file_name(path.name)
    if parsed is not None:
        return parsed.asset, TICKS_TAG if parsed.timeframe is None else str(parsed.timeframe)
    match = re.match(r"^(?P<asset>.+?)_(?P<tf>\d+[smhdwSMHDW]|ticks)(?:_.*)?$", path.stem)
    if match:
        tag = match.group("tf")
        try:
            return match.group("asset"), tag if tag == TICKS_TAG else str(Timeframe.parse(tag.lower()))
        except ValueError:
            pass
    return path.stem, None


def time_index(times: np.ndarray) -> pd.DatetimeIndex:
    """UTC index from Unix seconds, rounded to the microsecond (no float noise in the index)."""
    micros = np.round(times.astype("float64") * 1e6).astype("int64")
    return pd.DatetimeIndex(pd.to_datetime(micros, unit="us", utc=True), name="timestamp")


def empty_frame(kind: str) -> pd.DataFrame:
    columns = _CANDLE_COLUMNS if kind == "candles" else _TICK_COLUMNS
    return pd.DataFrame({name: pd.Series(dtype="object" if name == "asset" else "float64") for name in columns})
