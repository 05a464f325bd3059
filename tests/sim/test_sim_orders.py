"""Order lifecycle over the socket, failure reasons, profit arithmetic, ledger and balances."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sim_wire_client import WireClient

from quantumflux.core.model import Outcome
from quantumflux.sim import PracticeBroker
from quantumflux.sim.assets import SimAsset
from quantumflux.sim.orders import NOT_ENOUGH_MONEY, Failure, OrderDesk
from quantumflux.sim.prices import SyntheticPrices


@pytest.fixture(scope="module")
def broker():
    with PracticeBroker(seed=3, assets=44, min_expiry=1, start_balance_real=25.0, ping_interval_ms=1000) as running:
        yield running


def _order(asset="EURUSD_otc", amount=10, action="call", expiry=2, request_id="req-1"):
    return {"asset": asset, "amount": amount, "action": action, "isDemo": 1, "requestId": request_id,
            "optionType": 100, "time": expiry}


def test_order_lifecycle_profit_balance_and_ledger(broker):
    client = WireClient(broker.ws_url)
    try:
        client.login()
        rows = {row[1]: row for row in client.wait_for("updateAssets").payload}
        client.subscribe("EURUSD_otc")
        start = broker.balances["demo"]
        client.send_event("openOrder", _order(amount=10, action="call", request_id="req-call"))
        call = client.wait_for("successopenOrder").payload
        client.send_event("openOrder", _order(amount=3.33, action="put", request_id=42))
        put = client.wait_for("successopenOrder").payload
        assert (call["requestId"], put["requestId"]) == ("req-call", 42)
        assert (call["command"], put["command"]) == (0, 1)
        assert call["percentProfit"] == rows["EURUSD_otc"][5]
        assert call["isDemo"] == 1 and call["asset"] == "EURUSD_otc" and put["amount"] == 3.33
        # whole-second timestamps, openMs their millisecond part; the deal closes expiry s after its open second
        assert 0 <= call["openMs"] <= 999 and "closeMs" not in call
        assert call["closeTimestamp"] - call["openTimestamp"] == 2
        opened = client.wait_for("updateOpenedDeals", predicate=lambda e: len(e.payload) == 2).payload
        assert {deal["id"] for deal in opened} == {call["id"], put["id"]}
        balance = client.wait_for("successupdateBalance", predicate=lambda e: e.payload["balance"] < start - 13)
        assert balance.payload["balance"] == round(start - 13.33, 2)
        closes = []
        while sum(len(event["deals"]) for event in closes) < 2:
            closes.append(client.wait_for("successcloseOrder", timeout=6).payload)
        client.wait_for("updateClosedDeals")
        client.read_for(0.3)
    finally:
        client.close()
    deals = {deal["id"]: deal for event in closes for deal in event["deals"]}
    payout = rows["EURUSD_otc"][5]
    expected_balance = start - 13.33
    for opened_deal, stake in ((call, 10.0), (put, 3.33)):
        deal = deals[opened_deal["id"]]
        assert deal["closeMs"] == 0 and deal["openMs"] == opened_deal["openMs"]
        close_time = deal["closeTimestamp"] + deal["closeMs"] / 1000
        close_price = broker.price_before("EURUSD_otc", close_time)
        assert deal["closePrice"] == close_price
        seen = [p for a, t, p in client.ticks() if a == "EURUSD_otc" and t < close_time]
        assert seen[-1] == close_price  # the last tick the client saw before expiry
        move = np.sign(close_price - deal["openPrice"]) * (1 if deal["command"] == 0 else -1)
        expected = {1: round(stake * payout / 100, 2), 0: 0.0, -1: -stake}[int(move)]
        assert deal["profit"] == expected
        expected_balance += stake + expected
        entry = next(e for e in broker.ledger if e.deal_id == deal["id"])
        assert entry.closed and entry.status == "opened" and entry.profit == expected
        assert entry.close_price == close_price and entry.open_price == deal["openPrice"]
        assert entry.outcome == Outcome.from_profit(expected, True)
    # successcloseOrder's top-level profit is the gross amount paid back: stake + win, 0 for a loss
    assert sum(event["profit"] for event in closes) == pytest.approx(
        sum(d["amount"] + d["profit"] for d in deals.values()))
    assert broker.balances["demo"] == round(expected_balance, 2)
    assert client.named("successupdateBalance")[-1].payload["balance"] == round(expected_balance, 2)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"amount": 0.5}, "Amount must be between 1 and 20000"),
        ({"amount": 20000.01}, "Amount must be between 1 and 20000"),
        ({"expiry": 0}, "Expiration must be"),
        ({"expiry": 14401}, "Expiration must be"),
        ({"expiry": 2.5}, "Expiration must be"),
        ({"asset": "NOPE_otc"}, "Unknown asset"),
        ({"asset": "SP500"}, "Asset is closed"),
        ({"action": "sideways"}, "Unknown action"),
        ({"amount": "ten"}, "Amount must be between 1 and 20000"),
        ({"expiry": None}, "Expiration must be"),
    ],
)
def test_refused_orders_fail_without_request_id(broker, changes, reason):
    client = WireClient(broker.ws_url)
    try:
        client.login()
        before = broker.balances
        request = _order(request_id=f"bad-{reason}")
        for key, value in changes.items():
            request["time" if key == "expiry" else key] = value
        client.send_event("openOrder", request)
        fail = client.wait_for("failopenOrder").payload
    finally:
        client.close()
    assert "requestId" not in fail
    assert fail["error"].startswith(reason)
    assert fail["amount"] == request["amount"] and fail["asset"] == request["asset"]
    entry = broker.ledger[-1]
    assert entry.status == "failed" and entry.reason == fail["error"] and entry.request_id == f"bad-{reason}"
    assert broker.balances == before
    assert json.loads(json.dumps(entry.to_dict(), allow_nan=False))["reason"] == fail["error"]


def test_real_account_is_separate_and_can_run_out_of_money(broker):
    client = WireClient(broker.ws_url)
    try:
        assert client.login(is_demo=0).name == "successauth"
        balance = client.wait_for("successupdateBalance").payload
        assert balance == {"uid": balance["uid"], "balance": 25.0, "isDemo": 0}
        demo_before = broker.balances["demo"]
        client.send_event("openOrder", _order(amount=20, expiry=60, request_id="real-1"))
        deal = client.wait_for("successopenOrder").payload
        assert deal["isDemo"] == 0
        client.send_event("openOrder", _order(amount=20, expiry=60, request_id="real-2"))
        fail = client.wait_for("failopenOrder").payload
    finally:
        client.close()
    assert fail["error"] == NOT_ENOUGH_MONEY
    assert broker.balances == {"demo": demo_before, "real": 5.0}


class _SteppedPrices:
    """A price source whose price jumps from ``before`` to ``after`` at ``switch``."""

    def __init__(self, before: float, after: float, switch: float) -> None:
        self.before, self.after, self.switch = before, after, switch

    def ticks(self, symbol, start, end):  # pragma: no cover - not used by the desk
        return np.empty(0), np.empty(0)

    def price_at(self, symbol, t):
        return self.before if t < self.switch else self.after

    def price_before(self, symbol, t):
        return self.before if t <= self.switch else self.after


@pytest.mark.parametrize(
    ("before", "after", "action", "amount", "payout", "profit", "balance"),
    [
        (1.1, 1.2, "call", 10, 87, 8.7, 1008.7),
        (1.1, 1.2, "call", 3.33, 83, 2.76, 1002.76),
        (1.1, 1.0, "put", 7.77, 92, 7.15, 1007.15),
        (1.1, 1.1, "call", 10, 87, 0.0, 1000.0),
        (1.1, 1.0, "call", 12.34, 87, -12.34, 987.66),
        (1.1, 1.2, "put", 1, 60, -1.0, 999.0),
    ],
)
def test_profit_arithmetic_to_the_cent(before, after, action, amount, payout, profit, balance):
    asset = SimAsset(1, "EURUSD_otc", "EUR/USD OTC", "currency", 5, 1.1, 1e-5, payout, True)
    desk = OrderDesk({"EURUSD_otc": asset}, _SteppedPrices(before, after, 105.0), balance_demo=1000, balance_real=0)
    deal = desk.open(_order(amount=amount, action=action, expiry=30), True, 100.0)
    assert not isinstance(deal, Failure)
    assert desk.balance(True) == round(1000 - amount, 2)
    assert desk.close_due(129.0) == []
    (closed,) = desk.close_due(130.0)
    assert closed["profit"] == profit
    assert desk.balance(True) == balance
    assert desk.balance(False) == 0
    (entry,) = desk.ledger
    assert entry.profit == profit and entry.closed and entry.close_time == 130.0


def test_a_deal_expiring_on_a_tick_closes_at_the_tick_before():
    """Ticks on whole seconds (jitter 0): a deal opened at 100.0 for 30 s expires at 130.0, exactly on a tick;
    that tick opens the next candle, so the deal closes at the tick of 129.0 (docs/backtest.md, the exit rule)."""
    asset = SimAsset(1, "EURUSD_otc", "EUR/USD OTC", "currency", 5, 1.1, 2e-4, 90, True)
    prices = SyntheticPrices([asset], 4, 1.0, 0.0, jitter=0.0)
    times, values = prices.ticks("EURUSD_otc", 90.0, 140.0)
    assert times.tolist() == [float(t) for t in range(91, 141)]  # exactly on whole seconds
    step = next(k for k in range(128, 135) if values[k - 91] != values[k - 92])  # a tick that moved the price
    desk = OrderDesk({"EURUSD_otc": asset}, prices, balance_demo=1000, balance_real=0)
    deal = desk.open(_order(amount=10, action="call", expiry=step - 100), True, 100.0)
    assert not isinstance(deal, Failure)
    (closed,) = desk.close_due(float(step))
    assert closed["closePrice"] == values[step - 92] != values[step - 91]
    assert prices.price_before("EURUSD_otc", float(step)) == values[step - 92]
    assert prices.price_at("EURUSD_otc", float(step)) == values[step - 91]
