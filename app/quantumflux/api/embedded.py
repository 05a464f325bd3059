"""The API server embedded in another asyncio loop (the terminal's Qt loop, through qasync).

The terminal runs on a ``qasync.QEventLoop``; this schedules ``uvicorn.Server.serve()`` as
an asyncio task on the running loop, so the API and the GUI share one thread and one loop. Signal
handling stays with the terminal (uvicorn's own handlers are not installed).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn

from quantumflux.api.app import create_app
from quantumflux.api.security import load_or_create_token
from quantumflux.config import check_bind_host
from quantumflux.services.facade import QuantumFluxService


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the terminal owns SIGINT/SIGTERM
        yield


class EmbeddedApi:
    """``start()`` serves the API over ``service`` (the terminal's application facade) on the running asyncio
    loop; ``stop()`` asks it to finish. The application stays the terminal's: ``close()`` only stops serving.

    ``start()`` raises :class:`~quantumflux.config.ConfigError` for a non-loopback ``api_host``
    unless ``api_allow_remote`` is set (the rule ``quantumflux api`` follows).
    """

    def __init__(self, service: QuantumFluxService, token: str | None = None) -> None:
        self.service = service
        self.settings = service.settings
        self.token = token or load_or_create_token()
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.settings.api_host}:{self.settings.api_port}"

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def started(self) -> bool:
        return bool(self._server is not None and self._server.started)

    def start(self) -> None:
        if self.running:
            return
        allow_remote = self.settings.api_allow_remote
        check_bind_host(self.settings.api_host, allow_remote)  # the same rule as `quantumflux api`
        app = create_app(self.service, self.token, allow_remote=allow_remote)
        config = uvicorn.Config(app, host=self.settings.api_host, port=self.settings.api_port, log_level="warning")
        self._server = _QuietServer(config)
        self._task = asyncio.get_event_loop().create_task(self._server.serve())

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True

    async def wait_stopped(self) -> None:
        if self._task is not None:
            await self._task

    def close(self) -> None:
        self.stop()
