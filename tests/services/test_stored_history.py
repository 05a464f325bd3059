from __future__ import annotations

from pathlib import Path

from quantumflux.config import Settings
from quantumflux.services.stored_history import StoredHistory

SAMPLE_ROOT = Path(__file__).resolve().parents[2] / "data"


def test_sample_data_is_found_for_a_first_run(tmp_path: Path):
    settings = Settings(data_root=SAMPLE_ROOT)
    stored = StoredHistory.from_settings(settings)
    assert "EURUSD_otc" in stored.assets()
    arrays = stored("EURUSD_otc")
    assert arrays is not None and len(arrays) > 1000
    assert (arrays.time[1:] > arrays.time[:-1]).all()
    assert (arrays.high >= arrays.low).all()
    assert stored("NO_SUCH_ASSET") is None


def test_live_store_wins_over_sample_and_duplicates_are_removed(tmp_path: Path):
    live = tmp_path / "live"
    live.mkdir()
    (live / "EURUSD_otc_1m_2026-01-05_00-00-00_part001.csv").write_text(
        "timestamp,open,high,low,close,volume\n2026-01-05T00:00:00Z,9,9,9,9,1\n2026-01-05T00:00:00Z,8,8,8,8,1\n"
    )
    stored = StoredHistory([live, SAMPLE_ROOT / "sample"])
    arrays = stored("EURUSD_otc")
    first = arrays.time == 1767571200.0
    assert first.sum() == 1
    assert float(arrays.close[first][0]) in (8.0, 9.0)
