"""Performance figures over closed trades of the journal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Performance:
    """Closed-trade statistics. ``win_rate`` is wins / trades (0 with no trades); ``max_drawdown`` is the
    largest fall of cumulative P&L from a previous peak (starting at 0), as a positive amount;
    ``trades_per_day`` divides trades by the number of distinct UTC days on which trades closed."""

    trades: int
    wins: int
    draws: int
    losses: int
    win_rate: float
    pnl: float
    max_drawdown: float
    trades_per_day: float


def compute_performance(records: Iterable[Any]) -> Performance:
    """Figures for closed trade records (objects with ``profit``, ``outcome``, ``closed_at``)."""
    closed = sorted(records, key=lambda r: (r.closed_at or 0.0))
    wins = sum(1 for r in closed if r.outcome == "win")
    draws = sum(1 for r in closed if r.outcome == "draw")
    losses = sum(1 for r in closed if r.outcome == "loss")
    equity = peak = drawdown = 0.0
    for record in closed:
        equity += record.profit or 0.0
        peak = max(peak, equity)
        drawdown = max(drawdown, peak - equity)
    days = {int((r.closed_at or 0.0) // 86400) for r in closed}
    count = len(closed)
    return Performance(
        trades=count,
        wins=wins,
        draws=draws,
        losses=losses,
        win_rate=wins / count if count else 0.0,
        pnl=round(equity, 10),
        max_drawdown=round(drawdown, 10),
        trades_per_day=count / len(days) if days else 0.0,
    )
