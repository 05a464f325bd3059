"""The practice broker against hostile pages and absurd requests: no cross-origin control, an answer to every order."""

from __future__ import annotations

import http.client
import time

import pytest
from sim_wire_client import WireClient

from quantumflux.sim import PracticeBroker

HUGE = 10**400  # a JSON integer no float can hold


def _post(broker: PracticeBroker, path: str, headers: dict[str, str], body: bytes | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", broker.port, timeout=5)
    try:
        connection.request("POST", path, body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


@pytest.mark.parametrize("headers", [
    {"Content-Type": "text/plain"},                                  # what a page may send without asking
    {},                                                              # no content type at all
    {"Content-Type": "application/x-www-form-urlencoded"},
    {"Content-Type": "application/json", "Origin": "http://evil.example"},  # only possible after a CORS preflight
])
def test_control_posts_without_json_or_from_another_origin_change_nothing(headers: dict[str, str]):
    with PracticeBroker(assets=5) as broker:
        port = broker.port
        client = WireClient(broker.ws_url)
        client.login()
        for path in ("/control/faults?delay_ms=500", "/control/drop", "/control/restart"):
            status, message = _post(broker, path, headers)
            assert status in (403, 415), (path, status, message)
            assert "application/json" in message or "origin" in message.lower()
        time.sleep(0.3)
        assert broker.faults.delay_ms == 0 and broker.port == port
        assert broker.state()["clients"] and broker.state()["clients"][0]["authenticated"]  # not dropped
        client.close()


def test_control_posts_with_json_from_the_broker_itself_still_work():
    with PracticeBroker(assets=5) as broker:
        own = f"http://127.0.0.1:{broker.port}"
        status, _ = _post(broker, "/control/faults?delay_ms=5", {"Content-Type": "application/json"})
        assert status == 200 and broker.faults.delay_ms == 5
        status, _ = _post(broker, "/control/faults?delay_ms=7", {"Content-Type": "application/json; charset=utf-8",
                                                                 "Origin": own})
        assert status == 200 and broker.faults.delay_ms == 7


def test_huge_integers_get_an_error_reply_and_the_session_goes_on():
    with PracticeBroker(assets=5, min_expiry=1) as broker:
        client = WireClient(broker.ws_url)
        try:
            client.login()
            for order in ({"amount": 1, "time": HUGE}, {"amount": HUGE, "time": 60}, {"amount": 1, "time": -HUGE}):
                client.send_event("openOrder", {"asset": "EURUSD_otc", "action": "call", "requestId": "h", **order})
                failed = client.wait_for("failopenOrder").payload
                assert failed["error"]
            now = time.time()
            for request in ({"time": HUGE}, {"time": now, "offset": HUGE}, {"time": now, "period": HUGE},
                            {"time": -HUGE}):
                client.send_event("loadHistoryPeriod", {"asset": "EURUSD_otc", "period": 60, "index": 3, **request})
                answer = client.wait_for("loadHistoryPeriod").payload
                assert answer["error"] and answer["data"] == [] and answer["index"] == 3
            client.send_event("changeSymbol", {"asset": "EURUSD_otc", "period": HUGE})
            client.send_event("loadHistoryPeriod", {"asset": "EURUSD_otc", "period": 60, "time": now, "index": 4})
            answer = client.wait_for("loadHistoryPeriod").payload
            assert answer["index"] == 4 and answer["data"]  # the broker still serves history
            client.send_event("openOrder", {"asset": "EURUSD_otc", "action": "call", "amount": 1, "time": 60,
                                            "requestId": "ok"})
            assert client.wait_for("successopenOrder").payload["requestId"] == "ok"
        finally:
            client.close()
