"""The command line: fast help, version, clear errors on wrong flags."""

from __future__ import annotations

import subprocess
import sys
import time

from quantumflux import __version__


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quantumflux", *args], capture_output=True, text=True, timeout=60)


def test_version_is_the_one_version():
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"quantumflux {__version__}"


def test_help_is_fast_and_imports_nothing_heavy():
    # Warm the bytecode cache once, then time a cold process.
    _run("--help")
    started = time.perf_counter()
    result = _run("--help")
    elapsed = time.perf_counter() - started
    assert result.returncode == 0
    assert "usage: quantumflux" in result.stdout
    # The import set is what we can assert without timing noise: no heavy module at --help.
    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys; from quantumflux.cli.main import build_parser; build_parser();"
         "heavy=[m for m in ('PySide6','pyqtgraph','selenium','fastapi','pandas','talib','uvicorn','numpy') if m in sys.modules];"
         "print(','.join(heavy))"],
        capture_output=True, text=True, timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "", f"--help imported heavy modules: {probe.stdout.strip()}"
    print(f"quantumflux --help took {elapsed * 1000:.0f} ms")


def test_wrong_flag_is_a_usage_error():
    result = _run("--no-such-flag")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


def test_the_headless_collector_never_imports_qt():
    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys, quantumflux.cli.commands.collect, quantumflux.services.collector_run;"
         "print(','.join(m for m in ('PySide6', 'pyqtgraph', 'qasync') if m in sys.modules))"],
        capture_output=True, text=True, timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == ""
