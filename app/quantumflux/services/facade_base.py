"""What every part of the facade shares: the error callers can act on, the user-input timeframe, the base.

See :mod:`quantumflux.services.facade` for the facade itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from quantumflux.core.model import Timeframe

if TYPE_CHECKING:
    from quantumflux.services.application import Application


class ServiceError(Exception):
    """A failure the caller can act on; ``status`` follows HTTP (400 bad input, 404 unknown, 409 not possible in the current state)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def timeframe_of(text: str | int | Timeframe, what: str = "timeframe") -> Timeframe:
    """A timeframe from user input; a bad one is a 400 naming ``what``."""
    try:
        return Timeframe.parse(text)
    except ValueError as exc:
        raise ServiceError(f"{what}: {exc}") from exc


class OperationsBase:
    """The application a facade part works on, and helpers every part uses."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.settings = app.settings
        self.market = app.market

    def _connected(self, what: str) -> Application:
        if not self.app.connected:
            raise ServiceError(f"{what} needs a live capture: start against a browser (or with --demo)", 409)
        return self.app

    def _data_path(self, data: str | Path) -> Path:
        """A data folder or CSV file named by a caller."""
        return Path(data).expanduser()
