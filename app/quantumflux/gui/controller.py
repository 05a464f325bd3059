"""Gives the terminal window life: events in, chart/panels out, user actions to services.

Worker threads (capture, trading) only ever call :meth:`TerminalController.post` with
immutable objects; everything else runs on the GUI thread, driven by the event pump
(about 30 Hz) and a one-second status timer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from quantumflux.core.model import Asset, Direction, Timeframe
from quantumflux.core.source import SourceState
from quantumflux.gui.pump import EventPump
from quantumflux.gui.window import TerminalWindow
from quantumflux.services.application import Changes, LiveMarket, MarketState

log = logging.getLogger(__name__)

#: (asset, direction, amount, expiry seconds) -> a short human result; runs on a worker thread.
TradeHandler = Callable[[str, Direction, float, int], str]
#: (asset, period seconds) -> None; switches the broker page (worker thread).
PageSwitcher = Callable[[str, int], None]
#: Seconds the page may take to show an asset the terminal switched it to; until it does (or this passes),
#: the page's reports are not followed (they are the steps of that switch, not the user's choice).
PAGE_SWITCH_GRACE = 10.0


class AfterPaint(QObject):
    """Runs a call once ``widget`` has painted (or after ``fallback_ms``, e.g. when the window is hidden)."""

    def __init__(self, widget: QWidget, *, fallback_ms: int = 250, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._widget = widget
        self._then: Callable[[], None] | None = None
        self._fallback = QTimer(self, singleShot=True, interval=fallback_ms)
        self._fallback.timeout.connect(self._run)
        widget.installEventFilter(self)

    def arm(self, then: Callable[[], None]) -> None:
        """Call ``then`` after the widget's next paint (a call armed before and not yet run is run first)."""
        self._run()
        self._then = then
        self._fallback.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if self._then is not None and watched is self._widget and event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self._run)  # queued: runs when this paint has finished
        return False

    def _run(self) -> None:
        self._fallback.stop()
        then, self._then = self._then, None
        if then is not None:
            then()


@dataclass(frozen=True, slots=True)
class Notice:
    """A message for the log pane, posted from any thread."""

    text: str
    level: str = "info"


class TerminalController(QObject):
    def __init__(
        self,
        window: TerminalWindow,
        market: LiveMarket,
        *,
        stored_assets: Callable[[], list[str]] = list,
        trade_handler: TradeHandler | None = None,
        page_switcher: PageSwitcher | None = None,
        status_source: Callable[[], dict[str, str]] | None = None,
        collector: Any = None,
        data_dir: str = "",
        api_factory: Callable[[], Any] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.market = market
        self._stored_assets = stored_assets
        self._trade_handler = trade_handler
        self._page_switcher = page_switcher
        self._status_source = status_source
        self.collector = collector
        self._api_factory = api_factory
        self.api: Any = None
        self.runner: Any = None
        self._strategy_labels: dict[str, str] = {}
        self._clock = clock
        window.collector_panel.directory.setText(data_dir or "—")
        window.collector_panel.toggle.setEnabled(collector is not None)
        self._workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="qf-gui-worker")
        self.asset: str | None = None
        self.timeframe = 60
        #: The page switch this terminal asked for and until when the page's reports are echoes of the way there.
        self._page_target: tuple[str, int] | None = None
        self._page_target_until = 0.0
        self._indicator_ids: dict[str, int] = {}
        self.pump = EventPump(self._on_events, parent=self, always=True)
        self._after_paint = AfterPaint(window.chart.graphics.viewport(), parent=self)
        self._change_handlers: tuple[tuple[str, Callable[[], None]], ...] = (
            ("assets", self._refresh_assets), ("balance", self._show_balance), ("deals", self._show_deals),
            ("page_choice", self._follow_page))
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(1000)
        self._status_timer.timeout.connect(lambda: self.refresh_status(wait=False))
        self._wire()

    # ------------------------------------------------------------------ set-up
    def _wire(self) -> None:
        w = self.window
        w.assets.asset_selected.connect(self._on_asset_selected)
        w.timeframes.timeframe_changed.connect(self._on_timeframe_changed)
        w.ticket.trade_requested.connect(self._on_trade_requested)
        w.live_button.clicked.connect(lambda: w.chart.set_follow_live(True))
        w.collector_panel.toggle.toggled.connect(self._on_collector_toggled)
        w.api_action.toggled.connect(self._on_api_toggled)
        w.theme_action.toggled.connect(lambda light: w.chart.set_theme("light" if light else "dark"))
        for name, action in w.indicator_actions.items():
            action.toggled.connect(lambda on, n=name: self._on_indicator_toggled(n, on))

    def set_strategy_runner(self, runner: Any, names: list[str]) -> None:
        """Attach the live strategy runner: the panel's boxes enable strategies on the selected asset."""
        self.runner = runner
        panel = self.window.strategy_panel
        panel.set_strategies(names)
        for name, box in panel.checks.items():
            box.toggled.connect(lambda on, n=name: self._on_strategy_toggled(n, on))

    def _on_strategy_toggled(self, name: str, on: bool) -> None:
        runner = getattr(self, "runner", None)
        if runner is None or self.asset is None:
            return
        panel = self.window.strategy_panel
        label = self._strategy_labels.pop(name, None)
        if label is not None:
            runner.disable(label)
            self.window.log.notify(f"strategy {label} stopped")
        if not on:
            return
        mode = panel.mode.currentData()
        try:
            status = runner.enable(name, assets=[self.asset], timeframe=self.timeframe, mode=mode,
                                   label=f"{name}@{self.asset}/{Timeframe(self.timeframe)}")
        except (KeyError, ValueError) as exc:
            self.window.log.notify(f"cannot run {name}: {exc}", "error")
            panel.checks[name].setChecked(False)
            return
        self._strategy_labels[name] = status.label
        self.window.log.notify(f"strategy {status.label} running ({mode})")

    def _refresh_strategies(self) -> None:
        runner = getattr(self, "runner", None)
        if runner is None:
            return
        panel = self.window.strategy_panel
        reports = {r.get("label"): r for r in runner.performance()}
        rows = []
        for status in runner.status():
            row = status.to_dict()
            report = reports.get(status.label, {})
            row["win_rate"] = float(report.get("win_rate", 0.0) or 0.0)
            row["state"] = f"warming up: {status.waiting}" if status.waiting else status.mode
            rows.append(row)
        panel.show_figures(rows)
        labels = [self._strategy_labels[n] for n in panel.checks if n in self._strategy_labels]
        if panel.ab.isChecked() and len(labels) >= 2:
            panel.verdict.setText(f"A/B {labels[0]} vs {labels[1]}: {runner.compare(labels[0], labels[1]).verdict}")
        else:
            panel.verdict.setText("")

    def set_trading(self, trade_handler: TradeHandler | None, page_switcher: PageSwitcher | None) -> None:
        """Attach (or detach with None) order placement and page switching."""
        self._trade_handler = trade_handler
        self._page_switcher = page_switcher
        self.refresh_status()

    def start(self) -> None:
        remembered = self.window.restore()
        self.timeframe = int(remembered["timeframe"])  # type: ignore[arg-type]
        if remembered["theme"] == "light":
            self.window.theme_action.setChecked(True)
        for name in remembered["indicators"]:  # type: ignore[union-attr]
            action = self.window.indicator_actions.get(name)
            if action is not None:
                action.setChecked(True)
        self._refresh_assets()
        wanted = str(remembered["asset"] or "")
        symbols = self.window.assets.symbols_in_view()
        first = wanted if wanted in symbols else (symbols[0] if symbols else None)
        if first:
            self.select_asset(first)
        self.pump.start()
        self._status_timer.start()
        self.refresh_status()

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        if self.collector is not None:
            self.collector.stop()
        if self.api is not None:
            self.api.close()
        self.pump.stop()
        self._status_timer.stop()
        self.window.remember(asset=self.asset or "", timeframe=self.timeframe,
                             indicators=sorted(self._indicator_ids), theme=self.window.chart.theme)
        self._workers.shutdown(wait=True, cancel_futures=True)

    @property
    def state(self) -> MarketState:
        """The application's market state (the GUI thread reads it under ``market.lock``)."""
        return self.market.state

    def post(self, event: Any) -> None:
        """Thread-safe entry for notices and worker results (and decoded events, which go to the market)."""
        self.pump.post(event)

    # ------------------------------------------------------------------ events
    def _on_events(self, batch: list[Any]) -> None:
        """One frame (about 30 Hz): notices to the log, then what the market changed since the last frame."""
        events = [e for e in batch if not isinstance(e, Notice)]
        if events:
            self.market.apply(events)
        for notice in batch:
            if isinstance(notice, Notice):
                self.window.log.notify(notice.text, notice.level)
        if not self.market.lock.acquire(blocking=False):
            return  # a worker is merging history: its changes wait for the next frame, the GUI does not
        try:
            changes = self.market.take_changes()
            if changes:
                self._apply_changes(changes)
        finally:
            self.market.lock.release()

    def _apply_changes(self, changes: Changes) -> None:
        for message in changes.messages:
            self.window.log.notify(message, "warn")
        for flag, handler in self._change_handlers:
            if getattr(changes, flag):
                handler()
        if self.asset is not None:
            if self.asset in changes.history_for:
                self._reload_chart(rebuilt=True)
            elif self.asset in changes.ticks_for:
                self._update_chart()
        if changes.connection:
            self.refresh_status()

    def _show_balance(self) -> None:
        if self.state.balance is not None:
            self.window.ticket.set_balance(self.state.balance)

    def _show_deals(self) -> None:
        self.window.ticket.show_opened(self.state.open_deals.values())
        self.window.ticket.show_closed(self.state.closed_deals.values())

    def _follow_page(self) -> None:
        choice, w = self.state.page_choice, self.window
        if choice is None or not w.follow_browser.isChecked():
            return
        if self._page_target is not None:
            # The page is on its way to what this terminal asked for: on the way it reports the new asset at
            # its old period (and the like). Following those would flip the user's choice back and forth.
            arrived = (choice.asset, choice.period) == self._page_target
            if arrived or self._clock() > self._page_target_until:
                self._page_target = None
            if arrived or self._page_target is not None:
                return
        if choice.asset != self.asset:
            self.select_asset(choice.asset, from_page=True)
        if choice.period != self.timeframe and choice.period in w.timeframes.buttons:
            self._on_timeframe_changed(choice.period)

    def _update_chart(self) -> None:
        """New ticks of the shown asset: the candles they closed, the forming one."""
        view, w = self.state.view, self.window
        if view is None or view.asset != self.asset:
            return
        for candle in view.take_closed():
            w.chart.append_closed(candle)
        w.chart.update_forming(view.forming())
        if w.timeframes.current() is None or len(w.timeframes.enabled_timeframes()) < 10:
            w.timeframes.set_available(self.state.finest_period(self.asset))
            w.timeframes.set_current(self.timeframe)

    # ------------------------------------------------------------------ assets
    def _refresh_assets(self) -> None:
        with self.market.lock:
            assets = list(self.state.assets.values())
        if not assets:
            assets = [Asset(symbol) for symbol in self._stored_assets()]
        self.window.assets.set_assets(assets)

    def select_asset(self, symbol: str, *, from_page: bool = False) -> None:
        self.window.assets.select(symbol, emit=False)
        # The asset's stored history is read on a worker once it is shown, and the page is switched by a worker
        # driving the browser; both wait until the chart has painted what is already here (broker history, live
        # ticks), so that first paint does not share the GIL (and the 2 cores) with them.
        self.market.hold_reads()
        with self.market.lock:
            self._show_asset(symbol)
        target = (symbol, self.timeframe)
        switch_page = (not from_page and self._page_switcher is not None and self.window.follow_browser.isChecked()
                       and self.state.connected)  # only a page with a live broker socket can be switched
        if switch_page:
            self._page_target, self._page_target_until = target, self._clock() + PAGE_SWITCH_GRACE

        def after_paint() -> None:
            self.market.resume_reads()
            if switch_page and self._page_target == target:  # not overtaken by a later switch
                self._workers.submit(self._switch_page, *target)

        self._after_paint.arm(after_paint)

    def _on_asset_selected(self, symbol: str) -> None:
        self.select_asset(symbol)

    def _switch_page(self, symbol: str, period: int) -> None:
        try:
            assert self._page_switcher is not None
            self._page_switcher(symbol, period)
        except Exception as exc:  # noqa: BLE001 - reported to the user, never fatal
            self.post(Notice(f"could not switch the browser page to {symbol}: {exc}", "warn"))

    def _show_asset(self, symbol: str) -> None:
        self.asset = symbol
        asset = self.state.assets.get(symbol)
        self.window.title.setText(asset.display_name if asset else symbol)
        self.window.ticket.set_asset(symbol, asset.payout if asset else 0.0)
        finest = self.state.finest_period(symbol)
        self.window.timeframes.set_available(finest)
        if finest is not None and (self.timeframe < finest or self.timeframe % finest):
            self.timeframe = max(finest, 60) if 60 % finest == 0 or finest <= 60 else finest
        self.window.timeframes.set_current(self.timeframe)
        self._reload_chart()
        self.refresh_status()

    def _on_timeframe_changed(self, seconds: int) -> None:
        self.timeframe = int(seconds)
        self.window.timeframes.set_current(self.timeframe)
        with self.market.lock:
            self._reload_chart()

    def _reload_chart(self, rebuilt: bool = False) -> None:
        """Recompute the selected asset at the selected timeframe from base data (``market.lock`` held) and show
        it. ``rebuilt``: the market already rebuilt the chart's view (new history merged): show that one."""
        if self.asset is None:
            return
        current = self.state.view
        if rebuilt and current is not None and (current.asset, current.timeframe) == (self.asset, self.timeframe):
            view = current
        else:
            view = self.market.read(lambda state: state.open_view(self.asset, self.timeframe))
        arrays = view.arrays()
        view.take_closed()  # already in ``arrays``: the chart appends only candles that close after this
        chart = self.window.chart
        chart.set_timeframe(self.timeframe)
        chart.set_data(arrays.time, arrays.open, arrays.high, arrays.low, arrays.close, arrays.volume)
        chart.update_forming(view.forming())
        chart.set_follow_live(True)

    def _on_indicator_toggled(self, name: str, on: bool) -> None:
        if on and name not in self._indicator_ids:
            self._indicator_ids[name] = self.window.chart.add_indicator(name)
        elif not on and name in self._indicator_ids:
            self.window.chart.remove_indicator(self._indicator_ids.pop(name))

    def _on_collector_toggled(self, on: bool) -> None:
        if self.collector is None:
            return
        try:
            if on:
                self.collector.start(("1m",))
                self.window.log.notify("collecting ticks and 1m candles to CSV")
            else:
                self.collector.stop()
                self.window.log.notify("collector stopped; files flushed")
        except OSError as exc:
            self.window.log.notify(f"cannot collect: {exc}", "error")
            self.window.collector_panel.toggle.setChecked(False)
        self.refresh_status()

    def _on_api_toggled(self, on: bool) -> None:
        """Serve the API on this thread's asyncio loop (qasync): GUI and API share the Qt loop."""
        if self._api_factory is None:
            self.window.log.notify("the API is not available here", "warn")
            return
        try:
            if on:
                if self.api is None:
                    self.api = self._api_factory()
                self.api.start()
                self.window.log.notify(f"API serving on {self.api.url} (token: `quantumflux api token`)")
            elif self.api is not None:
                self.api.stop()
                self.window.log.notify("API stopped")
        except Exception as exc:  # noqa: BLE001 - e.g. no asyncio loop, port in use
            self.window.log.notify(f"cannot serve the API: {exc}", "error")

    # ----------------------------------------------------------------- trading
    def _on_trade_requested(self, direction: str, amount: float, expiry: int) -> None:
        if self._trade_handler is None or self.asset is None:
            self.window.log.notify("trading is not available: no browser session attached", "warn")
            return
        asset, handler = self.asset, self._trade_handler
        self.window.log.notify(f"sending {direction.upper()} {amount:.2f} on {asset}, expiry {expiry}s")

        def run() -> None:
            try:
                self.post(Notice(handler(asset, Direction.parse(direction), amount, expiry)))
            except Exception as exc:  # noqa: BLE001 - every failure is reported, never guessed
                self.post(Notice(f"trade failed: {exc}", "error"))

        self._workers.submit(run)

    # ------------------------------------------------------------------ status
    def refresh_status(self, wait: bool = True) -> None:
        """The status bar, badge and panels; ``wait=False`` (the 1 s timer) skips a round while a worker holds
        the market."""
        if not self.market.lock.acquire(blocking=wait):
            return
        try:
            self._refresh_status()
        finally:
            self.market.lock.release()

    def _refresh_status(self) -> None:
        w = self.window
        now = self._clock()
        if self.asset is not None:
            status = self.state.status(self.asset)
            span = self.state.history_range(self.asset)
            history = None
            if span is not None:
                first, last = (datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d") for t in span)
                history = f"{first} → {last}"
            w.badge.show_status(status, history_range=history or "no data")
            can_trade = self._trade_handler is not None and self.state.login == "ok"
            w.ticket.set_trading_enabled(
                can_trade and status.state is SourceState.LIVE,
                "" if can_trade else "needs a logged-in browser session",
            )
            view = self.state.view
            if view is not None and view.asset == self.asset:
                view.advance(now - self.state.close_delay)
                closed = view.take_closed()
                for candle in closed:
                    w.chart.append_closed(candle)
                if closed:
                    w.chart.update_forming(view.forming())
        w.ticket.tick_countdowns(now)
        self._refresh_strategies()
        extra = self._status_source() if self._status_source else {}
        w.status_browser.setText(f"browser: {extra.get('browser', '—')}")
        w.status_capture.setText(
            f"capture: {'connected' if self.state.connected else 'no broker socket'} · {self.state.tick_count} ticks"
        )
        w.status_login.setText(f"login: {self.state.login}")
        w.status_offset.setText(f"offset: {self.state.offset / 3600:+.1f} h")
        status = self.collector.status() if self.collector is not None else None
        if status is not None:
            w.collector_panel.rate.setText(f"{status.ticks_per_second:.1f}")
            w.collector_panel.files.setText(f"{status.files} ({status.candles_written} candles, "
                                            f"{status.ticks_written} ticks)")

    def current_timeframe(self) -> Timeframe:
        return Timeframe(self.timeframe)
