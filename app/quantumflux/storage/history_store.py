"""Broker history payloads saved under ``<collect_dir>/<TF.label>_candles/`` (see docs/data-formats.md).

Same file names and candle header as the live store (``<ASSET>_1m_<session>_part<NNN>.csv``,
``timestamp,open,high,low,close,volume``). History arrives in any order and overlaps what is
already on disk, so every candle whose timestamp the series already holds (in any file, from
any earlier session) is skipped: the first stored value of a candle is kept.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from quantumflux.core.model import Candle, Timeframe
from quantumflux.storage.csv_store import SeriesWriter, ensure_writable, fsync_mode
from quantumflux.storage.files import (
    CANDLE_HEADER,
    AssetNameError,
    FileName,
    candle_line,
    format_time,
    parse_file_name,
    session_stamp,
)
from quantumflux.storage.loader import UnknownLayoutError, read_file

log = logging.getLogger(__name__)


def history_dir_name(timeframe: Timeframe | int | str) -> str:
    """``1M_candles`` for 1m, ``5M_candles`` for 5m …"""
    return f"{Timeframe.parse(timeframe).label}_candles"


@dataclass(frozen=True, slots=True)
class HistoryStats:
    """Candles written and skipped (already stored, not yet closed, or partial) since the store opened."""

    candles_written: int
    skipped_existing: int
    skipped_open: int
    files_written: int
    #: Candles of an asset whose symbol cannot name a file.
    skipped_invalid: int = 0


class HistoryStore:
    """De-duplicating writer for broker history candles. Thread-safe."""

    def __init__(self, root: Path, *, session_start: float, rows_per_file: int = 1000,
                 fsync: str | bool = "chunk") -> None:
        self.root = Path(root)
        self.session = session_stamp(session_start)
        self.rows_per_file = rows_per_file
        self.fsync = fsync_mode(fsync)  # as the live store: each part fsynced when closed by default
        self._known: dict[tuple[str, int], set[str]] = {}
        self._writers: dict[tuple[str, int], SeriesWriter] = {}
        self._lock = threading.Lock()
        self._written = self._existing = self._open = self._closed_files = self._invalid = 0
        ensure_writable(self.root)

    def save(self, asset: str, timeframe: Timeframe | int | str, candles: Iterable[Candle],
             now: float | None = None) -> int:
        """Write the candles not yet stored for ``asset``/``timeframe``, oldest first; returns how many.

        With ``now``, a candle whose period has not ended (the broker's forming candle) is skipped;
        ``partial`` candles are skipped too.
        """
        tf = Timeframe.parse(timeframe)
        with self._lock:
            try:
                FileName(asset, tf, self.session, 1).render()
            except AssetNameError as exc:  # a symbol no file can be named after: skipped, counted
                candles = list(candles)
                self._invalid += len(candles)
                log.warning("not saving %d history candle(s): %s", len(candles), exc)
                return 0
            known = self._known_times(asset, tf)
            writer = self._writer(asset, tf)
            written = 0
            for candle in sorted(candles, key=lambda c: c.time):
                if candle.partial or (now is not None and candle.time + tf.seconds > now):
                    self._open += 1
                    continue
                stamp = format_time(candle.time)
                if stamp in known:
                    self._existing += 1
                    continue
                writer.write(stamp, candle_line(stamp, candle))
                known.add(stamp)
                written += 1
            self._written += written
            return written

    def _known_times(self, asset: str, tf: Timeframe) -> set[str]:
        key = (asset, tf.seconds)
        if key not in self._known:
            times: set[str] = set()
            directory = self.root / history_dir_name(tf)
            if directory.is_dir():
                for path in directory.iterdir():
                    parsed = parse_file_name(path.name)
                    if parsed is None or parsed.asset != asset or parsed.timeframe != tf:
                        continue
                    try:
                        frame, _ = read_file(path, "candles")
                    except (UnknownLayoutError, OSError) as exc:  # e.g. a torn header: its rows are unknown
                        log.warning("ignoring %s: %s", path, exc)
                        continue
                    times.update(format_time(t) for t in frame["time"].tolist())
            self._known[key] = times
        return self._known[key]

    def _writer(self, asset: str, tf: Timeframe) -> SeriesWriter:
        key = (asset, tf.seconds)
        if key not in self._writers:
            name = FileName(asset, tf, self.session, 1)
            self._writers[key] = SeriesWriter(self.root / history_dir_name(tf), name, CANDLE_HEADER,
                                              self.rows_per_file, fsync=self.fsync, ordered=False)
        return self._writers[key]

    @property
    def stats(self) -> HistoryStats:
        with self._lock:
            return HistoryStats(self._written, self._existing, self._open,
                                self._closed_files + sum(w.files_written for w in self._writers.values()),
                                self._invalid)

    def close(self) -> None:
        """Close every file (fsynced unless ``fsync="off"``); later saves open new parts."""
        with self._lock:
            for writer in self._writers.values():
                writer.close()
                self._closed_files += writer.files_written
            self._writers.clear()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
