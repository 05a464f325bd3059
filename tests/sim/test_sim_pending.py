"""Pending orders on the practice broker: placed, listed, cancelled, triggered by time and by price."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sim_wire_client import WireClient

from quantumflux.core.protocol import events as ev
from quantumflux.core.protocol.decoder import Decoder
from quantumflux.sim import PracticeBroker


@pytest.fixture(scope="module")
def broker():
    with PracticeBroker(seed=5, min_expiry=1, ping_interval_ms=1000) as running:
        yield running


def _utc(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _request(**changes):
    request = {"openType": 0, "amount": 10, "asset": "EURUSD_otc", "openTime": _utc(time.time() + 2),
               "openPrice": 0, "timeframe": 1, "minPayout": 0, "command": 0}
    return {**request, **changes}


def test_time_order_is_listed_then_opens_as_a_deal(broker):
    client = WireClient(broker.ws_url)
    try:
        client.login()
        assert client.wait_for("successupdatePending").payload == []  # the login list
        request = _request(openTime=_utc(time.time() + 2))
        client.send_event("openPendingOrder", request)
        order = client.wait_for("successopenPendingOrder").payload
        assert (order["symbol"], order["amount"], order["openType"], order["timeframe"], order["command"]) == (
            "EURUSD_otc", 10, 0, 1, 0)
        assert order["openTime"] == request["openTime"] and order["ticket"]
        listed = client.wait_for("successupdatePending", predicate=lambda e: e.payload).payload
        assert [o["ticket"] for o in listed] == [order["ticket"]]
        deal = client.wait_for("successopenOrder", timeout=6).payload
        opened_at = deal["openTimestamp"] + deal["openMs"] / 1000
        assert deal["requestId"] == order["ticket"] and deal["command"] == 0
        assert opened_at >= datetime.strptime(request["openTime"], "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=UTC).timestamp()
        assert client.wait_for("successupdatePending", predicate=lambda e: e.payload == []).payload == []
        client.wait_for("successcloseOrder", timeout=5)
    finally:
        client.close()
    decoder = Decoder()
    events = [event for frame in client.capture for event in decoder.feed(frame)] + decoder.flush()
    assert not decoder.stats.unknown and not decoder.stats.malformed
    (opened,) = [e for e in events if isinstance(e, ev.PendingOrderOpened)]
    assert opened.order.ticket == order["ticket"] and opened.order.kind == "time"
    (requested,) = [e for e in events if isinstance(e, ev.PendingOrderRequested)]
    assert requested.order.open_time == opened.order.open_time


def test_price_order_can_be_cancelled_and_bad_requests_fail(broker):
    client = WireClient(broker.ws_url)
    try:
        client.login()
        far = broker.price_at("EURUSD_otc", time.time()) * 2  # a level the price does not reach
        client.send_event("openPendingOrder", _request(openType=1, openPrice=far, command=1))
        order = client.wait_for("successopenPendingOrder").payload
        client.send_event("cancelPendingOrder", {"ticket": order["ticket"]})
        assert client.wait_for("successcancelPendingOrder").payload == {"ticket": order["ticket"]}
        client.send_event("cancelPendingOrder", {"ticket": order["ticket"]})
        assert client.wait_for("failcancelPendingOrder").payload["error"] == "Pending order not found"
        client.send_event("openPendingOrder", _request(openTime=_utc(time.time() - 60)))
        assert client.wait_for("failopenPendingOrder").payload["error"].startswith("Open time must be")
        client.send_event("openPendingOrder", _request(asset="SP500"))
        assert client.wait_for("failopenPendingOrder").payload["error"] == "Asset is closed"
    finally:
        client.close()
    assert broker.pending.listed(True) == []


def test_price_order_opens_when_the_price_gets_there(broker):
    client = WireClient(broker.ws_url)
    try:
        client.login()
        level = broker.price_at("EURUSD_otc", time.time())  # the price walks back to (or through) it soon
        client.send_event("openPendingOrder", _request(openType=1, openPrice=level))
        order = client.wait_for("successopenPendingOrder").payload
        deal = client.wait_for("successopenOrder", timeout=15).payload
    finally:
        client.close()
    assert deal["requestId"] == order["ticket"] and deal["asset"] == "EURUSD_otc"
    opened = deal["openTimestamp"] + deal["openMs"] / 1000
    assert deal["openPrice"] == broker.price_at("EURUSD_otc", opened)


def test_price_trigger_waits_for_the_level_from_the_side_it_started():
    from quantumflux.sim.assets import build_catalog
    from quantumflux.sim.pending import PendingBook

    assets = {asset.symbol: asset for asset in build_catalog(4, 0)}
    book = PendingBook(assets, min_amount=1, max_amount=100, min_expiry=1, max_expiry=60)
    prices = {"p": 1.0}
    order = book.place({"openType": 1, "amount": 5, "asset": "EURUSD_otc", "openPrice": 1.5, "timeframe": 30,
                        "command": 0}, True, 1000.0, prices["p"])
    assert isinstance(order, dict) and order["symbol"] == "EURUSD_otc"
    price_of = lambda symbol, t: prices["p"]  # noqa: E731
    for level in (1.2, 1.49):  # below the level, coming from below: not yet
        prices["p"] = level
        assert book.due(1001.0, price_of) == []
    prices["p"] = 1.5
    ((is_demo, fired),) = book.due(1002.0, price_of)
    assert is_demo is True and fired["ticket"] == order["ticket"] and book.listed(True) == []
