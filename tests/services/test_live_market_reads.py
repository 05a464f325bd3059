"""LiveMarket's stored-history reads: on the reader thread, held while the terminal paints a new asset."""

from __future__ import annotations

import threading
import time

from quantumflux.services.live_market import LiveMarket
from quantumflux.services.market_state import MarketState


def recording_market() -> tuple[LiveMarket, list[tuple[str, float, str]]]:
    reads: list[tuple[str, float, str]] = []

    def stored(asset: str) -> None:
        reads.append((asset, time.monotonic(), threading.current_thread().name))
        return None  # nothing stored

    return LiveMarket(MarketState(stored_history=stored, defer_stored=True)), reads


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_held_read_waits_for_resume_then_runs_on_the_reader_thread() -> None:
    market, reads = recording_market()
    try:
        market.hold_reads()
        market.read(lambda state: state.open_view("EURUSD_otc", 60))
        time.sleep(0.2)
        assert reads == []  # asked for, held
        resumed = time.monotonic()
        market.resume_reads()
        wait_for(lambda: len(reads) == 1)
        asset, at, thread = reads[0]
        assert asset == "EURUSD_otc" and at >= resumed and thread.startswith("qf-history-reader")
        assert market.stored_ready("EURUSD_otc")
        market.read(lambda state: state.open_view("BTCUSD_otc", 60))  # not held any more: read at once
        wait_for(lambda: len(reads) == 2)
    finally:
        market.close()


def test_a_hold_nobody_resumes_ends_after_the_hold_limit() -> None:
    market, reads = recording_market()
    market.HOLD_LIMIT = 0.3
    try:
        market.hold_reads()
        asked = time.monotonic()
        market.ensure_stored("EURUSD_otc")  # a reader that needs it (an API request) gets it after the limit
        assert len(reads) == 1 and 0.25 <= reads[0][1] - asked < 2.0
    finally:
        market.close()


def test_closing_releases_a_held_read() -> None:
    market, reads = recording_market()
    market.HOLD_LIMIT = 30.0
    market.hold_reads()
    market.read(lambda state: state.open_view("EURUSD_otc", 60))
    started = time.monotonic()
    market.close()
    assert time.monotonic() - started < 5.0
