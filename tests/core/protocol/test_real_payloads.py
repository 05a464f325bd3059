"""Published real-broker payloads (tests/fixtures/real, sources in its README) through the real commands.

Each capture is replayed with ``quantumflux replay`` (the live collection path: nothing unknown, nothing
malformed) and decoded with ``quantumflux decode``; every decoded value is checked against the published
payload it came from, not against numbers written here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from quantumflux.cli.main import main

REAL = Path(__file__).parents[2] / "fixtures" / "real"
PAYLOADS = REAL / "payloads"
CAPTURES = sorted(path.name for path in REAL.glob("*.jsonl"))


def published(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def frames_of(name: str) -> list[list[Any]]:
    """The published text frames of ``payloads/<name>`` as ``[event, payload]`` (or a tick list)."""
    lines = (PAYLOADS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line[2:] if line.startswith("42") else line) for line in lines]


def decode(capture: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["decode", str(REAL / capture)]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def kinds(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [event for event in events if event["kind"] == kind]


def utc(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_real_capture_replays_with_nothing_unknown_or_malformed(capture, tmp_path, capsys):
    capsys.readouterr()
    assert main(["replay", str(REAL / capture), "--output", str(tmp_path / "out"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["unknown"] == 0 and summary["malformed"] == 0 and summary["unreadable_lines"] == 0
    assert sum(summary["events"].values()) >= 1


def test_real_asset_rows_decode_with_their_real_types(capsys):
    rows = published("updateAssets.chipadevteam-assets3.json")
    (update,) = kinds(decode("assets.jsonl", capsys), "AssetsUpdated")
    assets = update["assets"]
    assert [asset["symbol"] for asset in assets] == [row[1] for row in rows]
    for asset, row in zip(assets, rows, strict=True):
        assert asset["type"] == row[3]  # the broker's own word, "cryptocurrency" included
        assert (asset["label"], asset["digits"], asset["payout"], asset["id"]) == (row[2], row[4], row[5], row[0])
        assert (asset["default_expiry"], asset["min_expiry"]) == (row[6], row[7])
        assert (asset["otc"], asset["active"]) == (bool(row[9]), row[14])
        assert asset["allowed_timeframes"] == [item["time"] for item in row[15]]
    crypto = [asset for asset in assets if asset["type"] == "cryptocurrency"]
    assert len(crypto) == sum(row[3] == "cryptocurrency" for row in rows) == 23
    assert not [asset for asset in assets if asset["type"] == "other"]


def test_real_deal_keeps_milliseconds_and_close_order_reports_the_gross_return(capsys):
    opened_payload = published("successopenOrder.BA_otc.json")
    close_payload = published("successcloseOrder.BA_otc.json")
    events = decode("deal_ba_otc.jsonl", capsys)
    (opened,) = kinds(events, "OrderOpened")
    deal = opened["deal"]
    assert deal["open_time"] == opened_payload["openTimestamp"] + opened_payload["openMs"] / 1000
    assert deal["close_time"] == opened_payload["closeTimestamp"]  # no closeMs while the deal is open
    assert deal["open_time"] == pytest.approx(utc(opened_payload["openTime"]) + 0.37)  # the strings are UTC
    assert (deal["id"], deal["asset"], deal["amount"], deal["open_price"]) == (
        opened_payload["id"], opened_payload["asset"], opened_payload["amount"], opened_payload["openPrice"])
    assert deal["request_id"] == str(opened_payload["requestId"]) and deal["direction"] == "call"
    (closed,) = kinds(events, "DealsClosed")
    assert closed["returned"] == close_payload["profit"]  # 1.92: the 1.00 stake back plus the 0.92 win
    (settled,) = closed["deals"]
    sent = close_payload["deals"][0]
    assert settled["profit"] == sent["profit"] and settled["closed"] is True
    assert closed["returned"] == pytest.approx(sent["amount"] + sent["profit"])
    assert settled["open_time"] == sent["openTimestamp"] + sent["openMs"] / 1000
    assert settled["close_time"] == sent["closeTimestamp"] + sent["closeMs"] / 1000
    assert (settled["open_price"], settled["close_price"]) == (sent["openPrice"], sent["closePrice"])


def test_second_real_deal_string_request_id_and_milliseconds(capsys):
    payload = published("successopenOrder.USDIDR_otc.json")
    (opened,) = kinds(decode("deal_usdidr_otc.jsonl", capsys), "OrderOpened")
    deal = opened["deal"]
    assert deal["open_time"] == payload["openTimestamp"] + payload["openMs"] / 1000
    assert deal["close_time"] == payload["closeTimestamp"] and deal["request_id"] == payload["requestId"]
    assert (deal["asset"], deal["amount"], deal["payout"]) == (payload["asset"], payload["amount"],
                                                               payload["percentProfit"])


def test_real_ticks_and_history_requests(capsys):
    (asset, time, price), = published("updateStream.chipadevteam-types.json")
    (ticks,) = kinds(decode("ticks_eurusd_otc.jsonl", capsys), "TicksReceived")
    assert ticks["ticks"] == [{"asset": asset, "time": time, "price": price}]
    frames = frames_of("frames.lordralinc-reverse.txt")
    events = decode("history_requests_aedcny.jsonl", capsys)
    requests = kinds(events, "HistoryRequested")
    sent = [payload for name, payload in (f for f in frames if isinstance(f[0], str))]
    assert [(r["asset"], r["period"], r["index"], r["time"], r["offset"]) for r in requests] == [
        (p["asset"], p["period"], p["index"], p["time"], p["offset"]) for p in sent]
    ((tick_asset, tick_time, tick_price),) = next(f for f in frames if not isinstance(f[0], str))
    (tick,) = kinds(events, "TicksReceived")
    assert tick["ticks"] == [{"asset": tick_asset, "time": tick_time, "price": tick_price}]


def test_real_pending_order_requests(capsys):
    frames = frames_of("frames.lordralinc-emit-events.txt")
    events = decode("pending_orders.jsonl", capsys)
    requested = [event["order"] for event in kinds(events, "PendingOrderRequested")]
    sent = [payload for name, payload in frames if name == "openPendingOrder"]
    assert len(requested) == len(sent) == 4
    for order, payload in zip(requested, sent, strict=True):
        assert order["kind"] == ("time", "price")[payload["openType"]]
        assert order["direction"] == ("call", "put")[payload["command"]]
        assert (order["asset"], order["amount"], order["timeframe"], order["min_payout"]) == (
            payload["asset"], payload["amount"], payload["timeframe"], payload["minPayout"])
        assert order["open_time"] == utc(payload["openTime"])
        assert order["open_price"] == (payload["openPrice"] or None)  # 0 means "no price" (a time order)
    (cancel,) = kinds(events, "PendingCancelRequested")
    assert cancel["ticket"] == next(p for name, p in frames if name == "cancelPendingOrder")["ticket"]
