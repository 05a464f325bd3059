"""Fault injection: spec parsing, malformed/duplicate frames, drops, refused reconnects, control API."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
import websocket
from sim_wire_client import WireClient

from quantumflux.core.protocol.framing import FrameError, parse_text
from quantumflux.sim import FaultSpec, PracticeBroker


def _http(url: str, method: str = "GET") -> tuple[int, object]:
    headers = {"Content-Type": "application/json"} if method == "POST" else {}  # control POSTs must say JSON
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_fault_spec_parsing():
    spec = FaultSpec.parse("drop_after=30, refuse_reconnect=5,malformed=0.01,delay_ms=50,duplicate=0.02,"
                           "slow_buttons_ms=500,rename_selector=call_button,rename_selector=put_button:x-put")
    assert spec.drop_after == 30 and spec.refuse_reconnect == 5 and spec.malformed == 0.01
    assert spec.delay_ms == 50 and spec.duplicate == 0.02 and spec.slow_buttons_ms == 500
    assert spec.rename_selectors == {"call_button": "qf-renamed-call_button", "put_button": "x-put"}
    assert FaultSpec.parse(str(spec)) == spec
    assert FaultSpec.parse(None) == FaultSpec() == FaultSpec.parse("")
    for bad, message in (("bogus=1", "unknown fault"), ("malformed=2", "ratio"), ("delay_ms=-1", "negative"),
                         ("drop_after", "needs a value"), ("delay_ms=soon", "needs a number")):
        with pytest.raises(ValueError, match=message):
            FaultSpec.parse(bad)


def _is_malformed(frame: tuple[int, bytes], previous: tuple[int, bytes] | None) -> bool:
    opcode, data = frame
    if opcode == websocket.ABNF.OPCODE_BINARY:
        placeholder = previous is not None and previous[1].startswith(b"451-")
        try:
            json.loads(data)
        except ValueError:
            return True
        return not placeholder
    try:
        parse_text(data.decode())
    except FrameError:
        return True
    return False


def test_malformed_frames_are_injected_at_the_ratio_and_the_stream_survives():
    with PracticeBroker(assets=40, faults="malformed=0.2", seed=5, tick_rate=8.0) as broker:
        client = WireClient(broker.ws_url)
        client.login()
        client.subscribe("EURUSD_otc", "GBPUSD_otc", "BTCUSD_otc", "#AAPL_otc")
        deadline = time.time() + 10
        while client.messages < 200 and time.time() < deadline:
            client.read()
        client.close()
    frames = client.frames
    bad = sum(_is_malformed(frame, frames[i - 1] if i else None) for i, frame in enumerate(frames))
    assert client.messages >= 200
    ratio = bad / client.messages
    assert 0.1 < ratio < 0.3
    assert len(client.ticks()) > 100


def test_duplicate_and_delay():
    with PracticeBroker(assets=3, faults="duplicate=1,delay_ms=300") as broker:
        started = time.time()
        client = WireClient(broker.ws_url)
        assert time.time() - started >= 0.25
        client.login()
        client.wait_for("updateAssets")
        client.wait_for("updateAssets")
        client.close()
    assert [event.name for event in client.events[:2]] == ["successauth", "successauth"]


def test_drop_after_then_refused_reconnect_then_accepted():
    with PracticeBroker(assets=3, faults="drop_after=0.8,refuse_reconnect=1") as broker:
        client = WireClient(broker.ws_url)
        client.login()
        started = time.time()
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            client.read_for(5)
        assert time.time() - started < 2.5
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            WireClient(broker.ws_url)
        assert refused.value.status_code == 503
        time.sleep(1.1)
        broker.set_faults(None)
        again = WireClient(broker.ws_url)
        assert again.login().name == "successauth"
        again.close()


def test_control_endpoint_faults_ledger_drop_and_restart():
    with PracticeBroker(assets=5, min_expiry=1) as broker:
        base = broker.url.rstrip("/")
        status, faults = _http(base + "/control/faults?slow_buttons_ms=700&rename_selector=call_button", "POST")
        assert status == 200 and faults["slow_buttons_ms"] == 700
        status, config = _http(base + "/page-config.json")
        assert config["slow_buttons_ms"] == 700
        assert config["rename_selectors"] == {"call_button": "qf-renamed-call_button"}
        assert config["session"] and config["socket_path"] == "/socket.io/?EIO=4&transport=websocket"
        status, message = _http(base + "/control/faults?malformed=7", "POST")
        assert status == 400 and "ratio" in message
        assert broker.faults.slow_buttons_ms == 700  # a bad spec keeps the old faults
        assert _http(base + "/control/drop")[0] == 405

        client = WireClient(broker.ws_url)
        client.login()
        client.send_event("openOrder", {"asset": "EURUSD_otc", "amount": 5, "action": "put", "time": 60,
                                        "requestId": "ctl-1"})
        client.wait_for("successopenOrder")
        status, ledger = _http(base + "/control/ledger")
        assert status == 200 and ledger[-1]["request_id"] == "ctl-1" and ledger[-1]["status"] == "opened"
        assert _http(base + "/control/drop", "POST")[1] == {"dropped": 1}
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            client.read_for(3)

        port = broker.port
        assert _http(base + "/control/restart", "POST")[0] == 202
        time.sleep(0.5)
        assert broker.port == port
        again = WireClient(broker.ws_url)
        assert again.login().name == "successauth"
        opened = again.wait_for("updateOpenedDeals").payload
        assert [deal["requestId"] for deal in opened] == ["ctl-1"]
        again.close()
        broker.restart()
        assert _http(base + "/control/state")[1]["orders"] == 1


def test_http_routes_and_socket_query_checks():
    with PracticeBroker(assets=2) as broker:
        base = broker.url.rstrip("/")
        assert _http(base + "/nothing-here")[0] == 404
        assert _http(base + "/static/../server.py")[0] == 404
        assert _http(base + "/socket.io/?EIO=3&transport=polling")[0] == 400
        assert _http(base + "/page-config.json", "POST")[0] == 405


def test_restart_every_closes_sockets_and_keeps_state():
    with PracticeBroker(assets=3, faults="restart_every=0.8", min_expiry=1) as broker:
        client = WireClient(broker.ws_url)
        client.login()
        client.send_event("openOrder", {"asset": "EURUSD_otc", "amount": 2, "action": "call", "time": 30,
                                        "requestId": "keep"})
        client.wait_for("successopenOrder")
        started = time.time()
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            client.read_for(4)
        assert time.time() - started < 2.5
        broker.set_faults(None)
        time.sleep(0.3)
        again = WireClient(broker.ws_url)
        again.login()
        assert [deal["requestId"] for deal in again.wait_for("updateOpenedDeals").payload] == ["keep"]
        again.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"speed": 0}, "speed"),
        ({"ping_interval_ms": 0}, "ping_interval_ms"),
        ({"min_expiry": 10, "max_expiry": 5}, "expiry range"),
        ({"min_amount": 5, "max_amount": 1}, "amount range"),
        ({"port": 70000}, "port"),
        ({"host": "0.0.0.0"}, "loopback"),
        ({"session": " "}, "session"),
        ({"tick_rate": 0}, "tick rate"),
    ],
)
def test_unusable_settings_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        PracticeBroker(**options)


@pytest.mark.slow
def test_broker_survives_a_burst_of_every_socket_fault():
    spec = "drop_after=1,refuse_reconnect=0.3,malformed=0.05,duplicate=0.05,delay_ms=20"
    with PracticeBroker(assets=8, faults=spec, min_expiry=1, ping_interval_ms=300, ping_timeout_ms=300) as broker:
        sessions = 0
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                client = WireClient(broker.ws_url)
            except (websocket.WebSocketBadStatusException, ConnectionError):
                time.sleep(0.1)
                continue
            try:
                client.login()
                client.send_event("openOrder", {"asset": "EURUSD_otc", "amount": 1, "action": "call", "time": 1,
                                                "requestId": f"burst-{sessions}"})
                client.read_for(3)
            except (websocket.WebSocketConnectionClosedException, ConnectionError, AssertionError):
                pass
            finally:
                client.close()
            sessions += 1
        broker.set_faults(None)
        calm = WireClient(broker.ws_url)
        calm.login()
        calm.subscribe("EURUSD_otc")
        deadline = time.time() + 5
        while len(calm.ticks()) <= 10 and time.time() < deadline:
            calm.read()
        calm.close()
        deadline = time.time() + 5
        while time.time() < deadline and (broker.state()["clients"] or not all(e.closed for e in _opened(broker))):
            time.sleep(0.1)
        state = broker.state()
    assert sessions >= 3
    assert len(calm.ticks()) > 10
    assert _opened(broker) and all(entry.closed for entry in _opened(broker))
    assert state["clients"] == []


def _opened(broker: PracticeBroker) -> list:
    return [entry for entry in broker.ledger if entry.status == "opened"]
