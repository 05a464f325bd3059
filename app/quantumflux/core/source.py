"""Automatic source sensing: is an asset's chart LIVE, CONNECTING, STALE or HISTORICAL?

Pure and clock-driven (the caller passes ``now``), so the GUI, the API and tests agree
on what the badge says. The rules, per asset:

- LIVE: a tick for this asset arrived within ``stale_after`` seconds.
- STALE: the last tick is older than that but younger than ``historical_after``
  (the badge shows its age).
- CONNECTING: no recent tick yet, but a broker socket is open (or opened within
  ``historical_after``) — frames should start flowing.
- HISTORICAL: otherwise; the chart shows stored data (with its date range).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SourceState(enum.StrEnum):
    LIVE = "LIVE"
    CONNECTING = "CONNECTING"
    STALE = "STALE"
    HISTORICAL = "HISTORICAL"


@dataclass(frozen=True, slots=True)
class SourceStatus:
    state: SourceState
    asset: str
    last_tick_age: float | None = None

    def describe(self) -> str:
        if self.state is SourceState.STALE and self.last_tick_age is not None:
            return f"STALE ({self.last_tick_age:.0f}s)"
        return self.state.value


class SourceMonitor:
    """Tracks the socket and per-asset tick arrival times; answers ``status(asset, now)``."""

    def __init__(self, *, stale_after: float = 5.0, historical_after: float = 30.0) -> None:
        if not 0 < stale_after < historical_after:
            raise ValueError("need 0 < stale_after < historical_after")
        self.stale_after = stale_after
        self.historical_after = historical_after
        self._last_tick: dict[str, float] = {}
        self._connected = False
        self._connection_changed_at: float | None = None

    def on_connection(self, connected: bool, now: float) -> None:
        """A broker socket opened (True) or the last one closed (False)."""
        if connected != self._connected:
            self._connected = connected
            self._connection_changed_at = now

    def on_tick(self, asset: str, now: float) -> None:
        self._last_tick[asset] = now

    @property
    def connected(self) -> bool:
        return self._connected

    def status(self, asset: str, now: float) -> SourceStatus:
        last = self._last_tick.get(asset)
        age = None if last is None else max(0.0, now - last)
        if age is not None and age <= self.stale_after:
            return SourceStatus(SourceState.LIVE, asset, age)
        if age is not None and age <= self.historical_after:
            return SourceStatus(SourceState.STALE, asset, age)
        if self._connected and (
            self._connection_changed_at is None or now - self._connection_changed_at <= self.historical_after
        ):
            return SourceStatus(SourceState.CONNECTING, asset, age)
        return SourceStatus(SourceState.HISTORICAL, asset, age)
