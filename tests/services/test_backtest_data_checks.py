"""Data the backtest refuses (prices <= 0 or not a number, high < low) and what it warns about (one time with
several candles that disagree): through the service, the CLI and the API's service layer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quantumflux.cli.main import EXIT_USAGE, main
from quantumflux.config import Settings
from quantumflux.services import backtesting as bt
from quantumflux.services.application import Application
from quantumflux.services.facade import ServiceError

HEADER = "timestamp,open,high,low,close,volume\n"
START = 1_767_225_600  # 2026-01-01T00:00:00Z


def rows(count: int, start: int = START, bad: dict[int, str] | None = None) -> str:
    """``count`` one-minute candles of a gentle zig-zag; ``bad`` replaces some rows by index."""
    lines = []
    for i in range(count):
        close = 1.1 + (i % 7) * 0.001 - (i % 3) * 0.0005
        lines.append(f"{start + 60 * i},{close:.5f},{close + 0.0004:.5f},{close - 0.0004:.5f},{close:.5f},0")
    for index, line in (bad or {}).items():
        lines[index] = line
    return "\n".join(lines) + "\n"


def write(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_negative_price_and_high_below_low_are_refused_with_counts(tmp_path: Path) -> None:
    t5, t9 = START + 300, START + 540
    bad = {5: f"{t5},1.1,1.2,1.0,-1.1,0", 9: f"{t9},1.1,1.0,1.2,1.1,0", 12: f"{START + 720},1.1,1.2,1.0,0,0"}
    path = write(tmp_path, "EURUSD_otc_1m.csv", rows(200, bad=bad))
    with pytest.raises(bt.BadDataError) as caught:
        bt.load_arrays(path, "EURUSD_otc", "1m")
    message = str(caught.value)
    assert "2 row(s) with a price <= 0 or not a number (first at 2026-01-01T00:05:00Z)" in message
    assert "1 candle(s) with high < low (first at 2026-01-01T00:09:00Z)" in message
    code = main(["backtest", "--data", str(path), "--asset", "EURUSD_otc", "--strategy", "sma_cross"])
    assert code == EXIT_USAGE


def test_good_data_loads_without_warnings(tmp_path: Path) -> None:
    path = write(tmp_path, "EURUSD_otc_1m.csv", rows(200))
    arrays, info = bt.load_arrays(path, "EURUSD_otc", "1m")
    assert len(arrays) == 200 and info["warnings"] == [] and info["duplicate_rows"] == 0


def test_duplicate_times_with_different_prices_warn_with_counts(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "store"
    write(folder, "EURUSD_otc_1m_part001.csv", rows(200))
    # a second file repeats 30 candles: 10 identical, 20 with another close (the later file wins)
    again = rows(200).splitlines()[100:130]
    changed = again[:10] + [f"{line.split(',')[0]},1.1,1.26,1.09,1.25,0" for line in again[10:]]
    write(folder, "EURUSD_otc_1m_part002.csv", "\n".join(changed) + "\n")
    arrays, info = bt.load_arrays(folder, "EURUSD_otc", "1m")
    assert len(arrays) == 200 and (info["duplicate_rows"], info["conflicting_times"]) == (30, 20)
    assert info["warnings"] == ["20 time(s) had several candles with different prices; the last (by file order) "
                                "was kept"]
    assert arrays.close[110] == 1.25 and arrays.close[105] != 1.25  # the later file's candle was kept
    code = main(["backtest", "--data", str(folder), "--asset", "EURUSD_otc", "--strategy", "sma_cross",
                 "--param", "fast=2", "--param", "slow=3", "--json"])
    captured = capsys.readouterr()
    assert code == 0 and "warning: 20 time(s) had several candles with different prices" in captured.err
    assert json.loads(captured.out)["data_warnings"] == info["warnings"]


def test_ticks_with_impossible_prices_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    write(folder, "EURUSD_otc_1m.csv", rows(50))
    ticks = folder / "EURUSD_otc_ticks.csv"
    ticks.write_text("timestamp,asset,price\n" + "".join(
        f"{START + 10 * i},EURUSD_otc,{-1.1 if i == 7 else 1.1}\n" for i in range(300)), encoding="utf-8")
    with pytest.raises(bt.BadDataError, match=r"1 row\(s\) with a price <= 0"):
        bt.load_tick_arrays(folder, "EURUSD_otc")
    code = main(["backtest", "--data", str(folder), "--asset", "EURUSD_otc", "--strategy", "sma_cross",
                 "--tick-exits"])
    assert code == EXIT_USAGE


def test_the_api_service_refuses_bad_data_as_422_and_passes_warnings(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad", "EURUSD_otc_1m.csv", rows(100, bad={3: f"{START + 180},1.1,1.0,1.2,1.1,0"}))
    service = Application(Settings(data_root=tmp_path)).service  # the data lies inside the data root
    with pytest.raises(ServiceError) as caught:
        service.start_backtest(asset="EURUSD_otc", strategy="sma_cross", data=str(bad))
    assert caught.value.status == 422 and "high < low" in str(caught.value)
