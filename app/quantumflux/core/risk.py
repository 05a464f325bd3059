"""Risk guard: a pure check applied to every order, manual or automated.

``RiskGuard(limits).check(order, state, now)`` returns a :class:`RiskDecision`; a refusal
always names the rule that refused (``rule``) and says why in words (``reason``). The guard
holds no state and reads no clock: the caller passes the account state and the time, so the
same inputs always give the same decision.

Rules, checked in this order (the first that refuses wins):

``amount``                 the stake must be a positive finite number
``real_account``           real-money orders need ``allow_real`` (demo by default)
``asset_closed``           the asset must be open for trading
``max_stake``              stake ≤ limit
``balance``                stake ≤ the account balance, when known
``min_payout``             payout (percent) ≥ limit, when the payout is known; unknown payout is refused
                           when a minimum is set
``max_open_trades``        open trades < limit
``max_trades_per_hour``    trades placed in the last 3600 s < limit
``daily_loss_limit``       today's loss + stakes of open trades + this stake (all it can lose today) ≤ limit
``max_consecutive_losses`` consecutive losses < limit
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from quantumflux.core.model import Direction

HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Limits of the guard. ``None`` switches a rule off (``allow_real`` is off unless set)."""

    max_stake: float | None = 100.0
    max_open_trades: int | None = 5
    max_trades_per_hour: int | None = 60
    daily_loss_limit: float | None = 500.0
    max_consecutive_losses: int | None = 5
    min_payout: float | None = None
    allow_real: bool = False

    def __post_init__(self) -> None:
        for name in ("max_stake", "max_open_trades", "max_trades_per_hour", "daily_loss_limit",
                     "max_consecutive_losses", "min_payout"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value < 0):
                raise ValueError(f"risk limit {name} must be a non-negative number or None, got {value!r}")


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """An order about to be placed. ``payout`` is the broker's percent (e.g. 92), None when unknown."""

    asset: str
    direction: Direction
    amount: float
    expiry: int
    payout: float | None = None
    is_real: bool = False
    asset_open: bool = True


@dataclass(frozen=True, slots=True)
class AccountState:
    """What the guard needs to know about the account at the time of the order.

    ``recent_trade_times`` are the placement times (Unix seconds) of recent orders (older ones are
    ignored); ``today_pnl`` is the profit of today's closed trades (negative for a loss);
    ``balance`` is None when unknown; ``open_stakes`` is the total stake of trades still open
    (what they can still lose).
    """

    open_trades: int = 0
    recent_trade_times: tuple[float, ...] = field(default_factory=tuple)
    today_pnl: float = 0.0
    consecutive_losses: int = 0
    balance: float | None = None
    open_stakes: float = 0.0


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """The guard's answer: ``allowed``, and for a refusal the ``rule`` and a human ``reason``."""

    allowed: bool
    rule: str | None
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = RiskDecision(True, None, "allowed")


def _refuse(rule: str, reason: str) -> RiskDecision:
    return RiskDecision(False, rule, reason)


class RiskGuard:
    """Pure order check against :class:`RiskLimits`."""

    def __init__(self, limits: RiskLimits | None = None) -> None:
        self.limits = limits or RiskLimits()

    def check(self, order: OrderIntent, state: AccountState, now: float) -> RiskDecision:
        """Allow or refuse ``order`` given ``state`` at time ``now`` (Unix seconds)."""
        for rule in (self._order_rules, self._account_rules):
            decision = rule(order, state, now)
            if decision is not None:
                return decision
        return ALLOWED

    def _order_rules(self, order: OrderIntent, state: AccountState, now: float) -> RiskDecision | None:
        limits = self.limits
        amount = order.amount
        if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount) or amount <= 0:
            return _refuse("amount", f"stake must be a positive amount, got {amount!r}")
        if order.is_real and not limits.allow_real:
            return _refuse("real_account", "real-account trading is off: enable allow_real in the config "
                                           "and confirm on the command (--real)")
        if not order.asset_open:
            return _refuse("asset_closed", f"{order.asset} is closed for trading now")
        if limits.max_stake is not None and amount > limits.max_stake:
            return _refuse("max_stake", f"stake {amount:g} is over the maximum stake {limits.max_stake:g}")
        if state.balance is not None and amount > state.balance:
            return _refuse("balance", f"stake {amount:g} is more than the balance {state.balance:g}")
        if limits.min_payout is not None:
            if order.payout is None:
                return _refuse("min_payout", f"payout of {order.asset} is unknown; minimum is {limits.min_payout:g}%")
            if order.payout < limits.min_payout:
                return _refuse("min_payout", f"payout {order.payout:g}% of {order.asset} is below the minimum "
                                             f"{limits.min_payout:g}%")
        return None

    def _account_rules(self, order: OrderIntent, state: AccountState, now: float) -> RiskDecision | None:
        limits = self.limits
        if limits.max_open_trades is not None and state.open_trades >= limits.max_open_trades:
            return _refuse("max_open_trades", f"{state.open_trades} trades are open; the maximum is "
                                              f"{limits.max_open_trades}")
        if limits.max_trades_per_hour is not None:
            last_hour = sum(1 for t in state.recent_trade_times if now - HOUR < t <= now)
            if last_hour >= limits.max_trades_per_hour:
                return _refuse("max_trades_per_hour", f"{last_hour} trades in the last hour; the maximum is "
                                                      f"{limits.max_trades_per_hour} per hour")
        if limits.daily_loss_limit is not None:
            loss = max(0.0, -state.today_pnl)
            at_risk = loss + max(0.0, state.open_stakes) + order.amount
            if at_risk > limits.daily_loss_limit:
                open_part = f", open stakes {state.open_stakes:g}" if state.open_stakes else ""
                return _refuse("daily_loss_limit", f"today's loss {loss:g}{open_part} and this stake {order.amount:g} "
                                                   f"could lose {at_risk:g}, over the daily loss limit "
                                                   f"{limits.daily_loss_limit:g}")
        if limits.max_consecutive_losses is not None and state.consecutive_losses >= limits.max_consecutive_losses:
            return _refuse("max_consecutive_losses", f"{state.consecutive_losses} losses in a row; trading stops "
                                                     f"after {limits.max_consecutive_losses}")
        return None
