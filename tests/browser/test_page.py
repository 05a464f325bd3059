"""Page automation against the practice page in headless Chromium, attached over DevTools like a user's browser."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from trading_env import BrowserEnv, start_browser_env, wait_until  # noqa: E402

from quantumflux.browser import page_actions, page_deals, page_trade  # noqa: E402
from quantumflux.browser.chrome import list_tabs  # noqa: E402
from quantumflux.browser.doctor import check_selectors  # noqa: E402
from quantumflux.browser.page import PageError, TradingPage  # noqa: E402
from quantumflux.core.model import Direction  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserEnv]:
    environment = start_browser_env(tmp_path_factory.mktemp("profile"), seed=21)
    yield environment
    environment.stop()


@pytest.fixture(scope="module")
def page(env: BrowserEnv) -> Iterator[TradingPage]:
    attached = TradingPage.attach("127.0.0.1", env.port)
    attached.until(lambda: page_actions.favorites(attached), message="the favorites bar")
    yield attached
    attached.detach()


def by_symbol(env: BrowserEnv, symbol: str):  # noqa: ANN201
    return next(asset for asset in env.broker.assets if asset.symbol == symbol)


def test_profile_scan_reads_the_account_and_masks_the_email(page: TradingPage, env: BrowserEnv) -> None:
    profile = page_actions.read_profile(page)
    expected = env.broker.page_config()["profile"]
    assert (profile.name, profile.user_id, profile.email) == (expected["name"], str(expected["id"]), expected["email"])
    assert (profile.currency, profile.level, profile.account_type) == (expected["currency"], expected["level"], "demo")
    assert profile.balance == round(env.broker.balances["demo"], 2)
    shown = profile.to_dict()
    assert shown["email"] != expected["email"] and shown["email"].startswith(expected["email"][0])
    assert "@" in shown["email"] and profile.to_dict(mask=False)["email"] == expected["email"]
    assert page_actions.mask_email("trader@example.com") == "t*****@e******.com"


def test_favorites_list_payouts_and_open_state_match_the_broker(page: TradingPage, env: BrowserEnv) -> None:
    rows = page_actions.favorites(page)
    assert rows, "the page shows favorites"
    for row in rows:
        asset = by_symbol(env, row.symbol)
        assert (row.label, row.payout, row.open) == (asset.label, asset.payout, asset.active)
    assert sum(row.current for row in rows) <= 1


def test_add_and_remove_a_favorite(page: TradingPage, env: BrowserEnv) -> None:
    shown = {row.symbol for row in page_actions.favorites(page)}
    target = next(a for a in env.broker.assets if a.symbol not in shown and not a.active)
    assert page_actions.set_favorite(page, target.label, True) is True
    added = next(row for row in page_actions.favorites(page) if row.symbol == target.symbol)
    assert (added.payout, added.open) == (target.payout, False)
    assert page_actions.set_favorite(page, target.symbol, True) is False  # already there
    assert page_actions.set_favorite(page, target.symbol, False) is True
    assert target.symbol not in {row.symbol for row in page_actions.favorites(page)}


def test_select_favorites_by_minimum_payout_clicks_them_in_the_page(page: TradingPage, env: BrowserEnv) -> None:
    rows = page_actions.favorites(page)
    payouts = sorted({row.payout for row in rows if row.open})
    threshold = payouts[len(payouts) // 2]
    eligible = [row.symbol for row in rows if row.open and row.payout >= threshold]
    assert len(eligible) >= 2
    clicked = page_actions.select_favorites(page, threshold, "last")
    assert [row.symbol for row in clicked] == eligible[-1:]
    assert page_actions.current_asset_label(page) == by_symbol(env, eligible[-1]).label
    clicked = page_actions.select_favorites(page, threshold, "first")
    assert [row.symbol for row in clicked] == eligible[:1]
    assert page_actions.current_asset_label(page) == by_symbol(env, eligible[0]).label
    clicked = page_actions.select_favorites(page, threshold, "all")
    assert [row.symbol for row in clicked] == eligible
    current = [row.symbol for row in page_actions.favorites(page) if row.current]
    assert current == eligible[-1:]
    assert page_actions.select_favorites(page, 101, "all") == []


def test_switch_asset_outside_favorites_and_period(page: TradingPage, env: BrowserEnv) -> None:
    shown = {row.symbol for row in page_actions.favorites(page)}
    target = next(a for a in env.broker.assets if a.active and a.symbol not in shown)
    page_actions.switch_asset(page, target.symbol)
    assert page_actions.current_asset_label(page) == target.label
    clients = env.broker.state()["clients"]
    assert any(c["events_in"].get("changeSymbol", 0) >= 2 for c in clients)
    assert page_actions.switch_period(page, "5m") == 300
    assert page_actions.current_period(page) == 300
    assert page_actions.switch_period(page, 60) == 60
    with pytest.raises(Exception, match="no 7s period"):
        page_actions.switch_period(page, "7s")


def test_amount_and_any_expiry_then_a_put_click_reaches_the_broker(page: TradingPage, env: BrowserEnv) -> None:
    page_actions.switch_asset(page, page_actions.favorites(page)[0].symbol)
    page_trade.prepare_order(page, Direction.PUT, 2.5, 93)
    assert page_trade.panel_state(page) == page_trade.PanelState(2.5, 93)
    assert page_trade.clock_text(93) == "00:01:33"
    before = len(env.broker.ledger)
    page_trade.click_direction(page, Direction.PUT)
    entry = wait_until(lambda: env.broker.ledger[before] if len(env.broker.ledger) > before else None, 10,
                       "the order at the broker")
    assert (entry.direction, entry.amount, entry.expiry, entry.status) == ("put", 2.5, 93, "opened")
    assert len(env.broker.ledger) == before + 1


def test_prepare_order_refuses_when_the_page_shows_another_asset(page: TradingPage, env: BrowserEnv) -> None:
    shown = page_actions.current_asset_label(page)
    before = len(env.broker.ledger)
    with pytest.raises(PageError, match=f"the page shows {shown}, not Some Other Asset"):
        page_trade.prepare_order(page, Direction.CALL, 1, 5, asset_label="Some Other Asset")
    page_trade.prepare_order(page, Direction.CALL, 1, 5, asset_label=shown)
    assert len(env.broker.ledger) == before  # preparing never trades


@pytest.mark.slow
def test_deals_are_read_by_clicking_their_tab_and_the_users_tab_comes_back(page: TradingPage, env: BrowserEnv) -> None:
    page_deals.show_tab(page, "closed")  # the user left the Closed tab active (the live page keeps it)
    closed_before = len(page_deals.read_deals(page, "closed"))
    target = page_actions.favorites(page)[0]
    asset = by_symbol(env, target.symbol)
    page_actions.switch_asset(page, target.symbol)
    page_trade.prepare_order(page, Direction.CALL, 1.5, 5)  # 1.5: no other deal here uses it (rows have no id)
    before = len(env.broker.ledger)
    page_trade.click_direction(page, Direction.CALL)
    entry = wait_until(lambda: env.broker.ledger[before] if len(env.broker.ledger) > before else None, 10,
                       "the order at the broker")
    opened = wait_until(lambda: [r for r in page_deals.read_deals(page, "opened") if r.amount == 1.5], 5,
                        "the open row")
    assert page_deals.active_tab(page) == "closed"  # read through the Opened tab, then the user's tab again
    assert page_actions.open_deal_count(page) == len(page_deals.read_deals(page, "opened")) >= 1
    row = opened[0]
    assert (row.asset, row.direction, row.closed) == (asset.label, "call", False)
    assert row.returned == pytest.approx(1.5 * (100 + asset.payout) / 100, abs=0.006)
    closed_entry = wait_until(
        lambda: next((e for e in env.broker.ledger if e.request_id == entry.request_id and e.closed), None), 15,
        "the broker to close the deal")
    closed = wait_until(lambda: (rows := page_deals.read_deals(page, "closed")) and len(rows) == closed_before + 1
                        and rows, 5, "the closed row")
    assert (closed[0].asset, closed[0].direction, closed[0].amount) == (asset.label, "call", 1.5)
    assert closed[0].profit == round(closed_entry.profit, 2)
    assert closed[0].returned == max(0.0, round(1.5 + closed_entry.profit, 2))
    assert [r for r in page_deals.read_deals(page, "opened") if r.amount == 1.5] == []
    assert page_deals.active_tab(page) == "closed"
    page_deals.show_tab(page, "opened")
    with pytest.raises(ValueError, match="opened or closed"):
        page_deals.show_tab(page, "history")


def test_doctor_finds_every_first_choice_on_a_healthy_page(page: TradingPage) -> None:
    checks = {check.name: check for check in check_selectors(page)}
    assert set(checks) == set(page.selectors)
    bad = {name: check.status for name, check in checks.items() if check.status not in ("ok", "empty")}
    assert bad == {}


def test_detach_ends_the_session_and_leaves_the_browser_and_page_running(env: BrowserEnv) -> None:
    extra = TradingPage.attach("127.0.0.1", env.port)
    extra.detach()
    extra.detach()  # idempotent
    assert env.browser.alive()
    assert any(tab["url"].startswith(env.broker.url) for tab in list_tabs("127.0.0.1", env.port))
