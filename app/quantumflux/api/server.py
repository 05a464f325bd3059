"""The API's HTTP server: uvicorn, with the process tuned for answering quickly next to the capture threads.

``quantumflux api`` and the benchmark serve through :class:`Server`; the terminal's embedded API shares the Qt
process, which the terminal tunes the same way (:func:`quantumflux.runtime.tune_interpreter`).
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn

from quantumflux.runtime import tune_interpreter


class Server(uvicorn.Server):
    """uvicorn serving ``app`` on ``host:port`` (or on already bound ``sockets``); ``run()`` blocks."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        super().__init__(uvicorn.Config(app, host=host, port=port, log_level="warning"))

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        tune_interpreter()  # the app, its routes and the application's parts exist now
