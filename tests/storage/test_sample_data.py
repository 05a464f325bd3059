"""The shipped sample dataset loads, is consistent, and is what scripts/make_sample_data.py makes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from quantumflux.storage.loader import list_available, load_candles

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"


def test_sample_dataset_loads_and_is_consistent() -> None:
    series = list_available(SAMPLE)
    assert {(s.asset, s.timeframe) for s in series} == {("EURUSD_otc", "1m"), ("GBPJPY_otc", "1m"),
                                                        ("#AAPL_otc", "1m"), ("BTCUSD", "1m")}
    for item in series:
        frame = load_candles(SAMPLE, item.asset, "1m")
        assert len(frame) == item.rows == 3 * 1440
        assert (frame["time"].diff().dropna() == 60).all()
        assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
        assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
        assert (frame["volume"] > 0).all() and frame.attrs["skipped_rows"] == 0
    assert sum(p.stat().st_size for p in SAMPLE.rglob("*.csv")) < 3_000_000


def test_script_regenerates_the_same_bytes(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_sample_data.py"), "--output", str(tmp_path),
                    "--days", "1"], check=True, capture_output=True, timeout=60)
    made = sorted((tmp_path / "1M_candle_data").glob("*.csv"))
    assert len(made) == 4
    for path in made:
        assert path.read_bytes() == (SAMPLE / "1M_candle_data" / path.name).read_bytes()
