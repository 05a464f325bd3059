"""Short form of the collector soak (bench/soak.py): ~70 s, six faults, one of each kind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(240)
def test_short_soak_meets_the_floors() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), "--seconds", "70", "--faults", "6", "--json"],
        capture_output=True, text=True, timeout=220, cwd=ROOT,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stderr[-3000:]
    report = json.loads(lines[-1])
    assert report["failed"] == [], report
    assert result.returncode == 0
    assert {r["fault"] for r in report["recoveries"]} == {
        "socket_drop", "refused_reconnect", "server_restart", "page_reload", "browser_kill"}
    assert report["coverage_pct"] >= 99.5 and report["ticks_emitted_while_connected"] > 500
    assert report["max_recovery_s"] <= 5.0 and report["unrecovered_faults"] == 0
    assert report["duplicate_rows"] == 0 and report["parse_errors"] == []
    assert report["candles_disagreeing"] == 0 and report["candle_rows"] > 0
    assert report["collector_alive"] and report["browser_restarts"] == 1
    assert report["decoder_malformed"] > 0  # the 1% malformed frames really arrived and were skipped
