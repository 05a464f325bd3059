"""Historical loader: candles and ticks from a data directory or a single CSV file.

Reads the store's own layout (``timestamp,open,high,low,close,volume``; ticks
``timestamp,asset,price``) and the older layouts found on users' disks:

* ``timestamp,open,close,high,low`` with ``YYYY-MM-DD HH:MM:SSZ`` times;
* files written by pandas with an index column and epoch-second floats
  (``,timestamp,open,high,low,close`` or ``,time,open,close,high,low``);
* tick files ``time,price`` (epoch seconds/milliseconds or ISO) and ``timestamp,asset,price``.

Columns are recognised by header name, in any order. Results are pandas DataFrames with a
UTC ``DatetimeIndex`` named ``timestamp`` plus a float ``time`` column (Unix seconds).
Candles: ``time, open, high, low, close, volume``; ticks: ``time, asset, price``. Every part
is concatenated, sorted by time and de-duplicated. A torn or corrupt row is skipped, counted
in ``df.attrs["skipped_rows"]`` and logged; the rest of the file is kept.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from pandas.errors import ParserWarning

from quantumflux.core.model import Timeframe
from quantumflux.storage.files import CANDLE_HEADER, TICK_HEADER, TICKS_TAG, encode_asset, parse_file_name

log = logging.getLogger(__name__)

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


class AvailableSeries(NamedTuple):
    """One asset/timeframe found on disk. ``timeframe`` is canonical (``1m``) or ``ticks``."""

    asset: str
    timeframe: str
    first: pd.Timestamp
    last: pd.Timestamp
    rows: int
    files: int


@dataclass(frozen=True, slots=True)
class _Layout:
    kind: str  # "candles" or "ticks"
    columns: dict[str, int]  # our column name -> position in the file
    ours: bool  # the store's own layout (a line without final newline is torn)


# ----------------------------------------------------------------- recognition


def _detect_layout(path: Path, header: list[str]) -> _Layout:
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
        return _Layout("candles", positions, joined == CANDLE_HEADER)
    if "time" in positions and "price" in positions:
        return _Layout("ticks", positions, joined == TICK_HEADER)
    raise UnknownLayoutError(path, header, "expected a time column and open/high/low/close, or time and price")


def _times(values: pd.Series) -> np.ndarray:
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


def _read_raw(path: Path) -> tuple[list[str], str, int, bool]:
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
    header, body, lines, complete = _read_raw(path)
    if not header:
        return _empty(kind or "candles"), 0
    layout = _detect_layout(path, header)
    if kind is not None and layout.kind != kind:
        raise UnknownLayoutError(path, header, f"this file holds {layout.kind}, not {kind}")
    skipped = 0
    if layout.ours and not complete and body.strip():
        body = body[: body.rfind("\n") + 1] if "\n" in body else ""  # torn last line from a crash
        skipped += 1
        lines -= 1
    result, bad = _parse_body(body, lines, len(header), layout, asset or _asset_from_name(path))
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


def _parse_body(body: str, lines: int, width: int, layout: _Layout, asset: str | None) -> tuple[pd.DataFrame, int]:
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


def _read_body(body: str, width: int, layout: _Layout) -> pd.DataFrame:
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


def _columns_from(frame: pd.DataFrame, layout: _Layout, asset: str | None) -> pd.DataFrame:
    columns = layout.columns
    out = pd.DataFrame({"time": _times(frame[columns["time"]])})
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
    parsed = _file_identity(path)
    return parsed[0] if parsed else None


def _file_identity(path: Path) -> tuple[str, str | None] | None:
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


def _index(times: np.ndarray) -> pd.DatetimeIndex:
    """UTC index from Unix seconds, rounded to the microsecond (no float noise in the index)."""
    micros = np.round(times.astype("float64") * 1e6).astype("int64")
    return pd.DatetimeIndex(pd.to_datetime(micros, unit="us", utc=True), name="timestamp")


def _empty(kind: str) -> pd.DataFrame:
    columns = _CANDLE_COLUMNS if kind == "candles" else _TICK_COLUMNS
    return pd.DataFrame({name: pd.Series(dtype="object" if name == "asset" else "float64") for name in columns})


# ------------------------------------------------------------------ public API


def _select_files(path: Path, kind: str, asset: str | None, timeframe: Timeframe | None) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"no such file or directory: {path}")
    chosen = []
    for file in sorted(path.rglob("*.csv")):
        file_asset, tag = _file_identity(file) or (file.stem, None)
        if asset is not None and file_asset != asset:
            continue
        if kind == "ticks" and tag not in (TICKS_TAG, None):
            continue
        if kind == "candles" and (tag == TICKS_TAG or (timeframe is not None and tag not in (str(timeframe), None))):
            continue
        chosen.append(file)
    return chosen


def _load(path: Path, kind: str, asset: str | None, timeframe: Timeframe | None) -> pd.DataFrame:
    files = _select_files(Path(path), kind, asset, timeframe)
    frames, orders, skipped = [], [], 0
    batch: list[tuple[int, Path, str, int]] = []  # complete store-layout files, parsed in one go
    own_header = CANDLE_HEADER if kind == "candles" else TICK_HEADER
    for order, file in enumerate(files):
        parsed = parse_file_name(file.name)
        if parsed is not None and encode_asset(parsed.asset) == parsed.asset:
            header, body, lines, complete = _read_raw(file)
            if complete and ",".join(header) == own_header:
                batch.append((order, file, body, lines))
                continue
        elif parsed is None and not Path(path).is_file() and _file_identity(file)[1] is None:
            header = _read_raw(file)[0]
            if not header or _detect_layout(file, header).kind != kind:
                continue
        frame, bad = read_file(file, kind)
        frames.append(frame)
        orders.append(np.full(len(frame), order))
        skipped += bad
    skipped += _load_batch(batch, kind, frames, orders)
    frame = pd.concat(frames, ignore_index=True) if frames else _empty(kind)
    order_column = np.concatenate(orders) if orders else np.zeros(0, dtype=int)
    frame = frame.iloc[np.lexsort((order_column, frame["time"].to_numpy()))]  # by time, then file order
    if kind == "candles":
        frame = frame.drop_duplicates("time", keep="last")
    else:
        frame = frame.drop_duplicates(["time", "asset", "price"], keep="first")
    frame.index = _index(frame["time"].to_numpy())
    frame.attrs["skipped_rows"] = skipped
    frame.attrs["files"] = [str(file) for file in files]
    return frame


def _load_batch(batch: list[tuple[int, Path, str, int]], kind: str, frames: list, orders: list) -> int:
    """Parse many complete store-layout files as one text (fast); per file again if any row is bad."""
    if not batch:
        return 0
    header = (CANDLE_HEADER if kind == "candles" else TICK_HEADER).split(",")
    layout = _detect_layout(batch[0][1], header)
    body = "".join(text for _, _, text, _ in batch)
    frame, bad = _parse_body(body, sum(lines for *_, lines in batch), len(header), layout, None)
    if bad == 0:
        frames.append(frame)
        orders.append(np.repeat([order for order, *_ in batch], [lines for *_, lines in batch]))
        return 0
    skipped = 0
    for order, file, _, _ in batch:  # slow path: find and report the files with bad rows
        frame, bad = read_file(file, kind)
        frames.append(frame)
        orders.append(np.full(len(frame), order))
        skipped += bad
    return skipped


def load_candles(path: Path, asset: str | None = None, timeframe: Timeframe | str | int | None = None) -> pd.DataFrame:
    """Candles of one asset/timeframe from a directory (searched recursively) or one file.

    With a directory, ``asset`` and ``timeframe`` select files by name; when either is None
    and the directory holds several, a ValueError lists what is there. Returns a frame indexed
    by UTC time with columns ``time, open, high, low, close, volume`` (empty when nothing found).
    """
    tf = None if timeframe is None else Timeframe.parse(timeframe)
    path = Path(path)
    if path.is_dir() and (asset is None or tf is None):
        series = {(s.asset, s.timeframe) for s in list_available(path) if s.timeframe != TICKS_TAG}
        series = {s for s in series if (asset is None or s[0] == asset) and (tf is None or s[1] == str(tf))}
        if len(series) > 1:
            listing = ", ".join(f"{a} {t}" for a, t in sorted(series))
            raise ValueError(f"{path} holds several candle series ({listing}); name the asset and timeframe")
        if series:
            asset, found = next(iter(series))
            tf = Timeframe.parse(found)
    return _load(path, "candles", asset, tf)


def load_ticks(path: Path, asset: str | None = None) -> pd.DataFrame:
    """Ticks (of one asset, or all) from a directory or one file: columns ``time, asset, price``."""
    frame = _load(Path(path), "ticks", asset, None)
    if asset is not None:
        frame = frame[frame["asset"] == asset]
    return frame


def list_available(path: Path) -> list[AvailableSeries]:
    """Every asset/timeframe under ``path`` with first/last time, rows on disk and file count.

    Files with an unknown layout are skipped with a warning (loading them names the problem).
    """
    found: dict[tuple[str, str], list] = {}
    for file in sorted(Path(path).rglob("*.csv")) if Path(path).is_dir() else [Path(path)]:
        try:
            summary = _quick_summary(file) or _full_summary(file)
        except (UnknownLayoutError, OSError, UnicodeError) as exc:
            log.warning("skipping %s: %s", file, exc)
            continue
        if summary is None:
            continue
        key, first, last, rows = summary
        entry = found.setdefault(key, [np.inf, -np.inf, 0, 0])
        entry[0] = min(entry[0], first)
        entry[1] = max(entry[1], last)
        entry[2] += rows
        entry[3] += 1
    return [
        AvailableSeries(asset, tag, pd.Timestamp(first, unit="s", tz="UTC"), pd.Timestamp(last, unit="s", tz="UTC"),
                        rows, files)
        for (asset, tag), (first, last, rows, files) in sorted(found.items())
    ]


_Summary = tuple[tuple[str, str], float, float, int]


def _quick_summary(file: Path) -> _Summary | None:
    """A store-layout file (own name and header): rows counted and the first/last row read, no parsing."""
    parsed = parse_file_name(file.name)
    if parsed is None:
        return None
    data = file.read_bytes()
    lines = [line for line in data.split(b"\n")[: None if data.endswith(b"\n") else -1] if line.strip(b"\r\x00")]
    header = CANDLE_HEADER if parsed.timeframe is not None else TICK_HEADER
    if not lines or lines[0].decode("utf-8", errors="replace").strip() != header:
        return None
    if len(lines) == 1:
        return None  # header only: nothing to list
    edges = pd.Series([lines[1].split(b",", 1)[0].decode(), lines[-1].split(b",", 1)[0].decode()])
    first, last = _times(edges)
    if np.isnan(first) or np.isnan(last):
        return None
    tag = TICKS_TAG if parsed.timeframe is None else str(parsed.timeframe)
    return (parsed.asset, tag), float(first), float(last), len(lines) - 1


def _full_summary(file: Path) -> _Summary | None:
    frame, _ = read_file(file)
    if frame.empty:
        return None
    asset, tag = _file_identity(file) or (file.stem, None)
    if "asset" in frame and frame["asset"].iloc[0]:
        asset = str(frame["asset"].iloc[0])
    if tag is None:
        tag = TICKS_TAG if "price" in frame else _infer_timeframe(frame["time"].to_numpy())
    return (asset, tag), float(frame["time"].min()), float(frame["time"].max()), len(frame)


def _infer_timeframe(times: np.ndarray) -> str:
    steps = np.diff(np.unique(times))
    if steps.size == 0:
        return "1m"
    return str(Timeframe(max(1, int(round(float(np.min(steps)))))))
