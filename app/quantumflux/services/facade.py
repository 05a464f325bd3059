"""The operations of the application, written once for every face (API routes and CLI commands are
one-liners over :class:`QuantumFluxService`; the terminal calls the same application parts).

Live data: a connected :class:`~quantumflux.services.application.Application` feeds its one
:class:`~quantumflux.services.live_market.LiveMarket`; without a browser the same calls answer from
the CSV store (``source`` says which). Errors a caller can act on are raised as
:class:`ServiceError` with an HTTP-like status.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from quantumflux import __version__
from quantumflux.core.candles import CandleArrays
from quantumflux.core.model import Candle, Timeframe
from quantumflux.services.facade_backtests import BacktestOperations
from quantumflux.services.facade_base import ServiceError, timeframe_of
from quantumflux.services.facade_live import LiveOperations
from quantumflux.services.jobs import JobBoard
from quantumflux.services.market_state import MarketState
from quantumflux.services.serialize import CandleJsonCache, candle_dict, finite, plain, signal_dict
from quantumflux.storage.journal import OPEN_STATUSES

if TYPE_CHECKING:
    from quantumflux.services.application import Application


__all__ = ["QuantumFluxService", "ServiceError", "timeframe_of"]


class QuantumFluxService(LiveOperations, BacktestOperations):
    """The operations of one :class:`~quantumflux.services.application.Application`, for every face.

    Reads answer from the application's live market when it is connected, else from the CSV store
    (``source`` says which); trading, strategies and the collector need a connected application
    (:class:`~quantumflux.services.facade_live.LiveOperations`); backtests run as jobs
    (:class:`~quantumflux.services.facade_backtests.BacktestOperations`).
    """

    def __init__(self, app: Application) -> None:
        super().__init__(app)
        self._candle_json = CandleJsonCache()

    def add_listener(self, callback: Callable[[Any], None]) -> None:
        """Also deliver every live item (decoded events) to ``callback`` (e.g. the API's stream hub)."""
        self.app.add_listener(callback)

    def stored_ready(self, asset: str) -> bool:
        """Whether reading ``asset``'s candles can answer without waiting for the disk."""
        return self.market.stored_ready(asset)

    def take_candles(self, asset: str, seconds: int, consumer: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """The candles of ``asset`` at ``seconds`` closed since ``consumer`` last asked (all since it first
        watched) and the forming one, as JSON-ready dicts (the API's candle stream)."""

        def take(state: MarketState) -> tuple[list[Candle], Candle | None]:
            view = state.view_for(asset, seconds)
            return view.take_closed(consumer), view.forming()

        closed, forming = self.market.read(take)
        return [candle_dict(c) for c in closed], candle_dict(forming) if forming is not None else None

    def close(self) -> None:
        """Close the application (a face that built it owns it)."""
        self.app.close()

    @property
    def jobs(self) -> JobBoard:
        return self.app.jobs

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

    def replay(self, capture: str | Path, output: str | Path | None = None, timeframe: str | int = "1m") -> dict[str, Any]:
        """Replay a recorded capture (``.jsonl``) through the decoder into the CSV layout under ``output``
        (default: the data folder's output); the summary of what was written and skipped."""
        from quantumflux.services.replay import replay_capture
        from quantumflux.storage.files import StoreNotWritableError

        tf = timeframe_of(timeframe)
        target = Path(output) if output else self.settings.output_dir
        try:
            summary = replay_capture(Path(capture), target, tf)
        except FileNotFoundError as exc:
            raise ServiceError(str(exc)) from exc
        except StoreNotWritableError as exc:
            raise ServiceError(str(exc), 507) from exc
        return {"output": str(target), **summary.as_dict(), "lines": summary.lines()}

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
