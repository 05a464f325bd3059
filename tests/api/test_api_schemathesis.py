"""Schemathesis over the served OpenAPI schema: no generated request gets a server error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from quantumflux.config import Settings
from quantumflux.services.application import Application

TOKEN = "t" * 43


def _serve():
    conftest = next(m for name, m in sys.modules.items() if name.endswith("conftest") and hasattr(m, "serve"))
    return conftest.serve


@pytest.fixture(scope="module")
def served():
    data_root = Path(__file__).resolve().parents[2] / "data"
    import tempfile

    tmp = tempfile.TemporaryDirectory()
    service = Application(Settings(data_root=data_root), journal_path=Path(tmp.name) / "journal.sqlite").service
    with _serve()(service) as url:
        yield url
    service.close()
    tmp.cleanup()


def test_no_server_errors(served):
    schema = schemathesis.openapi.from_url(f"{served}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    checked: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case) -> None:
            response = case.call(base_url=served, headers={"Authorization": f"Bearer {TOKEN}"})
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}")
            content_type = response.headers.get("content-type", "")
            content_type = content_type[0] if isinstance(content_type, list) else content_type
            assert content_type.startswith("application/json"), content_type

        run()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert "GET /candles/{asset}" in checked and "POST /backtests" in checked
