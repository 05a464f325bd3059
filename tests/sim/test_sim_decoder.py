"""The project's own frame decoder reads everything the practice broker sends, without complaint."""

from __future__ import annotations

from collections import Counter

import pytest
from sim_wire_client import WireClient

from quantumflux.core.protocol.decoder import Decoder
from quantumflux.core.protocol.events import (
    AssetsUpdated,
    BalanceUpdated,
    DealsClosed,
    HistoryReceived,
    LoginSucceeded,
    OrderOpened,
    TicksReceived,
)
from quantumflux.sim import PracticeBroker


@pytest.fixture(scope="module")
def session():
    with PracticeBroker(seed=21, min_expiry=1, ping_interval_ms=500) as broker:
        client = WireClient(broker.ws_url)
        client.login()
        client.send_event("changeSymbol", {"asset": "BTCUSD_otc", "period": 60})
        client.send_event("subfor", "BTCUSD_otc")
        client.wait_for("updateHistoryNewFast")
        client.send_event("openOrder", {"asset": "BTCUSD_otc", "amount": 25, "action": "put", "isDemo": 1,
                                        "requestId": "dec-1", "optionType": 100, "time": 1})
        client.wait_for("successcloseOrder", timeout=5)
        client.read_for(2.2)  # long enough for the 2 s noise events
        client.close()
        yield broker, client


def test_decoder_finds_no_malformed_or_unknown_frames(session):
    _, client = session
    decoder = Decoder()
    for frame in client.capture:
        decoder.feed(frame)
    decoder.flush()
    stats = decoder.stats
    assert not stats.malformed and not stats.unknown and not stats.unpaired
    assert {"updateTime"} <= set(stats.ignored)
    assert stats.events["SentimentUpdated"] >= 1 and stats.events["TicksReceived"] >= 1


def test_decoded_events_match_the_broker(session):
    broker, client = session
    decoder = Decoder()
    events = [event for frame in client.capture for event in decoder.feed(frame)] + decoder.flush()
    kinds = Counter(type(event).__name__ for event in events)
    assert kinds[LoginSucceeded.__name__] == 1
    (assets,) = [event for event in events if isinstance(event, AssetsUpdated)]
    assert len(assets.assets) == len(broker.assets)
    assert {asset.symbol: asset.payout for asset in assets.assets} == {a.symbol: a.payout for a in broker.assets}
    ticks = [tick for event in events if isinstance(event, TicksReceived) for tick in event.ticks]
    assert decoder.offset == 0
    assert sorted(ticks) == sorted(client.ticks())
    (history,) = [event for event in events if isinstance(event, HistoryReceived)]
    assert history.asset == "BTCUSD_otc" and history.period == 60 and len(history.candles) >= 30
    last = max(history.candles, key=lambda candle: candle.time)
    newest = max(history.ticks, key=lambda tick: tick.time)
    assert last.close == newest.price  # the forming candle ends at the newest history tick
    (opened,) = [event for event in events if isinstance(event, OrderOpened)]
    assert opened.deal.request_id == "dec-1"
    closed = [deal for event in events if isinstance(event, DealsClosed) for deal in event.deals]
    entry = broker.ledger[-1]
    assert any(deal.id == entry.deal_id and deal.profit == entry.profit for deal in closed)
    (close_order,) = [event for event in events if isinstance(event, DealsClosed) and event.returned is not None]
    assert close_order.returned == round(entry.amount + entry.profit, 2)  # gross: stake back + win, 0 for a loss
    assert {tick.asset for tick in ticks} == {"BTCUSD_otc"}  # the only asset this client subscribed to
    balances = [event.balance.amount for event in events if isinstance(event, BalanceUpdated)]
    assert balances[0] == 10000.0 and balances[-1] == broker.balances["demo"]


def test_server_local_clock_offset_is_on_the_wire_and_the_decoder_corrects_it():
    with PracticeBroker(seed=4, assets=6, min_expiry=1, clock_offset=7200.0) as broker:
        client = WireClient(broker.ws_url)
        client.login()
        client.send_event("changeSymbol", {"asset": "EURUSD_otc", "period": 60})
        history = client.wait_for("updateHistoryNewFast").payload
        client.send_event("openOrder", {"asset": "EURUSD_otc", "amount": 5, "action": "call", "isDemo": 1,
                                        "requestId": "off-1", "optionType": 100, "time": 1})
        deal = client.wait_for("successopenOrder").payload
        client.wait_for("successcloseOrder", timeout=5)
        client.read_for(0.5)
        client.close()
    deal_id = deal["id"]
    ticks = client.ticks()
    arrival = client.named("updateStream")[-1].received
    assert abs(ticks[-1][1] - 7200 - arrival) < 2
    assert all(broker.price_at(asset, t - 7200) == price for asset, t, price in ticks)
    assert abs(history["history"][0][0] - 7200 - arrival) < 10 and history["candles"][0][0] % 60 == 0
    # deals are stamped in true UTC even though ticks and history run on the broker clock (+2 h)
    entry = broker.ledger[-1]
    assert deal["openTimestamp"] + deal["openMs"] / 1000 == entry.open_time
    assert deal["closeTimestamp"] == entry.close_time == deal["openTimestamp"] + 1
    assert abs(deal["openTimestamp"] - arrival) < 5
    decoder = Decoder()
    events = [event for frame in client.capture for event in decoder.feed(frame)] + decoder.flush()
    assert decoder.offset == 7200
    decoded = sorted(tick for event in events if isinstance(event, TicksReceived) for tick in event.ticks)
    assert decoded == sorted((a, round(t - 7200, 3), p) for a, t, p in ticks)
    (opened,) = [event for event in events if isinstance(event, OrderOpened)]
    assert (opened.deal.open_time, opened.deal.close_time) == (entry.open_time, entry.close_time)
    closed = [deal for event in events if isinstance(event, DealsClosed) for deal in event.deals if deal.id == deal_id]
    assert closed and all(d.close_time == entry.close_time for d in closed)
