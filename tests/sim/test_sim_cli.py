"""``quantumflux sim`` as a user runs it: prints the address, serves, exits 0 on SIGTERM."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request

import pytest

from quantumflux.cli.main import main


def test_sim_command_serves_until_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "quantumflux", "sim", "--port", "0", "--assets", "4", "--faults", "slow_buttons_ms=250"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line + process.stderr.read()
        with urllib.request.urlopen(match.group(0) + "page-config.json", timeout=5) as answer:
            assert json.loads(answer.read())["slow_buttons_ms"] == 250
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        assert "stopped" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sim", "--host", "0.0.0.0"], "loopback-only"),
        (["sim", "--faults", "bogus=1"], "unknown fault"),
        (["sim", "--replay", "/nonexistent/recording.csv"], "replay path not found"),
        (["sim", "--assets", "500"], "asset count"),
        (["sim", "--tick-jitter", "1.5"], "tick jitter must be a fraction"),
    ],
)
def test_sim_command_refuses_bad_options(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_sim_command_reports_a_busy_port(capsys):
    from quantumflux.sim import PracticeBroker

    with PracticeBroker(assets=2) as busy:
        assert main(["sim", "--port", str(busy.port), "--assets", "2"]) == 1
    assert "address already in use" in capsys.readouterr().err
