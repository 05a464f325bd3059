"""When CSV rows reach the disk itself: every part file is fsynced as it is closed (rotation included), by default."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from quantumflux.core.model import Candle, Tick
from quantumflux.storage.csv_store import ChunkedCsvStore
from quantumflux.storage.history_store import HistoryStore

SESSION = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def _candle(index: int) -> Candle:
    return Candle("EURUSD_otc", 60, SESSION + 60 * index, 1.1, 1.2, 1.0, 1.15, 3)


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Names of the files and directories fsynced (the real fsync still runs: this only watches the OS call)."""
    seen: Counter[str] = Counter()
    real = os.fsync

    def watching(fd: int) -> None:
        seen[Path(os.readlink(f"/proc/self/fd/{fd}")).name] += 1
        real(fd)

    monkeypatch.setattr(os, "fsync", watching)
    return seen


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name the fsynced files")
def test_each_part_is_fsynced_when_it_is_closed_by_rotation_or_close(tmp_path: Path, synced: Counter[str]):
    store = ChunkedCsvStore(tmp_path, session_start=SESSION, candles_per_file=2)
    for index in range(5):
        store.write_candle(_candle(index))
    parts = sorted(p.name for p in (tmp_path / "1M_candle_data").glob("*.csv"))
    assert len(parts) == 3
    assert synced[parts[0]] == 1 and synced[parts[1]] == 1  # rotated parts: on disk before the next one fills
    assert synced[parts[2]] == 0  # the open part: flushed per row, synced when closed
    assert synced["1M_candle_data"] >= 2  # their names too
    store.close()
    assert synced[parts[2]] == 1


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name the fsynced files")
def test_fsync_can_be_per_row_or_off(tmp_path: Path, synced: Counter[str]):
    with ChunkedCsvStore(tmp_path / "row", session_start=SESSION, ticks_per_file=10, fsync="row") as store:
        for index in range(4):
            store.write_tick(Tick("EURUSD_otc", SESSION + index, 1.1))
    (part,) = (tmp_path / "row" / "1M_tick_data").glob("*.csv")
    assert synced[part.name] >= 4
    synced.clear()
    with ChunkedCsvStore(tmp_path / "off", session_start=SESSION, candles_per_file=1, fsync="off") as store:
        for index in range(3):
            store.write_candle(_candle(index))
    assert not synced
    with pytest.raises(ValueError, match="fsync"):
        ChunkedCsvStore(tmp_path, session_start=SESSION, fsync="sometimes")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name the fsynced files")
def test_history_parts_are_fsynced_when_closed(tmp_path: Path, synced: Counter[str]):
    store = HistoryStore(tmp_path, session_start=SESSION, rows_per_file=2)
    store.save("EURUSD_otc", 60, [_candle(i) for i in range(5)])
    parts = sorted(p.name for p in (tmp_path / "1M_candles").glob("*.csv"))
    assert [synced[name] for name in parts] == [1, 1, 0]
    store.close()
    assert [synced[name] for name in parts] == [1, 1, 1]
