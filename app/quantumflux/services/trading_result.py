"""Trade values and results: expiry/amount parsing and :class:`TradeResult` (what became of one order)."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from quantumflux.core.model import Outcome
from quantumflux.storage.journal import AWAITING_RESULT, TradeRecord

STATUSES = ("confirmed", "refused", "failed", "unconfirmed", "closed", "pending", "dry-run")
_EXPIRY = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")


def parse_expiry(value: int | str) -> int:
    """Expiry in whole seconds from ``60``, ``60s``, ``1m``, ``1m30s``, ``1h`` or ``00:01:30``."""
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    else:
        text = str(value).strip().lower()
        if ":" in text:
            from quantumflux.browser.page_trade import parse_clock  # local: results stay Selenium-free

            seconds = parse_clock(text) or 0
        else:
            match = _EXPIRY.match(text)
            if not match or not text:
                raise ValueError(f"not an expiry: {value!r} (use e.g. 5s, 60s, 1m30s, 1h or 00:01:30)")
            hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
            seconds = hours * 3600 + minutes * 60 + secs
    if seconds <= 0:
        raise ValueError(f"expiry must be positive, got {value!r}")
    return seconds


@dataclass(frozen=True, slots=True)
class TradeResult:
    """What became of one order. ``status``: confirmed, refused, failed, unconfirmed, closed or dry-run."""

    client_id: str
    status: str
    asset: str
    direction: str
    amount: float
    expiry: int
    account: str
    reason: str | None = None
    rule: str | None = None
    deal_id: str | None = None
    payout: float | None = None
    open_price: float | None = None
    close_price: float | None = None
    outcome: str | None = None
    profit: float | None = None
    duplicate: bool = False

    @classmethod
    def from_record(cls, record: TradeRecord, duplicate: bool = False) -> TradeResult:
        rule = None
        if record.status == "refused" and record.reason and ":" in record.reason:
            rule = record.reason.split(":", 1)[0]
        outcome = record.outcome or (Outcome.UNKNOWN.value if record.status in AWAITING_RESULT else None)
        return cls(record.client_id, record.status, record.asset, record.direction, record.amount,
                   record.expiry, record.account, record.reason, rule, record.deal_id, record.payout,
                   record.open_price, record.close_price, outcome, record.profit, duplicate)

    @property
    def placed(self) -> bool:
        """The broker accepted the order (it may since have closed)."""
        return self.status in ("confirmed", "closed")

    def to_dict(self) -> dict[str, Any]:
        """Every field and the one-line ``message`` (the same for the API, the CLI and the terminal)."""
        return {**asdict(self), "message": self.message}

    @property
    def message(self) -> str:
        """One line for people (the GUI's trade handler returns it)."""
        what = f"{self.direction.upper()} {self.asset} {self.amount:g} for {self.expiry}s"
        if self.status == "closed":
            return f"{what}: {self.outcome} {self.profit:+.2f} (deal {self.deal_id})"
        if self.status == "confirmed":
            return f"{what}: confirmed by the broker (deal {self.deal_id})"
        return f"{what}: {self.status}" + (f" — {self.reason}" if self.reason else "")


def parse_amount(amount: float) -> float:
    """The stake as the page types it: whole cents (2.5, 2.55); more decimals are a ValueError."""
    value = float(amount)
    if not math.isfinite(value):
        raise ValueError(f"amount must be a finite number, got {amount!r}")
    if abs(value - round(value, 2)) > 1e-9:
        raise ValueError(f"amount {amount!r} has more than two decimals")
    return round(value, 2)
