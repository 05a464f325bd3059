"""The facade's backtest operations: backtest and A/B jobs on stored, live or given candles.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quantumflux.core.candles import CandleArrays
from quantumflux.core.model import Timeframe
from quantumflux.services.facade_base import OperationsBase, ServiceError, timeframe_of
from quantumflux.services.jobs import Job
from quantumflux.services.serialize import plain

if TYPE_CHECKING:
    pass


class BacktestOperations(OperationsBase):
    """Backtests and A/B tests as jobs (an id, progress, a result with the CLI's keys)."""

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
