"""Capture replay: a recorded ``.jsonl`` capture through the live collection path.

Decoder → CandleBook → ChunkedCsvStore, exactly as live collection wires them, with the
capture's receive times as the clock: after each frame the book is advanced to that frame's
receive time minus a small grace (ticks delayed in transit still land in their candle). Live
ticks go to the tick files, candles the book closes go to the candle files (the first,
partial candle of each asset is dropped, as live), broker history goes to the history store
and is merged into the book. Bad items are skipped and counted, never fatal: unreadable capture
lines (``unreadable_lines``, e.g. a NaN or negative receive time), malformed payload rows
(``malformed``) and rows no file can hold (``skipped_invalid``). At the end the stores are flushed; the candle still forming at
the last frame is not written (its period never ended on the capture's clock).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quantumflux.core.candles.book import CandleBook
from quantumflux.core.model import Timeframe
from quantumflux.core.protocol.capture import iter_capture
from quantumflux.core.protocol.decoder import Decoder
from quantumflux.core.protocol.events import HistoryReceived, TicksReceived
from quantumflux.storage.csv_store import ChunkedCsvStore
from quantumflux.storage.history_store import HistoryStore

#: Seconds subtracted from each frame's receive time before the book closes candles on it.
CLOSE_GRACE = 1.0


@dataclass
class ReplaySummary:
    """What a replay read and wrote."""

    frames: int = 0
    events: Counter[str] = field(default_factory=Counter)
    unknown: int = 0
    malformed: int = 0
    unreadable_lines: int = 0
    assets: set[str] = field(default_factory=set)
    ticks: int = 0
    candles: int = 0
    history_candles: int = 0
    skipped_partial: int = 0
    #: Ticks, candles and history candles no file can hold (an asset symbol too long for a file name).
    skipped_invalid: int = 0
    rejected_history: int = 0
    files_written: int = 0
    #: Files this replay created, relative to the output directory.
    files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (assets sorted)."""
        out = dict(self.__dict__)
        out["events"] = dict(sorted(self.events.items()))
        out["assets"] = sorted(self.assets)
        return out

    def lines(self) -> list[str]:
        """The human summary printed by ``quantumflux replay``."""
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.events.items())) or "none"
        return [
            f"frames:        {self.frames}" + (f" ({self.unreadable_lines} unreadable lines)" if self.unreadable_lines
                                               else ""),
            f"events:        {sum(self.events.values())} ({kinds})",
            f"unknown:       {self.unknown}",
            f"malformed:     {self.malformed}",
            f"assets:        {len(self.assets)} ({', '.join(sorted(self.assets))})",
            f"ticks:         {self.ticks}",
            f"candles:       {self.candles} written ({self.skipped_partial} partial first candles dropped)",
            f"history:       {self.history_candles} candles saved",
            *([f"not stored:    {self.skipped_invalid} rows (asset names too long for a file name)"]
              if self.skipped_invalid else []),
            f"files written: {self.files_written}",
        ]


def replay_capture(capture: Path, output: Path, timeframe: Timeframe | str | int = "1m",
                   *, grace: float = CLOSE_GRACE) -> ReplaySummary:
    """Replay ``capture`` into ``output`` (``realtime_stream/`` and ``data_collect/`` below it).

    Raises FileNotFoundError for a missing capture and StoreNotWritableError for an unwritable output.
    """
    capture = Path(capture)
    if not capture.is_file():
        raise FileNotFoundError(f"no such capture file: {capture}")
    tf = Timeframe.parse(timeframe)
    reader = iter_capture(capture)
    decoder = Decoder()
    summary = ReplaySummary()
    run = _Run(Path(output), tf, summary)
    try:
        for frame in reader:
            if run.book is None:
                run.open(frame.t)  # the first frame's receive time names the session's files
            run.handle(decoder.feed(frame))
            run.advance(frame.t - grace)
        run.handle(decoder.flush())
    finally:
        run.close()
    stats = decoder.stats
    summary.frames = stats.frames
    summary.events = Counter(stats.events)
    summary.unknown = sum(stats.unknown.values())
    summary.malformed = sum(stats.malformed.values())
    summary.unreadable_lines = reader.malformed_lines
    return summary


class _Run:
    """The stores and the book of one replay, created at the first frame (its time names the files)."""

    def __init__(self, output: Path, timeframe: Timeframe, summary: ReplaySummary) -> None:
        self.output = output
        self.timeframe = timeframe
        self.summary = summary
        self.store: ChunkedCsvStore | None = None
        self.history: HistoryStore | None = None
        self.book: CandleBook | None = None
        self.existing = set(output.rglob("*.csv")) if output.is_dir() else set()

    def open(self, t: float) -> CandleBook:
        self.store = ChunkedCsvStore(self.output / "realtime_stream", session_start=t)
        self.history = HistoryStore(self.output / "data_collect", session_start=t)
        self.book = CandleBook(self.timeframe, on_closed=self.store.write_candle)
        return self.book

    def handle(self, events: list[Any]) -> None:
        for event in events:
            book = self.book or self.open(event.t_recv)
            if isinstance(event, TicksReceived):
                self._ticks(book, event)
            elif isinstance(event, HistoryReceived):
                self._history(book, event)

    def _ticks(self, book: CandleBook, event: TicksReceived) -> None:
        assert self.store is not None
        for tick in event.ticks:
            self.summary.ticks += 1
            self.summary.assets.add(tick.asset)
            self.store.write_tick(tick)
            book.add_tick(tick)

    def _history(self, book: CandleBook, event: HistoryReceived) -> None:
        assert self.history is not None
        self.summary.assets.add(event.asset)
        if event.candles and event.period > 0:
            self.summary.history_candles += self.history.save(event.asset, event.period, event.candles,
                                                              now=event.t_recv)
        try:
            divides = event.period > 0 and self.timeframe.seconds % event.period == 0
            book.merge_history(event.asset, ticks=event.ticks, candles=event.candles if divides else ())
        except ValueError:
            self.summary.rejected_history += 1

    def advance(self, now: float) -> None:
        if self.book is not None:
            self.book.advance(now)

    def close(self) -> None:
        if self.store is not None:
            stats = self.store.stats
            self.store.close()
            self.summary.candles = stats.candles_written
            self.summary.skipped_partial = stats.skipped_partial
            self.summary.skipped_invalid += stats.skipped_invalid
            self.summary.files_written += self.store.stats.files_written
        if self.history is not None:
            self.history.close()
            self.summary.files_written += self.history.stats.files_written
            self.summary.skipped_invalid += self.history.stats.skipped_invalid
        if self.output.is_dir():
            new = set(self.output.rglob("*.csv")) - self.existing
            self.summary.files = sorted(str(path.relative_to(self.output)) for path in new)
