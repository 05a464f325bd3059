"""The page/trading commands as a user runs them: subprocesses attached to headless Chromium on the practice page."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from trading_env import BrowserEnv, free_port, start_browser_env, wait_until  # noqa: E402

from quantumflux.cli.main import EXIT_ERROR, EXIT_NO_BROWSER, EXIT_REFUSED  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserEnv]:
    environment = start_browser_env(tmp_path_factory.mktemp("profile"), seed=31)
    wait_until(lambda: any(c["authenticated"] for c in environment.broker.state()["clients"]), 20,
               "the page to log in")
    yield environment
    environment.stop()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


def cli(home: Path, *args: str, port: int | None = None) -> subprocess.CompletedProcess[str]:
    variables = {**os.environ, "QF_HOME": str(home), "QF_DATA_ROOT": str(home / "data")}
    attach = ["--attach", f"127.0.0.1:{port}"] if port else []
    return subprocess.run([sys.executable, "-m", "quantumflux", *args, *attach], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=variables)


def as_json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.stdout, done.stderr
    return json.loads(done.stdout)


def test_profile_prints_the_account_with_the_email_masked(env: BrowserEnv, home: Path) -> None:
    done = cli(home, "profile", "--json", port=env.port)
    assert done.returncode == 0, done.stderr
    data, expected = as_json(done), env.broker.page_config()["profile"]
    assert (data["name"], data["user_id"], data["account_type"]) == (expected["name"], str(expected["id"]), "demo")
    assert data["email"] != expected["email"] and data["balance"] == round(env.broker.balances["demo"], 2)
    plain = cli(home, "profile", "--show-email", port=env.port)
    assert expected["email"] in plain.stdout and "Balance:" in plain.stdout


def test_favorites_list_add_remove_and_select(env: BrowserEnv, home: Path) -> None:
    listed = as_json(cli(home, "favorites", "--json", port=env.port))["favorites"]
    assets = {a.symbol: a for a in env.broker.assets}
    assert listed and all(row["payout"] == assets[row["symbol"]].payout for row in listed)
    extra = next(a for a in env.broker.assets if a.symbol not in {r["symbol"] for r in listed} and a.active)
    added = as_json(cli(home, "favorites", "--add", extra.symbol, "--json", port=env.port))
    assert added["changed"] == [extra.symbol] and extra.symbol in {r["symbol"] for r in added["favorites"]}
    threshold = min(r["payout"] for r in added["favorites"] if r["open"])
    chosen = as_json(cli(home, "favorites", "--min-payout", f"{threshold:g}", "--select", "last", "--json",
                         port=env.port))
    eligible = [r["symbol"] for r in added["favorites"] if r["open"] and r["payout"] >= threshold]
    assert chosen["selected"] == eligible[-1:] and chosen["current"] == eligible[-1]
    removed = as_json(cli(home, "favorites", "--remove", extra.symbol, "--json", port=env.port))
    assert extra.symbol not in {r["symbol"] for r in removed["favorites"]}


def test_asset_and_period_switch(env: BrowserEnv, home: Path) -> None:
    target = [a for a in env.broker.assets if a.active][5]
    done = cli(home, "asset", target.label, "--period", "5m", "--json", port=env.port)
    assert done.returncode == 0, done.stderr
    assert as_json(done) == {"asset": target.symbol, "label": target.label, "period": 300}
    unknown = cli(home, "asset", "NOPE_otc", port=env.port)
    assert unknown.returncode == 2 and "not in the page's asset list" in unknown.stderr


def test_trade_with_wait_matches_the_ledger_and_a_retry_sends_nothing(env: BrowserEnv, home: Path) -> None:
    symbol = [a for a in env.broker.assets if a.active][5].symbol
    before = len(env.broker.ledger)
    done = cli(home, "trade", "call", "--asset", symbol, "--amount", "2", "--expiry", "3s", "--wait",
               "--client-id", "cli-1", "--json", port=env.port)
    assert done.returncode == 0, done.stderr
    data = as_json(done)
    assert len(env.broker.ledger) == before + 1
    entry = env.broker.ledger[before]
    assert (data["client_id"], data["status"], data["deal_id"]) == ("cli-1", "closed", entry.deal_id)
    assert (data["outcome"], data["profit"]) == (str(entry.outcome), entry.profit)
    again = cli(home, "trade", "call", "--asset", symbol, "--amount", "2", "--expiry", "3s",
                "--client-id", "cli-1", "--json", port=env.port)
    assert again.returncode == 0 and as_json(again)["duplicate"] is True
    assert len(env.broker.ledger) == before + 1


@pytest.mark.parametrize(("extra", "rule"), [(["--amount", "500"], "max_stake"),
                                             (["--amount", "1", "--real"], "real_account")])
def test_guard_refusals_exit_with_refused_and_send_nothing(env: BrowserEnv, home: Path, extra: list[str],
                                                           rule: str) -> None:
    symbol = [a for a in env.broker.assets if a.active][0].symbol
    orders = env.broker.state()["orders"]
    done = cli(home, "trade", "put", "--asset", symbol, "--expiry", "5s", *extra, "--json", port=env.port)
    assert done.returncode == EXIT_REFUSED, done.stderr
    data = as_json(done)
    assert data["status"] == "refused" and data["reason"].startswith(f"{rule}: ")
    assert env.broker.state()["orders"] == orders


def test_dry_run_clicks_nothing(env: BrowserEnv, home: Path) -> None:
    symbol = [a for a in env.broker.assets if a.active][0].symbol
    orders = env.broker.state()["orders"]
    done = cli(home, "trade", "call", "--asset", symbol, "--amount", "1", "--expiry", "1m", "--dry-run", "--json",
               port=env.port)
    assert done.returncode == 0 and as_json(done)["status"] == "dry-run"
    assert env.broker.state()["orders"] == orders


def test_session_page_and_broker_agree_after_a_refresh(env: BrowserEnv, home: Path) -> None:
    done = cli(home, "session", "--refresh", "--json", port=env.port)
    assert done.returncode == 0, done.stderr
    data = as_json(done)
    assert data["warnings"] == [], data
    assert data["page"]["balance"] == data["broker"]["balance"] == round(env.broker.balances["demo"], 2)
    assert data["page"]["account"] == data["broker"]["account"] == "demo"
    assert data["broker"]["connected"] is True and data["broker"]["authenticated"] is True


def test_trades_lists_and_exports_the_journal(env: BrowserEnv, home: Path) -> None:
    closed = as_json(cli(home, "trades", "--closed", "--json"))["trades"]
    assert [t["client_id"] for t in closed] == ["cli-1"]
    everything = as_json(cli(home, "trades", "--json"))["trades"]
    assert {t["status"] for t in everything} == {"closed", "refused"}
    target = home / "export.csv"
    assert cli(home, "trades", "--export", str(target)).returncode == 0
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(everything) and rows[0]["requested_at"].endswith("Z")


def test_doctor_reports_every_selector(env: BrowserEnv, home: Path) -> None:
    done = cli(home, "doctor", "--json", port=env.port)
    assert done.returncode == 0, done.stderr
    data = as_json(done)
    assert data["ok"] is True and data["broken"] == []
    assert len(data["checks"]) == len(json.loads((ROOT / "resources" / "selectors.json").read_text()))


def test_no_browser_is_a_clear_error(home: Path) -> None:
    for command in (["profile"], ["doctor"], ["trade", "call", "--asset", "X", "--amount", "1", "--expiry", "5s"]):
        done = cli(home, *command, port=free_port())
        assert done.returncode == EXIT_NO_BROWSER, (command, done.stderr)
        assert "no browser with remote debugging" in done.stderr
    bad = cli(home, "trade", "call", "--asset", "X", "--amount", "1", "--expiry", "soon", port=free_port())
    assert bad.returncode == 2 and "not an expiry" in bad.stderr
    assert EXIT_ERROR == 1
