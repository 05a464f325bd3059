"""The backtest, abtest, strategies and signal commands on the sample store (in-process)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from quantumflux.cli.main import EXIT_USAGE, main
from quantumflux.resource_files import resource_path
from quantumflux.services.backtesting import StrategySpec, load_arrays, run_one

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="sample data not present")


def test_backtest_json_matches_service_and_writes_equity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png, csv = tmp_path / "eq.png", tmp_path / "eq.csv"
    code = main(["backtest", "--data", str(SAMPLE), "--asset", "EURUSD_otc", "--timeframe", "1m", "--strategy",
                 "sma_cross", "--param", "fast=5", "--expiry", "2m", "--payout", "85", "--stake", "2", "--json",
                 "--equity-png", str(png), "--equity-csv", str(csv)])
    captured = capsys.readouterr()
    assert code == 0
    report = json.loads(captured.out)
    assert {"trades", "wins", "draws", "losses", "win_rate", "net_profit", "max_drawdown"} <= set(report)
    from quantumflux.core.backtest import BacktestConfig

    arrays, _ = load_arrays(SAMPLE, "EURUSD_otc", "1m")
    expected = run_one(arrays, StrategySpec("sma_cross", {"fast": "5"}), BacktestConfig(60, 120, 85.0, 2.0))
    assert report["trades"] == expected.metrics.trades > 0
    assert report["net_profit"] == pytest.approx(expected.metrics.net_profit)
    assert "3/3" in captured.err  # the progress bar is on stderr
    assert png.read_bytes()[:4] == b"\x89PNG" and len(csv.read_text().splitlines()) == report["trades"] + 1


def test_backtest_sweep_and_human_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "--data", str(SAMPLE), "--asset", "EURUSD_otc", "--strategy", "rsi_reversal",
                 "--param", "period=7,14", "--workers", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["variants"], report["tests"], report["adjustment"]) == (2, 2, "holm")
    rows = report["rows"]
    assert sorted(r["params"]["period"] for r in rows) == ["14", "7"]
    smaller, larger = sorted(r["expectancy_p_value"] for r in rows)
    assert sorted(r["expectancy_p_value_adjusted"] for r in rows) == pytest.approx(
        [min(1.0, 2 * smaller), min(1.0, max(2 * smaller, larger))])  # Holm over the 2 variants
    assert main(["backtest", "--data", str(SAMPLE), "--asset", "EURUSD_otc", "--strategy", "macd_cross"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("source: CSV history") and "break-even 52.08%" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--strategy", "nope"], "unknown strategy 'nope'"),
        (["--strategy", "sma_cross", "--param", "fast=50"], "must be longer"),
        (["--strategy", "sma_cross", "--expiry", "90s"], "multiple"),
        (["--strategy", "sma_cross", "--asset", "NOPE"], "no NOPE"),
    ],
)
def test_backtest_user_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["backtest", "--data", str(SAMPLE), "--asset", "EURUSD_otc"]
    assert main(base + argv) == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_abtest_table_and_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["abtest", "--data", str(SAMPLE), "--asset", "EURUSD_otc", "--strategy", "sma_cross",
                 "--strategy", "confluence:threshold=0.25", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["label"] for r in report["results"]] == ["sma_cross", "confluence(threshold=0.25)"]
    verdict = report["comparisons"][0]["verdict"]
    assert "better at p=" in verdict or verdict.startswith("no detectable difference in expectancy")
    assert "block bootstrap" in report["comparisons"][0]["method"] and report["variants"] == 2
    assert {"expectancy_p_value", "expectancy_p_value_adjusted"} <= set(report["results"][0])
    assert main(["abtest", "--data", str(SAMPLE), "--asset", "EURUSD_otc", "--strategy", "sma_cross"]) == EXIT_USAGE


def test_strategies_lists_builtins_and_user_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(resource_path("strategies", "ema_stoch.py"), tmp_path)
    (tmp_path / "broken.py").write_text("import does_not_exist\n")
    assert main(["strategies", "--strategies-dir", str(tmp_path), "--json"]) == 0
    captured = capsys.readouterr()
    listing = json.loads(captured.out)
    names = [row["name"] for row in listing["strategies"]]
    assert names[:4] == ["sma_cross", "rsi_reversal", "macd_cross", "confluence"] and "ema_stoch" in names
    assert any("broken.py" in p and "ModuleNotFoundError" in p for p in listing["problems"])
    assert "broken.py" in captured.err


def test_signal_says_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["signal", "EURUSD_otc", "--data", str(SAMPLE), "--strategy", "rsi_reversal"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"source: CSV history {SAMPLE}") and "strategy: rsi_reversal" in out
    assert main(["signal", "EURUSD_otc", "--data", str(SAMPLE), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["source"].startswith("CSV history") and report["candles"] > 1000
