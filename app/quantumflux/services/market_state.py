"""What the terminal shows, built from decoded events: Qt-free, owned by one thread.

Per asset one base resolution is kept — the live ticks (growable numpy columns) and the
broker/CSV history candles at the periods they came in — and every displayed timeframe is
derived from it locally (:meth:`MarketState.open_view`), so a timeframe change is a local
recomputation, never a network call, and never mixes resolutions. A :class:`ChartView`
follows one asset at one timeframe: it is fed only that asset's ticks (strict per-asset
isolation) and reports the forming candle and the candles it closes.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from quantumflux.core.candles import CandleArrays, aggregate_tick_arrays
from quantumflux.core.model import Asset, Balance, Deal, PageChoice, Tick, Timeframe
from quantumflux.core.protocol import events as ev
from quantumflux.core.source import SourceMonitor, SourceStatus
from quantumflux.services.market_views import AssetData, ChartView, TickColumns

__all__ = ["AssetData", "Changes", "ChartView", "MarketState", "StoredHistoryLoaded", "TickColumns"]

HistorySource = Callable[[str], CandleArrays | None]


@dataclass(frozen=True, slots=True)
class StoredHistoryLoaded:
    """What :meth:`MarketState.read_stored` read for ``asset`` on a worker thread, to be applied as an event.

    ``arrays`` is None when nothing is stored; ``error`` says why reading failed (nothing is lost:
    the chart keeps what it had)."""

    asset: str
    arrays: CandleArrays | None
    error: str = ""


@dataclass(frozen=True, slots=True)
class Changes:
    """What one batch of events changed (the GUI refreshes only these parts)."""

    assets: bool = False
    balance: bool = False
    deals: bool = False
    page_choice: bool = False
    connection: bool = False
    ticks_for: frozenset[str] = frozenset()
    history_for: frozenset[str] = frozenset()
    messages: tuple[str, ...] = ()

    def merge(self, later: Changes) -> Changes:
        """What this batch and a ``later`` one changed together (a consumer that looks less often)."""
        return Changes(self.assets or later.assets, self.balance or later.balance, self.deals or later.deals,
                       self.page_choice or later.page_choice, self.connection or later.connection,
                       self.ticks_for | later.ticks_for, self.history_for | later.history_for,
                       self.messages + later.messages)

    def __bool__(self) -> bool:
        return bool(self.assets or self.balance or self.deals or self.page_choice or self.connection
                    or self.ticks_for or self.history_for or self.messages)


class _Batch:
    """What one :meth:`MarketState.apply` call has changed so far (mutable; becomes a :class:`Changes`)."""

    __slots__ = ("now", "flags", "ticks_for", "history_for", "messages")

    def __init__(self, now: float) -> None:
        self.now = now
        self.flags: dict[str, bool] = {}
        self.ticks_for: set[str] = set()
        self.history_for: set[str] = set()
        self.messages: list[str] = []


class MarketState:
    """Assets, balance, deals, page choice, login, offset and per-asset base data."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        stored_history: HistorySource | None = None,
        stale_after: float = 5.0,
        historical_after: float = 30.0,
        max_views: int = 64,
        close_delay: float = 2.0,
        defer_stored: bool = False,
    ) -> None:
        """``close_delay``: seconds after a period ends before the clock closes its candle, so a tick stamped
        inside the period that arrives a little late still counts (the collector uses the same grace).

        ``defer_stored``: do not read the stored history when an asset is first used (a large store takes
        seconds); :meth:`take_stored_requests` names the assets to read with :meth:`read_stored` on a
        worker thread, and the :class:`StoredHistoryLoaded` it returns is applied like any event."""
        self._clock = clock
        self.close_delay = close_delay
        self._stored_history = stored_history
        self.defer_stored = defer_stored
        self._stored_requests: list[str] = []  # deferred reads not yet taken by take_stored_requests
        self._stored_asked: set[str] = set()  # every asset ever requested: each is read once
        self.assets: dict[str, Asset] = {}
        self.balance: Balance | None = None
        self.open_deals: dict[str, Deal] = {}
        self.closed_deals: dict[str, Deal] = {}
        self.page_choice: PageChoice | None = None
        self.login = "unknown"  # unknown | attempted | ok | rejected
        self.offset = 0.0
        self.link_up = False
        self.source = SourceMonitor(stale_after=stale_after, historical_after=historical_after)
        self._data: dict[str, AssetData] = {}
        self._sockets: set[str] = set()
        self._view: ChartView | None = None
        self._views: OrderedDict[tuple[str, int], ChartView] = OrderedDict()
        self._views_by_asset: dict[str, list[ChartView]] = {}
        self.max_views = max_views
        self.tick_count = 0
        self._handlers = self._dispatch_table()

    # ------------------------------------------------------------------ events
    def apply(self, events: Iterable[object]) -> Changes:
        """Apply a batch of decoded events (and capture link notices); returns what changed.

        Each event kind has one handler (:attr:`_handlers`, a dispatch table); kinds without one
        (history requests, outgoing orders …) change nothing here."""
        batch = _Batch(self._clock())
        handlers = self._handlers
        for event in events:
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event, batch)
        for view in self._views.values():
            view.advance(batch.now - self.close_delay)
        return Changes(ticks_for=frozenset(batch.ticks_for), history_for=frozenset(batch.history_for),
                       messages=tuple(batch.messages), **batch.flags)

    def _dispatch_table(self) -> dict[type, Callable[[Any, _Batch], None]]:
        return {
            ev.TicksReceived: self._on_ticks,
            ev.HistoryReceived: self._on_history,
            StoredHistoryLoaded: self._on_stored_history,
            ev.AssetsUpdated: self._on_assets,
            ev.BalanceUpdated: self._on_balance,
            ev.OrderOpened: self._on_order_opened,
            ev.DealsOpened: self._on_deals_opened,
            ev.DealsClosed: self._on_deals_closed,
            ev.OrderFailed: self._on_order_failed,
            ev.PageChoiceChanged: self._on_page_choice,
            ev.LoginAttempted: self._on_login_attempted,
            ev.LoginSucceeded: self._on_login_succeeded,
            ev.LoginRejected: self._on_login_lost,
            ev.SessionDisconnected: self._on_login_lost,
            ev.SocketOpened: self._on_socket_opened,
            ev.SocketClosed: self._on_socket_closed,
            ev.ServerOffsetMeasured: self._on_offset,
            ev.LinkChanged: self._on_link,
        }

    def _on_ticks(self, event: ev.TicksReceived, batch: _Batch) -> None:
        now, by_asset, source, ticks_for = batch.now, self._views_by_asset, self.source, batch.ticks_for
        for tick in event.ticks:
            self._asset_data(tick.asset).ticks.append(tick.time, tick.price)
            source.on_tick(tick.asset, now)
            ticks_for.add(tick.asset)
            for view in by_asset.get(tick.asset, ()):
                view.add_tick(tick)
        self.tick_count += len(event.ticks)

    def _on_history(self, event: ev.HistoryReceived, batch: _Batch) -> None:
        try:
            changed = self._merge_broker_history(event)
        except ValueError as exc:  # bad history never stops the stream
            batch.messages.append(f"broker history for {event.asset} ignored: {exc}")
        else:
            if changed:
                batch.history_for.add(event.asset)

    def _on_stored_history(self, event: StoredHistoryLoaded, batch: _Batch) -> None:
        if event.error:
            batch.messages.append(f"stored history of {event.asset} unavailable: {event.error}")
        if self._merge_stored(event.asset, event.arrays):
            batch.history_for.add(event.asset)

    def _on_assets(self, event: ev.AssetsUpdated, batch: _Batch) -> None:
        self.assets = {a.symbol: a for a in event.assets}
        batch.flags["assets"] = True

    def _on_balance(self, event: ev.BalanceUpdated, batch: _Batch) -> None:
        self.balance = event.balance
        batch.flags["balance"] = True

    def _on_order_opened(self, event: ev.OrderOpened, batch: _Batch) -> None:
        self.open_deals[event.deal.id] = event.deal
        batch.flags["deals"] = True

    def _on_deals_opened(self, event: ev.DealsOpened, batch: _Batch) -> None:
        for deal in event.deals:
            if deal.id not in self.closed_deals:
                self.open_deals[deal.id] = deal
        batch.flags["deals"] = True

    def _on_deals_closed(self, event: ev.DealsClosed, batch: _Batch) -> None:
        for deal in event.deals:
            self.open_deals.pop(deal.id, None)
            self.closed_deals[deal.id] = deal
        batch.flags["deals"] = True

    def _on_order_failed(self, event: ev.OrderFailed, batch: _Batch) -> None:
        batch.messages.append(f"order refused by the broker: {event.error}")

    def _on_page_choice(self, event: ev.PageChoiceChanged, batch: _Batch) -> None:
        self.page_choice = event.choice
        batch.flags["page_choice"] = True

    def _on_login_attempted(self, event: ev.LoginAttempted, batch: _Batch) -> None:
        self.login = "attempted"
        batch.flags["connection"] = True

    def _on_login_succeeded(self, event: ev.LoginSucceeded, batch: _Batch) -> None:
        self.login = "ok"
        batch.flags["connection"] = True

    def _on_login_lost(self, event: ev.LoginRejected | ev.SessionDisconnected, batch: _Batch) -> None:
        if isinstance(event, ev.LoginRejected) or self.login != "ok":
            self.login = "rejected"
            batch.messages.append("the broker rejected the login: log in to PocketOption in the browser")
        batch.flags["connection"] = True

    def _on_socket_opened(self, event: ev.SocketOpened, batch: _Batch) -> None:
        self._sockets.add(event.socket)
        self._connection_changed(batch.now)
        batch.flags["connection"] = True

    def _on_socket_closed(self, event: ev.SocketClosed, batch: _Batch) -> None:
        self._sockets.discard(event.socket)
        self._connection_changed(batch.now)
        batch.flags["connection"] = True

    def _on_offset(self, event: ev.ServerOffsetMeasured, batch: _Batch) -> None:
        self.offset = event.offset
        batch.messages.append(f"broker clock offset {event.offset / 3600:+.1f} h corrected")
        batch.flags["connection"] = True

    def _on_link(self, event: ev.LinkChanged, batch: _Batch) -> None:
        self.link_up = event.connected
        if not self.link_up:
            self._sockets.clear()
        self._connection_changed(batch.now)
        batch.flags["connection"] = True

    def _connection_changed(self, now: float) -> None:
        self.source.on_connection(bool(self._sockets), now)

    def _asset_data(self, asset: str) -> AssetData:
        data = self._data.get(asset)
        if data is None:
            data = self._data[asset] = AssetData()
        return data

    def _merge_broker_history(self, event: ev.HistoryReceived) -> bool:
        """Merge; True when the chart of this asset must be rebuilt."""

        def merge(data: AssetData) -> None:
            if event.candles:
                data.history_book(event.period).merge_history(event.asset, candles=event.candles)
            if event.ticks:
                count = len(event.ticks)
                times = np.fromiter((t.time for t in event.ticks), dtype=np.float64, count=count)
                prices = np.fromiter((t.price for t in event.ticks), dtype=np.float64, count=count)
                data.history_book(5).merge_history_arrays(event.asset, aggregate_tick_arrays(times, prices, 5), 5)

        return self._merge_history(event.asset, merge)

    def _merge_stored(self, asset: str, arrays: CandleArrays | None) -> bool:
        """Merge stored 1-minute candles (a worker read them); True when the chart must be rebuilt."""
        data = self._asset_data(asset)
        data.stored_loaded = True
        if arrays is None or not len(arrays):
            return False
        return self._merge_history(asset, lambda d: d.history_book(60).merge_history_arrays(asset, arrays, 60))

    def _merge_history(self, asset: str, merge: Callable[[AssetData], None]) -> bool:
        """Apply ``merge`` to the asset's history; True when the current chart must be rebuilt.

        Only views whose timeframe the changed history periods make up are dropped (a 1 m history
        does not change a 5 s chart); unchanged history — the page asking again — changes nothing.
        """
        data = self._asset_data(asset)
        before = dict(self._history_fingerprint(asset, data))
        merge(data)
        for book in data.history.values():
            book.advance(self._clock())
        changed = [period for period, mark in self._history_fingerprint(asset, data) if before.get(period) != mark]
        if not changed:
            return False  # history we already hold: nothing to recompute
        current = self._view
        for key in [key for key in self._views if key[0] == asset]:
            if any(key[1] % period == 0 and period <= key[1] for period in changed):
                self._drop_view(*key)
        if current is not None and current.asset == asset:
            if (asset, current.timeframe) in self._views:
                return False  # the chart's own timeframe is not made of the changed periods
            self.open_view(asset, current.timeframe)
        return True

    @staticmethod
    def _history_fingerprint(asset: str, data: AssetData) -> tuple[tuple[int, tuple[float, ...]], ...]:
        """What of the history a chart would show: per period, the candles before the first live tick
        (live ticks win from there on). Count, first time and last close: cheap, O(periods · log n)."""
        live_from = float(data.ticks.first_time()) if len(data.ticks) else np.inf
        out = []
        for period, book in sorted(data.history.items()):
            arrays = book.arrays(asset)
            n = int(np.searchsorted(arrays.time, live_from - period, side="right"))
            forming = book.forming(asset)
            forming_close = forming.close if forming is not None and forming.time + period <= live_from else 0.0
            out.append((period, (n, float(arrays.time[0]) if n else 0.0, float(arrays.close[n - 1]) if n else 0.0,
                                 forming_close)))
        return tuple(out)

    # ------------------------------------------------------------------- views
    def status(self, asset: str) -> SourceStatus:
        return self.source.status(asset, self._clock())

    @property
    def connected(self) -> bool:
        return bool(self._sockets)

    def finest_period(self, asset: str) -> int | None:
        """The finest timeframe the data supports for ``asset`` (5 s with ticks), or None without data."""
        data = self._data.get(asset)
        self._load_stored(asset)
        data = self._data.get(asset)
        if data is None:
            return None
        periods = [p for p, book in data.history.items() if len(book.arrays(asset))]
        if len(data.ticks):
            periods.append(5)
        return min(periods) if periods else None

    def history_range(self, asset: str) -> tuple[float, float] | None:
        data = self._data.get(asset)
        if data is None:
            return None
        spans = [(float(a.time[0]), float(a.time[-1])) for a in (b.arrays(asset) for b in data.history.values()) if len(a)]
        if not spans:
            return None
        return min(s[0] for s in spans), max(s[1] for s in spans)

    def _load_stored(self, asset: str) -> None:
        data = self._asset_data(asset)
        if data.stored_loaded or asset in self._stored_asked:
            return
        if self.defer_stored and self._stored_history is not None:
            self._stored_asked.add(asset)
            self._stored_requests.append(asset)
        else:  # read here; no view of the asset exists yet, so merging rebuilds nothing
            self._merge_stored(asset, self._stored_history(asset) if self._stored_history is not None else None)

    def stored_loaded(self, asset: str) -> bool:
        """``asset``'s stored history has been merged (or there was none)."""
        data = self._data.get(asset)
        return data is not None and data.stored_loaded

    def request_stored(self, asset: str) -> None:
        """Ask for ``asset``'s stored history (read now, or queued with ``defer_stored``); each asset once."""
        self._load_stored(asset)

    def take_stored_requests(self) -> list[str]:
        """Assets whose stored history is wanted and not yet asked for (``defer_stored``); each once."""
        wanted, self._stored_requests = self._stored_requests, []
        return wanted

    def read_stored(self, asset: str) -> StoredHistoryLoaded:
        """Read ``asset``'s stored history (thread-safe: touches no state); apply the result as an event."""
        try:
            arrays = self._stored_history(asset) if self._stored_history is not None else None
        except Exception as exc:  # noqa: BLE001 - a broken store must not take the terminal down
            return StoredHistoryLoaded(asset, None, str(exc) or type(exc).__name__)
        return StoredHistoryLoaded(asset, arrays)

    def open_view(self, asset: str, timeframe: int | str | Timeframe) -> ChartView:
        """The terminal's chart: a fresh view (view cache reset) that becomes :attr:`view`."""
        seconds = Timeframe.parse(timeframe).seconds
        self._drop_view(asset, seconds)
        self._view = self.view_for(asset, seconds)
        return self._view

    def view_for(self, asset: str, timeframe: int | str | Timeframe) -> ChartView:
        """A cached view of ``asset`` at ``timeframe`` (built on first use, then kept live, LRU-bounded)."""
        key = (asset, Timeframe.parse(timeframe).seconds)
        view = self._views.get(key)
        if view is not None:
            self._views.move_to_end(key)
            return view
        view = self._build_view(*key)
        self._views[key] = view
        self._views_by_asset.setdefault(asset, []).append(view)
        while len(self._views) > self.max_views:
            oldest = next(iter(self._views))
            if self._view is not None and oldest == (self._view.asset, self._view.timeframe):
                self._views.move_to_end(oldest)
                oldest = next(iter(self._views))
            self._drop_view(*oldest)
        return view

    def _drop_view(self, asset: str, timeframe: int) -> None:
        view = self._views.pop((asset, timeframe), None)
        if view is not None:
            self._views_by_asset[asset].remove(view)

    def _build_view(self, asset: str, seconds: int) -> ChartView:
        """Derive ``asset`` at ``seconds`` from its base data; the view then follows live ticks.

        History periods that divide the timeframe are merged (finest first wins where it has
        data), then the live ticks, which win over history for every period they cover.
        """
        self._load_stored(asset)
        data = self._asset_data(asset)
        view = ChartView(asset, seconds)
        book = view._book
        for period in sorted(p for p in data.history if seconds % p == 0 and p <= seconds):
            arrays = data.history[period].arrays(asset)
            if len(arrays):
                book.merge_history_arrays(asset, arrays, period)
        times, prices = data.ticks.columns()
        if len(times):
            current = Timeframe(seconds).floor(float(times[-1]))
            older = times < current
            if older.any():
                book.merge_history_arrays(asset, aggregate_tick_arrays(times[older], prices[older], seconds), seconds)
            book.add_ticks(Tick(asset, float(t), float(p)) for t, p in zip(times[~older], prices[~older], strict=True))
        book.advance(self._clock() - self.close_delay)
        view._forget_seeding()  # only candles closed from now on are reported
        return view

    def tick_columns(self, asset: str) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the live ticks' time and price columns for ``asset`` (empty when none)."""
        data = self._data.get(asset)
        if data is None:
            return np.empty(0), np.empty(0)
        return data.ticks.columns()

    @property
    def view(self) -> ChartView | None:
        return self._view
