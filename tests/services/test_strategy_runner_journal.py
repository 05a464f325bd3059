"""Paper orders off the disk path: the guard counts trades the journal's writer has not stored yet, a client id
never trades twice, stop() leaves every order on disk, and a tick's cost does not grow with the journal."""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_strategy_runner import ASSET, OPEN, Clock, feed_ticks, make_runner, price_path  # noqa: E402

from quantumflux.core.model import Asset, Tick  # noqa: E402
from quantumflux.core.protocol import events as ev  # noqa: E402
from quantumflux.core.risk import RiskGuard, RiskLimits  # noqa: E402
from quantumflux.services.paper import PaperExecutor  # noqa: E402
from quantumflux.services.strategy_runner import StrategyRunner  # noqa: E402
from quantumflux.storage.journal import TradeJournal  # noqa: E402

T0 = 1_800_000_000.0


def _on_disk(path: Path, sql: str = "SELECT COUNT(*) FROM trades") -> int:
    """What another process reading the file finds."""
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchone()[0]


def _paper(tmp_path: Path, limits: RiskLimits) -> tuple[PaperExecutor, TradeJournal, Clock]:
    clock = Clock(T0)
    journal = TradeJournal(tmp_path / "journal.sqlite3", clock=clock)
    paper = PaperExecutor(journal, RiskGuard(limits), clock=clock)
    paper.set_assets([Asset(ASSET, payout=80.0)])
    paper.on_ticks([Tick(ASSET, T0 - 1, 1.1)])
    return paper, journal, clock


def test_the_guard_counts_paper_trades_the_writer_has_not_stored(tmp_path: Path) -> None:
    paper, journal, clock = _paper(tmp_path, RiskLimits(max_open_trades=2, max_trades_per_hour=None,
                                                        max_consecutive_losses=2, daily_loss_limit=None))
    path = tmp_path / "journal.sqlite3"
    paper.prepare("s")
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock: the writer cannot store anything
    try:
        results = [paper.place(ASSET, "call", 1.0, 60, source="s") for _ in range(3)]
        assert [r.status for r in results] == ["confirmed", "confirmed", "refused"]
        assert results[2].rule == "max_open_trades"
        time.sleep(0.3)
        assert _on_disk(path) == 0  # nothing stored yet: the refusal came from trades still in flight
        clock.now += 61
        settled = paper.on_ticks([Tick(ASSET, T0 + 30, 1.0), Tick(ASSET, clock.now, 1.0)])  # both calls lose
        assert [t.outcome for t in settled] == ["loss", "loss"]
        refused = paper.place(ASSET, "call", 1.0, 60, source="s")
        assert (refused.status, refused.rule) == ("refused", "max_consecutive_losses")  # losses not stored yet
        assert _on_disk(path) == 0
    finally:
        other.execute("ROLLBACK")
        other.close()
    journal.flush(timeout=30)
    assert _on_disk(path, "SELECT COUNT(*) FROM trades WHERE status = 'refused'") == 2
    assert _on_disk(path, "SELECT COUNT(*) FROM trades WHERE status = 'closed' AND outcome = 'loss'") == 2
    events = [row[0] for row in sqlite3.connect(path).execute("SELECT status FROM trade_events ORDER BY id")]
    assert events == ["pending", "confirmed", "pending", "confirmed", "pending", "refused", "closed", "closed",
                      "pending", "refused"]
    journal.close()


def test_a_client_id_never_trades_twice_on_paper(tmp_path: Path) -> None:
    paper, journal, clock = _paper(tmp_path, OPEN)
    first = paper.place(ASSET, "put", 2.0, 60, source="s", client_id="retry-1")
    again = paper.place(ASSET, "call", 5.0, 60, source="s", client_id="retry-1")  # queued, not yet stored
    assert (first.status, again.status, again.duplicate, again.direction) == ("confirmed", "confirmed", True, "put")
    assert len(paper.open_trades()) == 1
    journal.close()
    journal = TradeJournal(tmp_path / "journal.sqlite3", clock=clock)  # a later session: the id is on disk
    paper = PaperExecutor(journal, RiskGuard(OPEN), clock=clock)
    paper.set_assets([Asset(ASSET, payout=80.0)])
    later = paper.place(ASSET, "call", 1.0, 60, source="s", client_id="retry-1", entry=(T0, 1.1))
    assert later.duplicate and later.amount == 2.0 and not paper.open_trades()
    journal.close()


def test_stop_returns_once_every_paper_order_and_result_is_on_disk(tmp_path: Path) -> None:
    runner, journal, clock = make_runner(tmp_path)
    runner.enable("sma_cross", {"fast": "2", "slow": "3"}, [ASSET], "5s", "5s")
    times, prices = price_path(600, seed=13)
    feed_ticks(runner, clock, times, prices)
    runner.stop()
    orders = runner.status()[0].orders
    closed = sum(1 for t in runner.paper.finished if t.status == "closed")
    path = tmp_path / "journal.sqlite3"
    assert orders > 20
    assert _on_disk(path) == orders  # read by another connection before the journal is closed
    assert _on_disk(path, "SELECT COUNT(*) FROM trades WHERE status = 'closed'") == closed
    journal.close()


def _history(path: Path, count: int, label: str) -> None:
    """``count`` closed paper trades of ``label``, days before the test stream, written straight into the file."""
    with TradeJournal(path):
        pass  # the schema
    rows = []
    for index in range(count):
        at = T0 - 5 * 86400 + index * 10
        rows.append((f"h{index}", f"paper-h{index}", ASSET, "call", 1.0, 5, 80.0, 1.1, 1.2,
                     0.8 if index % 2 else -1.0, "win" if index % 2 else "loss", label, "paper", "closed",
                     at, at, at + 5))
    with sqlite3.connect(path) as db:
        db.executemany("INSERT INTO trades (client_id, deal_id, asset, direction, amount, expiry, payout, open_price,"
                       " close_price, profit, outcome, source, account, status, requested_at, confirmed_at,"
                       " closed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)


def _tick_cpu(tmp_path: Path, history: int) -> tuple[float, int]:
    """CPU seconds of the tick thread for one stream, and the paper orders it placed."""
    folder = tmp_path / f"h{history}-{time.perf_counter_ns()}"
    folder.mkdir()
    label = "sma_cross(fast=2,slow=3)"
    if history:
        _history(folder / "journal.sqlite3", history, label)
    clock = Clock(T0)
    journal = TradeJournal(folder / "journal.sqlite3", clock=clock)
    runner = StrategyRunner(None, journal, RiskGuard(OPEN), clock=clock)
    runner.handle(ev.AssetsUpdated(T0, "s1", (Asset(ASSET, payout=80.0),)))
    runner.enable("sma_cross", {"fast": "2", "slow": "3"}, [ASSET], "5s", "5s")
    times, prices = price_path(1500, seed=17)
    began = time.thread_time()
    feed_ticks(runner, clock, times, prices)
    spent = time.thread_time() - began
    orders = runner.status()[0].orders
    journal.close()
    return spent, orders


def test_a_tick_costs_the_same_with_a_long_journal(tmp_path: Path) -> None:
    """Neither the guard's account view nor a journal write on the tick path reads the journal's history."""
    empty = min(_tick_cpu(tmp_path, 0)[0] for _ in range(3))
    spent, orders = min(_tick_cpu(tmp_path, 20_000) for _ in range(3))
    assert orders > 50
    assert spent < 1.5 * empty + 0.05, (spent, empty)
