"""Attaching to DevTools on another machine is allowed but never silent: DevTools has no authentication."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from quantumflux.browser.chrome import devtools_version
from quantumflux.services.terminal_session import free_port

REMOTE = "192.0.2.1"  # TEST-NET-1: never answers


def test_a_non_loopback_devtools_host_is_warned_about_once(caplog):
    caplog.set_level(logging.WARNING)
    port = free_port()
    assert devtools_version(REMOTE, port, timeout=0.3) is None
    assert devtools_version(REMOTE, port, timeout=0.3) is None
    warnings = [r.getMessage() for r in caplog.records if REMOTE in r.getMessage()]
    assert len(warnings) == 1 and "no authentication" in warnings[0]
    caplog.clear()
    assert devtools_version("127.0.0.1", port, timeout=0.3) is None
    assert devtools_version("localhost", port, timeout=0.3) is None
    assert not caplog.records


def test_the_cli_warns_before_it_tries_a_remote_attach(tmp_path: Path):
    env = {**os.environ, "QF_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "quantumflux", "profile", "--attach", f"{REMOTE}:9222"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 3, result.stderr
    assert "no authentication" in result.stderr and "192.0.2.1:9222" in result.stderr
    local = subprocess.run([sys.executable, "-m", "quantumflux", "profile", "--attach", f"127.0.0.1:{free_port()}"],
                           capture_output=True, text=True, timeout=60, env=env)
    assert local.returncode == 3 and "no authentication" not in local.stderr
