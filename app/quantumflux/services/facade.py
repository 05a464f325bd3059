"""The operations of the application, written once for every face (API routes and CLI commands are
one-liners over :class:`QuantumFluxService`; the terminal calls the same application parts).

Live data: a connected :class:`~quantumflux.services.application.Application` feeds its one
:class:`~quantumflux.services.live_market.LiveMarket`; without a browser the same calls answer from
the CSV store (``source`` says which). Errors a caller can act on are raised as
:class:`ServiceError` with an HTTP-like status.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from quantumflux import __version__
from quantumflux.core.candles import CandleArrays
from quantumflux.core.model import Candle, Timeframe
from quantumflux.services.jobs import Job, JobBoard
from quantumflux.services.market_state import MarketState
from quantumflux.services.serialize import CandleJsonCache, finite, plain, signal_dict
from quantumflux.storage.journal import OPEN_STATUSES

if TYPE_CHECKING:
    from quantumflux.services.application import Application
    from quantumflux.services.strategy_runner import StrategyRunner
    from quantumflux.services.trading import TradingSession
    from quantumflux.storage.journal import TradeJournal

T = TypeVar("T")

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A failure the caller can act on; ``status`` follows HTTP (400 bad input, 404 unknown, 409 not possible in the current state)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def timeframe_of(text: str | int | Timeframe, what: str = "timeframe") -> Timeframe:
    """A timeframe from user input; a bad one is a 400 naming ``what``."""
    try:
        return Timeframe.parse(text)
    except ValueError as exc:
        raise ServiceError(f"{what}: {exc}") from exc


class QuantumFluxService:
    """The operations of one :class:`~quantumflux.services.application.Application`, for every face.

    Reads answer from the application's live market when it is connected, else from the CSV store
    (``source`` says which); trading, strategies and the collector need a connected application.
    """

    def __init__(self, app: Application) -> None:
        self.app = app
        self.settings = app.settings
        self.market = app.market
        self._candle_json = CandleJsonCache()

    def add_listener(self, callback: Callable[[Any], None]) -> None:
        """Also deliver every live item (decoded events) to ``callback`` (e.g. the API's stream hub)."""
        self.app.add_listener(callback)

    def close(self) -> None:
        """Close the application (a face that built it owns it)."""
        self.app.close()

    @property
    def jobs(self) -> JobBoard:
        return self.app.jobs

    # ----------------------------------------------------------------- reads
    def health(self) -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    def status(self) -> dict[str, Any]:
        hub = self.app.hub
        hub_state = hub.state if hub is not None else None
        live = self.market.read(lambda state: {
            "attached": hub is not None,
            "browser": hub_state.browser if hub_state else "",
            "capture_connected": bool(hub_state and hub_state.connected),
            "broker_socket": state.connected,
            "login": state.login,
            "server_offset_seconds": state.offset,
            "ticks": state.tick_count,
        })
        stats = hub.decoder_stats if hub is not None else None
        live["duplicate_ticks"] = stats.duplicates if stats is not None else 0
        collector = self.app.collector.status() if self.app.collector is not None else None
        live["collector"] = dataclasses.asdict(collector) if collector is not None else None
        return live

    def assets(self) -> list[dict[str, Any]]:
        live = self.market.read(lambda state: list(state.assets.values()))
        if live:
            return [{"symbol": a.symbol, "label": a.display_name, "type": a.type.value, "payout": a.payout,
                     "otc": a.otc, "active": a.active, "source": "live"} for a in live]
        return [{"symbol": s, "label": s, "type": "other", "payout": None, "otc": s.lower().endswith("_otc"),
                 "active": None, "source": "stored"} for s in self.app.stored.assets()]

    def _view(self, asset: str, timeframe: str | int) -> tuple[CandleArrays, Candle | None, str]:
        tf = timeframe_of(timeframe)
        self.market.ensure_stored(asset)

        def read(state: MarketState) -> tuple[CandleArrays, Candle | None, str]:
            view = state.view_for(asset, tf.seconds)
            return view.arrays(), view.forming(), state.status(asset).state.value

        arrays, forming, live = self.market.read(read)
        if not len(arrays) and forming is None:
            raise ServiceError(f"no candles for {asset!r}: not streaming and nothing stored", 404)
        return arrays, forming, live

    def candles_json(self, asset: str, timeframe: str | int = "1m", count: int = 100,
                     since: float | None = None) -> bytes:
        """``/candles`` as JSON bytes; each closed candle is serialised once (the hot API path)."""
        if count < 1 or count > 100_000:
            raise ServiceError("count must be between 1 and 100000")
        arrays, forming, source = self._view(asset, timeframe)
        return self._candle_json.document(asset, str(Timeframe.parse(timeframe)), source, arrays, forming,
                                          count, since)

    def ticks(self, asset: str, since: float | None = None, limit: int = 10_000) -> dict[str, Any]:
        times, prices = self.market.read(lambda state: state.tick_columns(asset))
        if since is not None:
            keep = times > since
            times, prices = times[keep], prices[keep]
        times, prices = times[-limit:], prices[-limit:]
        return {"asset": asset, "ticks": [{"time": float(t), "price": float(p)} for t, p in zip(times, prices, strict=True)]}

    def indicators(self, asset: str, timeframe: str | int = "1m", names: list[str] | None = None,
                   count: int = 100) -> dict[str, Any]:
        from quantumflux.core import indicators as ind

        names = names or ["sma", "rsi"]
        unknown = [n for n in names if n not in ind.INDICATORS]
        if unknown:
            raise ServiceError(f"unknown indicator(s) {', '.join(unknown)}; known: {', '.join(ind.INDICATORS)}")
        arrays, _, source = self._view(asset, timeframe)
        columns = {name: np.asarray(getattr(arrays, name), dtype=np.float64)
                   for name in ("open", "high", "low", "close", "volume")}
        out: dict[str, Any] = {}
        for name in names:
            values = ind.INDICATORS[name].compute(columns)
            out[name] = {key: [finite(v) for v in np.asarray(series)[-count:]] for key, series in values.items()}
        return {"asset": asset, "timeframe": str(Timeframe.parse(timeframe)), "source": source,
                "time": [float(t) for t in arrays.time[-count:]], "values": out}

    def strategies(self) -> list[dict[str, Any]]:
        """Every strategy the application knows (built-in and user files): the same rows for the API and CLI."""
        registry = self.app.registry
        rows = []
        for name in registry.names():
            strategy_class = registry.get(name)
            source = registry.sources.get(name)
            rows.append({"name": name, "description": strategy_class.description,
                         "parameters": strategy_class.parameters(), "warmup": strategy_class().warmup,
                         "source": str(source) if source else "built-in"})
        return rows

    def strategy_problems(self) -> list[str]:
        """User strategy files that failed validation (and why)."""
        return [str(problem) for problem in self.app.registry.problems]

    def signals(self, asset: str, strategy: str = "sma_cross", timeframe: str | int = "1m",
                params: dict[str, Any] | None = None, count: int = 20, expiry: str | int | None = None,
                data: str | Path | None = None) -> dict[str, Any]:
        """What ``strategy`` says on ``asset``'s last closed candle (``signal``, or ``not_ready`` and why), its
        latest signal and the last ``count`` signals; candles from the live session merged with the stored
        history, or from ``data`` (a folder or CSV file) when given. ``source`` says which."""
        from quantumflux.services.backtesting import StrategySpec, signal_on_history

        registry = self.app.registry
        if strategy not in registry.names():
            raise ServiceError(f"unknown strategy {strategy!r}; known: {', '.join(registry.names())}", 404)
        tf = timeframe_of(timeframe)
        expiry_seconds = timeframe_of(expiry, "expiry").seconds if expiry else None
        arrays, source = self._closed_candles(asset, tf, data)
        try:
            report = signal_on_history(arrays, StrategySpec(strategy, params or {}), asset, tf.seconds,
                                       expiry_seconds, self.app.strategy_dirs)
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc
        return {"asset": asset, "strategy": strategy, "label": report.strategy, "timeframe": str(tf),
                "source": source, "candles": report.candles, "last_candle_time": finite(report.last_candle_time),
                "not_ready": report.not_ready, "signal": signal_dict(report.current) if report.current else None,
                "latest_signal": signal_dict(report.latest) if report.latest else None,
                "signals": [signal_dict(s) for s in report.signals[-count:]] if count > 0 else []}

    def _closed_candles(self, asset: str, tf: Timeframe, data: str | Path | None) -> tuple[CandleArrays, str]:
        """Closed candles and where they came from: ``data``, else the live session and the stored history."""
        if data is not None:
            return self._load(asset, tf, data)[0], f"CSV history {data}"
        arrays, _, _ = self._view(asset, tf.seconds)
        hub = self.app.hub
        ticks = len(self.market.read(lambda state: state.tick_columns(asset))[0])
        if hub is not None and ticks:
            capture = hub.capture
            return arrays, f"live session {capture.host}:{capture.port} ({ticks} live ticks) + CSV history"
        return arrays, f"CSV history {self.settings.output_dir} and sample data (no live ticks for this asset)"

    def trades(self, status: str | None = None) -> list[dict[str, Any]]:
        statuses = None if status in (None, "", "all") else {
            "open": OPEN_STATUSES, "closed": ("closed",)}.get(status, (status,))
        return [dataclasses.asdict(r) for r in self.app.journal.list(status=statuses)]

    def performance(self, *, strategy: str | None = None, account: str | None = None, window: int = 20,
                    backtest: bool = False, timeframe: str = "1m", data: str | Path | None = None) -> dict[str, Any]:
        """The journal's results: all orders together, per strategy and account (win rate overall and over the
        last ``window`` trades, P&L, drawdown …; with ``backtest`` the same strategy backtested on stored
        candles of its assets beside it), and the strategies running now."""
        from collections import Counter

        from quantumflux.services.strategy_performance import backtest_expectation, strategy_report

        if window <= 0:
            raise ServiceError("window must be a positive number of trades")
        journal = self.app.journal
        records = journal.list(strategy=strategy, account=account)
        pairs = sorted({(r.source, r.account) for r in records if r.source != "manual" or strategy})
        folder = self._data_path(data) if data else self.settings.output_dir
        rows = []
        for label, kind in pairs:
            report = strategy_report(journal, label, account=kind, window=window)
            report["backtest"] = None
            if backtest:
                mine = [r for r in records if r.source == label and r.account == kind]
                expiry = Counter(r.expiry for r in mine).most_common(1)[0][0]
                report["backtest"] = backtest_expectation(label, folder, report["assets"], timeframe, expiry,
                                                          report["mean_payout"] or 92.0, self.app.strategy_dirs)
            rows.append(report)
        live = [] if self.app.runner is None else self.app.runner.performance()
        return plain({"all": journal.performance(), "strategies": rows, "live_strategies": live})

    def _data_path(self, data: str | Path) -> Path:
        """A data folder or CSV file named by a caller."""
        return Path(data).expanduser()

    # ------------------------------------------------------------------ jobs
    def job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise ServiceError(f"no job {job_id!r}", 404)
        return job

    def start_backtest(self, *, asset: str, strategy: str, timeframe: str = "1m", params: dict | None = None,
                       expiry: str | int | None = None, payout: float = 92.0, stake: float = 1.0,
                       data: str | None = None, walk_forward: int | None = None) -> Job:
        from quantumflux.services.backtest_reports import backtest_report
        from quantumflux.services.backtesting import StrategySpec, run_one

        spec = StrategySpec(strategy, params or {})
        config = self._backtest_config([spec], timeframe, expiry, payout=payout, stake=stake)
        arrays, warnings = self._arrays_for(asset, timeframe, data)
        bounds = self._bounds(arrays, walk_forward)

        def work(progress: Callable[[int, int], None]) -> dict[str, Any]:
            progress(0, 1)
            result = run_one(arrays, spec, config, self.app.strategy_dirs)
            return {**plain(backtest_report(result, bounds)), "data_warnings": warnings}

        return self.jobs.submit("backtest", work)

    def start_abtest(self, *, asset: str, strategies: list[str], timeframe: str = "1m",
                     expiry: str | int | None = None, payout: float = 92.0, data: str | None = None,
                     walk_forward: int | None = None) -> Job:
        from quantumflux.services.backtesting import StrategySpec, ab_test

        if len(strategies) < 2:
            raise ServiceError("an A/B test needs at least two strategies")
        try:
            specs = [StrategySpec.parse(s) for s in strategies]
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc
        config = self._backtest_config(specs, timeframe, expiry, payout=payout)
        arrays, warnings = self._arrays_for(asset, timeframe, data)
        bounds = self._bounds(arrays, walk_forward)

        def work(progress: Callable[[int, int], None]) -> Any:
            from quantumflux.services.backtest_reports import ab_report

            results, comparisons = ab_test(arrays, specs, config, self.app.strategy_dirs, progress=progress)
            return {**plain(ab_report(results, comparisons, bounds)), "data_warnings": warnings}

        return self.jobs.submit("abtest", work)

    @staticmethod
    def _bounds(arrays: CandleArrays, walk_forward: int | None) -> Any:
        from quantumflux.services.backtest_reports import bounds_for

        try:
            return bounds_for(arrays, walk_forward)
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc

    def _arrays_for(self, asset: str, timeframe: str | int, data: str | None) -> tuple[CandleArrays, list[str]]:
        """Candles to backtest on and the loader's warnings (``data_warnings``): from ``data`` (confined to the
        data root and the configured folders; impossible prices are a 422), else the live/stored candles."""
        if data:
            from quantumflux.services.data_paths import DataPathError, confine_data_path

            try:
                path = confine_data_path(self.settings, data)
            except DataPathError as exc:
                raise ServiceError(str(exc), 403) from exc
            return self._load(asset, timeframe_of(timeframe), path)
        arrays, _, _ = self._view(asset, timeframe)
        return arrays, []

    def _load(self, asset: str, tf: Timeframe, data: str | Path) -> tuple[CandleArrays, list[str]]:
        """``asset``'s candles at ``tf`` from a data folder or CSV file and the loader's warnings (404 when there
        are none, 422 for prices the backtest refuses)."""
        from quantumflux.services.backtesting import BadDataError, load_arrays

        try:
            arrays, info = load_arrays(self._data_path(data), asset, str(tf))
        except BadDataError as exc:
            raise ServiceError(str(exc), 422) from exc
        except (OSError, ValueError) as exc:
            raise ServiceError(str(exc), 404) from exc
        return arrays, info["warnings"]

    # -------------------------------------------------------------- collector
    def _connected(self, what: str) -> Application:
        if not self.app.connected:
            raise ServiceError(f"{what} needs a live capture: start against a browser (or with --demo)", 409)
        return self.app

    def start_collector(self, timeframes: tuple[str, ...] = ("1m",), assets: list[str] | None = None) -> dict[str, Any]:
        collector = self._connected("the collector").collector
        assert collector is not None
        try:
            collector.start(timeframes, assets)
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc
        except OSError as exc:  # the data directory is not writable
            raise ServiceError(f"cannot write the data files: {exc}", 409) from exc
        return {"running": True}

    def stop_collector(self) -> dict[str, Any]:
        if self.app.collector is not None:
            self.app.collector.stop()
        return {"running": False}

    # ---------------------------------------------------------------- trading
    def require_trading(self) -> TradingSession:
        """The one page-automation trading session of the application."""
        trading = self._connected("trading").trading
        if trading is None:
            raise ServiceError("trading is not available in this session (read-only connection)", 409)
        return trading

    def _page_call(self, call: Callable[[TradingSession], T]) -> T:
        from quantumflux.services.trading import PAGE_ERRORS

        trading = self.require_trading()
        try:
            with trading.page_lock:  # one page action at a time: an order in progress is never disturbed
                return call(trading)
        except PAGE_ERRORS as exc:
            raise ServiceError(f"the trading page did not answer: {exc}", 409) from exc

    def place_trade(self, *, client_id: str, asset: str, direction: str, amount: float, expiry: str | int = "60s",
                    real: bool = False, dry_run: bool = False, source: str = "api",
                    wait: float | None = None) -> dict[str, Any]:
        """One order through the application's trading session (its page lock queues concurrent orders);
        ``wait`` seconds for the result (outcome and profit) when given."""
        from quantumflux.storage.journal import AWAITING_RESULT, JournalError

        try:
            result = self._page_call(lambda t: t.place(asset, direction, amount, expiry, source=source,
                                                       client_id=client_id, real=real, dry_run=dry_run))
            if wait is not None and result.status in AWAITING_RESULT:
                result = self.require_trading().wait_result(result.client_id, timeout=wait)
        except ValueError as exc:  # a bad direction, amount or expiry
            raise ServiceError(str(exc)) from exc
        except JournalError as exc:
            raise ServiceError(f"the trade journal: {exc}", 409) from exc
        return result.to_dict()

    def journal(self) -> TradeJournal:
        """The application's trade journal (for exports)."""
        return self.app.journal

    def profile(self, mask: bool = True) -> dict[str, Any]:
        from quantumflux.browser.page_actions import read_profile

        return self._page_call(lambda t: read_profile(t.page).to_dict(mask=mask))

    def favorites(self, *, add: list[str] | tuple[str, ...] = (), remove: list[str] | tuple[str, ...] = (),
                  select: str | None = None, min_payout: float | None = None) -> dict[str, Any]:
        """The page's favorites (payout, open) after adding/removing some and selecting by payout."""
        from quantumflux.browser import page_actions

        if min_payout is not None and not 0 <= min_payout <= 1000:
            raise ServiceError(f"min_payout must be a percentage, got {min_payout}")
        if select not in (None, "first", "last", "all"):
            raise ServiceError(f"select must be first, last or all, got {select!r}")

        def work(t: TradingSession) -> dict[str, Any]:
            changed = [a for a in add if page_actions.set_favorite(t.page, a, True)]
            changed += [a for a in remove if page_actions.set_favorite(t.page, a, False)]
            selected = page_actions.select_favorites(t.page, min_payout or 0.0, select) if select else []
            rows = page_actions.favorites(t.page)
            listed = [r for r in rows if min_payout is None or (r.payout is not None and r.payout >= min_payout)]
            return {"favorites": [dataclasses.asdict(r) for r in listed], "changed": changed,
                    "selected": [r.symbol for r in selected],
                    "current": next((r.symbol for r in rows if r.current), None)}

        return self._page_call(work)

    def show_asset(self, symbol: str, period: str | int | None = None) -> dict[str, Any]:
        """Make the page show ``symbol`` (and the chart ``period``); what it shows afterwards."""
        from quantumflux.browser import page_actions

        seconds = timeframe_of(period, "period").seconds if period is not None else None

        def work(t: TradingSession) -> dict[str, Any]:
            known = t.view.asset(symbol)
            row = page_actions.find_asset(t.page, known.symbol if known else symbol, known.label if known else None)
            if row is None:
                raise ServiceError(f"asset {symbol!r} is not in the page's asset list", 404)
            before = self.market.read(lambda state: state.page_choice)
            t.switch_page(row.symbol, seconds)
            label = page_actions.current_asset_label(t.page)
            shown = known.symbol if known else self._page_symbol(label, before) or row.symbol
            return {"asset": shown, "label": label, "period": page_actions.current_period(t.page)}

        return self._page_call(work)

    def _page_symbol(self, label: str, before: Any, wait: float = 3.0) -> str | None:
        """The broker's symbol of the asset the page shows: the page lists labels only, but names the symbol in
        the ``changeSymbol`` it sends when it switches (or the broker's asset list has the label)."""
        from quantumflux.services.trading_events import asset_key

        def read(state: MarketState) -> str | None:
            choice = state.page_choice
            if choice is not None and (choice != before or asset_key(choice.asset) == asset_key(label)):
                return choice.asset
            return next((a.symbol for a in state.assets.values() if asset_key(a.label) == asset_key(label)), None)

        deadline = time.monotonic() + wait
        while (found := self.market.read(read)) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return found

    def doctor(self) -> dict[str, Any]:
        """Every selector of the selectors file checked on the live page."""
        from quantumflux.browser.doctor import broken, check_selectors

        checks = self._page_call(lambda t: check_selectors(t.page))
        names = broken(checks)
        return {"ok": not names, "broken": names, "fallback": [c.name for c in checks if c.status == "fallback"],
                "checks": [c.to_dict() for c in checks]}

    def session(self, sample: float = 0.0, refresh: bool = False) -> dict[str, Any]:
        """The trading session as the page shows it and as the broker's events say, with warnings.

        ``refresh`` reloads the page first so the broker sends balance and deals again; otherwise up
        to ``sample`` seconds are given for the broker's balance and open deals to arrive."""
        from quantumflux.services.session_monitor import SessionMonitor

        def work(t: TradingSession) -> dict[str, Any]:
            view = t.view
            if refresh:
                since = time.time()  # capture events carry wall-clock receive times
                t.page.reload()
                view.wait_for_lists(since, max(sample, 10.0))
            elif sample > 0:
                with view.changed:
                    view.changed.wait_for(lambda: bool(view.balances) and view.open_deals is not None, sample)
            return SessionMonitor(t.page, view, self.app.hub).snapshot().to_dict()

        return self._page_call(work)

    # ------------------------------------------------------------- strategies
    def _require_runner(self) -> StrategyRunner:
        runner = self._connected("running strategies").runner
        if runner is None:
            raise ServiceError("strategies are not available in this session (read-only connection)", 409)
        return runner

    def enable_strategy(self, name: str, *, assets: list[str], timeframe: str = "1m", expiry: str | None = None,
                        mode: str = "paper", params: dict[str, Any] | None = None, stake: float = 1.0,
                        label: str | None = None) -> dict[str, Any]:
        runner = self._require_runner()
        try:
            status = runner.enable(name, params or {}, assets, timeframe,
                                   timeframe_of(expiry, "expiry").seconds if expiry else None, mode, stake=stake,
                                   label=label)
        except KeyError as exc:
            raise ServiceError(f"unknown strategy {name!r}", 404) from exc
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc
        return status.to_dict()

    def disable_strategy(self, label: str) -> dict[str, Any]:
        if not self._require_runner().disable(label):
            raise ServiceError(f"no running strategy {label!r}", 404)
        return {"label": label, "running": False}

    def running_strategies(self) -> list[dict[str, Any]]:
        runner = self.app.runner
        return [] if runner is None else [s.to_dict() for s in runner.status()]

    def _backtest_config(self, specs: list[Any], timeframe: str | int, expiry: str | int | None,
                         **options: float) -> Any:
        """The run's config once its timeframe, expiry and strategies are known good (ServiceError otherwise)."""
        from quantumflux.core.backtest import BacktestConfig

        tf = timeframe_of(timeframe).seconds
        try:
            config = BacktestConfig(timeframe=tf, expiry=timeframe_of(expiry, "expiry").seconds if expiry else tf,
                                    **options)
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc
        registry = self.app.registry
        for spec in specs:  # a wrong name or parameter is the caller's mistake, not a failed job
            try:
                registry.create(spec.name, dict(spec.params))
            except KeyError as exc:
                raise ServiceError(f"unknown strategy {spec.name!r}; known: {', '.join(registry.names())}",
                                   404) from exc
            except ValueError as exc:
                raise ServiceError(str(exc)) from exc
        return config
