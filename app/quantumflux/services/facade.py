"""One facade over every service, for the API and the CLI (routes and commands are one-liners).

Live data: when attached, a :class:`~quantumflux.services.capture_hub.CaptureHub` feeds a
:class:`~quantumflux.services.market_state.MarketState` under a lock; without a browser the
same calls answer from the CSV store (``source`` says which). Errors a caller can act on are
raised as :class:`ServiceError` with an HTTP-like status.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from quantumflux import __version__
from quantumflux.config import Settings
from quantumflux.core.candles import CandleArrays
from quantumflux.core.model import Timeframe
from quantumflux.services.jobs import Job, JobBoard
from quantumflux.services.market_state import MarketState
from quantumflux.services.serialize import CandleJsonCache, finite, plain, signal_dict
from quantumflux.services.stored_history import StoredHistory

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A failure the caller can act on; ``status`` follows HTTP (400 bad input, 404 unknown, 409 not possible in the current state)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class QuantumFluxService:
    """The facade. ``attach()`` starts live capture; everything else works with or without it."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        journal: Any = None,
        trading: Any = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self.stored = StoredHistory.from_settings(settings)
        self.state = MarketState(clock=clock, stored_history=self.stored)
        self._lock = threading.RLock()
        self.hub: Any = None
        self._remove_listener: Callable[[], None] | None = None
        self._journal = journal
        self.trading = trading
        self.collector: Any = None
        self.runner: Any = None
        self._browser_port = settings.chrome_port
        self._guard: Any = None
        self._trading_lock = threading.Lock()
        self.jobs = JobBoard()
        self._candle_json = CandleJsonCache()
        self._job_lock = threading.Lock()
        self._listeners: list[Callable[[Any], None]] = []

    # ------------------------------------------------------------------ live
    def attach(self, hub: Any = None, browser_port: int | None = None) -> None:
        """Capture the browser on the configured port (or use ``hub``); events update live state.

        ``browser_port`` is where page automation attaches for trading (default: the configured port).
        The strategy runner starts on the same capture (paper by default).
        """
        if hub is None:
            from quantumflux.services.capture_hub import CaptureHub

            hub = CaptureHub(self.settings.chrome_host, self.settings.chrome_port).start()
        self.hub = hub
        self._browser_port = browser_port or self.settings.chrome_port
        self._remove_listener = hub.add_listener(self._on_item)
        from quantumflux.services.strategy_runner import StrategyRunner

        self.runner = StrategyRunner(hub, self.journal, self.guard, executor=_LazyExecutor(self),
                                     allow_real=False).start()

    def add_listener(self, callback: Callable[[Any], None]) -> None:
        """Also deliver every live item (decoded events) to ``callback`` (e.g. the API's stream hub)."""
        self._listeners.append(callback)

    def _on_item(self, item: Any) -> None:
        with self._lock:
            self.state.apply([item])
        for callback in self._listeners:
            try:
                callback(item)
            except Exception:  # noqa: BLE001 - one bad consumer never stops the feed
                log.exception("live listener failed")

    def close(self) -> None:
        if self._remove_listener is not None:
            self._remove_listener()
        if self.runner is not None:
            self.runner.stop()
        if self.trading is not None:
            self.trading.close()
        self.stop_collector()
        if self._journal is not None:
            self._journal.close()

    @property
    def guard(self) -> Any:
        if self._guard is None:
            from quantumflux.core.risk import RiskGuard, RiskLimits

            self._guard = RiskGuard(RiskLimits(allow_real=self.settings.allow_real_trading))
        return self._guard

    @property
    def journal(self) -> Any:
        if self._journal is None:
            from quantumflux.storage.journal import TradeJournal, default_journal_path

            self._journal = TradeJournal(default_journal_path(Path(self.settings.data_root)))
        return self._journal

    # ----------------------------------------------------------------- reads
    def health(self) -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    def status(self) -> dict[str, Any]:
        hub_state = self.hub.state if self.hub is not None else None
        with self._lock:
            live = {
                "attached": self.hub is not None,
                "browser": getattr(hub_state, "browser", "") if hub_state else "",
                "capture_connected": bool(getattr(hub_state, "connected", False)),
                "broker_socket": self.state.connected,
                "login": self.state.login,
                "server_offset_seconds": self.state.offset,
                "ticks": self.state.tick_count,
            }
        collector = self.collector.status() if self.collector is not None else None
        live["collector"] = dataclasses.asdict(collector) if dataclasses.is_dataclass(collector) else None
        return live

    def assets(self) -> list[dict[str, Any]]:
        with self._lock:
            live = list(self.state.assets.values())
        if live:
            return [{"symbol": a.symbol, "label": a.display_name, "type": a.type.value, "payout": a.payout,
                     "otc": a.otc, "active": a.active, "source": "live"} for a in live]
        return [{"symbol": s, "label": s, "type": "other", "payout": None, "otc": s.lower().endswith("_otc"),
                 "active": None, "source": "stored"} for s in self.stored.assets()]

    def _view(self, asset: str, timeframe: str | int) -> tuple[CandleArrays, Any, str]:
        try:
            tf = Timeframe.parse(timeframe)
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc
        with self._lock:
            view = self.state.view_for(asset, tf.seconds)
            arrays, forming = view.arrays(), view.forming()
            live = self.state.status(asset).state.value
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
        with self._lock:
            times, prices = self.state.tick_columns(asset)
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
        from quantumflux.services.backtesting import registry_for, strategy_dirs

        registry = registry_for(strategy_dirs())
        return [{"name": n, "description": registry.get(n).description, "parameters": registry.get(n).parameters()}
                for n in registry.names()]

    def signals(self, asset: str, strategy: str = "sma_cross", timeframe: str | int = "1m",
                params: dict[str, Any] | None = None, count: int = 20) -> dict[str, Any]:
        from quantumflux.services.backtesting import registry_for, strategy_dirs

        registry = registry_for(strategy_dirs())
        if strategy not in registry.names():
            raise ServiceError(f"unknown strategy {strategy!r}; known: {', '.join(registry.names())}", 404)
        arrays, _, source = self._view(asset, timeframe)
        try:
            instance = registry.create(strategy, params or {})
            found = instance.signals(arrays, asset, Timeframe.parse(timeframe).seconds)
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc
        return {"asset": asset, "strategy": strategy, "source": source, "candles": len(arrays),
                "signals": [signal_dict(s) for s in found[-count:]]}

    def trades(self, status: str | None = None) -> list[dict[str, Any]]:
        statuses = None if status in (None, "", "all") else {
            "open": ("pending", "confirmed", "unconfirmed"), "closed": ("closed",)}.get(status, (status,))
        return [dataclasses.asdict(r) for r in self.journal.list(status=statuses)]

    def performance(self) -> dict[str, Any]:
        records = self.journal.list()
        names = sorted({r.source for r in records})
        live = [] if self.runner is None else plain(self.runner.performance())
        return {"all": dataclasses.asdict(self.journal.performance()),
                "by_source": {n: dataclasses.asdict(self.journal.performance(strategy=n)) for n in names},
                "live_strategies": live}

    # ------------------------------------------------------------------ jobs
    def job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise ServiceError(f"no job {job_id!r}", 404)
        return job

    def start_backtest(self, *, asset: str, strategy: str, timeframe: str = "1m", params: dict | None = None,
                       expiry: str | int | None = None, payout: float = 92.0, stake: float = 1.0,
                       data: str | None = None, walk_forward: int | None = None) -> Job:
        from quantumflux.core.backtest import BacktestConfig
        from quantumflux.services.backtest_reports import backtest_report, bounds_for
        from quantumflux.services.backtesting import StrategySpec, run_one, strategy_dirs

        arrays, warnings = self._arrays_for(asset, timeframe, data)
        try:
            bounds = bounds_for(arrays, walk_forward)
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc
        tf = Timeframe.parse(timeframe).seconds
        config = BacktestConfig(timeframe=tf, expiry=Timeframe.parse(expiry).seconds if expiry else tf,
                                payout=payout, stake=stake)
        spec = StrategySpec(strategy, params or {})

        def work(progress: Callable[[int, int], None]) -> dict[str, Any]:
            progress(0, 1)
            result = run_one(arrays, spec, config, strategy_dirs())
            return {**plain(backtest_report(result, bounds)), "data_warnings": warnings}

        return self.jobs.submit("backtest", work)

    def start_abtest(self, *, asset: str, strategies: list[str], timeframe: str = "1m",
                     expiry: str | int | None = None, payout: float = 92.0, data: str | None = None,
                     walk_forward: int | None = None) -> Job:
        from quantumflux.core.backtest import BacktestConfig
        from quantumflux.services.backtesting import StrategySpec, ab_test, strategy_dirs

        if len(strategies) < 2:
            raise ServiceError("an A/B test needs at least two strategies")
        arrays, warnings = self._arrays_for(asset, timeframe, data)
        try:
            from quantumflux.services.backtest_reports import bounds_for

            bounds = bounds_for(arrays, walk_forward)
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc
        tf = Timeframe.parse(timeframe).seconds
        config = BacktestConfig(timeframe=tf, expiry=Timeframe.parse(expiry).seconds if expiry else tf, payout=payout)
        specs = [StrategySpec.parse(s) for s in strategies]

        def work(progress: Callable[[int, int], None]) -> Any:
            from quantumflux.services.backtest_reports import ab_report

            results, comparisons = ab_test(arrays, specs, config, strategy_dirs(), progress=progress)
            return {**plain(ab_report(results, comparisons, bounds)), "data_warnings": warnings}

        return self.jobs.submit("abtest", work)

    def _arrays_for(self, asset: str, timeframe: str | int, data: str | None) -> tuple[Any, list[str]]:
        """Candles to backtest on and the loader's warnings (``data_warnings``); impossible prices are a 422."""
        if data:
            from quantumflux.services.backtesting import BadDataError, load_arrays

            try:
                arrays, info = load_arrays(Path(data), asset, timeframe)
            except BadDataError as exc:
                raise ServiceError(str(exc), 422) from exc
            except (OSError, ValueError) as exc:
                raise ServiceError(str(exc), 404) from exc
            return arrays, info["warnings"]
        arrays, _, _ = self._view(asset, timeframe)
        return arrays, []

    # -------------------------------------------------------------- collector
    def start_collector(self, timeframes: tuple[str, ...] = ("1m",), assets: list[str] | None = None) -> dict[str, Any]:
        if self.hub is None:
            raise ServiceError("no live capture attached: start the API with a browser (or --demo)", 409)
        if self.collector is None:
            from quantumflux.services.collector_control import CollectorControl

            self.collector = CollectorControl(self.hub, self.settings, self._clock)
        try:
            self.collector.start(timeframes, assets)
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc
        except OSError as exc:  # the data directory is not writable
            raise ServiceError(f"cannot write the data files: {exc}", 409) from exc
        return {"running": True}

    def stop_collector(self) -> dict[str, Any]:
        if self.collector is not None:
            self.collector.stop()
        return {"running": False}

    # ---------------------------------------------------------------- trading
    def require_trading(self) -> Any:
        """The page-automation trading session (attached on first use)."""
        if self.hub is None:
            raise ServiceError("page automation is not attached: start the API against a browser session", 409)
        with self._trading_lock:
            if self.trading is None:
                from quantumflux.services.trading import TradingSession

                self.trading = TradingSession(self.settings, self.hub, self.settings.chrome_host, self._browser_port,
                                              self.journal, self.guard)
        return self.trading

    def _page_call(self, call: Callable[[Any], Any]) -> Any:
        from quantumflux.services.trading import PAGE_ERRORS

        trading = self.require_trading()
        try:
            return call(trading)
        except PAGE_ERRORS as exc:
            raise ServiceError(f"the trading page did not answer: {exc}", 409) from exc

    def place_trade(self, *, client_id: str, asset: str, direction: str, amount: float, expiry: str = "60s",
                    real: bool = False, dry_run: bool = False) -> dict[str, Any]:
        result = self._page_call(lambda t: t.place(asset, direction, amount, expiry, source="api",
                                                   client_id=client_id, real=real, dry_run=dry_run))
        return result.to_dict()

    def profile(self) -> dict[str, Any]:
        from quantumflux.browser.page_actions import read_profile

        return self._page_call(lambda t: read_profile(t.page).to_dict(mask=True))

    def favorites(self) -> list[dict[str, Any]]:
        from quantumflux.browser.page_actions import favorites

        return self._page_call(lambda t: [dataclasses.asdict(row) for row in favorites(t.page)])

    def session(self) -> dict[str, Any]:
        from quantumflux.services.session_monitor import SessionMonitor

        return self._page_call(lambda t: SessionMonitor(t.page, t.view, self.hub).snapshot().to_dict())

    # ------------------------------------------------------------- strategies
    def _require_runner(self) -> Any:
        if self.runner is None:
            raise ServiceError("no live capture attached: strategies run on live candles", 409)
        return self.runner

    def enable_strategy(self, name: str, *, assets: list[str], timeframe: str = "1m", expiry: str | None = None,
                        mode: str = "paper", params: dict[str, Any] | None = None, stake: float = 1.0) -> dict[str, Any]:
        runner = self._require_runner()
        try:
            status = runner.enable(name, params or {}, assets, timeframe,
                                   Timeframe.parse(expiry).seconds if expiry else None, mode, stake=stake)
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
        return [] if self.runner is None else [s.to_dict() for s in self.runner.status()]


class _LazyExecutor:
    """The strategy runner's demo/real executor: the trading session, attached on first order."""

    def __init__(self, service: QuantumFluxService) -> None:
        self._service = service

    def place(self, *args: Any, **kwargs: Any) -> Any:
        return self._service.require_trading().place(*args, **kwargs)
