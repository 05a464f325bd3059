"""Domain model: frozen, typed values shared by every layer.

Times are UTC Unix seconds (float). ``Tick`` is a NamedTuple because millions are
created per second on the hot path; everything else is a frozen slotted dataclass.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

# --------------------------------------------------------------------------- time


def to_seconds(value: float | int | str) -> float:
    """Normalise a broker timestamp to Unix seconds (values above 1e12 are milliseconds)."""
    v = float(value)
    return v / 1000.0 if v > 1e12 else v


def iso_utc(t: float, millis: bool = False) -> str:
    """``2026-01-02T03:04:00Z`` (or with ``.123`` milliseconds)."""
    dt = datetime.fromtimestamp(t, tz=UTC)
    if millis:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------- timeframe

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_TF_RE = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$", re.IGNORECASE)
_TF_RE_PREFIX = re.compile(r"^\s*([smhdw])\s*(\d+)\s*$", re.IGNORECASE)  # M1, H4, S5

#: Candle periods the broker offers (seconds).
BROKER_PERIODS: tuple[int, ...] = (
    5, 10, 15, 30, 60, 120, 180, 300, 600, 900, 1800, 2700, 3600, 7200, 10800, 14400, 86400,
)


@dataclass(frozen=True, slots=True, order=True)
class Timeframe:
    """A candle period in whole seconds (5 s … 1 d). ``str()`` is canonical: ``5s``, ``1m``, ``4h``, ``1d``."""

    seconds: int

    def __post_init__(self) -> None:
        if not isinstance(self.seconds, int) or isinstance(self.seconds, bool) or self.seconds <= 0:
            raise ValueError(f"timeframe must be a positive whole number of seconds, got {self.seconds!r}")
        if self.seconds > 86400 * 7:
            raise ValueError(f"timeframe {self.seconds}s is longer than a week")

    @classmethod
    def parse(cls, text: str | int | Timeframe) -> Timeframe:
        """Parse ``5s``, ``1m``, ``1h``, ``1d``, ``60`` (seconds), ``M1``/``H4`` or ``1M`` (minutes)."""
        if isinstance(text, Timeframe):
            return text
        if isinstance(text, int) and not isinstance(text, bool):
            return cls(text)
        s = str(text)
        m = _TF_RE.match(s)
        if m:
            n, unit = int(m.group(1)), (m.group(2) or "s").lower()
        else:
            m = _TF_RE_PREFIX.match(s)
            if not m:
                raise ValueError(f"not a timeframe: {text!r} (use e.g. 5s, 1m, 15m, 1h, 4h, 1d or seconds)")
            unit, n = m.group(1).lower(), int(m.group(2))
        if n <= 0:
            raise ValueError(f"not a timeframe: {text!r} (must be positive)")
        return cls(n * _UNITS[unit])

    def __str__(self) -> str:
        for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
            if self.seconds % size == 0:
                return f"{self.seconds // size}{unit}"
        return f"{self.seconds}s"

    @property
    def label(self) -> str:
        """Upper-case label used in directory names: ``1M``, ``5M``, ``1H``, ``5S``, ``1D``."""
        return str(self).upper()

    def floor(self, t: float) -> float:
        """Start of the period containing ``t``: ``floor(t/P)*P``."""
        p = self.seconds
        return float((t // p) * p)


# ------------------------------------------------------------------------ market


class Tick(NamedTuple):
    """One price observation. ``time`` is true UTC seconds (offset-corrected)."""

    asset: str
    time: float
    price: float


@dataclass(frozen=True, slots=True)
class Candle:
    """OHLC over ``[time, time + timeframe)``. ``volume`` is the tick count (0 when unknown)."""

    asset: str
    timeframe: int
    time: float
    open: float
    high: float
    low: float
    close: float
    volume: int = 0
    #: True for a candle whose period began before its source started watching (the first
    #: candle of a live session): its open/high/low may be incomplete. Stores skip it.
    partial: bool = False

    @property
    def end(self) -> float:
        return self.time + self.timeframe


class AssetType(enum.StrEnum):
    """The asset class of an ``updateAssets`` row (field 3). Values are the broker's own words."""

    CURRENCY = "currency"
    CRYPTO = "cryptocurrency"  # the real broker's word (verified in published updateAssets snapshots)
    STOCK = "stock"
    INDEX = "index"
    COMMODITY = "commodity"
    OTHER = "other"

    @classmethod
    def parse(cls, value: object) -> AssetType:
        """The type for a broker value; ``crypto`` is kept as an alias of ``cryptocurrency``; unknown → OTHER."""
        text = str(value).strip().lower()
        try:
            return cls(_ASSET_TYPE_ALIASES.get(text, text))
        except ValueError:
            return cls.OTHER


_ASSET_TYPE_ALIASES = {"crypto": "cryptocurrency"}


@dataclass(frozen=True, slots=True)
class Asset:
    """A tradable instrument as the broker lists it (``updateAssets`` row)."""

    symbol: str
    label: str = ""
    type: AssetType = AssetType.OTHER
    payout: float = 0.0
    otc: bool = False
    active: bool = True
    digits: int = 5
    allowed_timeframes: tuple[int, ...] = ()
    id: int | None = None
    min_expiry: int | None = None
    default_expiry: int | None = None

    @property
    def display_name(self) -> str:
        return self.label or self.symbol


def normalise_symbol(text: str) -> str:
    """Loose key for matching user input to a symbol: ``eur/usd otc`` → ``EURUSD_OTC``."""
    s = text.strip().upper().replace("/", "").replace(" ", "_").replace("-", "")
    return s.replace("__", "_")


# ------------------------------------------------------------------------ account


@dataclass(frozen=True, slots=True)
class Balance:
    amount: float
    is_demo: bool
    currency: str = ""


class Direction(enum.StrEnum):
    CALL = "call"
    PUT = "put"

    @classmethod
    def parse(cls, value: object) -> Direction:
        """Accepts ``call``/``put``, ``up``/``down``, ``buy``/``sell`` and the broker's 0/1 ``command``."""
        v = str(value).strip().lower()
        if v in {"call", "up", "buy", "0", "higher"}:
            return cls.CALL
        if v in {"put", "down", "sell", "1", "lower"}:
            return cls.PUT
        raise ValueError(f"not a direction: {value!r} (use call or put)")


class Outcome(enum.StrEnum):
    WIN = "win"
    DRAW = "draw"
    LOSS = "loss"
    UNKNOWN = "unknown"

    @classmethod
    def from_profit(cls, profit: float | None, closed: bool) -> Outcome:
        """Profit > 0 win, == 0 draw, < 0 loss; a deal whose close was not seen is unknown."""
        if not closed or profit is None:
            return cls.UNKNOWN
        if profit > 0:
            return cls.WIN
        if profit < 0:
            return cls.LOSS
        return cls.DRAW


@dataclass(frozen=True, slots=True)
class Deal:
    """A broker deal (an opened or closed binary option)."""

    id: str
    asset: str
    direction: Direction
    amount: float
    open_time: float | None = None
    close_time: float | None = None
    open_price: float | None = None
    close_price: float | None = None
    profit: float | None = None
    payout: float | None = None
    is_demo: bool = True
    request_id: str | None = None
    closed: bool = False
    currency: str = ""

    @property
    def outcome(self) -> Outcome:
        return Outcome.from_profit(self.profit, self.closed)

    @property
    def expiry(self) -> float | None:
        if self.open_time is None or self.close_time is None:
            return None
        return self.close_time - self.open_time


@dataclass(frozen=True, slots=True)
class PendingOrder:
    """A pending order (``openPendingOrder``): a trade the broker opens later, at a time or at a price.

    ``kind`` is ``time`` (broker ``openType`` 0: open at ``open_time``) or ``price`` (``openType`` 1: open when
    the price reaches ``open_price``); ``timeframe`` is the expiry in seconds once opened; ``min_payout`` the
    lowest payout percent the order accepts. ``open_time`` is UTC seconds (None when not given).
    """

    ticket: str
    asset: str
    direction: Direction
    amount: float
    kind: str
    open_time: float | None = None
    open_price: float | None = None
    timeframe: int | None = None
    min_payout: float | None = None
    created: float | None = None


@dataclass(frozen=True, slots=True)
class PageChoice:
    """The asset and candle period the PocketOption page shows (from ``changeSymbol``/``updateCharts``)."""

    asset: str
    period: int


@dataclass(frozen=True, slots=True)
class Signal:
    """A strategy's decision on a closed candle. Never random: ``rule`` and ``values`` say why."""

    asset: str
    direction: Direction
    time: float
    timeframe: int
    expiry: int
    strategy: str
    rule: str
    confidence: float = 1.0
    values: dict[str, float] = field(default_factory=dict)
