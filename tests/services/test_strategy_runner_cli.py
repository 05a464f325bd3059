"""``quantumflux run`` refuses what it must before anything starts (no browser needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantumflux.cli.main import EXIT_REFUSED, EXIT_USAGE, main


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QF_DATA_ROOT", str(tmp_path / "data"))
    monkeypatch.delenv("QF_ALLOW_REAL_TRADING", raising=False)
    monkeypatch.setenv("QF_CHROME_PORT", "1")  # nothing listens there: a command that got this far would fail


def run(*args: str) -> int:
    return main(["run", "--assets", "EURUSD_otc", "--timeframe", "5s", *args])


def test_real_executor_is_refused_without_the_config_opt_in(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--strategy", "sma_cross", "--executor", "real", "--real") == EXIT_REFUSED
    assert "real-account trading is off" in capsys.readouterr().err


def test_real_executor_needs_real_on_the_command_too(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QF_ALLOW_REAL_TRADING", "true")
    assert run("--strategy", "sma_cross", "--executor", "real") == EXIT_REFUSED
    assert "--real" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "message"), [
    (("--strategy", "no_such_strategy"), "no_such_strategy"),
    (("--strategy", "sma_cross:fast=9,slow=3"), "slow"),
    (("--strategy", "sma_cross", "--ab"), "exactly two"),
    (("--strategy", "sma_cross", "--strategy", "rsi_reversal", "--ab", "--executor", "demo"), "paper"),
    (("--strategy", "sma_cross", "--expiry", "soon"), "not a timeframe"),
    (("--strategy", "sma_cross", "--limit", "max_apples=3"), "--limit"),
    (("--strategy", "sma_cross", "--real"), "--real only goes with --executor real"),
])
def test_usage_errors(args: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(*args) == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_the_ab_summary_prints_the_expectancy_verdict_and_the_adjusted_p(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The end of ``run --ab``: the verdict, then the test behind it (text), or the whole comparison (JSON)."""
    import argparse
    import json
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from test_strategy_runner import ASSET, feed_ticks, make_runner, price_path

    from quantumflux.cli.commands.run import _summary

    runner, _, clock = make_runner(tmp_path)
    a = runner.enable("sma_cross", {"fast": "2", "slow": "3"}, [ASSET], "5s", "5s").label
    b = runner.enable("sma_cross", {"fast": "3", "slow": "6"}, [ASSET], "5s", "5s").label
    times, prices = price_path(700, seed=4)
    feed_ticks(runner, clock, times, prices)
    _summary(argparse.Namespace(ab=True, json=False), runner, [a, b])
    lines = capsys.readouterr().out.splitlines()
    verdict = next(line for line in lines if line.startswith("A/B: "))
    assert "expectancy" in verdict and "trade the same candles" in verdict
    note = lines[lines.index(verdict) + 1]
    assert "block bootstrap" in note and "Holm-adjusted p=" in note and "over 1 comparison(s)" in note
    _summary(argparse.Namespace(ab=True, json=True), runner, [a, b])
    comparison = json.loads(capsys.readouterr().out)["comparison"]
    assert comparison["verdict"] == verdict.removeprefix("A/B: ") and comparison["comparisons"] == 1
