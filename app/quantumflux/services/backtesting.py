"""Backtesting service shared by the CLI (and later the API/GUI): load data once, run one
backtest, A/B comparisons, parameter sweeps over local processes or a Dask cluster, signals on
CSV history, equity output files.

Sweeps: a grid ``{"fast": [5, 10], "slow": [20, 30]}`` becomes every combination; invalid
combinations (e.g. fast >= slow) are reported per row, not fatal. Locally the data are sent once
to each worker process (``ProcessPoolExecutor`` initializer); on Dask they are scattered once
(broadcast) and every task refers to them. User strategy files must exist at the same path on
Dask workers (they are rediscovered there).
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from quantumflux.core.backtest import (
    BacktestConfig,
    BacktestResult,
    Comparison,
    compare_all,
    equity_csv,
    equity_png,
    run_backtest,
)
from quantumflux.core.model import Signal, Timeframe
from quantumflux.core.strategies import CandleArrays, NotEnoughData, StrategyRegistry, default_registry

Progress = Callable[[int, int], None]


# ------------------------------------------------------------------------ data


class BadDataError(ValueError):
    """The data hold values a backtest cannot trust (a price <= 0 or not a number, high < low)."""


def check_prices(times: Any, columns: Mapping[str, Any], what: str) -> None:
    """Refuse prices that cannot be real: not finite or <= 0 in any column, or ``high < low``.

    Raises :class:`BadDataError` naming how many rows are wrong and the first one's time.
    """
    import numpy as np

    from quantumflux.core.model import iso_utc

    times = np.asarray(times, dtype=np.float64)
    values = np.column_stack([np.asarray(v, dtype=np.float64) for v in columns.values()])
    problems = []
    bad = ~(np.isfinite(values) & (values > 0)).all(axis=1)
    if bad.any():
        problems.append(f"{int(bad.sum())} row(s) with a price <= 0 or not a number "
                        f"(first at {iso_utc(float(times[np.argmax(bad)]))})")
    if "high" in columns and "low" in columns:
        inverted = np.asarray(columns["high"], dtype=np.float64) < np.asarray(columns["low"], dtype=np.float64)
        if inverted.any():
            problems.append(f"{int(inverted.sum())} candle(s) with high < low "
                            f"(first at {iso_utc(float(times[np.argmax(inverted)]))})")
    if problems:
        raise BadDataError(f"{what}: {'; '.join(problems)}. The backtest refuses prices it cannot trust: "
                           "fix or remove those rows")


def load_arrays(path: Path | str, asset: str | None, timeframe: str | int | None) -> tuple[CandleArrays, dict[str, Any]]:
    """Candles from a data directory or CSV file as arrays, plus facts about the load.

    Raises FileNotFoundError / ValueError with a readable message when nothing usable is there, and
    :class:`BadDataError` for impossible prices (:func:`check_prices`). Several candles with the same
    time keep the last (by file order); ``info["warnings"]`` says how many times had rows that disagree.
    """
    from quantumflux.storage.loader import load_candles

    frame = load_candles(Path(path), asset, timeframe)
    what = " ".join(str(x) for x in (asset, timeframe) if x) or "candles"
    if frame.empty:
        raise ValueError(f"no {what} found in {path}")
    check_prices(frame["time"], {c: frame[c] for c in ("open", "high", "low", "close")}, f"{what} in {path}")
    arrays = CandleArrays.from_frame(frame[["time", "open", "high", "low", "close", "volume"]].reset_index(drop=True))
    conflicting = int(frame.attrs.get("conflicting_times", 0))
    warnings = [f"{conflicting} time(s) had several candles with different prices; the last (by file order) "
                "was kept"] if conflicting else []
    info = {"path": str(path), "rows": len(arrays), "skipped_rows": int(frame.attrs.get("skipped_rows", 0)),
            "files": len(frame.attrs.get("files", [])), "duplicate_rows": int(frame.attrs.get("duplicate_rows", 0)),
            "conflicting_times": conflicting, "warnings": warnings}
    return arrays, info


def load_tick_arrays(path: Path | str, asset: str) -> tuple[Any, Any]:
    """Ticks of ``asset`` as sorted ``(times, prices)`` arrays, for tick-based exits."""
    from quantumflux.storage.loader import load_ticks

    frame = load_ticks(Path(path), asset)
    if frame.empty:
        raise ValueError(f"no ticks of {asset} found in {path}")
    check_prices(frame["time"], {"price": frame["price"]}, f"ticks of {asset} in {path}")
    return frame["time"].to_numpy(dtype="float64"), frame["price"].to_numpy(dtype="float64")


def strategy_dirs(extra: Iterable[Path | str] = ()) -> tuple[Path, ...]:
    """Folders searched for user strategy files: ``$QF_STRATEGIES_DIR`` (os.pathsep-separated),
    ``<user data dir>/strategies``, then ``extra``."""
    from quantumflux.config import user_data_dir

    folders = [Path(p) for p in os.environ.get("QF_STRATEGIES_DIR", "").split(os.pathsep) if p]
    folders.append(user_data_dir() / "strategies")
    folders.extend(Path(p) for p in extra)
    return tuple(folders)


@lru_cache(maxsize=8)
def registry_for(folders: tuple[Path, ...]) -> StrategyRegistry:
    """Built-ins plus user strategies of ``folders`` (cached per process)."""
    return default_registry(folders)


# --------------------------------------------------------------------- backtest


@dataclass(frozen=True, slots=True)
class StrategySpec:
    """A strategy by name with parameters (strings or numbers)."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        args = ",".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.name}({args})" if args else self.name

    @classmethod
    def parse(cls, text: str) -> StrategySpec:
        """``name`` or ``name:k=v,k=v``."""
        name, _, rest = text.partition(":")
        return cls(name.strip(), parse_params([p for p in rest.split(",") if p.strip()], single=True))


def parse_params(items: Sequence[str], single: bool = False) -> dict[str, Any]:
    """``["k=1", "m=2,3"]`` -> ``{"k": "1", "m": ["2", "3"]}`` (strings; the strategy converts).

    With ``single`` every value must be one value.
    """
    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            raise ValueError(f"parameter {item!r} must look like name=value")
        values = [v.strip() for v in value.split(",") if v.strip()]
        if single and len(values) != 1:
            raise ValueError(f"parameter {item!r} must have one value here")
        params[key] = values[0] if len(values) == 1 else values
    return params


def run_one(arrays: CandleArrays, spec: StrategySpec, config: BacktestConfig,
            folders: tuple[Path, ...] = (), ticks: tuple[Any, Any] | None = None) -> BacktestResult:
    """One backtest. Raises KeyError (unknown strategy), ValueError (bad parameters), NotEnoughData."""
    strategy = registry_for(tuple(folders)).create(spec.name, dict(spec.params))
    return run_backtest(strategy, arrays, config, ticks)


def summary(result: BacktestResult) -> dict[str, Any]:
    """The JSON-able report of one backtest."""
    c = result.config
    return {"strategy": result.strategy, "timeframe": str(Timeframe(c.timeframe)), "expiry": c.expiry,
            "payout": c.payout, "stake": c.stake, "max_concurrent": c.max_concurrent, **result.metrics.to_dict()}


def write_equity(result: BacktestResult, csv_path: Path | None = None, png_path: Path | None = None) -> None:
    """Write the equity curve as CSV and/or PNG (parent folders are created)."""
    if csv_path is not None:
        Path(csv_path).parent.mkdir(parents=True, exist_ok=True)
        Path(csv_path).write_text(equity_csv(result.trades), encoding="utf-8")
    if png_path is not None:
        Path(png_path).parent.mkdir(parents=True, exist_ok=True)
        Path(png_path).write_bytes(equity_png(result.trades.equity))


# -------------------------------------------------------------------------- A/B


def ab_test(arrays: CandleArrays, specs: Sequence[StrategySpec], config: BacktestConfig,
            folders: tuple[Path, ...] = (), progress: Progress | None = None, ticks: tuple[Any, Any] | None = None,
            ) -> tuple[list[tuple[str, BacktestResult]], list[Comparison]]:
    """Run every strategy on the same arrays; compare each one's expectancy with the first's
    (:func:`~quantumflux.core.backtest.compare_all`: bootstrap, Holm-adjusted over the comparisons)."""
    results = []
    for done, spec in enumerate(specs, 1):
        results.append((spec.label, run_one(arrays, spec, config, folders, ticks)))
        if progress:
            progress(done, len(specs))
    return results, compare_all([result.arm(label) for label, result in results])


# ------------------------------------------------------------------------ sweeps


def expand_grid(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every combination of the list-valued parameters (scalars are fixed)."""
    keys = list(params)
    axes = [v if isinstance(v, list | tuple) else [v] for v in params.values()]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes)]


@dataclass(frozen=True, slots=True, eq=False)
class SweepData:
    """What every grid point reads: the candles, and ticks when exits come from ticks."""

    arrays: CandleArrays
    ticks: tuple[Any, Any] | None = None


_WORKER_DATA: SweepData | None = None


def _init_worker(data: SweepData) -> None:
    global _WORKER_DATA
    _WORKER_DATA = data


def sweep_task(data: SweepData | CandleArrays | None, name: str, params: dict[str, Any], config: BacktestConfig,
               folders: tuple[Path, ...], keep_trades: bool = False) -> dict[str, Any]:
    """One grid point (runs in a worker): a summary row, or the row with ``error``. With ``keep_trades`` the
    row also holds the :class:`~quantumflux.core.backtest.Trades` under ``"_trades"`` (for walk-forward)."""
    data = _WORKER_DATA if data is None else data
    assert data is not None, "worker has no data"
    if isinstance(data, CandleArrays):
        data = SweepData(data)
    row: dict[str, Any] = {"params": params}
    try:
        result = run_one(data.arrays, StrategySpec(name, params), config, folders, data.ticks)
        row.update(summary(result))
        if keep_trades:
            row["_trades"] = result.trades
    except (ValueError, KeyError, NotEnoughData) as exc:
        row["error"] = str(exc).strip("'\"")
    return row


def _pool_task(name: str, params: dict[str, Any], config: BacktestConfig, folders: tuple[Path, ...],
               keep_trades: bool) -> dict[str, Any]:
    return sweep_task(None, name, params, config, folders, keep_trades)


def sweep(arrays: CandleArrays, name: str, grid: Mapping[str, Any], config: BacktestConfig,
          folders: tuple[Path, ...] = (), workers: int | None = None, cluster: str | Any | None = None,
          progress: Progress | None = None, ticks: tuple[Any, Any] | None = None,
          keep_trades: bool = False) -> list[dict[str, Any]]:
    """Backtest every grid combination; rows come back in grid order.

    ``cluster``: a Dask scheduler address (``tcp://host:8786``) or a ``distributed.Client``;
    otherwise a local process pool with ``workers`` processes (default: all cores).
    """
    points = expand_grid(grid)
    registry_for(tuple(folders)).get(name)  # fail fast on an unknown strategy
    data = SweepData(arrays, ticks)
    if cluster is not None:
        return _sweep_dask(data, name, points, config, folders, cluster, progress, keep_trades)
    workers = max(1, min(workers or os.cpu_count() or 1, len(points)))
    rows: list[dict[str, Any] | None] = [None] * len(points)
    if workers == 1:
        for k, params in enumerate(points):
            rows[k] = sweep_task(data, name, params, config, folders, keep_trades)
            if progress:
                progress(k + 1, len(points))
        return rows  # type: ignore[return-value]
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(data,)) as pool:
        futures = {pool.submit(_pool_task, name, params, config, folders, keep_trades): k
                   for k, params in enumerate(points)}
        for done, future in enumerate(as_completed(futures), 1):
            rows[futures[future]] = future.result()
            if progress:
                progress(done, len(points))
    return rows  # type: ignore[return-value]


def _sweep_dask(data: SweepData, name: str, points: list[dict[str, Any]], config: BacktestConfig,
                folders: tuple[Path, ...], cluster: str | Any, progress: Progress | None,
                keep_trades: bool = False) -> list[dict[str, Any]]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - dask is a test/optional dependency
        raise RuntimeError("sweeping on a cluster needs dask.distributed (pip install 'dask[distributed]')") from exc
    own = isinstance(cluster, str)
    try:
        client = Client(cluster, timeout="10s") if own else cluster
    except OSError as exc:
        raise ConnectionError(f"cannot reach the Dask scheduler at {cluster}: {exc}") from exc
    try:
        shared = client.scatter(data, broadcast=True)
        futures = [client.submit(sweep_task, shared, name, params, config, folders, keep_trades, pure=False)
                   for params in points]
        order = {future.key: k for k, future in enumerate(futures)}
        rows: list[dict[str, Any] | None] = [None] * len(points)
        for done, future in enumerate(dask_completed(futures), 1):
            rows[order[future.key]] = future.result()
            if progress:
                progress(done, len(points))
        return rows  # type: ignore[return-value]
    finally:
        if own:
            client.close()


def best_first(rows: list[dict[str, Any]], key: str = "net_profit") -> list[dict[str, Any]]:
    """Rows sorted by ``key`` descending; rows with errors or no trades last."""
    def score(row: dict[str, Any]) -> float:
        value = row.get(key)
        return -math.inf if value is None or "error" in row else float(value)
    return sorted(rows, key=score, reverse=True)


# ------------------------------------------------------------------------ signals


@dataclass(frozen=True, slots=True)
class SignalReport:
    """What a strategy says on the last closed candle of a history, and its latest signal."""

    strategy: str
    candles: int
    last_candle_time: float
    current: Signal | None
    not_ready: str | None
    latest: Signal | None
    signals: tuple[Signal, ...] = ()


def signal_on_history(arrays: CandleArrays, spec: StrategySpec, asset: str, timeframe: int,
                      expiry: int | None = None, folders: tuple[Path, ...] = ()) -> SignalReport:
    """Evaluate ``spec`` over the history: the decision on its last closed candle."""
    strategy = registry_for(tuple(folders)).create(spec.name, dict(spec.params))
    last = float(arrays.time[-1]) if len(arrays) else math.nan
    if len(arrays) < strategy.warmup:
        reason = f"{strategy.name} needs {strategy.warmup} closed candles, the history has {len(arrays)}"
        return SignalReport(strategy.describe(), len(arrays), last, None, reason, None)
    signals = strategy.signals(arrays, asset, timeframe, expiry)
    latest = signals[-1] if signals else None
    current = latest if latest is not None and latest.time == last + timeframe else None
    return SignalReport(strategy.describe(), len(arrays), last, current, None, latest, tuple(signals))
