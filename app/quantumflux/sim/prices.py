"""Deterministic synthetic prices: a function of (seed, asset, time), so history and live agree.

The log price of each asset follows a mean-reverting random walk with occasional jumps on a
fixed time grid (``1 / tick_rate`` seconds) that starts at ``epoch``. Time is cut into blocks of
``BLOCK_STEPS`` grid points. A coarse walk, generated sequentially from the epoch, fixes the log
price at every block start; the path inside a block is a Brownian bridge between its two ends
(plus the block's jumps), drawn from a generator seeded by ``(seed, asset, block)``. Any block
can therefore be produced on its own, in any order, and always comes out the same.

Every grid point is one tick: its time is the grid time plus a deterministic jitter of up to
``jitter`` (default 0.8) of a step (rounded to milliseconds), its price is rounded to the asset's
digits; ``jitter=0`` puts every tick exactly on the grid (whole seconds at 1 Hz, half seconds at
2 Hz: ticks that land on candle boundaries and expiry instants). ``price_at(t)`` is the price of
the last tick at or before ``t`` — exactly what a client watching the stream saw last;
``price_before(t)`` the last tick strictly before ``t``, the price a deal expiring at ``t`` closes at
(a tick stamped exactly ``t`` opens the next candle; docs/backtest.md, "The exit rule").
"""

from __future__ import annotations

import math
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from typing import Protocol

import numpy as np

from quantumflux.sim.assets import SimAsset

BLOCK_STEPS = 1024
_JUMP_RATE = 1.0 / 900.0  # jumps per second per asset (about one every 15 minutes)
_JUMP_SCALE = 40.0  # jump size in units of one grid step's standard deviation
_REVERSION = 1.0 / (6 * 3600.0)  # pull of the log price back to its start, per second
_CACHE_BLOCKS = 512
_CHUNK = 128  # coarse blocks generated at a time


class PriceSource(Protocol):
    """What the broker needs from a price process (synthetic or replayed)."""

    def ticks(self, symbol: str, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
        """Times and prices of the ticks with ``start < time <= end`` (ascending)."""
        ...

    def price_at(self, symbol: str, t: float) -> float | None:
        """Price of the last tick at or before ``t`` (None before the first tick)."""
        ...

    def price_before(self, symbol: str, t: float) -> float | None:
        """Price of the last tick strictly before ``t`` (None when there is none)."""
        ...


def default_epoch(now: float, history_seconds: float) -> float:
    """Start of the price grid: a UTC midnight at least two days (and ``history_seconds``) back.

    Two processes with the same seed started on the same UTC day share the epoch and so produce
    identical prices at identical times.
    """
    back = max(2 * 86400.0, history_seconds + 86400.0)
    return math.floor((now - back) / 86400.0) * 86400.0


class _Walk:
    """The coarse walk of one asset: log price at each block start, and each block's jumps."""

    def __init__(self, asset: SimAsset, seed: int, step: float) -> None:
        self.asset = asset
        self.key = zlib.crc32(asset.symbol.encode("utf-8"))
        self.seed = seed
        self.sigma_step = asset.volatility * math.sqrt(step)
        self.block_seconds = BLOCK_STEPS * step
        self.anchor = math.log(asset.start_price)
        self._rng = np.random.default_rng([seed, self.key, 0])
        self.levels: list[float] = [self.anchor]
        self.gauss: list[float] = []
        self.jumps: list[np.ndarray] = []

    def ensure(self, block: int) -> None:
        """Extend the walk so that block ``block`` has both its start and end level."""
        while len(self.gauss) <= block:
            normals = self._rng.normal(size=_CHUNK) * self.sigma_step * math.sqrt(BLOCK_STEPS)
            counts = self._rng.poisson(_JUMP_RATE * self.block_seconds, size=_CHUNK)
            sizes = self._rng.normal(size=int(counts.sum())) * self.sigma_step * _JUMP_SCALE
            offsets = np.concatenate(([0], np.cumsum(counts)))
            for index in range(_CHUNK):
                level = self.levels[-1]
                gauss = float(normals[index]) - _REVERSION * (level - self.anchor) * self.block_seconds
                jumps = sizes[offsets[index] : offsets[index + 1]]
                self.gauss.append(gauss)
                self.jumps.append(jumps)
                self.levels.append(level + gauss + float(jumps.sum()))


class SyntheticPrices:
    """The seeded price process of a set of assets (see the module docstring)."""

    def __init__(self, assets: Iterable[SimAsset], seed: int, tick_rate: float, epoch: float,
                 jitter: float = 0.8) -> None:
        if tick_rate <= 0 or tick_rate > 50:
            raise ValueError(f"tick rate must be above 0 and at most 50 Hz, got {tick_rate}")
        if not 0 <= jitter < 1:
            raise ValueError(f"tick jitter must be a fraction of a step in [0, 1), got {jitter}")
        self.seed = seed
        self.jitter = float(jitter)
        self.step = 1.0 / tick_rate
        self.epoch = float(epoch)
        self.block_seconds = BLOCK_STEPS * self.step
        self._walks = {asset.symbol: _Walk(asset, seed, self.step) for asset in assets}
        self._cache: OrderedDict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.RLock()

    def has(self, symbol: str) -> bool:
        return symbol in self._walks

    def _block(self, symbol: str, block: int) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            return self._block_locked(symbol, block)

    def _block_locked(self, symbol: str, block: int) -> tuple[np.ndarray, np.ndarray]:
        key = (symbol, block)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        walk = self._walks[symbol]
        walk.ensure(block)
        rng = np.random.default_rng([self.seed, walk.key, 1, block])
        steps = rng.normal(size=BLOCK_STEPS) * walk.sigma_step
        path = np.concatenate(([0.0], np.cumsum(steps)[:-1]))
        total = path[-1] + steps[-1]
        fraction = np.arange(BLOCK_STEPS) / BLOCK_STEPS
        bridge = path - fraction * (total - walk.gauss[block])
        jumps = walk.jumps[block]
        if len(jumps):
            positions = rng.integers(1, BLOCK_STEPS, size=len(jumps))
            for position, size in zip(positions, jumps, strict=True):
                bridge[position:] += size
        jitter = rng.random(BLOCK_STEPS) * self.jitter * self.step
        grid = self.epoch + (block * BLOCK_STEPS + np.arange(BLOCK_STEPS)) * self.step
        times = np.round(grid + jitter, 3)
        prices = np.round(np.exp(walk.levels[block] + bridge), walk.asset.digits)
        self._cache[key] = (times, prices)
        if len(self._cache) > _CACHE_BLOCKS:
            self._cache.popitem(last=False)
        return times, prices

    def _block_of(self, t: float) -> int:
        return max(0, int((t - self.epoch) // self.block_seconds))

    def ticks(self, symbol: str, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
        """Times and prices of the ticks with ``start < time <= end`` (ascending)."""
        if symbol not in self._walks:
            raise KeyError(symbol)
        if end <= start or end < self.epoch:
            return np.empty(0), np.empty(0)
        first, last = self._block_of(start), self._block_of(end)
        times_parts, price_parts = [], []
        for block in range(first, last + 1):
            times, prices = self._block(symbol, block)
            mask = (times > start) & (times <= end)
            times_parts.append(times[mask])
            price_parts.append(prices[mask])
        return np.concatenate(times_parts), np.concatenate(price_parts)

    def price_at(self, symbol: str, t: float) -> float | None:
        """Price of the last tick at or before ``t``."""
        return self._last(symbol, t, "right")

    def price_before(self, symbol: str, t: float) -> float | None:
        """Price of the last tick strictly before ``t``."""
        return self._last(symbol, t, "left")

    def _last(self, symbol: str, t: float, side: str) -> float | None:
        if symbol not in self._walks:
            raise KeyError(symbol)
        block = self._block_of(t)
        while block >= 0:
            times, prices = self._block(symbol, block)
            index = int(np.searchsorted(times, t, side=side)) - 1  # type: ignore[call-overload]
            if index >= 0:
                return float(prices[index])
            block -= 1
        return None


class CompositePrices:
    """Routes each symbol to its own source (replayed symbols to the replay, the rest synthetic)."""

    def __init__(self, sources: dict[str, PriceSource]) -> None:
        self._sources = sources

    def ticks(self, symbol: str, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
        return self._sources[symbol].ticks(symbol, start, end)

    def price_at(self, symbol: str, t: float) -> float | None:
        return self._sources[symbol].price_at(symbol, t)

    def price_before(self, symbol: str, t: float) -> float | None:
        return self._sources[symbol].price_before(symbol, t)


def candles_from_ticks(times: np.ndarray, prices: np.ndarray, period: int) -> list[list[float]]:
    """Candles ``[t, open, close, high, low]`` (oldest first) of the ticks, one per ``period`` bucket."""
    if len(times) == 0:
        return []
    buckets = np.floor(times / period) * period
    starts = np.flatnonzero(np.concatenate(([True], buckets[1:] != buckets[:-1])))
    ends = np.append(starts[1:], len(times))
    highs = np.maximum.reduceat(prices, starts)
    lows = np.minimum.reduceat(prices, starts)
    return [
        [float(buckets[s]), float(prices[s]), float(prices[e - 1]), float(h), float(lo)]
        for s, e, h, lo in zip(starts, ends, highs, lows, strict=True)
    ]
