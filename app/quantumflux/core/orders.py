"""What an order's values may be, read from what a person or a script typed: expiry and stake.

Pure: the API validates requests with these, the trading session parses orders with them, and the page
automation reads the page's expiry clock with :func:`parse_clock`.
"""

from __future__ import annotations

import math
import re

_EXPIRY = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")


def parse_clock(text: str) -> int | None:
    """``00:01:30`` → 90; None when not a clock."""
    parts = text.strip().split(":")
    if not parts or not all(part.strip().isdigit() for part in parts):
        return None
    total = 0
    for part in parts:
        total = total * 60 + int(part)
    return total


def parse_expiry(value: int | str) -> int:
    """Expiry in whole seconds from ``60``, ``60s``, ``1m``, ``1m30s``, ``1h`` or ``00:01:30``."""
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    else:
        text = str(value).strip().lower()
        if ":" in text:
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


def parse_amount(amount: float) -> float:
    """The stake as the page types it: whole cents (2.5, 2.55); more decimals are a ValueError."""
    value = float(amount)
    if not math.isfinite(value):
        raise ValueError(f"amount must be a finite number, got {amount!r}")
    if abs(value - round(value, 2)) > 1e-9:
        raise ValueError(f"amount {amount!r} has more than two decimals")
    return round(value, 2)
