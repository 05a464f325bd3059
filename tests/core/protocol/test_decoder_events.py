"""Every event kind, in both the single-frame and the two-frame form, decodes to exact values."""

from __future__ import annotations

import pytest

from quantumflux.core.model import AssetType, Candle, Direction, Outcome, PageChoice, Tick
from quantumflux.core.protocol import events as ev

T0 = 1764000000.0


def only(events: list, kind: type) -> list:
    return [event for event in events if isinstance(event, kind)]
FORMS = ["every_event_single.jsonl", "every_event_two_frame.jsonl"]


@pytest.fixture(params=FORMS, scope="module")
def decoded(request, decode):
    return decode(request.param)


def test_every_kind_is_emitted_once_per_frame_in_order(decoded):
    events, decoder = decoded
    kinds = [type(event).__name__ for event in events]
    assert kinds == [
        "LoginAttempted", "LoginSucceeded", "TicksReceived", "AssetsUpdated", "BalanceUpdated",
        "PageChoiceChanged", "PageChoiceChanged", "HistoryReceived", "HistoryRequested", "HistoryReceived",
        "OrderRequested", "OrderOpened", "OrderRequested", "OrderFailed", "DealsOpened", "DealsClosed",
        "DealsClosed", "PendingOrderRequested", "PendingOrderOpened", "PendingOrdersUpdated",
        "PendingCancelRequested", "PendingOrderCancelled", "PendingOrderFailed", "FavoritesUpdated",
        "SentimentUpdated", "LoginRejected", "SessionDisconnected",
    ]
    stats = decoder.stats
    assert stats.events == {kind: kinds.count(kind) for kind in set(kinds)}
    assert stats.unknown == {}
    assert stats.ignored == {"ps": 1}
    assert stats.malformed == {"updateAssets: bad row": 1}  # the fixture's "not a row"
    assert decoder.offset == 0.0


def test_login_attempt_keeps_only_account_kind_and_uid(decoded):
    (login,) = only(decoded[0], ev.LoginAttempted)
    assert login == ev.LoginAttempted(login.t_recv, "1234.56", is_demo=True, uid=84123456)
    assert only(decoded[0], ev.LoginSucceeded)[0].socket == "1234.56"
    assert only(decoded[0], ev.LoginRejected)[0].reason == "NotAuthorized"


def test_ticks_keep_frame_order_and_assets(decoded):
    (ticks,) = only(decoded[0], ev.TicksReceived)
    expected = (Tick("EURUSD_otc", T0 + 1.8, 1.15311), Tick("#AAPL_otc", T0 + 1.9, 187.25))
    assert ticks == ev.TicksReceived(ticks.t_recv, "1234.56", expected)
    assert all(type(tick) is Tick for tick in ticks.ticks)


def test_fast_path_events_are_ordinary_frozen_events():
    import dataclasses

    from quantumflux.core.protocol.decoder import Decoder
    from quantumflux.core.protocol.framing import RawFrame, encode_event

    decoder = Decoder(correct_offset=False)
    frames = [RawFrame(T0 + i, "s", "in", 1, encode_event("updateStream", [["A", T0 + i, 1.0 + i]])) for i in range(8)]
    events = [event for frame in frames for event in decoder.feed(frame)]
    assert decoder.stats.events == {"TicksReceived": 8}
    last = events[-1]
    assert last == ev.TicksReceived(T0 + 7, "s", (Tick("A", T0 + 7, 8.0),)) and hash(last) == hash(events[-1])
    assert repr(last).startswith("TicksReceived(t_recv=")
    with pytest.raises(dataclasses.FrozenInstanceError):
        last.ticks = ()


def test_asset_rows_are_read_by_index_defensively(decoded):
    (update,) = only(decoded[0], ev.AssetsUpdated)
    eurusd, apple, bitcoin = update.assets
    assert (eurusd.symbol, eurusd.label, eurusd.type, eurusd.digits, eurusd.payout) == (
        "EURUSD_otc", "EUR/USD OTC", AssetType.CURRENCY, 5, 92.0)
    assert (eurusd.otc, eurusd.active, eurusd.id) == (True, True, 66)
    assert (eurusd.default_expiry, eurusd.min_expiry) == (60, 30)
    assert eurusd.allowed_timeframes == (60, 120, 300, 14400)
    # a short row: defaults where fields are missing
    assert (apple.symbol, apple.label, apple.type, apple.payout, apple.otc, apple.active) == (
        "#AAPL", "Apple", AssetType.STOCK, 0.0, False, True)
    # a longer row with trailing extras; inactive
    assert (bitcoin.symbol, bitcoin.type, bitcoin.payout, bitcoin.active, bitcoin.digits) == (
        "BTCUSD_otc", AssetType.CRYPTO, 85.0, False, 2)
    assert bitcoin.allowed_timeframes == (5, 60)


def test_balance(decoded):
    (balance,) = only(decoded[0], ev.BalanceUpdated)
    assert (balance.balance.amount, balance.balance.is_demo) == (48335.49, True)


def test_page_choice_from_change_symbol_and_update_charts(decoded):
    first, second = only(decoded[0], ev.PageChoiceChanged)
    assert (first.choice, first.source) == (PageChoice("#AAPL_otc", 300), "updateCharts")
    assert (second.choice, second.source) == (PageChoice("EURUSD_otc", 60), "changeSymbol")


def test_update_charts_does_not_override_the_pages_own_change_symbol():
    from quantumflux.core.protocol.decoder import Decoder
    from quantumflux.core.protocol.framing import RawFrame, encode_event

    decoder = Decoder()
    charts = [{"chart_id": "chart-1", "settings": '{"symbol": "EURUSD_otc", "chartPeriod": 4}'}]
    # at login the page's changeSymbol can overtake the broker's saved layout on the wire
    (chosen,) = decoder.feed(RawFrame(T0, "a", "out", 1, encode_event("changeSymbol",
                                                                      {"asset": "BTCUSD_otc", "period": 60})))
    assert decoder.feed(RawFrame(T0 + 0.1, "a", "in", 1, encode_event("updateCharts", charts))) == []
    assert chosen.choice == PageChoice("BTCUSD_otc", 60)
    (other,) = decoder.feed(RawFrame(T0 + 0.2, "b", "in", 1, encode_event("updateCharts", charts)))
    assert (other.choice, other.socket) == (PageChoice("EURUSD_otc", 60), "b")  # another socket: still used


def test_history_candles_map_ohlc_and_ascend(decoded):
    fast, answer = only(decoded[0], ev.HistoryReceived)
    assert (fast.asset, fast.period, fast.index, fast.event) == ("EURUSD_otc", 60, None, "updateHistoryNewFast")
    # broker rows are [t, open, close, high, low(, volume)], newest first
    assert fast.candles == (
        Candle("EURUSD_otc", 60, T0 - 180, open=1.15250, high=1.15280, low=1.15240, close=1.15270),
        Candle("EURUSD_otc", 60, T0 - 120, open=1.15270, high=1.15295, low=1.15260, close=1.15290, volume=42),
        Candle("EURUSD_otc", 60, T0 - 60, open=1.15290, high=1.15310, low=1.15280, close=1.15300),
    )
    assert [tick.time for tick in fast.ticks] == [T0 - 2.5, T0 - 1.5, T0 - 0.5]
    assert all(candle.low <= min(candle.open, candle.close) <= candle.high for candle in fast.candles)
    # loadHistoryPeriod answers are dicts: candle entries and tick-like entries
    assert (answer.index, answer.event, answer.period) == (176399000060, "loadHistoryPeriod", 60)
    assert answer.candles == (
        Candle("EURUSD_otc", 60, 1763990000.0, open=1.150, high=1.1515, low=1.1495, close=1.151),
        Candle("EURUSD_otc", 60, 1763990060.0, open=1.151, high=1.153, low=1.150, close=1.152),
    )
    assert answer.ticks == (Tick("EURUSD_otc", 1763990030.5, 1.1505),)


def test_outgoing_history_request(decoded):
    (request,) = only(decoded[0], ev.HistoryRequested)
    assert (request.asset, request.period, request.index, request.time, request.offset) == (
        "EURUSD_otc", 60, 176399000060, 1763990000.0, 9000)


def test_orders_requested_opened_failed(decoded):
    first, second = only(decoded[0], ev.OrderRequested)
    assert (first.asset, first.amount, first.direction, first.expiry, first.request_id, first.is_demo) == (
        "EURUSD_otc", 1.0, Direction.CALL, 60, "b1f0c2a4-5d6e-4f70-8a9b-0c1d2e3f4a5b", True)
    assert (second.direction, second.request_id, second.expiry) == (Direction.PUT, "42", 300)
    (opened,) = only(decoded[0], ev.OrderOpened)
    deal = opened.deal
    assert (deal.id, deal.asset, deal.direction, deal.amount) == ("d-1", "EURUSD_otc", Direction.CALL, 1.0)
    # openMs 120 is the millisecond part of openTimestamp; closeMs 0
    assert (deal.open_time, deal.close_time, deal.open_price, deal.close_price) == (
        T0 + 10.12, T0 + 70, 1.15311, None)
    assert (deal.request_id, deal.closed, deal.outcome, deal.payout) == (
        "b1f0c2a4-5d6e-4f70-8a9b-0c1d2e3f4a5b", False, Outcome.UNKNOWN, 92.0)
    (failed,) = only(decoded[0], ev.OrderFailed)
    assert (failed.error, failed.asset, failed.amount) == ("Asset is closed", "#AAPL", 5.0)


def test_deals_opened_and_closed(decoded):
    (opened,) = only(decoded[0], ev.DealsOpened)
    assert [(deal.id, deal.closed, deal.outcome) for deal in opened.deals] == [("d-1", False, Outcome.UNKNOWN)]
    close_order, closed_deals = only(decoded[0], ev.DealsClosed)
    assert close_order.returned == 1.92  # gross: the 1.00 stake back plus the 0.92 win
    (won,) = close_order.deals
    assert (won.closed, won.profit, won.outcome, won.close_price) == (True, 0.92, Outcome.WIN, 1.1533)
    assert won.expiry == pytest.approx(59.88)  # opened at +10.120, closed at +70.000
    assert closed_deals.returned is None
    assert [(deal.id, deal.direction, deal.outcome) for deal in closed_deals.deals] == [
        ("d-1", Direction.CALL, Outcome.WIN), ("d-0", Direction.PUT, Outcome.DRAW)]


def test_event_to_dict_is_json_ready(decoded):
    import json

    for event in decoded[0]:
        data = ev.event_to_dict(event)
        assert data["kind"] == type(event).__name__
        assert json.loads(json.dumps(data)) == data
    (opened,) = only(decoded[0], ev.OrderOpened)
    assert ev.event_to_dict(opened)["deal"]["direction"] == "call"


def test_event_kinds_cover_the_union():
    assert set(ev.EVENT_KINDS) == {cls.__name__ for cls in ev.Event.__args__}
    for cls in ev.EVENT_KINDS.values():
        names = list(cls.__dataclass_fields__)
        assert names[:2] == ["t_recv", "socket"]
        assert cls.__dataclass_params__.frozen and hasattr(cls, "__slots__")


def test_socket_lifecycle_events():
    from quantumflux.core.protocol.decoder import Decoder

    decoder = Decoder()
    (opened,) = decoder.socket_opened("9.1", "wss://demo-api-eu.po.market/socket.io/?EIO=4", T0)
    assert opened == ev.SocketOpened(T0, "9.1", "wss://demo-api-eu.po.market/socket.io/?EIO=4", True)
    assert decoder.socket_opened("9.2", "wss://api-eu.po.market/socket.io/", T0)[0].is_demo is False
    assert decoder.socket_opened("9.3", "ws://127.0.0.1:8765/socket.io/", T0)[0].is_demo is None
    assert decoder.socket_closed("9.1", T0 + 1) == [ev.SocketClosed(T0 + 1, "9.1")]
    assert decoder.stats.events == {"SocketOpened": 3, "SocketClosed": 1}


def test_deal_times_keep_their_milliseconds():
    from quantumflux.core.protocol import payloads

    base = {"id": "x", "asset": "A", "command": 0, "amount": 1}
    # the real form: whole seconds plus the 0-999 millisecond part
    assert payloads.deal({**base, "openTimestamp": T0, "openMs": 370}, False).open_time == T0 + 0.37
    assert payloads.deal({**base, "closeTimestamp": T0 + 5, "closeMs": 999}, True).close_time == T0 + 5.999
    assert payloads.deal({**base, "closeTimestamp": T0 + 5}, True).close_time == T0 + 5  # no closeMs yet
    # a millisecond timestamp already holds the milliseconds: openMs is not added twice
    assert payloads.deal({**base, "openTimestamp": T0 * 1000 + 250, "openMs": 250}, False).open_time == T0 + 0.25
    assert payloads.deal({**base, "openTimestamp": T0 + 0.5, "openMs": 120}, False).open_time == T0 + 0.5
    assert payloads.deal({**base, "openMs": 120}, False).open_time is None  # only the ms part: not a time
    assert payloads.deal({**base, "openMs": T0 * 1000 + 5}, False).open_time == T0 + 0.005  # older clients
    assert payloads.deal({**base, "openTime": "2025-11-24 16:00:30"}, False).open_time == T0 + 30
    assert payloads.deal({**base, "openTime": "2025-11-24 16:00:30", "openMs": 40}, False).open_time == T0 + 30.04
    assert payloads.deal({**base, "closeTime": "not a time"}, True).close_time is None


def test_pending_orders_favorites_and_sentiment(decoded):
    from quantumflux.core.model import PendingOrder

    expected = PendingOrder(ticket="8924b0f1-83a0-4050-937c-e8483af4f3f7", asset="EURUSD_otc",
                            direction=Direction.PUT, amount=10.0, kind="price", open_time=T0 + 1800,
                            open_price=1.13183, timeframe=60, min_payout=60.0, created=T0 + 20)
    (requested,) = only(decoded[0], ev.PendingOrderRequested)
    assert requested.order == PendingOrder(ticket="", asset="EURUSD_otc", direction=Direction.PUT, amount=10.0,
                                           kind="price", open_time=T0 + 1800, open_price=1.13183, timeframe=60,
                                           min_payout=60.0)
    assert only(decoded[0], ev.PendingOrderOpened)[0].order == expected
    assert only(decoded[0], ev.PendingOrdersUpdated)[0].orders == (expected,)
    assert only(decoded[0], ev.PendingCancelRequested)[0].ticket == expected.ticket
    (cancelled,) = only(decoded[0], ev.PendingOrderCancelled)
    assert (cancelled.ticket, cancelled.ok, cancelled.error) == (expected.ticket, True, None)
    (failed,) = only(decoded[0], ev.PendingOrderFailed)
    assert (failed.error, failed.asset, failed.amount) == ("Min payout is not reached", "EURUSD_otc", 10.0)
    assert only(decoded[0], ev.FavoritesUpdated)[0].symbols == ("EURUSD_otc", "#AAPL_otc")
    assert only(decoded[0], ev.SentimentUpdated)[0].values == (("EURUSD_otc", 63.0), ("#AAPL_otc", 41.0))


def test_chart_period_is_the_page_timeframe_id():
    from quantumflux.core.protocol import payloads

    def charts(period: object) -> list:
        return [{"chart_id": "c", "settings": f'{{"symbol": "X", "chartPeriod": {period}}}'}]

    assert payloads.chart_choice(charts(6)) == PageChoice("X", 300)
    assert payloads.chart_choice(charts(4)) == PageChoice("X", 60)
    assert payloads.chart_choice(charts(0)) == PageChoice("X", 5)
    assert payloads.chart_choice(charts(12)) == PageChoice("X", 86400)
    assert payloads.chart_choice(charts(60)) is None  # not a timeframe id: no guess
    assert payloads.chart_choice(charts('"abc"')) is None


def test_asset_type_accepts_the_real_word_and_the_old_alias():
    assert AssetType.parse("cryptocurrency") is AssetType.CRYPTO
    assert AssetType.parse("crypto") is AssetType.CRYPTO
    assert AssetType.parse("Cryptocurrency") is AssetType.CRYPTO
    assert AssetType.CRYPTO.value == "cryptocurrency"
    assert AssetType.parse("metals") is AssetType.OTHER
