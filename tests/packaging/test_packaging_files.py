"""Fast checks of the packaging files: one version, desktop entry, icon, spec and build script."""

from __future__ import annotations

import ast
import configparser
import importlib.util
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

import quantumflux
from quantumflux.resource_files import resource_path

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"


def _load_make_icon():
    spec = importlib.util.spec_from_file_location("make_icon", PACKAGING / "make_icon.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_version_is_written_once() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+([ab]|rc)?\d*", quantumflux.__version__)
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "quantumflux.__version__"}
    literal = re.compile(r"""(?:__version__|version)\s*=\s*["']\d+\.\d+""")
    holders = [path.relative_to(REPO).as_posix() for path in (REPO / "app").rglob("*.py")
               if literal.search(path.read_text(encoding="utf-8"))]
    assert holders == ["app/quantumflux/__init__.py"]


def test_window_title_shows_the_version(qtbot, tmp_path: Path) -> None:
    from quantumflux.gui.window import TerminalWindow

    window = TerminalWindow(settings_file=tmp_path / "terminal.ini")
    qtbot.addWidget(window)
    assert quantumflux.__version__ in window.windowTitle()


def test_desktop_entry_runs_the_console_script() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(PACKAGING / "quantumflux.desktop", encoding="utf-8")
    main = entry["Desktop Entry"]
    assert main["Type"] == "Application" and main["Name"] == "QuantumFlux"
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert main["Exec"].split()[0] in project["project"]["scripts"]
    assert main["Icon"] == "quantumflux" and main["Terminal"] == "false"
    assert main["Categories"].endswith(";")
    for action in main["Actions"].rstrip(";").split(";"):
        assert entry[f"Desktop Action {action}"]["Exec"].startswith("quantumflux ")


def test_icon_is_generated_from_the_committed_svg(qapp) -> None:
    from PySide6.QtGui import QImage

    make_icon = _load_make_icon()
    assert (PACKAGING / "quantumflux.svg").read_text(encoding="utf-8") == make_icon.svg_text()
    image = QImage(str(resource_path("icons", "quantumflux.png")))
    assert (image.width(), image.height()) == (256, 256)
    rendered = make_icon.render(make_icon.svg_text().encode(), 256)
    assert rendered.pixelColor(128, 128) == image.pixelColor(128, 128)  # the PNG is the SVG's rendering
    assert image.pixelColor(0, 0).alpha() == 0 and image.pixelColor(128, 128).alpha() == 255
    for name in ("quantumflux.ico", "quantumflux.icns"):
        assert (PACKAGING / name).stat().st_size > 1000


def test_spec_and_build_script_are_well_formed() -> None:
    spec = (PACKAGING / "quantumflux.spec").read_text(encoding="utf-8")
    ast.parse(spec)
    for needed in ('collect_submodules("quantumflux")', "resources", "talib", "uvicorn", "selenium", "pyqtgraph"):
        assert needed in spec
    script = PACKAGING / "build.sh"
    assert os.access(script, os.X_OK)
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    usage = subprocess.run([str(script), "--bogus"], capture_output=True, text=True)
    assert usage.returncode == 2 and "usage:" in usage.stderr


@pytest.mark.parametrize("document", ["troubleshooting.md", "first-session.md"])
def test_docs_link_to_files_that_exist(document: str) -> None:
    text = (REPO / "docs" / document).read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+\.md)(?:#[^)]*)?\)", text)
    assert links
    for link in links:
        assert (REPO / "docs" / link).exists(), link
