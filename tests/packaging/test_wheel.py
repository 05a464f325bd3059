"""The wheel, installed into a clean venv, runs from outside the checkout with every resource found."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import urllib.request
import zipfile
from pathlib import Path

import pytest

from quantumflux import __version__

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _env(home: Path) -> dict[str, str]:
    """A clean environment with ``home`` as HOME (no QF_* settings, no PYTHONPATH)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QF_") and k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"), QT_QPA_PLATFORM="offscreen")
    return env


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` (compiled bytecode caches aside) with its size and modification time."""
    return {str(path): (path.stat().st_mtime_ns, path.stat().st_size) for path in root.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(venv: Path, cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "quantumflux"), *args], cwd=cwd, env=_env(cwd), capture_output=True, text=True,
        timeout=timeout,
    )


def _python(venv: Path, cwd: Path, code: str) -> str:
    result = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=cwd, env=_env(cwd),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_wheel_ships_the_resources(built_wheel: Path) -> None:
    names = set(zipfile.ZipFile(built_wheel).namelist())
    assert built_wheel.name == f"quantumflux-{__version__}-py3-none-any.whl"
    for required in ("quantumflux/resources/selectors.json", "quantumflux/resources/sim_page/index.html",
                     "quantumflux/resources/sim_page/app.js", "quantumflux/resources/strategies/ema_stoch.py",
                     "quantumflux/cli/main.py", "quantumflux/resources/icons/quantumflux.png",
                     "quantumflux/sample_data/__init__.py"):
        assert required in names
    assert any(name.startswith("quantumflux/sample_data/1M_candle_data/") for name in names)
    assert not any(name.startswith(("tests/", "app/", "data/")) for name in names)


def test_installed_package_comes_from_the_wheel(wheel_venv: Path, tmp_path: Path) -> None:
    first, second = _python(wheel_venv, tmp_path, (
        "import json, quantumflux; from quantumflux.resource_files import resource_path;"
        "from quantumflux.config import load_settings, user_data_dir;"
        "from quantumflux.browser.page import load_selectors;"
        "print(json.dumps({'module': quantumflux.__file__, 'selectors': str(resource_path('selectors.json')),"
        " 'names': len(load_selectors()), 'data_root': str(load_settings().data_root),"
        " 'home': str(user_data_dir())}));"
        "from quantumflux.services.stored_history import StoredHistory;"
        "print(json.dumps(StoredHistory.from_settings(load_settings()).assets()))"
    )).splitlines()
    info, sample_assets = json.loads(first), json.loads(second)
    site = str(wheel_venv)
    assert info["module"].startswith(site) and str(REPO / "app") not in info["module"]
    assert info["selectors"].startswith(site) and info["names"] > 0
    # An installed program keeps its data in the user data directory, never inside site-packages.
    assert info["data_root"] == str(tmp_path / ".local" / "share" / "quantumflux" / "data")
    assert not info["data_root"].startswith(site)
    # A first run shows the sample data shipped in the wheel.
    assert "EURUSD_otc" in sample_assets


def test_help_and_version_from_a_foreign_directory(wheel_venv: Path, tmp_path: Path) -> None:
    help_run = _run(wheel_venv, tmp_path, "--help")
    assert help_run.returncode == 0, help_run.stderr
    for command in ("sim", "collect", "terminal", "backtest"):
        assert command in help_run.stdout
    version_run = _run(wheel_venv, tmp_path, "--version")
    assert version_run.returncode == 0
    assert version_run.stdout.strip() == f"quantumflux {__version__}"


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine")
def test_sim_page_and_headless_collector_from_the_wheel(wheel_venv: Path, tmp_path: Path) -> None:
    installed_before = _snapshot(wheel_venv)
    sim = subprocess.Popen(
        [str(wheel_venv / "bin" / "quantumflux"), "sim", "--port", "0", "--assets", "4", "--tick-rate", "8"],
        cwd=tmp_path, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert sim.stdout is not None
        first = sim.stdout.readline()
        match = re.search(r"practice broker: (http://\S+)", first)
        assert match, first + (sim.stderr.read() if sim.poll() is not None and sim.stderr else "")
        url = match.group(1)
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
        assert response.status == 200 and "<html" in page.lower()
        with urllib.request.urlopen(url.rstrip("/") + "/static/app.js", timeout=10) as response:
            script = response.read().decode()
        assert script == (REPO / "resources" / "sim_page" / "app.js").read_text(encoding="utf-8")

        collect = _run(wheel_venv, tmp_path, "collect", "--launch", "--url", url, "--headless",
                       "--port", str(_free_port()), "--duration", "8", "--socket-timeout", "40", timeout=150)
        assert collect.returncode == 0, collect.stderr[-3000:]
    finally:
        sim.terminate()
        sim.wait(timeout=30)
    # Default data directory of an installed program: under the user data directory (HOME is tmp_path).
    stream = tmp_path / ".local" / "share" / "quantumflux" / "data" / "data_output" / "assets_data" / "realtime_stream"
    tick_files = sorted((stream / "1M_tick_data").glob("*_ticks_*.csv"))
    assert tick_files, collect.stderr[-3000:]
    rows = sum(len(path.read_text(encoding="utf-8").splitlines()) - 1 for path in tick_files)
    assert rows > 0
    assert "collected" in collect.stderr
    assert _snapshot(wheel_venv) == installed_before, "the installed program wrote inside its venv"
