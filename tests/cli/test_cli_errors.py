"""Mistakes on the command line and in the config get one ``error:`` line and the documented exit code."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from quantumflux.api.security import load_or_create_token


def _run(*args: str, home: Path, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "QF_HOME": str(home), **(env or {})}
    return subprocess.run([sys.executable, "-m", "quantumflux", *args], capture_output=True, text=True,
                          timeout=timeout, env=environment)


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


# ------------------------------------------------------------------ API token


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_regenerated_token_file_is_owner_only(tmp_path: Path):
    path = tmp_path / "api-token"
    path.write_text("short\n")  # too short: regenerated in place
    path.chmod(0o644)
    token = load_or_create_token(path)
    assert len(token) >= 32 and path.read_text().strip() == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_api_token_prints_only_the_token_on_stdout(tmp_path: Path):
    result = _run("api", "token", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1 and len(result.stdout.strip()) >= 32
    assert result.stdout.strip() == (tmp_path / "api-token").read_text().strip()
    assert "stored in" in result.stderr


# ------------------------------------------------------------- configuration


@pytest.mark.parametrize(("config", "env", "named"), [
    ("{broken", {}, "config.json"),
    ('{"chrome_prot": 9222}', {}, "chrome_prot"),
    ('{"chrome_port": "abc"}', {}, "chrome_port in"),
    (None, {"QF_CHROME_PORT": "abc"}, "QF_CHROME_PORT"),
    (None, {"QF_API_PORT": "70000"}, "QF_API_PORT"),
    (None, {"QF_CSV_FSYNC": "sometimes"}, "QF_CSV_FSYNC"),
])
def test_a_bad_setting_is_one_line_and_exit_2(tmp_path: Path, config: str | None, env: dict[str, str], named: str):
    if config is not None:
        (tmp_path / "config.json").write_text(config)
    result = _run("assets", home=tmp_path, env=env)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert named in _one_error_line(result)


# ------------------------------------------------------------------ api command


def test_api_port_out_of_range_is_a_usage_error(tmp_path: Path):
    result = _run("api", "--no-attach", "--port", "99999", home=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "99999" in _one_error_line(result)


def test_api_on_a_port_in_use_is_a_general_error_not_no_browser(tmp_path: Path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run("api", "--no-attach", "--port", str(port), home=tmp_path)
    assert result.returncode == 1, (result.returncode, result.stderr)
    line = _one_error_line(result)
    assert str(port) in line and "in use" in line


def test_api_refuses_a_wildcard_bind_without_allow_remote(tmp_path: Path):
    result = _run("api", "--no-attach", "--host", "0.0.0.0", home=tmp_path)
    assert result.returncode == 2
    assert "0.0.0.0" in _one_error_line(result)
