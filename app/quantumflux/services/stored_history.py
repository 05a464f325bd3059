"""Stored candles for the terminal and the API: the CSV store, broker history, and sample data.

Looks in, in order: live-formed 1-minute candles (``realtime_stream/1M_candle_data``),
saved broker history (``data_collect/1M_candles``), and the bundled sample data
(``data/sample``, shown on a first run). Overlapping rows are de-duplicated, the first
source winning.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from quantumflux.config import Settings
from quantumflux.core.candles import CandleArrays
from quantumflux.storage.loader import load_candles, series_names

log = logging.getLogger(__name__)


def sample_data_dir(settings: Settings) -> Path:
    """``<data_root>/sample`` in a checkout; the installed ``quantumflux.sample_data`` otherwise."""
    local = Path(settings.data_root) / "sample"
    if local.exists():
        return local
    try:
        from importlib import resources

        return Path(str(resources.files("quantumflux.sample_data")))
    except ModuleNotFoundError:
        return local


class StoredHistory:
    """1-minute candles per asset from every stored source; callable as ``stored(asset)``."""

    def __init__(self, directories: list[Path]) -> None:
        self.directories = [d for d in directories if d.exists()]

    @classmethod
    def from_settings(cls, settings: Settings, include_sample: bool = True) -> StoredHistory:
        dirs = [settings.realtime_dir / "1M_candle_data", settings.collect_dir / "1M_candles"]
        if include_sample:
            dirs.append(sample_data_dir(settings))
        return cls(dirs)

    def assets(self) -> list[str]:
        """Assets with stored 1-minute candles."""
        found: set[str] = set()
        for directory in self.directories:
            try:
                found.update(asset for asset, tag in series_names(directory) if tag == "1m")
            except (OSError, ValueError) as exc:
                log.warning("cannot list %s: %s", directory, exc)
        return sorted(found)

    def __call__(self, asset: str) -> CandleArrays | None:
        parts = []
        for directory in self.directories:
            try:
                frame = load_candles(directory, asset, "1m")
            except (OSError, ValueError) as exc:
                log.warning("cannot load %s from %s: %s", asset, directory, exc)
                continue
            if len(frame):
                parts.append(frame)
        if not parts:
            return None
        times = np.concatenate([p["time"].to_numpy(dtype=np.float64) for p in parts])
        order = np.argsort(times, kind="stable")
        _, first = np.unique(times[order], return_index=True)
        pick = order[first]

        def column(name: str, dtype: type) -> np.ndarray:
            return np.concatenate([p[name].to_numpy(dtype=dtype) for p in parts])[pick]

        return CandleArrays.from_columns(
            times[pick], column("open", np.float64), column("high", np.float64), column("low", np.float64),
            column("close", np.float64), column("volume", np.int64),
        )
