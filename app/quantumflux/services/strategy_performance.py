"""Per-strategy performance from the trade journal, with the backtest's statistics, and the
backtest expectation of the same strategy on stored data, side by side.

A strategy's journal ``source`` is its label: ``name`` with default parameters, else
``name(k=v,k=v)`` (:func:`strategy_label`; :func:`parse_label` reads it back), so a live result
can be matched with a backtest of exactly the same configuration.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from quantumflux.core.backtest import Metrics, longest_streak, max_drawdown
from quantumflux.core.backtest.expectancy import TradeSample, expectancy_test
from quantumflux.core.backtest.stats import binomial_test, wilson_interval
from quantumflux.storage.journal import OPEN_STATUSES

_LABEL = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<params>[^()]*)\))?$")


def strategy_label(name: str, params: Mapping[str, Any]) -> str:
    """``name`` or ``name(k=v,k=v)`` in the given parameter order (numbers without trailing .0 noise)."""
    if not params:
        return name
    return f"{name}({','.join(f'{key}={_format(value)}' for key, value in params.items())})"


def parse_label(label: str) -> tuple[str, dict[str, str]]:
    """``sma_cross(fast=2,slow=3)`` → ``("sma_cross", {"fast": "2", "slow": "3"})``; ValueError if not a label."""
    match = _LABEL.match(label.strip())
    if match is None:
        raise ValueError(f"not a strategy label: {label!r}")
    params: dict[str, str] = {}
    for item in (match["params"] or "").split(","):
        if item.strip():
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"not a strategy label: {label!r}")
            params[key.strip()] = value.strip()
    return match["name"], params


def _format(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


def live_sample(records: Iterable[Any]) -> TradeSample:
    """Closed journal records as a :class:`TradeSample`: held from the request for the expiry, on their asset;
    a win would pay ``amount × payout / 100`` (the mean payout of the records when one is missing)."""
    closed = sorted((r for r in records if r.status == "closed"), key=lambda r: (r.requested_at, r.client_id))
    payouts = [r.payout for r in closed if r.payout]
    fallback = float(np.mean(payouts)) if payouts else 92.0
    amount = np.array([r.amount for r in closed], dtype=np.float64)
    payout = np.array([r.payout or fallback for r in closed], dtype=np.float64)
    start = np.array([r.requested_at for r in closed], dtype=np.float64)
    return TradeSample.of([r.profit or 0.0 for r in closed], amount * payout / 100.0, amount, start,
                          start + np.array([r.expiry for r in closed], dtype=np.float64),
                          np.array([r.asset for r in closed], dtype=str))


def live_metrics(records: Iterable[Any]) -> Metrics:
    """The backtest's :class:`Metrics` over closed journal records (request order). The break-even win rate
    uses the mean payout of the trades (92 % when none is recorded)."""
    closed = sorted((r for r in records if r.status == "closed"), key=lambda r: (r.requested_at, r.client_id))
    outcome = np.array([{"win": 1, "loss": -1}.get(r.outcome or "", 0) for r in closed], dtype=np.int8)
    profit = np.array([r.profit or 0.0 for r in closed], dtype=np.float64)
    wins, losses = int((outcome == 1).sum()), int((outcome == -1).sum())
    decided = wins + losses
    payouts = [r.payout for r in closed if r.payout]
    payout = float(np.mean(payouts)) if payouts else 92.0
    break_even = 1.0 / (1.0 + payout / 100.0)
    low, high = wilson_interval(wins, decided)
    test = binomial_test(wins, decided, break_even)
    net = float(profit.sum())
    expectancy = expectancy_test(live_sample(closed))
    return Metrics(
        trades=len(closed), wins=wins, draws=len(closed) - decided, losses=losses,
        win_rate=wins / decided if decided else math.nan, win_rate_low=low, win_rate_high=high,
        break_even_win_rate=break_even, p_value=test.p_value, p_value_method=test.method,
        expectancy=net / len(closed) if closed else math.nan, expectancy_p_value=expectancy.p_value,
        expectancy_p_value_method=expectancy.method, net_profit=net,
        max_drawdown=max_drawdown(profit), longest_losing_streak=longest_streak(outcome),
        signals_beyond_data=0, signals_skipped_concurrent=0,
    )


def rolling_win_rate(records: Iterable[Any], window: int) -> float | None:
    """Win rate of the last ``window`` decided (win/loss) closed trades, by close time; None without any."""
    closed = sorted((r for r in records if r.status == "closed" and r.outcome in ("win", "loss")),
                    key=lambda r: (r.closed_at or 0.0, r.requested_at))
    last = closed[-window:] if window > 0 else closed
    return sum(r.outcome == "win" for r in last) / len(last) if last else None


def strategy_report(journal: Any, label: str, account: str | None = None, window: int = 20) -> dict[str, Any]:
    """Everything the journal says about one strategy: counts, win rate (overall and rolling), P&L, drawdown,
    trades per day, open/refused/unknown orders, and the backtest statistics of the closed trades."""
    records = journal.list(strategy=label, account=account)
    closed = [r for r in records if r.status == "closed"]
    performance = journal.performance(strategy=label, account=account)
    refusals: dict[str, int] = {}
    for record in records:
        if record.status == "refused":
            rule = (record.reason or "?").split(":", 1)[0]
            refusals[rule] = refusals.get(rule, 0) + 1
    assets = sorted({r.asset for r in records})
    return {
        "strategy": label, "account": account, "assets": assets,
        **dataclasses.asdict(performance),
        "rolling_window": window, "rolling_win_rate": rolling_win_rate(closed, window),
        "open": sum(r.status in OPEN_STATUSES for r in records),
        "refused": sum(refusals.values()), "refusals": refusals,
        "failed": sum(r.status == "failed" for r in records),
        "expiries": sorted({r.expiry for r in records}),
        "mean_payout": (float(np.mean([r.payout for r in closed if r.payout]))
                        if any(r.payout for r in closed) else None),
        "statistics": live_metrics(closed).to_dict(),
    }


def journal_sources(journal: Any, account: str | None = None) -> list[str]:
    """Every strategy (``source``) in the journal except manual orders, sorted."""
    return sorted({r.source for r in journal.list(account=account)} - {"manual"})


def backtest_expectation(label: str, data: Path, assets: Iterable[str], timeframe: str | int, expiry: int,
                         payout: float, folders: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The same strategy backtested on stored candles of ``assets`` (each asset separately, figures summed).

    Returns ``{"available": False, "reason": ...}`` when there is nothing to backtest on.
    """
    from quantumflux.core.backtest import BacktestConfig
    from quantumflux.core.model import Timeframe
    from quantumflux.core.strategies import NotEnoughData
    from quantumflux.services.backtesting import StrategySpec, load_arrays, run_one

    try:
        name, params = parse_label(label)
        seconds = Timeframe.parse(timeframe).seconds
        config = BacktestConfig(seconds, expiry, payout)
    except ValueError as exc:
        return {"available": False, "reason": str(exc)}
    totals = {"trades": 0, "wins": 0, "draws": 0, "losses": 0, "net_profit": 0.0}
    used, reasons = [], []
    for asset in assets:
        try:
            arrays, _ = load_arrays(data, asset, str(Timeframe(seconds)))
            result = run_one(arrays, StrategySpec(name, params), config, folders)
        except (FileNotFoundError, ValueError, KeyError, NotEnoughData) as exc:
            reasons.append(f"{asset}: {str(exc).strip(chr(39))}")
            continue
        used.append({"asset": asset, "candles": len(arrays), **result.metrics.to_dict()})
        for key in totals:
            totals[key] += getattr(result.metrics, key)
    if not used:
        return {"available": False, "reason": "; ".join(reasons) or "no assets"}
    decided = totals["wins"] + totals["losses"]
    return {"available": True, "data": str(data), "timeframe": str(Timeframe(seconds)), "expiry": expiry,
            "payout": payout, **totals, "win_rate": totals["wins"] / decided if decided else None,
            "expectancy": totals["net_profit"] / totals["trades"] if totals["trades"] else None,
            "assets": used, "skipped": reasons}
