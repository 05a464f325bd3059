"""The WebSocket stream under abuse: bounded topics, pruned series, bad messages closed with 1003, loop kept free."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import websocket

TOKEN = "t" * 43  # the token tests/api/conftest.py serves with
MAX_TOPICS = 256  # quantumflux.api.stream.MAX_TOPICS, the documented bound


def _connect(base: str) -> websocket.WebSocket:
    return websocket.create_connection(base.replace("http://", "ws://") + f"/ws/stream?token={TOKEN}", timeout=30)


def _close_code(ws: websocket.WebSocket) -> int:
    opcode, data = ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE, (opcode, data)
    return int.from_bytes(data[:2], "big")


def test_topics_per_connection_are_bounded_with_a_clear_error(stored_api: httpx.Client):
    ws = _connect(str(stored_api.base_url))
    try:
        ws.send(json.dumps({"subscribe": [f"ticks:A{i}" for i in range(MAX_TOPICS + 1)]}))
        answer = json.loads(ws.recv())
        assert str(MAX_TOPICS) in answer["error"] and answer["subscribed"] == []
        ws.send(json.dumps({"subscribe": ["ticks:EURUSD_otc", "trades"]}))
        assert json.loads(ws.recv()) == {"subscribed": ["ticks:EURUSD_otc", "trades"]}
    finally:
        ws.close()


def test_candle_series_are_pruned_when_their_last_subscriber_leaves(stored_api: httpx.Client):
    def series() -> int:
        return stored_api.get("/status").json()["stream"]["candle_series"]

    first, second = _connect(str(stored_api.base_url)), _connect(str(stored_api.base_url))
    first.send(json.dumps({"subscribe": ["candles:EURUSD_otc:1m", "candles:#AAPL_otc:5m"]}))
    json.loads(first.recv())
    second.send(json.dumps({"subscribe": ["candles:EURUSD_otc:1m"]}))
    json.loads(second.recv())
    assert series() == 2
    first.close()
    deadline = time.time() + 10
    while series() != 1 and time.time() < deadline:
        time.sleep(0.05)
    assert series() == 1  # EURUSD_otc 1m is still wanted by the second client
    second.close()
    while series() != 0 and time.time() < deadline:
        time.sleep(0.05)
    assert series() == 0


def test_binary_and_non_json_messages_get_close_code_1003(stored_api: httpx.Client):
    for send in (lambda ws: ws.send_binary(b"\x00\x01binary"), lambda ws: ws.send("subscribe please")):
        ws = _connect(str(stored_api.base_url))
        try:
            send(ws)
            assert _close_code(ws) == 1003
        finally:
            ws.close()
    assert stored_api.get("/status").status_code == 200  # the server is fine


def test_subscribing_many_topics_does_not_stall_the_event_loop(stored_api: httpx.Client):
    base = str(stored_api.base_url)
    clients = [_connect(base) for _ in range(4)]
    replies: list[Any] = []

    def subscribe_all() -> None:
        for n, ws in enumerate(clients):  # every topic a new asset: each one looks for stored candles
            ws.send(json.dumps({"subscribe": [f"candles:X{n}_{i}_otc:1m" for i in range(MAX_TOPICS - 6)]}))
        replies.extend(json.loads(ws.recv()) for ws in clients)

    worker = threading.Thread(target=subscribe_all)
    worker.start()
    slowest = 0.0
    while worker.is_alive():
        started = time.perf_counter()
        assert httpx.get(base + "/health", timeout=30).status_code == 200
        slowest = max(slowest, time.perf_counter() - started)
        time.sleep(0.02)
    worker.join()
    for ws in clients:
        ws.close()
    assert all(len(reply["subscribed"]) == MAX_TOPICS - 6 for reply in replies)
    assert slowest < 0.4, f"/health waited {slowest:.3f} s while topics were subscribed"
