"""Binary-option backtester (vectorised numpy).

Semantics (the exit rule is the same for candles, ticks and paper trades):
- A signal on the candle ``i`` (closing at ``t = time[i] + P``) enters at ``close[i]``.
- **Exit rule**: the exit price is the price in force just before the expiry instant ``t + E``, i.e.
  the last tick with time *strictly before* ``t + E``. A tick stamped exactly ``t + E`` belongs to the
  candle that opens at ``t + E`` (a tick at ``s`` is in the candle ``[floor(s/P)*P, +P)``) and is not
  the exit. On candles this is the close of the candle ending at ``t + E``, i.e. candle ``j`` with
  ``time[j] = time[i] + E`` (``E`` a positive multiple of the candle period ``P``); if that candle is
  missing (no tick in its period) the last candle ending before ``t + E`` is used — the same last
  tick before ``t + E``.
- A signal whose ``t + E`` is beyond the last candle's end is not counted.
- With tick data for exits (``ticks=(times, prices)``, ``E`` any positive number of seconds) the exit
  price is that last tick before ``t + E``; a signal is counted only if the ticks cover the expiry:
  a tick before ``t + E`` and one at or after it exist.
- Call wins if exit > entry, put wins if exit < entry; equal is a draw (stake back).
  A win pays ``stake × payout / 100``; a loss costs the stake.
- One trade per signal; with ``max_concurrent`` a signal is skipped while that many trades
  are open (a trade is open from its entry until its exit; one exiting at the new entry time
  has closed).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from quantumflux.core.strategies.arrays import CandleArrays
from quantumflux.core.strategies.base import SignalArrays

WIN, DRAW, LOSS = 1, 0, -1


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    """Trade parameters: candle period and expiry in seconds, payout in percent, stake per trade."""

    timeframe: int = 60
    expiry: int = 60
    payout: float = 92.0
    stake: float = 1.0
    max_concurrent: int | None = None
    #: Exit prices come from ticks (any expiry in seconds) instead of candle closes.
    tick_exits: bool = False

    def __post_init__(self) -> None:
        if self.timeframe <= 0 or self.expiry <= 0:
            raise ValueError("timeframe and expiry must be positive")
        if self.expiry % self.timeframe and not self.tick_exits:
            raise ValueError(f"expiry {self.expiry}s must be a multiple of the candle period {self.timeframe}s")
        if not 0 < self.payout <= 1000:
            raise ValueError(f"payout must be a percentage > 0, got {self.payout}")
        if not self.stake > 0:
            raise ValueError(f"stake must be positive, got {self.stake}")
        if self.max_concurrent is not None and self.max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")


@dataclass(frozen=True, slots=True, eq=False)
class Trades:
    """One row per trade (arrays, in entry order) plus what was not traded and why."""

    signal_index: np.ndarray
    #: Index of the exit candle (-1 when exits come from ticks).
    exit_index: np.ndarray
    entry_time: np.ndarray
    exit_time: np.ndarray
    direction: np.ndarray
    entry_price: np.ndarray
    exit_price: np.ndarray
    outcome: np.ndarray
    profit: np.ndarray
    rule: np.ndarray
    confidence: np.ndarray
    beyond_data: int = 0
    skipped_concurrent: int = 0

    def __len__(self) -> int:
        return len(self.signal_index)

    @property
    def equity(self) -> np.ndarray:
        """Cumulative net profit after each trade."""
        return np.cumsum(self.profit)

    def subset(self, mask: np.ndarray) -> Trades:
        """The trades where ``mask`` is true (the not-traded counts are not carried over)."""
        return Trades(self.signal_index[mask], self.exit_index[mask], self.entry_time[mask], self.exit_time[mask],
                      self.direction[mask], self.entry_price[mask], self.exit_price[mask], self.outcome[mask],
                      self.profit[mask], self.rule[mask], self.confidence[mask])


def _cap_concurrent(entry: np.ndarray, exit_: np.ndarray, cap: int) -> np.ndarray:
    """Boolean mask of signals taken when at most ``cap`` trades may be open at once."""
    keep = np.zeros(len(entry), dtype=bool)
    open_exits: deque[float] = deque()
    for k in range(len(entry)):
        while open_exits and open_exits[0] <= entry[k]:
            open_exits.popleft()
        if len(open_exits) < cap:
            keep[k] = True
            open_exits.append(exit_[k])  # exits are in entry order: expiry is constant
    return keep


def simulate(arrays: CandleArrays, signals: SignalArrays, config: BacktestConfig,
             ticks: tuple[np.ndarray, np.ndarray] | None = None) -> Trades:
    """Turn signals into trades with the semantics in the module docstring."""
    time, close = arrays.time, arrays.close
    index = np.asarray(signals.index, dtype=np.int64)
    target = time[index] + config.expiry  # open time of the candle ending at t + E
    if ticks is not None:
        tick_start, tick_end = (float(ticks[0][0]), float(ticks[0][-1])) if len(ticks[0]) else (np.inf, -np.inf)
        covered = (target + config.timeframe <= tick_end) & (target + config.timeframe > tick_start)
    else:
        covered = target <= (time[-1] if len(time) else -np.inf)
    beyond = int((~covered).sum())
    index, target = index[covered], target[covered]
    direction = np.asarray(signals.direction)[covered]
    rule = np.asarray(signals.rule)[covered]
    confidence = np.asarray(signals.confidence)[covered]
    entry_time = time[index] + config.timeframe
    exit_time = target + config.timeframe
    skipped = 0
    if config.max_concurrent is not None:
        keep = _cap_concurrent(entry_time, exit_time, config.max_concurrent)
        skipped = int((~keep).sum())
        index, target, direction, rule, confidence = index[keep], target[keep], direction[keep], rule[keep], confidence[keep]
        entry_time, exit_time = entry_time[keep], exit_time[keep]
    exit_index = np.searchsorted(time, target, side="right") - 1
    entry_price, exit_price = close[index], close[exit_index]
    if ticks is not None:
        tick_times, tick_prices = np.asarray(ticks[0], dtype=np.float64), np.asarray(ticks[1], dtype=np.float64)
        exit_price = tick_prices[np.searchsorted(tick_times, exit_time, side="left") - 1]  # last tick < t + E
        exit_index = np.full(len(index), -1, dtype=np.int64)  # no exit candle: the price is a tick
    move = np.sign(exit_price - entry_price).astype(np.int8)
    outcome = (move * direction).astype(np.int8)
    profit = np.where(outcome == WIN, config.stake * config.payout / 100.0,
                      np.where(outcome == LOSS, -config.stake, 0.0))
    return Trades(index, exit_index, entry_time, exit_time, direction, entry_price, exit_price, outcome, profit,
                  rule, confidence, beyond, skipped)
