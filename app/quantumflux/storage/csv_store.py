"""Chunked, crash-safe CSV writer for live candles and ticks (see docs/data-formats.md).

Layout under the realtime directory::

    1M_candle_data/<ASSET>_1m_<session>_part001.csv   timestamp,open,high,low,close,volume
    5M_candle_data/<ASSET>_5m_<session>_part001.csv
    1M_tick_data/<ASSET>_ticks_<session>_part001.csv   timestamp,asset,price

Every row is written as one complete line and flushed to the OS as it is produced, so a
``kill -9`` leaves every file parseable. ``fsync`` says when rows also reach the disk itself
(power loss, a kernel crash): ``"chunk"`` (the default) fsyncs each part file and its directory
as the part is closed, by rotation or by ``close()``; ``"row"`` fsyncs every row; ``"off"`` never. On start each series scans its existing files:
a torn last line is cut off, the last written timestamp becomes a watermark below which
nothing is written again, and writing continues in a new part file.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from quantumflux.core.model import Candle, Tick, Timeframe
from quantumflux.storage.files import (
    CANDLE_HEADER,
    TICK_HEADER,
    AssetNameError,
    FileName,
    StoreNotWritableError,
    candle_line,
    encode_asset,
    format_price,
    format_time,
    parse_file_name,
    repair_tail,
    session_stamp,
    tail_lines,
)

log = logging.getLogger(__name__)

TICK_DIR = "1M_tick_data"
#: ``fsync`` modes: when written rows are forced to the disk.
FSYNC_MODES = ("chunk", "row", "off")
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z,")


def candle_dir_name(timeframe: Timeframe | int) -> str:
    """``1M_candle_data`` for 1m, ``5M_candle_data`` for 5m, ``5S_candle_data`` for 5s."""
    return f"{Timeframe.parse(timeframe).label}_candle_data"


def fsync_mode(value: str | bool) -> str:
    """``"chunk"``, ``"row"`` or ``"off"``; ``True`` means ``"row"`` and ``False`` ``"off"`` (older callers)."""
    mode = ("row" if value else "off") if isinstance(value, bool) else str(value)
    if mode not in FSYNC_MODES:
        raise ValueError(f"fsync must be one of {', '.join(FSYNC_MODES)}, got {value!r}")
    return mode


def ensure_writable(directory: Path) -> None:
    """Create ``directory`` and prove a file can be written in it, else raise StoreNotWritableError."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".qf-write-probe-{os.getpid()}-{threading.get_ident()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise StoreNotWritableError(directory, exc.strerror or str(exc)) from exc


@dataclass(frozen=True, slots=True)
class StoreStats:
    """A snapshot of what a store has written since it was opened."""

    rows_written: int
    candles_written: int
    ticks_written: int
    files_written: int
    skipped_partial: int
    skipped_duplicate: int
    repaired_files: int
    current_files: tuple[Path, ...]
    #: Rows no file can hold: an asset symbol too long for a file name, a time outside the calendar.
    skipped_invalid: int = 0


class SeriesWriter:
    """Appends the rows of one series (one asset and timeframe, or one asset's ticks) to part files.

    On creation it repairs torn files of the series and learns the last written timestamp
    (the watermark); with ``ordered`` (the default) rows at or before it are refused.
    """

    def __init__(
        self,
        directory: Path,
        name: FileName,
        header: str,
        rows_per_file: int,
        *,
        fsync: str | bool = "chunk",
        unique_times: bool = True,
        ordered: bool = True,
    ) -> None:
        if rows_per_file < 1:
            raise ValueError(f"rows per file must be at least 1, got {rows_per_file}")
        self.directory = directory
        self.name = name
        self.header = header
        self.rows_per_file = rows_per_file
        self.fsync = fsync_mode(fsync)
        self.unique_times = unique_times
        self.ordered = ordered  # False: the caller de-duplicates (history arrives in any order)
        self.handle: TextIO | None = None
        self.path: Path | None = None
        self.rows_in_file = 0
        self.part = name.part
        self.files_written = 0
        self.repaired_files = 0
        self.watermark = ""  # last timestamp text written (ISO, fixed width: compares as text)
        self.watermark_lines: set[str] = set()
        self._resume()

    def _resume(self) -> None:
        """Repair torn files of this series, learn the watermark and the next free part number."""
        ensure_writable(self.directory)
        for entry in sorted(self.directory.iterdir()):
            if entry.name.startswith(".") and entry.name.endswith(".csv.tmp"):
                stale = parse_file_name(entry.name[1:-4])
                if stale is not None and (stale.asset, stale.timeframe) == (self.name.asset, self.name.timeframe):
                    entry.unlink(missing_ok=True)  # a part that a crash stopped before it existed
                continue
            parsed = parse_file_name(entry.name)
            if parsed is None or parsed.asset != self.name.asset or parsed.timeframe != self.name.timeframe:
                continue
            if repair_tail(entry):
                self.repaired_files += 1
                if not entry.exists():
                    continue
            if parsed.session == self.name.session:
                self.part = max(self.part, parsed.part + 1)
            self._learn_watermark(tail_lines(entry))

    def _learn_watermark(self, lines: list[str]) -> None:
        """The newest well-formed timestamp among a file's last lines (a damaged line is ignored)."""
        rows = [line for line in lines if _STAMP.match(line)]
        if not rows:
            return
        last = max(row.split(",", 1)[0] for row in rows)
        if last > self.watermark:
            self.watermark = last
            self.watermark_lines = {row for row in rows if row.split(",", 1)[0] == last}
        elif last == self.watermark:
            self.watermark_lines.update(row for row in rows if row.split(",", 1)[0] == last)

    def accepts(self, timestamp: str, line: str) -> bool:
        """False for a row at or before what this series already holds (never written twice)."""
        if timestamp > self.watermark or not self.ordered:
            return True
        if timestamp < self.watermark or self.unique_times:
            return False
        return line not in self.watermark_lines

    def write(self, timestamp: str, line: str) -> bool:
        """Append one row (without newline); returns False when it was a duplicate and skipped."""
        if not self.accepts(timestamp, line):
            return False
        if self.handle is None or self.rows_in_file >= self.rows_per_file:
            self._open_next()
        assert self.handle is not None
        try:
            self.handle.write(line + "\n")
            self.handle.flush()
            if self.fsync == "row":
                os.fsync(self.handle.fileno())
        except OSError as exc:  # disk full, volume gone …: drop the file; a retry starts a new part
            self._abandon()
            raise StoreNotWritableError(self.path or self.directory, exc.strerror or str(exc)) from exc
        self.rows_in_file += 1
        if timestamp > self.watermark:
            self.watermark = timestamp
            self.watermark_lines = set()
        if not self.unique_times:
            self.watermark_lines.add(line)
        return True

    def _open_next(self) -> None:
        """Start the next part: header written to a hidden temp file, then hard-linked into place.

        The link is atomic and fails if the name exists, so a crash never leaves a part without
        its header and an existing part is never appended to.
        """
        self.close()
        while True:
            path = self.directory / FileName(self.name.asset, self.name.timeframe, self.name.session, self.part).render()
            self.part += 1
            if path.exists():
                continue
            temporary = path.with_name(f".{path.name}.tmp")
            try:
                temporary.write_text(self.header + "\n", encoding="utf-8")
                try:
                    os.link(temporary, path)
                except FileExistsError:
                    continue
                finally:
                    temporary.unlink()
                handle = path.open("a", encoding="utf-8", newline="")
                break
            except OSError as exc:
                raise StoreNotWritableError(path, exc.strerror or str(exc)) from exc
        self.handle, self.path, self.rows_in_file = handle, path, 0
        self.files_written += 1

    def _abandon(self) -> None:
        handle, self.handle = self.handle, None
        if handle is not None:
            try:
                handle.close()
            except OSError:
                pass  # the buffered remainder cannot be written either; the loader skips a torn line

    def flush(self) -> None:
        """Flush and fsync the open part now (whatever the mode)."""
        if self.handle is not None:
            self.handle.flush()
            os.fsync(self.handle.fileno())

    def close(self) -> None:
        """Close the open part; unless the mode is ``off``, fsync it and its directory first."""
        handle, self.handle = self.handle, None
        if handle is None:
            return
        try:
            if self.fsync != "off":
                handle.flush()
                os.fsync(handle.fileno())
                _fsync_directory(self.directory)
        finally:
            handle.close()


class ChunkedCsvStore:
    """Writes closed candles and ticks of a live session into rotating, crash-safe CSV parts.

    ``root`` is the realtime directory (``Settings.realtime_dir``); ``session_start`` (Unix
    seconds, UTC) names the files. Candles with ``partial=True`` (the first candle of a
    session, whose start the session did not see) are skipped and counted, never written.
    Thread-safe: one lock serialises writes.
    """

    def __init__(
        self,
        root: Path,
        *,
        session_start: float,
        candles_per_file: int = 100,
        ticks_per_file: int = 1000,
        fsync: str | bool = "chunk",
    ) -> None:
        self.root = Path(root)
        self.session = session_stamp(session_start)
        self.candles_per_file = candles_per_file
        self.ticks_per_file = ticks_per_file
        self.fsync = fsync_mode(fsync)
        self._writers: dict[tuple[str, int], SeriesWriter] = {}
        self._lock = threading.Lock()
        self._candles = self._ticks = self._partial = self._duplicates = self._invalid = 0
        self._refused: set[str] = set()  # assets that cannot name a file (warned once each)
        self._closed_files = 0
        self._closed_repairs = 0
        ensure_writable(self.root)

    # ---------------------------------------------------------------- writing

    def write_candle(self, candle: Candle) -> bool:
        """Append a closed candle; False when skipped (partial, already written, or invalid: counted)."""
        with self._lock:
            if candle.partial:
                self._partial += 1
                return False
            timeframe = Timeframe(int(candle.timeframe))
            writer = self._writer(candle.asset, timeframe.seconds)
            stamp = _stamp(candle.time, millis=False)
            if writer is None or stamp is None:
                self._invalid += 1
                return False
            if writer.write(stamp, candle_line(stamp, candle)):
                self._candles += 1
                return True
            self._duplicates += 1
            return False

    def write_tick(self, tick: Tick) -> bool:
        """Append one tick; False when skipped (already written before a restart, or invalid: counted)."""
        with self._lock:
            writer = self._writer(tick.asset, 0)
            stamp = _stamp(tick.time, millis=True)
            if writer is None or stamp is None:
                self._invalid += 1
                return False
            line = f"{stamp},{_csv_field(tick.asset)},{format_price(tick.price)}"
            if writer.write(stamp, line):
                self._ticks += 1
                return True
            self._duplicates += 1
            return False

    def write_ticks(self, ticks: Iterable[Tick]) -> int:
        """Append many ticks; returns how many were written."""
        return sum(1 for tick in ticks if self.write_tick(tick))

    def _writer(self, asset: str, seconds: int) -> SeriesWriter | None:
        """The series' writer; None for an asset that cannot name a file (logged once, never raised)."""
        key = (asset, seconds)
        writer = self._writers.get(key)
        if writer is None:
            if asset in self._refused:
                return None
            try:
                FileName(asset, Timeframe(seconds) if seconds else None, self.session, 1).render()
            except AssetNameError as exc:
                self._refused.add(asset)
                log.warning("not storing ticks or candles of this asset: %s", exc)
                return None
            if seconds == 0:
                directory, name = self.root / TICK_DIR, FileName(asset, None, self.session, 1)
                writer = SeriesWriter(directory, name, TICK_HEADER, self.ticks_per_file,
                                      fsync=self.fsync, unique_times=False)
            else:
                timeframe = Timeframe(seconds)
                directory = self.root / candle_dir_name(timeframe)
                name = FileName(asset, timeframe, self.session, 1)
                writer = SeriesWriter(directory, name, CANDLE_HEADER, self.candles_per_file, fsync=self.fsync)
            self._writers[key] = writer
        return writer

    # ------------------------------------------------------------- lifecycle

    def flush(self) -> None:
        """Flush and fsync every open file (rows are already flushed to the OS as written)."""
        with self._lock:
            for writer in self._writers.values():
                writer.flush()

    def close(self) -> None:
        """Close every file (fsynced unless ``fsync="off"``). The store can be written again afterwards (new parts)."""
        with self._lock:
            for writer in self._writers.values():
                writer.close()
                self._closed_files += writer.files_written
                self._closed_repairs += writer.repaired_files
            self._writers.clear()

    def __enter__(self) -> ChunkedCsvStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def stats(self) -> StoreStats:
        """Rows and files written, rows skipped, and the files currently open."""
        with self._lock:
            writers = list(self._writers.values())
            return StoreStats(
                rows_written=self._candles + self._ticks,
                candles_written=self._candles,
                ticks_written=self._ticks,
                files_written=self._closed_files + sum(w.files_written for w in writers),
                skipped_partial=self._partial,
                skipped_duplicate=self._duplicates,
                repaired_files=self._closed_repairs + sum(w.repaired_files for w in writers),
                current_files=tuple(w.path for w in writers if w.handle is not None and w.path is not None),
                skipped_invalid=self._invalid,
            )


def _fsync_directory(directory: Path) -> None:
    """Make a new part's name durable too (POSIX; a no-op where directories cannot be opened)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the file itself is synced
    finally:
        os.close(fd)


def _stamp(t: float, millis: bool) -> str | None:
    """``format_time`` or None for a time no calendar date can show (NaN, 1e300, before year 1)."""
    try:
        return format_time(t, millis=millis)
    except (OverflowError, ValueError, OSError):
        return None


def _csv_field(text: str) -> str:
    """The asset as a CSV field: as is, or file-name encoded (``%2C``) if it holds ``,``, ``"`` or a newline.

    Broker symbols never do; the loader maps the encoded form back using the file name.
    """
    if any(char in text for char in ',"\n\r'):
        return encode_asset(text)
    return text
