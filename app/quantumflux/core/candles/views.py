"""Any displayed timeframe from a few base-resolution books: a timeframe change is local recomputation.

:class:`MultiTimeframeBook` keeps one :class:`CandleBook` per base resolution (by default 5 s,
fed by live ticks, and 1 m, fed by live ticks plus broker 1 m history). :meth:`view` derives the
requested timeframe from exactly ONE base book — the coarsest base that divides it — so a view
never mixes resolutions, and derived candles equal candles formed directly at that timeframe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from quantumflux.core.candles.arrays import CandleArrays
from quantumflux.core.candles.book import CandleBook, ClosedCallback
from quantumflux.core.candles.derive import derive, group_bounds, period_starts
from quantumflux.core.model import Candle, Tick, Timeframe


@dataclass(frozen=True, slots=True)
class TimeframeView:
    """Closed candles of one asset at one timeframe, their partial flags, and the forming candle."""

    asset: str
    timeframe: int
    closed: CandleArrays
    partial: np.ndarray
    forming: Candle | None


class MultiTimeframeBook:
    """Base books for live ticks and history; derived views of any timeframe a base divides.

    ``bases`` are base periods (seconds or text, e.g. ``("5s", "1m")``). Ticks go to every base;
    history candles go to every base their period divides (1 m history feeds only the 1 m base).
    ``on_closed`` receives the base books' closed candles (``candle.timeframe`` tells which).
    """

    def __init__(
        self,
        bases: Sequence[Timeframe | int | str] = (5, 60),
        *,
        on_closed: ClosedCallback | None = None,
        max_closed: int | None = None,
    ) -> None:
        periods = sorted({Timeframe.parse(base).seconds for base in bases})
        if not periods:
            raise ValueError("MultiTimeframeBook needs at least one base timeframe")
        self._books = {p: CandleBook(p, on_closed=on_closed, max_closed=max_closed) for p in periods}
        # (asset, seconds) -> (base snapshot, derived, partial, derived without its last row, partial too)
        self._cache: dict[tuple[str, int], tuple[CandleArrays, CandleArrays, np.ndarray, CandleArrays, np.ndarray]] = {}

    @property
    def bases(self) -> list[int]:
        """Base periods in seconds, ascending."""
        return list(self._books)

    def book(self, base: Timeframe | int | str) -> CandleBook:
        """The base book of that period (KeyError names the bases when there is none)."""
        period = Timeframe.parse(base).seconds
        if period not in self._books:
            raise KeyError(f"no base book of {Timeframe(period)}; bases are {self.bases}")
        return self._books[period]

    def base_for(self, timeframe: Timeframe | int | str) -> int:
        """The coarsest base period dividing ``timeframe`` (ValueError when none does)."""
        seconds = Timeframe.parse(timeframe).seconds
        for period in reversed(self._books):
            if seconds % period == 0:
                return period
        raise ValueError(f"{Timeframe(seconds)} cannot be derived from the bases {self.bases} (s)")

    # ---------------------------------------------------------------- feeding

    def add_tick(self, tick: Tick) -> None:
        """Add one live tick to every base book."""
        for book in self._books.values():
            book.add_tick(tick)

    def add_ticks(self, ticks: Iterable[Tick]) -> None:
        for tick in ticks:
            self.add_tick(tick)

    def advance(self, now: float) -> list[Candle]:
        """Clock-close every base book; returns the closed base candles."""
        closed: list[Candle] = []
        for book in self._books.values():
            closed.extend(book.advance(now))
        return closed

    def merge_history(
        self, asset: str, *, ticks: Sequence[Tick] = (), candles: Sequence[Candle] = (),
    ) -> None:
        """History into every base it fits; a candle period no base accepts raises ValueError first."""
        periods = {candle.timeframe for candle in candles}
        for period in periods:
            if not any(base % period == 0 for base in self._books):
                raise ValueError(
                    f"history of period {period}s fits no base {self.bases}: request 1m history for charts"
                )
        for base, book in self._books.items():
            fitting = [candle for candle in candles if base % candle.timeframe == 0]
            if ticks or fitting:
                book.merge_history(asset, ticks=ticks, candles=fitting)

    def clear(self, asset: str | None = None) -> None:
        for book in self._books.values():
            book.clear(asset)
        self._cache = {k: v for k, v in self._cache.items() if asset is not None and k[0] != asset}

    def assets(self) -> list[str]:
        return sorted({asset for book in self._books.values() for asset in book.assets()})

    # ---------------------------------------------------------------- views

    def view(self, asset: str, timeframe: Timeframe | int | str) -> TimeframeView:
        """Candles of ``asset`` at ``timeframe``, derived locally from one base book.

        The closed part is cached until the base book closes another candle, so calling this
        on every repaint is cheap. The last derived candle stays forming while the asset's base
        candle forms inside it, and otherwise until the book's clock (``advance``) passes its end.
        """
        seconds = Timeframe.parse(timeframe).seconds
        book = self._books[self.base_for(seconds)]
        derived, partial, head, head_partial = self._derived_closed(book, asset, seconds)
        base_forming = book.forming(asset)
        open_row = False
        if len(derived):
            last = float(derived.time[-1])
            if base_forming is None:
                open_row = last + seconds > book.clock
            else:  # the base's forming candle is in that period, or the period has not ended yet
                open_row = (base_forming.time // seconds) * seconds == last or last + seconds > max(
                    book.clock, base_forming.time)
        forming = _combine(asset, seconds, derived, partial, open_row, base_forming)
        if open_row:
            derived, partial = head, head_partial
        return TimeframeView(asset, seconds, derived, partial, forming)

    def _derived_closed(
        self, book: CandleBook, asset: str, seconds: int,
    ) -> tuple[CandleArrays, np.ndarray, CandleArrays, np.ndarray]:
        base = book.arrays(asset)
        cached = self._cache.get((asset, seconds))
        if cached is not None and cached[0] is base:
            return cached[1:]
        derived = derive(base, seconds)
        flags = book.partial_flags(asset)
        if len(base):
            starts, _ = group_bounds(period_starts(base.time, seconds))
            partial = np.logical_or.reduceat(flags, starts)
        else:
            partial = np.zeros(0, dtype=np.bool_)
        last = max(len(derived) - 1, 0)
        entry = (base, derived, partial, derived.slice(0, last), partial[:last])
        self._cache[(asset, seconds)] = entry
        return entry[1:]


def _combine(
    asset: str, seconds: int, derived: CandleArrays, partial: np.ndarray, open_row: bool,
    base_forming: Candle | None,
) -> Candle | None:
    """The forming candle at ``seconds``: the still-open derived row extended by the base's forming one."""
    if not open_row:
        if base_forming is None:
            return None
        start = (base_forming.time // seconds) * seconds
        return Candle(asset, seconds, start, base_forming.open, base_forming.high, base_forming.low,
                      base_forming.close, base_forming.volume, base_forming.partial)
    row = len(derived) - 1
    start = float(derived.time[row])
    open_, high, low = float(derived.open[row]), float(derived.high[row]), float(derived.low[row])
    close, volume = float(derived.close[row]), int(derived.volume[row])
    if base_forming is not None and (base_forming.time // seconds) * seconds == start:
        high, low = max(high, base_forming.high), min(low, base_forming.low)
        close, volume = base_forming.close, volume + base_forming.volume
    return Candle(asset, seconds, start, open_, high, low, close, volume, bool(partial[row]))
