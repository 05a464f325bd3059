"""Per-asset candle formation from live ticks, closed on ticks and on the clock.

:class:`CandleBook` keeps, for every asset, one forming candle (plain Python numbers, so the hot
path is a handful of attribute updates) and a :class:`CandleBuffer` of closed candles. A tick
only ever touches its own asset's series. See ``docs/candles.md`` for the full semantics.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from quantumflux.core.candles.arrays import CandleArrays, CandleBuffer
from quantumflux.core.model import Candle, Tick, Timeframe

_INF = math.inf

ClosedCallback = Callable[[Candle], None]


class _Series:
    """One asset: the forming candle's fields plus its closed-candle buffer."""

    __slots__ = (
        "start", "end", "open", "high", "low", "close", "volume", "first_time", "last_time",
        "partial", "live", "buffer", "seen_live", "late_ticks", "history_end",
    )

    def __init__(self, buffer: CandleBuffer) -> None:
        self.buffer = buffer
        self.seen_live = False  # a live tick has formed a candle for this asset this session
        self.late_ticks = 0
        self.history_end = -_INF  # end of the newest merged history period (history reached it)
        self.clear_forming()

    def clear_forming(self) -> None:
        # start = end = inf: the fast path's range test fails for every time without a flag check.
        self.start = _INF
        self.end = _INF
        self.open = self.high = self.low = self.close = 0.0
        self.volume = 0
        self.first_time = self.last_time = -_INF
        self.partial = False
        self.live = False

    @property
    def has_forming(self) -> bool:
        return self.start != _INF

    def set_forming(
        self, start: float, period: int, open: float, high: float, low: float,  # noqa: A002
        close: float, volume: int, partial: bool, live: bool, first_time: float, last_time: float,
    ) -> None:
        self.start, self.end = start, start + period
        self.open, self.high, self.low, self.close, self.volume = open, high, low, close, volume
        self.partial, self.live = partial, live
        self.first_time, self.last_time = first_time, last_time

    def forming_candle(self, asset: str, period: int) -> Candle:
        return Candle(
            asset, period, self.start, self.open, self.high, self.low, self.close, self.volume,
            self.partial,
        )

    def close_forming(self) -> None:
        """Move the forming candle to the closed buffer."""
        self.buffer.append(
            self.start, self.open, self.high, self.low, self.close, self.volume, self.partial, self.live,
        )
        self.clear_forming()


#: What ``add_ticks`` finds for an asset without a series: no time is inside its (empty) forming candle.
_NO_SERIES = _Series(CandleBuffer(capacity=1))


def _bad_number(value: float) -> bool:
    return value != value or value in (_INF, -_INF)


class CandleBook:
    """Candles of one timeframe for every asset, formed from live ticks and merged broker history.

    ``on_closed`` is called with each candle as it closes (on a later tick or on the clock via
    :meth:`advance`), in time order per asset, after the book's own state is updated.
    ``max_closed`` bounds the closed candles kept per asset (oldest dropped first).
    """

    def __init__(
        self,
        timeframe: Timeframe | int | str,
        *,
        on_closed: ClosedCallback | None = None,
        max_closed: int | None = None,
    ) -> None:
        self.timeframe = Timeframe.parse(timeframe)
        self._period = self.timeframe.seconds
        self._on_closed = on_closed
        if max_closed is not None and max_closed <= 0:
            raise ValueError(f"max_closed must be a positive number of candles, got {max_closed}")
        self._max_closed = max_closed
        self._series: dict[str, _Series] = {}
        self._clock = -_INF  # the latest advance(now)

    # ------------------------------------------------------------------ live ticks

    def add_tick(self, tick: Tick) -> None:
        """Add one live tick (``asset, time, price``); closes the forming candle when ``time`` passes its end.

        A tick older than its asset's forming candle (or, with none forming, older than the end of
        the last closed candle) is counted in :meth:`late_ticks` and dropped. A non-finite time or
        price raises ``ValueError`` and changes nothing.
        """
        asset, time, price = tick
        series = self._series.get(asset)
        if series is not None and series.start <= time < series.end:
            if price > series.high:
                if price == _INF:
                    raise ValueError(f"tick price is not a finite number: {tick!r}")
                series.high = price
            elif price < series.low:
                if price == -_INF:
                    raise ValueError(f"tick price is not a finite number: {tick!r}")
                series.low = price
            elif price != price:
                raise ValueError(f"tick price is not a finite number: {tick!r}")
            if time >= series.last_time:
                series.last_time = time
                series.close = price
            elif time < series.first_time:
                series.first_time = time
                series.open = price
            series.volume += 1
            series.live = True
            return
        self._add_tick_slow(asset, time, price, series)

    def _add_tick_slow(self, asset: str, time: float, price: float, series: _Series | None) -> None:
        if _bad_number(time) or _bad_number(price):
            raise ValueError(f"tick time and price must be finite numbers: {Tick(asset, time, price)!r}")
        if not isinstance(asset, str):
            raise ValueError(f"tick asset must be a string, got {asset!r}")
        if series is None:
            series = self._series[asset] = _Series(CandleBuffer(limit=self._max_closed))
        closed: Candle | None = None
        time, price = float(time), float(price)
        start = (time // self._period) * self._period
        # The period's start was watched when live ticks came before, or history reached up to it.
        watching = series.seen_live or series.live or start <= series.history_end
        if series.has_forming:
            if time < series.start:
                series.late_ticks += 1
                return
            closed = self._close(asset, series)
        elif time < series.buffer.last_end(self._period):
            series.late_ticks += 1
            return
        series.set_forming(
            start, self._period, price, price, price, price, 1, partial=not watching,
            live=True, first_time=time, last_time=time,
        )
        series.seen_live = True
        if closed is not None and self._on_closed is not None:
            self._on_closed(closed)

    def _close(self, asset: str, series: _Series) -> Candle | None:
        """Close the forming candle; return it as a Candle when someone listens (or None)."""
        candle = series.forming_candle(asset, self._period) if self._on_closed is not None else None
        series.close_forming()
        return candle

    def add_ticks(self, ticks: Iterable[Tick]) -> None:
        """Add ticks in the order given (same result as calling :meth:`add_tick` for each).

        The loop repeats :meth:`add_tick`'s common case (a finite tick inside its asset's forming
        candle) inline, one method call per tick cheaper; every other tick goes through ``add_tick``.
        """
        get, add = self._series.get, self.add_tick
        for tick in ticks:
            asset, time, price = tick
            series = get(asset, _NO_SERIES)
            if series.start <= time < series.end and series.low <= price <= series.high:
                if time >= series.last_time:
                    series.last_time = time
                    series.close = price
                elif time < series.first_time:
                    series.first_time = time
                    series.open = price
                series.volume += 1
                series.live = True
            else:
                add(tick)

    # ------------------------------------------------------------------ clock

    def advance(self, now: float) -> list[Candle]:
        """Close every forming candle whose period has ended at ``now``; return them (and notify ``on_closed``).

        Never invents a candle: an asset with no tick in a period simply has no candle for it.
        Pass a ``now`` on the same clock as tick times (minus any expected delivery delay):
        ticks stamped before a period the clock already closed are late and dropped.
        """
        if now != now:
            raise ValueError("advance() needs a real time, got NaN")
        if now > self._clock:
            self._clock = now
        closed: list[Candle] = []
        for asset, series in self._series.items():
            if series.end <= now and series.start != _INF:
                closed.append(series.forming_candle(asset, self._period))
                series.close_forming()
        closed.sort(key=lambda candle: candle.time)
        if self._on_closed is not None:
            self._notify(closed)
        return closed

    def _notify(self, candles: Sequence[Candle]) -> None:
        """Call on_closed for every candle; re-raise the first subscriber error after all were called."""
        assert self._on_closed is not None
        error: BaseException | None = None
        for candle in candles:
            try:
                self._on_closed(candle)
            except Exception as exc:  # noqa: BLE001 - re-raised below, after everyone was told
                error = error or exc
        if error is not None:
            raise error

    # ------------------------------------------------------------------ history

    def merge_history(
        self, asset: str, *, ticks: Sequence[Tick] = (), candles: Sequence[Candle] = (),
    ) -> None:
        """Merge broker history for ``asset``: ticks and/or candles whose period divides this timeframe.

        Without duplicates or gaps: each period gets one candle. Live data wins for the forming
        candle and for every period live ticks covered; between two history merges the complete
        candle wins, then the newer one. History candles are not reported to ``on_closed``
        (only candles the book closes itself are). Bad input raises ``ValueError`` and changes nothing.
        """
        self._merge(asset, ticks, candles, ())

    def merge_history_arrays(
        self, asset: str, arrays: CandleArrays, timeframe: Timeframe | int | str,
    ) -> None:
        """:meth:`merge_history` for a large candle series already in columns (e.g. loaded from CSV).

        Same rules; ``timeframe`` is the series' own period and must divide the book's.
        """
        self._merge(asset, (), (), [(Timeframe.parse(timeframe).seconds, arrays)])

    def _merge(
        self, asset: str, ticks: Sequence[Tick], candles: Sequence[Candle],
        sources: Sequence[tuple[int, CandleArrays]],
    ) -> None:
        from quantumflux.core.candles.merge import merge_into  # local: keeps the hot module small

        if not isinstance(asset, str) or not asset:
            raise ValueError(f"merge_history needs an asset name, got {asset!r}")
        series = self._series.get(asset)
        if series is None:
            series = _Series(CandleBuffer(limit=self._max_closed))
        known_time = max(self._clock, series.last_time)
        closed_forming = merge_into(series, asset, self._period, list(ticks), list(candles), known_time, sources)
        if series.has_forming or len(series.buffer):
            self._series[asset] = series
        if closed_forming is not None and self._on_closed is not None:
            self._notify([closed_forming])

    # ------------------------------------------------------------------ queries

    def closed(self, asset: str) -> list[Candle]:
        """Closed candles of ``asset`` in time order (the kept ones when ``max_closed`` is set)."""
        series = self._series.get(asset)
        return [] if series is None else series.buffer.candles(asset, self._period)

    def forming(self, asset: str) -> Candle | None:
        """The candle currently forming for ``asset``, if any."""
        series = self._series.get(asset)
        if series is None or not series.has_forming:
            return None
        return series.forming_candle(asset, self._period)

    def arrays(self, asset: str) -> CandleArrays:
        """Closed candles of ``asset`` as read-only numpy columns (cached; cheap to call often)."""
        series = self._series.get(asset)
        return CandleArrays.empty() if series is None else series.buffer.arrays()

    def partial_flags(self, asset: str) -> np.ndarray:
        """Read-only ``partial`` flag per closed candle, aligned with :meth:`arrays`."""
        series = self._series.get(asset)
        return np.zeros(0, dtype=np.bool_) if series is None else series.buffer.flags()[0]

    def assets(self) -> list[str]:
        """Assets the book holds anything for, sorted."""
        return sorted(self._series)

    def late_ticks(self, asset: str | None = None) -> int:
        """Ticks dropped because they were older than their asset's forming candle (all assets if None)."""
        if asset is not None:
            series = self._series.get(asset)
            return 0 if series is None else series.late_ticks
        return sum(series.late_ticks for series in self._series.values())

    @property
    def clock(self) -> float:
        """The latest ``now`` given to :meth:`advance` (-inf before the first call)."""
        return self._clock

    def clear(self, asset: str | None = None) -> None:
        """Forget one asset (or all). The next live candle of a cleared asset is partial again."""
        if asset is None:
            self._series.clear()
        else:
            self._series.pop(asset, None)
