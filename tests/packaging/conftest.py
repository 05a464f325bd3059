"""Fixtures for the packaging tests: an isolated copy of the sources, the built wheel, a clean venv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: What a source distribution holds: enough to build the wheel and the desktop build.
SOURCE_ITEMS = ("app", "resources", "data/sample", "packaging", "pyproject.toml", "setup.py", "README.md")


def copy_sources(target: Path) -> Path:
    """Copy the buildable sources (no build/, no caches, no data) so a build never touches the checkout."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in SOURCE_ITEMS:
        source = REPO / name
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, target / name)
    return target


def clean_env(home: Path) -> dict[str, str]:
    """Environment for a program under test: its own home, no QF_* settings, no PYTHONPATH, Qt offscreen."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QF_") and k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"), QT_QPA_PLATFORM="offscreen")
    return env


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip wheel . -w dist --no-deps`` on a copy of the sources; the path of the one wheel built."""
    work = tmp_path_factory.mktemp("wheel-build")
    source = copy_sources(work / "src")
    dist = work / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "-w", str(dist), "--no-deps", "-q"],
        cwd=source, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    wheels = sorted(dist.glob("quantumflux-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="session")
def wheel_venv(built_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; third-party dependencies come from the project venv.

    The project venv's site-packages is appended through a ``.pth`` line. Python does not run the
    ``.pth`` files of a directory added that way, so the project's editable install stays inert and
    ``quantumflux`` can only be imported from the wheel.
    """
    venv = tmp_path_factory.mktemp("wheel-venv") / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip())
    (site / "zz_project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "-q", str(built_wheel)],
        capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return venv
