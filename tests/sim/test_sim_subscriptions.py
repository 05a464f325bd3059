"""Subscriptions: the broker streams a client only the assets it subscribed to, the last four of them.

Real broker behaviour as its public clients report it (docs/practice-broker.md, "Subscriptions"):
``changeSymbol``/``subscribeSymbol`` subscribe an asset's prices, ``unsubscribeSymbol`` drops it, a fifth
subscription drops the oldest; ``subfor``/``unsubfor`` switch an asset's sentiment feed (``chafor``).
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sim_wire_client import WireClient

from quantumflux.sim import PracticeBroker
from quantumflux.sim.subscriptions import MAX_STREAMS, Subscriptions


@pytest.fixture(scope="module")
def broker():
    with PracticeBroker(seed=11, tick_rate=8.0, ping_interval_ms=1000) as running:
        yield running


def _streamed(client: WireClient, seconds: float) -> Counter:
    before = len(client.ticks())
    client.read_for(seconds)
    return Counter(tick[0] for tick in client.ticks()[before:])


def _until_streaming(client: WireClient, assets: set[str], timeout: float = 4.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline and not assets <= {tick[0] for tick in client.ticks()}:
        client.read()


def test_nothing_streams_until_the_client_subscribes(broker):
    client = WireClient(broker.ws_url)
    try:
        client.login()
        assert _streamed(client, 0.8) == Counter()
        client.subscribe("EURUSD_otc")
        _until_streaming(client, {"EURUSD_otc"})
        assert set(_streamed(client, 0.8)) == {"EURUSD_otc"}
    finally:
        client.close()


def test_a_fifth_subscription_drops_the_oldest_and_unsubscribe_drops_one(broker):
    client = WireClient(broker.ws_url)
    try:
        client.login()
        five = ["EURUSD_otc", "GBPUSD_otc", "BTCUSD_otc", "#AAPL_otc", "XAUUSD_otc"]
        client.subscribe(*five)
        _until_streaming(client, set(five[1:]))
        assert set(_streamed(client, 1.0)) == set(five[1:])  # EURUSD_otc, the oldest, no longer streams
        client.subscribe("GBPUSD_otc")  # showing it again makes it the newest; nothing is dropped
        client.send_event("unsubscribeSymbol", "BTCUSD_otc")
        client.read_for(0.3)
        assert set(_streamed(client, 1.0)) == {"GBPUSD_otc", "#AAPL_otc", "XAUUSD_otc"}
        (info,) = [c for c in broker.state()["clients"] if c["streams"]]
        assert info["streams"] == ["#AAPL_otc", "XAUUSD_otc", "GBPUSD_otc"]
    finally:
        client.close()


def test_each_client_gets_its_own_assets(broker):
    first, second = WireClient(broker.ws_url), WireClient(broker.ws_url)
    try:
        first.login()
        second.login()
        first.subscribe("EURUSD_otc")
        second.subscribe("ETHUSD_otc", "#MSFT_otc")
        _until_streaming(first, {"EURUSD_otc"})
        _until_streaming(second, {"ETHUSD_otc", "#MSFT_otc"})
        assert set(_streamed(first, 0.8)) == {"EURUSD_otc"}
        assert set(_streamed(second, 0.8)) == {"ETHUSD_otc", "#MSFT_otc"}
    finally:
        first.close()
        second.close()
    emitted = {tick.asset for tick in broker.emitted_ticks(since=time.time() - 1.5)}
    assert {"EURUSD_otc", "ETHUSD_otc", "#MSFT_otc"} <= emitted  # the record holds what was sent


def test_subfor_switches_the_sentiment_feed_only(broker):
    client = WireClient(broker.ws_url)
    try:
        client.login()
        client.send_event("subfor", "EURUSD_otc")
        client.send_event("subfor", "#AAPL_otc")
        first = client.wait_for("chafor", timeout=5).payload
        assert sorted(row[0] for row in first) == ["#AAPL_otc", "EURUSD_otc"]
        assert all(0 <= row[1] <= 100 for row in first)
        assert client.ticks() == []  # sentiment is not a price subscription
        client.send_event("unsubfor", "EURUSD_otc")
        client.read_for(0.2)
        later = client.wait_for("chafor", timeout=5, predicate=lambda e: e.received > time.time() - 0.1).payload
        assert [row[0] for row in later] == ["#AAPL_otc"]
    finally:
        client.close()


def test_subscriptions_keep_order_and_limit():
    subscriptions = Subscriptions()
    for asset in ("A", "B", "C", "D", "E"):
        subscriptions.apply("changeSymbol", asset)
    assert subscriptions.streams == ("B", "C", "D", "E") and MAX_STREAMS == 4
    subscriptions.apply("subscribeSymbol", "B")
    subscriptions.apply("unSubscribeSymbol", "D")
    assert subscriptions.streams == ("C", "E", "B") and "A" not in subscriptions
    subscriptions.apply("subfor", "C")
    subscriptions.apply("unsubfor", "X")
    assert subscriptions.sentiment == {"C"}
