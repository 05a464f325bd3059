"""Replaying recorded tick and candle CSVs (project and older layouts) through the broker."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sim_wire_client import WireClient

from quantumflux.sim import PracticeBroker
from quantumflux.sim.replay import ReplayError, ReplayPrices, asset_from_file_name, parse_time, read_recording

T0 = 1_764_000_000.0


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_time_and_name_parsing():
    assert parse_time("1764000000.25") == 1764000000.25
    assert parse_time("1764000000250") == 1764000000.25
    assert parse_time("2025-11-24T16:00:00Z") == 1764000000.0
    assert parse_time("2025-11-24 16:00:00") == 1764000000.0
    assert asset_from_file_name(Path("EURUSD_otc_1m_2026-01-02_03-04-05_part001.csv")) == "EURUSD_otc"
    assert asset_from_file_name(Path("%23AAPL_otc_ticks_2026-01-02_03-04-05_part002.csv")) == "#AAPL_otc"
    assert asset_from_file_name(Path("EURUSD_otc_5s.csv")) == "EURUSD_otc"
    assert asset_from_file_name(Path("GBPUSD.csv")) == "GBPUSD"


def test_reads_every_layout(tmp_path):
    _write(tmp_path / "a" / "ticks.csv", "timestamp,asset,price\n"
           f"{T0},EURUSD_otc,1.10001\n{T0 + 1.5},EURUSD_otc,1.10003\n{T0 + 1},#AAPL_otc,190.5\nbroken,row\n")
    _write(tmp_path / "b" / "GBPUSD_otc_1m_2025-11-24_16-00-00_part001.csv",
           "timestamp,open,high,low,close,volume\n"
           "2025-11-24T16:00:00Z,1.2,1.25,1.19,1.21,10\n2025-11-24T16:01:00Z,1.21,1.22,1.18,1.19,9\n")
    _write(tmp_path / "c" / "USDJPY_otc_1m.csv", "timestamp,open,close,high,low\n"
           f"{T0},151.1,151.3,151.4,151.0\n")
    _write(tmp_path / "d" / "XAUUSD_otc_ticks.csv", f"time,price\n{T0 * 1000:.0f},2330.5\n")
    ticks, digits = read_recording(tmp_path)
    assert ticks["EURUSD_otc"] == [(T0, 1.10001), (T0 + 1.5, 1.10003)]
    assert digits["EURUSD_otc"] == 5 and digits["#AAPL_otc"] == 1
    gbp = sorted(ticks["GBPUSD_otc"])
    assert [p for _, p in gbp] == [1.2, 1.19, 1.25, 1.21, 1.21, 1.22, 1.18, 1.19]
    assert gbp[0][0] == T0 and gbp[3][0] == pytest.approx(T0 + 59.94)
    assert [p for _, p in sorted(ticks["USDJPY_otc"])] == [151.1, 151.0, 151.4, 151.3]
    assert ticks["XAUUSD_otc"] == [(T0, 2330.5)]


def test_missing_or_empty_recording_is_a_clear_error(tmp_path):
    with pytest.raises(ReplayError, match="not found"):
        read_recording(tmp_path / "missing.csv")
    _write(tmp_path / "empty.csv", "timestamp,asset,price\n")
    with pytest.raises(ReplayError, match="no tick or candle rows"):
        read_recording(tmp_path / "empty.csv")


def test_replay_shifts_to_now_at_speed(tmp_path):
    rows = "".join(f"{T0 + i},EURUSD_otc,{1.1 + i / 1e5:.5f}\n" for i in range(100))
    path = _write(tmp_path / "ticks.csv", "timestamp,asset,price\n" + rows)
    start = 5_000_000.0
    replay = ReplayPrices(path, start=start, speed=2.0, history_seconds=3600)
    times, prices = replay.ticks("EURUSD_otc", 0, start + 1000)
    assert len(times) == 100 and np.allclose(np.diff(times), 0.5)
    # the first tenth of the recording lies before the start (history), the rest plays after it
    assert (times <= start).sum() == 10
    assert replay.price_at("EURUSD_otc", start) == prices[9]
    assert replay.end == pytest.approx(start + (99 - 9.9) / 2)


def test_broker_streams_replayed_prices(tmp_path):
    now = time.time()
    rows = "".join(f"{now - 30 + i * 0.2:.3f},EURUSD_otc,{1.2 + (i % 7) / 1e4:.5f}\n" for i in range(1000))
    rows += "".join(f"{now - 30 + i * 0.5:.3f},NEWCOIN_otc,{5 + i / 100:.2f}\n" for i in range(400))
    rows += "".join(f"{now - 30 + i * 0.5:.3f},GBPUSD,{1.3 + i / 1e5:.5f}\n" for i in range(400))
    path = _write(tmp_path / "rec.csv", "timestamp,asset,price\n" + rows)
    assert not next(a for a in PracticeBroker(assets=48).assets if a.symbol == "GBPUSD").active
    with PracticeBroker(replay=path, assets=48, history_seconds=3) as broker:
        listed = {asset.symbol: asset for asset in broker.assets}
        assert "NEWCOIN_otc" in listed and listed["GBPUSD"].active  # closed in the catalog, open in replay
        client = WireClient(broker.ws_url)
        client.login()
        rows_seen = client.wait_for("updateAssets").payload
        client.subscribe("EURUSD_otc", "GBPUSD", "NEWCOIN_otc")
        deadline = time.time() + 6
        while time.time() < deadline:  # until every replayed asset has ticked a few times
            seen = Counter(tick[0] for tick in client.ticks())
            if seen["EURUSD_otc"] >= 4 and seen["GBPUSD"] >= 2 and seen["NEWCOIN_otc"] >= 2:
                break
            client.read()
        client.close()
    assert "NEWCOIN_otc" in {row[1] for row in rows_seen}
    replayed = [tick for tick in client.ticks() if tick[0] == "EURUSD_otc"]
    assert len(replayed) >= 4
    recorded = {round(1.2 + k / 1e4, 5) for k in range(7)}
    assert {price for _, _, price in replayed} <= recorded
    assert any(tick[0] == "NEWCOIN_otc" for tick in client.ticks())
    assert any(tick[0] == "GBPUSD" for tick in client.ticks())
