"""Trade execution latency on the practice broker: place N orders back to back, print the figures.

Run: .venv/bin/python bench/bench_trading.py [N] [FAULTS]   (default 30 trades, "slow_buttons_ms=300,delay_ms=150")
Needs Chromium and chromedriver. Prints time per order (attempt → broker confirmation), the confirmed share,
and whether every result equals the broker's ledger.
"""

from __future__ import annotations

import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

from quantumflux.browser import page_actions
from quantumflux.browser.chrome import launch_browser
from quantumflux.config import Settings
from quantumflux.core.risk import RiskGuard, RiskLimits
from quantumflux.services.capture_hub import CaptureHub
from quantumflux.services.trading import TradingSession
from quantumflux.sim import PracticeBroker
from quantumflux.storage.journal import TradeJournal


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait(condition, timeout: float) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out setting up")
        time.sleep(0.05)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    faults = sys.argv[2] if len(sys.argv) > 2 else "slow_buttons_ms=300,delay_ms=150"
    limits = RiskLimits(max_stake=None, max_open_trades=None, max_trades_per_hour=None, daily_loss_limit=None,
                        max_consecutive_losses=None)
    work = Path(tempfile.mkdtemp(prefix="qf-bench-trading-"))
    broker = PracticeBroker(seed=3, min_expiry=1, faults=faults).start()
    port = free_port()
    browser = launch_browser(port, work / "profile", headless=True)
    hub = CaptureHub("127.0.0.1", port).start()
    journal = TradeJournal(work / "trades.sqlite3")
    session = TradingSession(Settings(data_root=work), hub, "127.0.0.1", port, journal, RiskGuard(limits))
    try:
        wait(lambda: hub.capture.connected, 15)
        hub.open_tab(broker.url)
        wait(lambda: session.view.balances and session.view.assets, 15)
        page = session.page
        page.until(lambda: page_actions.favorites(page))
        symbol = next(asset.symbol for asset in broker.assets if asset.active)
        durations, results = [], []
        for index in range(count):
            started = time.perf_counter()
            results.append(session.place(symbol, "call" if index % 2 else "put", 1 + index % 4, 3))
            durations.append(time.perf_counter() - started)
        confirmed = [r for r in results if r.status == "confirmed"]
        for result in confirmed:
            session.wait_result(result.client_id, 20)
        ledger = {entry.deal_id: entry for entry in broker.ledger}
        exact = sum(1 for record in journal.list(status="closed")
                    if round(record.profit, 2) == round(ledger[record.deal_id].profit, 2))
    finally:
        session.close()
        hub.stop()
        journal.close()
        browser.stop()
        broker.stop()
    durations.sort()
    print(f"faults: {faults}")
    print(f"orders: {count}, confirmed: {len(confirmed)} ({100 * len(confirmed) / count:.1f} %), "
          f"broker orders: {len(ledger)}, results equal to the ledger: {exact}/{len(confirmed)}")
    print(f"place() seconds: median {statistics.median(durations):.3f}, "
          f"p95 {durations[int(0.95 * (count - 1))]:.3f}, max {durations[-1]:.3f}, "
          f"throughput {count / sum(durations):.2f} orders/s")


if __name__ == "__main__":
    main()
