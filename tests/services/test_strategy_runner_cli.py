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
