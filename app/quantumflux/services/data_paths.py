"""Where an API caller may point a backtest: inside the data root or a configured folder, nowhere else.

``POST /backtests {"data": …}`` names a directory or CSV file on the machine the API runs on; any
page or program holding the token could otherwise read any file the user can (and see its first
line in the "unknown CSV layout" error). :func:`confine_data_path` resolves the path (symlinks
and ``..`` included) and accepts it only below ``Settings.data_root``, the bundled sample data
or a folder listed in ``Settings.api_data_dirs``.
"""

from __future__ import annotations

import os
from pathlib import Path

from quantumflux.config import Settings


class DataPathError(ValueError):
    """A data path outside every allowed folder (nothing was read)."""


def allowed_data_roots(settings: Settings) -> list[Path]:
    """The resolved folders an API caller may read data from: the data root, sample data, ``api_data_dirs``."""
    from quantumflux.services.stored_history import sample_data_dir

    roots = [Path(settings.data_root), sample_data_dir(settings)]
    roots += [Path(p).expanduser() for p in settings.api_data_dirs.split(os.pathsep) if p.strip()]
    return [root.resolve() for root in roots]


def confine_data_path(settings: Settings, text: str) -> Path:
    """``text`` (absolute, or relative to the data root) resolved, if it lies inside an allowed folder.

    Raises :class:`DataPathError` otherwise; the message names the allowed folders, never the file's content.
    """
    raw = Path(text).expanduser()
    resolved = (raw if raw.is_absolute() else Path(settings.data_root) / raw).resolve()
    roots = allowed_data_roots(settings)
    if any(resolved == root or resolved.is_relative_to(root) for root in roots):
        return resolved
    raise DataPathError(f"data path {text!r} is outside the data root ({Path(settings.data_root)}) and the "
                        "folders in the setting api_data_dirs; the API reads backtest data only there")
