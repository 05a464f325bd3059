"""RiskGuard: every rule allows at its boundary, refuses past it, and names itself."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantumflux.core.model import Direction
from quantumflux.core.risk import AccountState, OrderIntent, RiskDecision, RiskGuard, RiskLimits

NOW = 1_767_323_040.0
LIMITS = RiskLimits(max_stake=50, max_open_trades=3, max_trades_per_hour=10, daily_loss_limit=100,
                    max_consecutive_losses=4, min_payout=80)
ORDER = OrderIntent("EURUSD_otc", Direction.CALL, 10.0, 60, payout=92)
STATE = AccountState(open_trades=0, recent_trade_times=(), today_pnl=0.0, consecutive_losses=0, balance=1000.0)


def check(order: OrderIntent = ORDER, state: AccountState = STATE, limits: RiskLimits = LIMITS) -> RiskDecision:
    return RiskGuard(limits).check(order, state, NOW)


def test_ordinary_order_is_allowed() -> None:
    decision = check()
    assert decision.allowed and decision.rule is None and bool(decision)


@pytest.mark.parametrize(
    ("order_change", "state_change", "rule"),
    [
        ({"amount": 0.0}, {}, "amount"),
        ({"amount": -5.0}, {}, "amount"),
        ({"amount": math.nan}, {}, "amount"),
        ({"amount": math.inf}, {}, "amount"),
        ({"is_real": True}, {}, "real_account"),
        ({"asset_open": False}, {}, "asset_closed"),
        ({"amount": 50.01}, {}, "max_stake"),
        ({}, {"balance": 9.99}, "balance"),
        ({"payout": 79.9}, {}, "min_payout"),
        ({"payout": None}, {}, "min_payout"),
        ({}, {"open_trades": 3}, "max_open_trades"),
        ({}, {"recent_trade_times": tuple(NOW - i * 300 for i in range(10))}, "max_trades_per_hour"),
        ({}, {"today_pnl": -90.01}, "daily_loss_limit"),
        ({}, {"consecutive_losses": 4}, "max_consecutive_losses"),
        ({}, {"today_pnl": -50.0, "open_stakes": 40.01}, "daily_loss_limit"),  # open trades can still lose
    ],
)
def test_each_rule_refuses_and_names_itself(order_change: dict, state_change: dict, rule: str) -> None:
    decision = check(dataclasses.replace(ORDER, **order_change), dataclasses.replace(STATE, **state_change))
    assert not decision.allowed
    assert decision.rule == rule
    assert decision.reason and decision.reason != "allowed"


@pytest.mark.parametrize(
    ("order_change", "state_change"),
    [
        ({"amount": 50.0}, {}),  # exactly the maximum stake
        ({}, {"balance": 10.0}),  # exactly the balance
        ({"payout": 80.0}, {}),  # exactly the minimum payout
        ({}, {"open_trades": 2}),
        ({}, {"recent_trade_times": tuple(NOW - i * 400 for i in range(9))}),
        ({}, {"recent_trade_times": tuple(NOW - 3600 - i for i in range(50))}),  # older than an hour
        ({}, {"today_pnl": -90.0}),  # 90 lost + 10 stake == limit
        ({}, {"today_pnl": 500.0}),  # profit does not count as loss
        ({}, {"today_pnl": -50.0, "open_stakes": 40.0}),  # 50 + 40 + 10 == limit
        ({}, {"consecutive_losses": 3}),
        ({}, {"balance": None}),
    ],
)
def test_boundaries_are_allowed(order_change: dict, state_change: dict) -> None:
    decision = check(dataclasses.replace(ORDER, **order_change), dataclasses.replace(STATE, **state_change))
    assert decision.allowed, decision


def test_real_account_allowed_only_with_opt_in() -> None:
    real = dataclasses.replace(ORDER, is_real=True)
    assert check(real).rule == "real_account"
    assert "allow_real" in check(real).reason
    assert check(real, limits=dataclasses.replace(LIMITS, allow_real=True)).allowed
    assert RiskLimits().allow_real is False


def test_disabled_rules_do_not_refuse() -> None:
    open_limits = RiskLimits(None, None, None, None, None, None)
    state = AccountState(open_trades=99, recent_trade_times=(NOW,) * 99, today_pnl=-1e9, consecutive_losses=99)
    assert check(dataclasses.replace(ORDER, amount=1e6, payout=None), state, open_limits).allowed


def test_clock_is_injected() -> None:
    state = dataclasses.replace(STATE, recent_trade_times=tuple(NOW - i for i in range(10)))
    guard = RiskGuard(LIMITS)
    assert guard.check(ORDER, state, NOW).rule == "max_trades_per_hour"
    assert guard.check(ORDER, state, NOW + 3600).allowed


def test_first_failing_rule_wins_and_reason_has_numbers() -> None:
    decision = check(dataclasses.replace(ORDER, amount=60.0), dataclasses.replace(STATE, open_trades=9))
    assert decision.rule == "max_stake" and "60" in decision.reason and "50" in decision.reason


def test_negative_limits_are_rejected() -> None:
    with pytest.raises(ValueError, match="max_stake"):
        RiskLimits(max_stake=-1)


@given(amount=st.floats(min_value=0.01, max_value=1000), pnl=st.floats(min_value=-1000, max_value=1000),
       open_trades=st.integers(0, 10), losses=st.integers(0, 10))
def test_allowed_only_when_every_limit_holds(amount: float, pnl: float, open_trades: int, losses: int) -> None:
    state = dataclasses.replace(STATE, today_pnl=pnl, open_trades=open_trades, consecutive_losses=losses)
    decision = check(dataclasses.replace(ORDER, amount=amount), state)
    holds = (amount <= 50 and amount <= 1000 and open_trades < 3 and max(0.0, -pnl) + amount <= 100 and losses < 4)
    assert decision.allowed == holds
    assert decision.allowed or decision.rule in {"max_stake", "balance", "max_open_trades", "daily_loss_limit",
                                                 "max_consecutive_losses"}
