"""100 trades back to back with slowed buttons and broker latency: confirmation rate, duplicates, cents."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from trading_session_env import start_session, wait_until  # noqa: E402

from quantumflux.core.risk import RiskLimits  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRADES = 100
NO_LIMITS = RiskLimits(max_stake=None, max_open_trades=None, max_trades_per_hour=None, daily_loss_limit=None,
                       max_consecutive_losses=None)


def test_hundred_trades_with_slow_buttons_and_latency_match_the_ledger(tmp_path: Path) -> None:
    live = start_session(tmp_path, NO_LIMITS, seed=17, faults="slow_buttons_ms=300,delay_ms=150")
    try:
        symbols = [asset.symbol for asset in live.broker.assets if asset.active][:2]
        started = time.monotonic()
        results = []
        for index in range(TRADES):
            asset = symbols[index // 50]  # one asset switch half-way
            direction = "call" if index % 2 else "put"
            amount = 1 + index % 5 + (0.25 if index % 3 == 0 else 0)
            results.append(live.session.place(asset, direction, amount, 5, source="load",
                                              client_id=f"load-{index}"))
        placing = time.monotonic() - started
        confirmed = [r for r in results if r.status == "confirmed"]
        assert len(confirmed) >= 0.99 * TRADES, [r for r in results if r.status != "confirmed"][:3]
        # every confirmed order's close is seen: wait for the last expiry plus the latency
        for result in confirmed:
            live.session.wait_result(result.client_id, timeout=15)
        ledger = {entry.deal_id: entry for entry in live.broker.ledger}
        wait_until(lambda: all(e.closed for e in live.broker.ledger), 15, "the broker to close every deal")
        ledger = {entry.deal_id: entry for entry in live.broker.ledger}
        records = live.journal.list(strategy="load")
    finally:
        live.stop()

    # zero duplicates: one broker order per client id, each deal claimed once
    assert len(live.broker.ledger) == len(confirmed) == len(ledger)
    assert len({r.deal_id for r in records if r.deal_id}) == len(confirmed)
    assert len(records) == TRADES
    for record in records:
        if record.deal_id is None:
            continue
        entry = ledger[record.deal_id]
        assert (entry.asset, entry.direction, entry.amount, entry.expiry) == (
            record.asset, record.direction, record.amount, record.expiry)
        assert record.status == "closed", record
        assert round(record.profit, 2) == round(entry.profit, 2) and record.outcome == str(entry.outcome)
        assert record.close_price == entry.close_price
    print(f"\n{TRADES} trades placed in {placing:.1f} s ({placing / TRADES:.2f} s each), "
          f"{len(confirmed)} confirmed")
