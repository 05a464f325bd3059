"""Trade results: :class:`TradeResult` (what became of one order); expiry/amount parsing lives in core.orders."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from quantumflux.core.model import Outcome
from quantumflux.core.orders import parse_amount, parse_expiry
from quantumflux.storage.journal import AWAITING_RESULT, TradeRecord

__all__ = ["STATUSES", "TradeResult", "parse_amount", "parse_expiry"]

STATUSES = ("confirmed", "refused", "failed", "unconfirmed", "closed", "pending", "dry-run")


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
