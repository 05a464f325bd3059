"""Protocol conformance of the practice broker, frame by frame, with a plain WebSocket client."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
import websocket
from sim_wire_client import WireClient

from quantumflux.core.protocol.framing import parse_text
from quantumflux.sim import PracticeBroker


@pytest.fixture(scope="module")
def broker():
    with PracticeBroker(seed=7, ping_interval_ms=400, ping_timeout_ms=400, min_expiry=1) as running:
        yield running


#: What the shared session shows: four assets, the most the broker streams to one client.
WATCHED = ("EURUSD_otc", "BTCUSD_otc", "#AAPL_otc", "XAUUSD_otc")


@pytest.fixture(scope="module")
def session_log(broker):
    """One authenticated client that subscribed four assets and watched them for 2 s or more (read-only)."""
    client = WireClient(broker.ws_url)
    client.login()
    client.subscribe(*WATCHED)
    started = time.time()
    # At least 2 s, until every watched asset ticked 6 times and one updateStream merged several
    # assets (a merge is a random share of the frames, so a short look may not catch one).
    while time.time() < started + 15:
        client.read()
        seen = Counter(tick[0] for tick in client.ticks())
        mixed = any(len({tick[0] for tick in e.payload}) > 1 for e in client.named("updateStream"))
        if time.time() > started + 2 and len(seen) == len(WATCHED) and min(seen.values()) >= 6 and mixed:
            break
    client.close()
    return client


def test_handshake_open_and_namespace_connect(broker):
    client = WireClient(broker.ws_url)
    try:
        assert client.open_data["upgrades"] == []
        assert client.open_data["pingInterval"] == 400
        assert client.open_data["pingTimeout"] == 400
        assert client.open_data["maxPayload"] > 0
        assert client.connect_namespace() == {"sid": client.open_data["sid"]}
    finally:
        client.close()


def test_client_answering_pongs_stays_connected(broker):
    client = WireClient(broker.ws_url)
    try:
        client.connect_namespace()
        client.read_for(1.0)
        client.send_event("ps")
        client.read_for(1.0)
        assert client.pings >= 4
        assert client.socket.connected
    finally:
        client.close()


def test_client_that_stops_answering_pings_is_dropped(broker):
    client = WireClient(broker.ws_url, answer_pings=False)
    client.connect_namespace()
    started = time.time()
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        while time.time() - started < 4:
            client.read()
    assert client.pings == 1
    assert 0.6 < time.time() - started < 2.5


def test_auth_sends_balance_assets_and_chart_settings(session_log):
    names = [event.name for event in session_log.events]
    assert names[0] == "successauth"
    balance = session_log.named("successupdateBalance")[0].payload
    assert balance["balance"] == 10000.0 and balance["isDemo"] == 1
    rows = session_log.named("updateAssets")[0].payload
    assert len(rows) >= 40
    assert all(len(row) == 19 for row in rows)
    assert {row[3] for row in rows} >= {"currency", "cryptocurrency", "stock", "index", "commodity"}
    symbols = {row[1] for row in rows}
    assert {"EURUSD_otc", "#AAPL_otc", "BTCUSD_otc", "AUDCAD"} <= symbols
    assert all(60 <= row[5] <= 92 for row in rows)
    assert any(row[14] is False for row in rows) and sum(row[14] for row in rows) > 30
    charts = session_log.named("updateCharts")[0].payload
    settings = json.loads(charts[0]["settings"])
    assert {"symbol", "chartPeriod", "demoDealAmount"} <= settings.keys()
    assert settings["chartPeriod"] == 4  # the page's timeframe id for 60 s, not seconds


@pytest.mark.parametrize("session", ["", "   "])
def test_empty_session_is_rejected_with_41(broker, session):
    client = WireClient(broker.ws_url)
    try:
        client.connect_namespace()
        client.send_event("auth", {"session": session, "isDemo": 1})
        assert client.wait_for({"successauth", "NotAuthorized"}).name == "NotAuthorized"
        assert client.read() == "disconnect"
        with pytest.raises(websocket.WebSocketConnectionClosedException):
            client.read_for(2)
    finally:
        client.close()


def test_named_session_is_the_only_one_accepted():
    with PracticeBroker(session="only-this", assets=5) as broker:
        wrong = WireClient(broker.ws_url)
        assert wrong.login("something-else").name == "NotAuthorized"
        wrong.close()
        right = WireClient(broker.ws_url)
        assert right.login("only-this").name == "successauth"
        right.close()
        assert broker.page_config()["session"] == "only-this"


def test_stream_uses_both_forms_and_mixes_assets(session_log, broker):
    streams = session_log.named("updateStream")
    forms = Counter(event.form for event in streams)
    assert forms["binary"] > forms["single"] > 0
    assert any(len({tick[0] for tick in event.payload}) > 1 for event in streams)
    ticks = session_log.ticks()
    assert {tick[0] for tick in ticks} == set(WATCHED)  # only what the client subscribed to
    assert any(round(tick[1] % 1, 3) not in (0.0,) for tick in ticks)
    assert all(round(tick[1], 3) == tick[1] for tick in ticks)


def test_stream_rate_and_prices_follow_the_price_path(session_log, broker):
    per_asset: dict[str, list[float]] = {}
    for asset, t, _ in session_log.ticks():
        per_asset.setdefault(asset, []).append(t)
    for times in per_asset.values():  # 4 Hz: several ticks per second for every asset, none repeated
        assert len(times) >= 6 and len(set(times)) == len(times)
        assert (len(times) - 1) / (max(times) - min(times)) > 3
    for asset, t, price in session_log.ticks():
        assert broker.price_at(asset, t) == price
        assert price > 0


def test_raw_frames_pair_placeholders_with_binary(session_log):
    frames = session_log.frames
    for index, (opcode, data) in enumerate(frames[:-1]):
        if opcode == websocket.ABNF.OPCODE_TEXT and data.startswith(b"451-"):
            assert frames[index + 1][0] == websocket.ABNF.OPCODE_BINARY
            assert parse_text(data.decode()).data == {"_placeholder": True, "num": 0}


def test_noise_events_are_sent(broker):
    client = WireClient(broker.ws_url)
    try:
        client.login()
        update = client.wait_for("updateTime", timeout=5)
    finally:
        client.close()
    assert abs(update.payload - time.time()) < 5


def test_history_is_newest_first_and_matches_live_ticks(broker):
    client = WireClient(broker.ws_url)
    try:
        client.login()
        client.send_event("subscribeSymbol", "EURUSD_otc")  # stream it first, then show it
        client.read_for(1.2)
        client.send_event("changeSymbol", {"asset": "EURUSD_otc", "period": 60})
        history = client.wait_for("updateHistoryNewFast").payload
    finally:
        client.close()
    assert history["asset"] == "EURUSD_otc" and history["period"] == 60
    times = [point[0] for point in history["history"]]
    assert times == sorted(times, reverse=True) and len(times) > 100
    candles = history["candles"]
    assert [c[0] for c in candles] == sorted((c[0] for c in candles), reverse=True)
    assert len(candles) >= 30 and all(c[0] % 60 == 0 for c in candles)
    for _, open_, close, high, low in candles:
        assert low <= min(open_, close) <= max(open_, close) <= high
    # the newest candle is still forming: its close is the newest history tick
    assert candles[0][2] == history["history"][0][1]
    live = {(tick[1], tick[2]) for tick in client.ticks() if tick[0] == "EURUSD_otc"}
    shown = {(t, p) for t, p in history["history"]}
    assert live and live <= shown


def test_load_history_period_echoes_index_in_dict_form(broker):
    client = WireClient(broker.ws_url)
    try:
        client.login()
        now = time.time()
        for name, index in (("loadHistoryPeriod", 177), ("loadHistoryPeriodFast", "x-9")):
            client.send_event(name, {"asset": "#AAPL_otc", "period": 60, "time": now, "index": index, "offset": 1800})
            answer = client.wait_for(name).payload
            assert answer["index"] == index and answer["asset"] == "#AAPL_otc" and answer["period"] == 60
            data = answer["data"]
            assert 29 <= len(data) <= 31
            assert [row["time"] for row in data] == sorted(row["time"] for row in data)
            assert set(data[0]) >= {"symbol_id", "time", "open", "close", "high", "low", "asset"}
            last = data[-1]
            assert last["close"] == broker.price_at("#AAPL_otc", now)
    finally:
        client.close()


def test_no_ticks_before_auth(broker):
    client = WireClient(broker.ws_url)
    try:
        client.connect_namespace()
        client.read_for(0.6)
        assert client.named("updateStream") == []
    finally:
        client.close()


def test_emitted_ticks_hold_what_clients_received(session_log, broker):
    received = session_log.ticks()
    first = min(t for _, t, _ in received)
    emitted = {(tick.asset, tick.time, tick.price) for tick in broker.emitted_ticks(since=first)}
    assert set(received) <= emitted
    assert all(tick.time >= first for tick in broker.emitted_ticks(since=first))


def test_tick_recorder_forgets_the_oldest_rounds_beyond_its_limit():
    from quantumflux.sim.recorder import TickRecorder

    recorder = TickRecorder(limit=5)
    for round_index in range(4):
        recorder.add(["A", "B"], [round_index + 0.1, round_index + 0.2], [1.0, 2.0])
    assert len(recorder) == 4
    assert [tick.time for tick in recorder.ticks()] == [2.1, 2.2, 3.1, 3.2]
    assert [tick.asset for tick in recorder.ticks(since=3.15)] == ["B"]


def test_stop_leaves_no_threads_and_start_again_reuses_the_port():
    import threading

    before = set(threading.enumerate())
    broker = PracticeBroker(assets=3)
    broker.start()
    port = broker.port
    client = WireClient(broker.ws_url)
    client.login()
    client.send_event("changeSymbol", {"asset": "EURUSD_otc", "period": 3600})  # a history worker thread
    client.wait_for("updateHistoryNewFast", timeout=10)
    client.close()
    broker.stop()
    broker.stop()  # twice is fine
    assert set(threading.enumerate()) - before == set()
    broker.start()
    try:
        assert broker.port == port
        assert WireClient(broker.ws_url).login().name == "successauth"
    finally:
        broker.stop()
