"""A real uvicorn server on loopback around the service facade."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from quantumflux.api.app import create_app
from quantumflux.config import Settings
from quantumflux.services.application import Application
from quantumflux.services.facade import QuantumFluxService
from quantumflux.services.terminal_session import free_port

DATA_ROOT = Path(__file__).resolve().parents[2] / "data"
TOKEN = "t" * 43


@contextmanager
def serve(service: QuantumFluxService, **app_options: object) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(create_app(service, TOKEN, **app_options), host="127.0.0.1", port=port,  # type: ignore[arg-type]
                            log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def stored_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[QuantumFluxService]:
    monkeypatch.setenv("QF_HOME", str(tmp_path / "home"))
    # Sample data is read from the checkout; output (journal) goes to a temp data root copy.
    service = Application(Settings(data_root=DATA_ROOT), journal_path=tmp_path / "journal.sqlite").service
    yield service
    service.close()


@pytest.fixture
def stored_api(stored_service: QuantumFluxService) -> Iterator[httpx.Client]:
    with serve(stored_service) as url, httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"},
                                                     timeout=30) as client:
        yield client


@pytest.fixture
def serve_api() -> object:
    """``serve(service, **create_app_options)`` for tests that need other app options."""
    return serve
