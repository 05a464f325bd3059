"""Locate files shipped in the top-level ``resources/`` folder (installed as ``quantumflux.resources``)."""

from __future__ import annotations

from importlib import resources as _resources
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """Return the path of a shipped resource file, e.g. ``resource_path("selectors.json")``.

    Raises FileNotFoundError naming the file when it is missing from the installation.
    """
    base = Path(str(_resources.files("quantumflux.resources")))
    path = base.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"resource not found: {'/'.join(parts)} (looked in {base})")
    return path
