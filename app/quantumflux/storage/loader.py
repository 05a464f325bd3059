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
in ``df.attrs["skipped_rows"]`` and logged; the rest of the file is kept. In a directory, a file
that cannot be read at all (a torn header, an unknown layout) is skipped, counted in
``df.attrs["skipped_files"]`` and logged; the other parts of the series are kept. A single file
asked for by name still raises. Of candles with the same time the last (by file order) is kept: ``df.attrs["duplicate_rows"]`` counts the rows dropped and
``df.attrs["conflicting_times"]`` the times whose rows had different prices (also logged).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from quantumflux.core.model import Timeframe
from quantumflux.storage.files import CANDLE_HEADER, TICK_HEADER, TICKS_TAG, encode_asset, parse_file_name
from quantumflux.storage.layouts import (
    UnknownLayoutError,
    detect_layout,
    empty_frame,
    file_identity,
    parse_body,
    parse_times,
    read_file,
    read_raw,
    time_index,
)

__all__ = ["AvailableSeries", "UnknownLayoutError", "list_available", "load_candles", "load_ticks", "read_file"]

log = logging.getLogger(__name__)

class AvailableSeries(NamedTuple):
    """One asset/timeframe found on disk. ``timeframe`` is canonical (``1m``) or ``ticks``."""

    asset: str
    timeframe: str
    first: pd.Timestamp
    last: pd.Timestamp
    rows: int
    files: int


# ------------------------------------------------------------------ public API


def csv_files(directory: Path, prefixes: tuple[str, ...] = ("",)) -> list[Path]:
    """The ``*.csv`` files below ``directory`` whose names start with one of ``prefixes``, in path order
    (what ``sorted(directory.rglob("*.csv"))`` gives, symlinked folders not followed, in a fraction of its
    time: thousands of names are looked at as strings, only the matches become paths)."""
    found = []
    for folder, _dirs, names in os.walk(directory):
        matches = [name for name in names if name.endswith(".csv") and name.startswith(prefixes)]
        if matches:
            base = Path(folder)
            found.extend(base / name for name in matches)
    return sorted(found, key=lambda file: file.parts)


def _select_files(path: Path, kind: str, asset: str | None, timeframe: Timeframe | None) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"no such file or directory: {path}")
    chosen = []
    # Every naming (the store's ``<encoded asset>_<tf>_…``, older ``ASSET_1m…``, a bare ``ASSET.csv``) starts
    # with the asset: only those names are parsed (a store holds thousands of parts of many assets).
    prefixes = ("",) if asset is None else (encode_asset(asset), asset)
    for file in csv_files(path, prefixes):
        file_asset, tag = file_identity(file) or (file.stem, None)
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
    frames, orders, skipped, bad_files = [], [], 0, 0
    one_file = Path(path).is_file()
    batch: list[tuple[int, Path, str, int]] = []  # complete store-layout files, parsed in one go
    own_header = CANDLE_HEADER if kind == "candles" else TICK_HEADER
    for order, file in enumerate(files):
        parsed = parse_file_name(file.name)
        if parsed is not None and encode_asset(parsed.asset) == parsed.asset:
            header, body, lines, complete = read_raw(file)
            if complete and ",".join(header) == own_header:
                batch.append((order, file, body, lines))
                continue
        try:
            if parsed is None and not one_file and file_identity(file)[1] is None:
                header = read_raw(file)[0]
                if not header or detect_layout(file, header).kind != kind:
                    continue
            frame, bad = read_file(file, kind)
        except (UnknownLayoutError, OSError) as exc:
            if one_file:
                raise
            bad_files += 1  # e.g. a torn header: this part is unreadable, the series' other parts are not
            log.warning("skipping %s: %s", file, exc)
            continue
        frames.append(frame)
        orders.append(np.full(len(frame), order))
        skipped += bad
    skipped += _load_batch(batch, kind, frames, orders)
    frame = pd.concat(frames, ignore_index=True) if frames else empty_frame(kind)
    order_column = np.concatenate(orders) if orders else np.zeros(0, dtype=int)
    frame = frame.iloc[np.lexsort((order_column, frame["time"].to_numpy()))]  # by time, then file order
    if kind == "candles":
        duplicates, conflicting = _duplicate_counts(frame)
        if conflicting:
            log.warning("loader: %d timestamp(s) in %s have several candles with different prices; the last "
                        "(by file order) is kept", conflicting, path)
        frame = frame.drop_duplicates("time", keep="last")
        frame.attrs["duplicate_rows"], frame.attrs["conflicting_times"] = duplicates, conflicting
    else:
        frame = frame.drop_duplicates(["time", "asset", "price"], keep="first")
    frame.index = time_index(frame["time"].to_numpy())
    frame.attrs["skipped_rows"] = skipped
    frame.attrs["skipped_files"] = bad_files
    frame.attrs["files"] = [str(file) for file in files]
    return frame


def _duplicate_counts(frame: pd.DataFrame) -> tuple[int, int]:
    """Candle rows dropped as repeats of an earlier timestamp, and timestamps whose rows disagree on a price."""
    repeated = frame.duplicated("time", keep="last")
    dropped = int(repeated.sum())
    if not dropped:
        return 0, 0
    same_time = frame[frame.duplicated("time", keep=False)]
    distinct = same_time.drop_duplicates(["time", "open", "high", "low", "close"])
    return dropped, int((distinct.groupby("time").size() > 1).sum())


def _load_batch(batch: list[tuple[int, Path, str, int]], kind: str, frames: list, orders: list) -> int:
    """Parse many complete store-layout files as one text (fast); per file again if any row is bad."""
    if not batch:
        return 0
    header = (CANDLE_HEADER if kind == "candles" else TICK_HEADER).split(",")
    layout = detect_layout(batch[0][1], header)
    body = "".join(text for _, _, text, _ in batch)
    frame, bad = parse_body(body, sum(lines for *_, lines in batch), len(header), layout, None)
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


def series_names(path: Path) -> set[tuple[str, str]]:
    """Every (asset, timeframe or ``ticks``) under ``path``, from the file names alone where they say it (a
    store of thousands of parts lists in milliseconds); only files named otherwise are opened."""
    found: set[tuple[str, str]] = set()
    for file in csv_files(Path(path)) if Path(path).is_dir() else [Path(path)]:
        asset, tag = file_identity(file)
        if tag is not None:
            header = TICK_HEADER if tag == TICKS_TAG else CANDLE_HEADER
            try:
                if file.stat().st_size > len(header) + 2:  # more than a header: some rows
                    found.add((asset, tag))
            except OSError as exc:
                log.warning("skipping %s: %s", file, exc)
            continue
        try:
            summary = _quick_summary(file) or _full_summary(file)
        except (UnknownLayoutError, OSError, UnicodeError) as exc:
            log.warning("skipping %s: %s", file, exc)
            continue
        if summary is not None:
            found.add(summary[0])
    return found


def list_available(path: Path) -> list[AvailableSeries]:
    """Every asset/timeframe under ``path`` with first/last time, rows on disk and file count.

    Files with an unknown layout are skipped with a warning (loading them names the problem).
    """
    found: dict[tuple[str, str], list] = {}
    for file in csv_files(Path(path)) if Path(path).is_dir() else [Path(path)]:
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
    first, last = parse_times(edges)
    if np.isnan(first) or np.isnan(last):
        return None
    tag = TICKS_TAG if parsed.timeframe is None else str(parsed.timeframe)
    return (parsed.asset, tag), float(first), float(last), len(lines) - 1


def _full_summary(file: Path) -> _Summary | None:
    frame, _ = read_file(file)
    if frame.empty:
        return None
    asset, tag = file_identity(file) or (file.stem, None)
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
