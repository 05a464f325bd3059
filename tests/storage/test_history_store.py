"""HistoryStore: layout, de-duplication against disk, forming candles skipped."""

from __future__ import annotations

from pathlib import Path

from quantumflux.core.model import Candle
from quantumflux.storage.history_store import HistoryStore
from quantumflux.storage.loader import load_candles

BASE = 1_767_323_040.0  # 2026-01-02T03:04:00Z


def candles(indices: range | list[int], period: int = 60, asset: str = "EURUSD_otc") -> list[Candle]:
    return [Candle(asset, period, BASE + i * period, 1.0 + i, 1.5 + i, 0.5 + i, 1.2 + i, 10 + i) for i in indices]


def test_history_layout_and_header(tmp_path: Path) -> None:
    with HistoryStore(tmp_path, session_start=BASE) as store:
        assert store.save("EURUSD_otc", "1m", reversed(candles(range(3)))) == 3
    path = tmp_path / "1M_candles" / "EURUSD_otc_1m_2026-01-02_03-04-00_part001.csv"
    assert path.read_text().splitlines() == [
        "timestamp,open,high,low,close,volume",
        "2026-01-02T03:04:00Z,1,1.5,0.5,1.2,10",
        "2026-01-02T03:05:00Z,2,2.5,1.5,2.2,11",
        "2026-01-02T03:06:00Z,3,3.5,2.5,3.2,12",
    ]


def test_overlapping_payloads_are_deduplicated_across_sessions(tmp_path: Path) -> None:
    with HistoryStore(tmp_path, session_start=BASE) as store:
        assert store.save("EURUSD_otc", 60, candles(range(10, 20))) == 10
        assert store.save("EURUSD_otc", 60, candles(range(15, 25))) == 5
    with HistoryStore(tmp_path, session_start=BASE + 600) as store:  # a later session
        assert store.save("EURUSD_otc", 60, candles(range(0, 30))) == 15
        assert store.stats.skipped_existing == 15
        assert store.save("EURUSD_otc", 300, candles(range(0, 2), period=300)) == 2  # other timeframe
    frame = load_candles(tmp_path, "EURUSD_otc", "1m")
    assert frame["time"].tolist() == [BASE + i * 60 for i in range(30)]
    assert sorted(p.name for p in (tmp_path / "5M_candles").iterdir()) == [
        "EURUSD_otc_5m_2026-01-02_03-14-00_part001.csv"]


def test_forming_and_partial_candles_are_not_saved(tmp_path: Path) -> None:
    rows = candles(range(3)) + [Candle("EURUSD_otc", 60, BASE + 180, 9, 9, 9, 9, 1, partial=True)]
    with HistoryStore(tmp_path, session_start=BASE) as store:
        # at BASE+150 the candle starting at BASE+120 is still forming
        assert store.save("EURUSD_otc", "1m", rows, now=BASE + 150) == 2
        assert store.stats.skipped_open == 2
    assert len(load_candles(tmp_path, "EURUSD_otc", "1m")) == 2
