"""The trade journal's records and write rules, shared by the synchronous path and the journal's writer thread.

A :class:`JournalWrite` is one change to the journal (an attempt, a status change, a result) with every
value fixed when it is made (times included), so applying it now or later on the writer thread gives the
same row. :meth:`JournalWrite.apply_to` is the one rule for what a write does to a record: the database
applies it to the stored row, and a deferred write applies it to the record in memory to answer at once.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field, fields
from typing import Any

from quantumflux.core.model import Outcome

ACCOUNTS = ("demo", "real", "paper")  # paper: simulated fills of the strategy runner
STATUSES = ("pending", "confirmed", "refused", "failed", "unconfirmed", "closed")
#: An order whose outcome is still ahead: not yet answered, or placed and not yet closed.
OPEN_STATUSES = ("pending", "confirmed", "unconfirmed")
#: Placed (or possibly placed) and not closed: the result is what to wait for.
AWAITING_RESULT = ("confirmed", "unconfirmed")
#: Refused or failed: never placed, so never counted by the risk guard.
NOT_PLACED = ("refused", "failed")
_ALLOWED_FROM = {
    "confirmed": ("pending", "unconfirmed", "failed"),  # the broker's own evidence beats a page failure
    "refused": ("pending",),
    "failed": ("pending", "unconfirmed"),
    "unconfirmed": ("pending",),
    "closed": AWAITING_RESULT,
}
_SECRET = re.compile(r"""(?i)(["']?(?:session|auth|cookie|token|ssid)["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;}]+)""")


class JournalError(Exception):
    """A journal operation that cannot be applied (unknown trade, impossible status change)."""


class DuplicateOrderError(JournalError):
    """``record_attempt`` with a client id the journal already holds: the order must not be placed again."""

    def __init__(self, existing: TradeRecord) -> None:
        super().__init__(f"order {existing.client_id} already exists (status {existing.status})")
        self.existing = existing


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One order as the journal holds it. Times are Unix seconds (UTC)."""

    client_id: str
    asset: str
    direction: str
    amount: float
    expiry: int
    source: str
    account: str
    status: str
    requested_at: float
    payout: float | None = None
    deal_id: str | None = None
    open_price: float | None = None
    close_price: float | None = None
    profit: float | None = None
    outcome: str | None = None
    reason: str | None = None
    confirmed_at: float | None = None
    closed_at: float | None = None
    #: The broker's deal open time and planned close time (UTC seconds with milliseconds: ``openTimestamp``
    #: + ``openMs``), from the deal that confirmed the order; ``closed_at`` is the deal's close time.
    opened_at: float | None = None
    expires_at: float | None = None


COLUMNS = tuple(f.name for f in fields(TradeRecord))


def scrub(text: str | None) -> str | None:
    """Remove anything that looks like a session/auth value from free text."""
    return None if text is None else _SECRET.sub(r"\1<redacted>", text)


@dataclass(frozen=True, slots=True)
class JournalWrite:
    """One change to the journal, with every value already fixed (see the module docstring).

    ``status`` is the status it leads to: ``pending`` inserts ``record`` (a new order); ``closed`` records a
    result (``profit`` decides whether a repeat is harmless); any other status is a status change with
    ``changes`` to the columns. ``client_id`` or, for a result, ``deal_id`` names the order.
    """

    status: str
    client_id: str | None
    at: float
    detail: str | None
    changes: dict[str, Any] = field(default_factory=dict)
    record: TradeRecord | None = None
    deal_id: str | None = None
    profit: float | None = None

    @classmethod
    def attempt(cls, record: TradeRecord) -> JournalWrite:
        return cls("pending", record.client_id, record.requested_at,
                   f"{record.source} {record.direction} {record.amount:g}", record=record)

    @classmethod
    def change(cls, client_id: str, status: str, changes: dict[str, Any], detail: str | None,
               at: float) -> JournalWrite:
        scrubbed = {key: scrub(value) if key == "reason" else value for key, value in changes.items()}
        return cls(status, client_id, at, scrub(detail), scrubbed)

    @classmethod
    def result(cls, deal_id: str | None, client_id: str | None, profit: float, close_price: float | None,
               closed_at: float, outcome: Outcome | str | None) -> JournalWrite:
        if client_id is None and deal_id is None:
            raise ValueError("give a deal id or a client id")
        result = Outcome(str(outcome)) if outcome else Outcome.from_profit(profit, True)
        changes: dict[str, Any] = {"profit": float(profit), "outcome": result.value, "closed_at": closed_at}
        if close_price is not None:
            changes["close_price"] = close_price
        return cls("closed", client_id, closed_at, f"{result.value} {profit:+g}", changes, deal_id=deal_id,
                   profit=float(profit))

    @property
    def allowed_from(self) -> tuple[str, ...]:
        """The statuses this write may change (empty for an attempt)."""
        return _ALLOWED_FROM.get(self.status, ())

    def missing(self) -> JournalError:
        """The error for a write whose order the journal does not hold."""
        if self.client_id is not None:
            return JournalError(f"no trade with client id {self.client_id!r} in the journal")
        return JournalError(f"no trade with deal id {self.deal_id!r} in the journal")

    def apply_to(self, current: TradeRecord | None) -> TradeRecord | None:
        """The record after this write, from the ``current`` one (None: the journal has no such order).

        Returns None when the write changes nothing (a repeated confirmation, refusal or the same result);
        raises DuplicateOrderError (an attempt for a known client id) or JournalError (no such order, an
        impossible status change, a different result for a closed trade).
        """
        if self.status == "pending":
            if current is not None:
                raise DuplicateOrderError(current)
            return self.record
        if current is None:
            raise self.missing()
        if self.status == "closed" and current.status == "closed":
            if current.profit is not None and self.profit is not None and abs(current.profit - self.profit) < 1e-9:
                return None
            raise JournalError(f"trade {current.client_id} is closed with profit {current.profit}, not {self.profit}")
        if current.status == self.status and self.status != "closed":
            return None  # repeated confirmation/refusal: idempotent
        if current.status not in _ALLOWED_FROM[self.status]:
            raise JournalError(f"trade {current.client_id} is {current.status}; it cannot become {self.status}")
        return dataclasses.replace(current, status=self.status, **self.changes)
