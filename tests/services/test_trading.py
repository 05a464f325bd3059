"""Trade execution end to end: practice broker, headless Chromium, real capture, real journal.

Every assertion about a trade is checked against the broker's own ledger.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from trading_session_env import SessionEnv, start_session, wait_until  # noqa: E402

from quantumflux.browser import page_actions, page_trade  # noqa: E402
from quantumflux.config import Settings  # noqa: E402
from quantumflux.core.model import Direction  # noqa: E402
from quantumflux.core.risk import RiskGuard, RiskLimits  # noqa: E402
from quantumflux.services.session_monitor import SessionMonitor  # noqa: E402
from quantumflux.services.trading import TradeResult, TradingSession, parse_amount, parse_expiry  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SessionEnv]:
    environment = start_session(tmp_path_factory.mktemp("trading"), seed=5)
    yield environment
    environment.stop()


def ledger_entry(live: SessionEnv, deal_id: str):  # noqa: ANN201
    return next(entry for entry in live.broker.ledger if entry.deal_id == deal_id)


def open_symbols(live: SessionEnv) -> list[str]:
    return [asset.symbol for asset in live.broker.assets if asset.active]


def test_parse_expiry_accepts_the_usual_spellings() -> None:
    assert [parse_expiry(v) for v in (60, "60s", "1m", "1m30s", "90", "1h", "00:01:30")] == [
        60, 60, 60, 90, 90, 3600, 90]
    for bad in ("", "soon", "0", "-5s"):
        with pytest.raises(ValueError):
            parse_expiry(bad)
    assert [parse_amount(v) for v in (1, 2.5, "2.55")] == [1.0, 2.5, 2.55]
    for bad in (2.555, float("nan"), float("inf"), "x"):
        with pytest.raises(ValueError):
            parse_amount(bad)


def test_confirmed_trade_and_its_result_equal_the_brokers_ledger(live: SessionEnv) -> None:
    before = len(live.broker.ledger)
    result = live.session.place(open_symbols(live)[1], "put", 3.5, "2s", source="test")
    assert result.status == "confirmed", result
    assert len(live.broker.ledger) == before + 1
    entry = ledger_entry(live, result.deal_id)
    assert (entry.asset, entry.direction, entry.amount, entry.expiry) == (result.asset, "put", 3.5, 2)
    assert (result.open_price, result.payout) == (entry.open_price, entry.payout)
    final = live.session.wait_result(result.client_id, timeout=15)
    entry = ledger_entry(live, result.deal_id)
    assert final.status == "closed" and entry.closed
    assert (final.outcome, final.profit, final.close_price) == (str(entry.outcome), entry.profit, entry.close_price)
    statuses = [status for _, status, _ in live.journal.events(result.client_id)]
    assert statuses == ["pending", "confirmed", "closed"]


def test_retried_client_id_never_places_a_second_trade(live: SessionEnv) -> None:
    first = live.session.place(open_symbols(live)[0], "call", 2, 3, client_id="retry-me")
    assert first.status == "confirmed"
    count = len(live.broker.ledger)
    again = live.session.place(open_symbols(live)[0], "call", 2, 3, client_id="retry-me")
    different = live.session.place(open_symbols(live)[2], "put", 9, 30, client_id="retry-me")
    assert again.duplicate and different.duplicate
    assert again.deal_id == different.deal_id == first.deal_id
    assert len(live.broker.ledger) == count
    assert [r.client_id for r in live.journal.list()].count("retry-me") == 1


@pytest.mark.parametrize("case", ["balance", "asset_closed", "max_stake", "amount"])
def test_guard_refusals_name_their_rule_and_send_nothing(live: SessionEnv, case: str) -> None:
    page = live.session.page
    shown_before = page_actions.current_asset_label(page)
    asset, amount, guard = open_symbols(live)[0], 5.0, live.session.guard
    if case == "balance":
        live.session.guard, amount = RiskGuard(RiskLimits(max_stake=None, daily_loss_limit=None)), 15000.0
    elif case == "asset_closed":
        asset = next(a.symbol for a in live.broker.assets if not a.active)
    elif case == "max_stake":
        amount = 150.0
    else:
        amount = 0.0
    requests_before = live.broker.state()["orders"]
    try:
        result = live.session.place(asset, "call", amount, 5)
    finally:
        live.session.guard = guard
    assert (result.status, result.rule) == ("refused", case), result
    assert result.reason.startswith(f"{case}: ")
    assert live.broker.state()["orders"] == requests_before  # no openOrder reached the broker
    assert page_actions.current_asset_label(page) == shown_before  # the page was not touched
    assert live.journal.get(result.client_id).status == "refused"


def test_broker_refusal_is_a_failure_with_the_brokers_reason(live: SessionEnv) -> None:
    before = len(live.broker.ledger)
    result = live.session.place(open_symbols(live)[0], "call", 1, 20000)  # over the broker's 14400 s
    assert result.status == "failed"
    entry = live.broker.ledger[before]
    assert entry.status == "failed" and len(live.broker.ledger) == before + 1
    assert result.reason == f"broker: {entry.reason}"
    assert "Expiration" in result.reason


def test_late_confirmation_turns_unconfirmed_into_confirmed_and_a_retry_sends_nothing(live: SessionEnv) -> None:
    session, broker = live.session, live.broker
    timeout = session.confirm_timeout
    broker.set_faults("delay_ms=2500")
    session.confirm_timeout = 0.5
    try:
        result = session.place(open_symbols(live)[0], "put", 4, 60, client_id="late-one")
    finally:
        session.confirm_timeout = timeout
    assert result.status == "unconfirmed", result
    assert "no broker confirmation" in result.reason
    record = wait_until(lambda: (r := live.journal.get("late-one")) and r.status == "confirmed" and r, 10,
                        "the late confirmation")
    broker.set_faults(None)
    count = len(broker.ledger)
    assert record.deal_id == next(e.deal_id for e in broker.ledger if e.amount == 4 and e.expiry == 60)
    again = session.place(open_symbols(live)[0], "put", 4, 60, client_id="late-one")
    assert again.duplicate and again.status == "confirmed" and again.deal_id == record.deal_id
    assert len(broker.ledger) == count


def test_unconfirmed_orders_of_an_earlier_run_are_checked_against_the_brokers_deals(live: SessionEnv) -> None:
    page, broker, journal = live.session.page, live.broker, live.journal
    symbol = open_symbols(live)[3]
    # an earlier process clicked, then died before the confirmation: its journal says "unconfirmed"
    journal.record_attempt("crashed-1", symbol, "call", 6, 30, source="test")
    journal.mark_unconfirmed("crashed-1")
    page_actions.switch_asset(page, symbol)
    page_trade.prepare_order(page, Direction.CALL, 6, 30)
    before = len(broker.ledger)
    page_trade.click_direction(page, Direction.CALL)
    entry = wait_until(lambda: len(broker.ledger) > before and broker.ledger[before], 10, "the order")
    # and one that never reached the broker, long expired
    journal.record_attempt("crashed-2", symbol, "put", 7, 5, source="test", requested_at=time.time() - 120)
    journal.mark_unconfirmed("crashed-2")
    fresh = TradingSession(Settings(), live.hub, "127.0.0.1", live.env.port, journal, RiskGuard(), page=page)
    try:
        found = fresh.place(symbol, "call", 6, 30, client_id="crashed-1")
        assert (found.duplicate, found.status, found.deal_id) == (True, "confirmed", entry.deal_id)
        missing = fresh.place(symbol, "put", 7, 5, client_id="crashed-2")
        assert missing.duplicate and missing.status == "failed" and "no such deal" in missing.reason
    finally:
        fresh.close()
    assert len(broker.ledger) == before + 1  # neither retry sent anything


def test_real_orders_need_the_config_and_the_page_on_the_real_account(live: SessionEnv) -> None:
    symbol, orders = open_symbols(live)[0], live.broker.state()["orders"]
    assert live.session.place(symbol, "call", 1, 5, real=True).rule == "real_account"
    settings, guard = live.session.settings, live.session.guard
    live.session.settings = Settings(allow_real_trading=True)
    live.session.guard = RiskGuard(RiskLimits(allow_real=True))
    try:
        result = live.session.place(symbol, "call", 1, 5, real=True)
    finally:
        live.session.settings, live.session.guard = settings, guard
    assert (result.status, result.rule) == ("refused", "account")
    assert "the page shows the demo account" in result.reason
    assert live.broker.state()["orders"] == orders


def test_session_monitor_agrees_with_the_broker_and_warns_on_a_stale_page(live: SessionEnv) -> None:
    monitor = SessionMonitor(live.session.page, live.session.view, live.hub)
    demo = live.broker.balances
    report = wait_until(
        lambda: (r := monitor.snapshot()) and not r.warnings and r.broker.balance == round(demo["demo"], 2) and r,
        10, "page and broker to agree")
    assert report.page.account == report.broker.account == "demo"
    assert report.page.balance == report.broker.balance == round(live.broker.balances["demo"], 2)
    assert report.page.open_trades == report.broker.open_trades
    assert report.broker.connected and report.broker.authenticated
    live.session.page.driver.execute_script(  # a stale page: the header shows a balance the broker never sent
        "const node = document.querySelector(arguments[0]); node.textContent = '1.00';"
        "node.setAttribute('data-hd-show', '1.00');", live.session.page.selectors["balance"][0])
    warned = monitor.snapshot()
    expected = f"balance: the page shows 1.00, the broker said {live.broker.balances['demo']:,.2f}"
    assert expected in warned.warnings, warned.warnings


def test_gui_entry_points_trade_and_switch_the_page(live: SessionEnv) -> None:
    target = next(a for a in live.broker.assets if a.active and a.symbol != open_symbols(live)[0])
    live.session.page_switcher(target.symbol, 300)
    page = live.session.page
    assert page_actions.current_asset_label(page) == target.label
    assert page_actions.current_period(page) == 300
    message = live.session.trade_handler(target.symbol, "call", 1.0, 5)
    assert "confirmed by the broker" in message
    assert "refused" in live.session.trade_handler(target.symbol, "call", 1000.0, 5)
    assert "max_stake" in live.session.trade_handler(target.symbol, "call", 1000.0, 5)


def test_factory_uses_the_default_journal_and_guard(live: SessionEnv, tmp_path: Path) -> None:
    settings = Settings(data_root=tmp_path / "data")
    session = TradingSession.create(settings, live.hub, "127.0.0.1", live.env.port, page=live.session.page,
                                    confirm_timeout=5.0)
    try:
        assert session.guard.limits == RiskLimits(allow_real=False) and session.confirm_timeout == 5.0
        assert session.journal.path == settings.data_root / "data_output" / "journal" / "trades.sqlite3"
        refused = session.place(open_symbols(live)[0], "put", 101, 5)
        assert refused.rule == "max_stake"
        assert session.journal.get(refused.client_id).status == "refused"
    finally:
        session.close()
    assert live.session.page.find("current_asset")  # the shared page was not detached


def test_trade_result_round_trips_as_json_fields(live: SessionEnv) -> None:
    record = live.journal.list(status="closed")[0]
    data = TradeResult.from_record(record).to_dict()
    assert {"client_id", "status", "reason", "deal_id", "outcome", "profit"} <= set(data)
    assert data["outcome"] in ("win", "draw", "loss")
