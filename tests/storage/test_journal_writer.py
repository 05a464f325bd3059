"""Deferred journal writes (``wait=False``): order, read-your-writes, durability on close and after a crash,
idempotency across the deferred and the synchronous path, a write the journal refuses, a disk that is full."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from quantumflux.storage.journal import DuplicateOrderError, JournalError, TradeJournal

T0 = 1_767_323_040.0
CRASH_WRITER = Path(__file__).with_name("_journal_crash_writer.py")


def _stored_events(path: Path) -> list[tuple[str, str]]:
    """What a fresh reader (another process) finds on disk."""
    with sqlite3.connect(path) as db:
        return [tuple(row) for row in db.execute("SELECT client_id, status FROM trade_events ORDER BY id")]


def _order(journal: TradeJournal, client: str, at: float, profit: float, wait: bool = False) -> None:
    journal.record_attempt(client, "A", "call", 1.0, 60, account="paper", source="s", requested_at=at, wait=wait)
    journal.mark_confirmed(client, f"paper-{client}", open_price=1.0, payout=90.0, at=at, wait=wait)
    journal.record_result(client_id=client, profit=profit, close_price=1.1, closed_at=at + 60, wait=wait)


def test_deferred_writes_answer_at_once_and_are_stored_in_call_order(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    journal = TradeJournal(path, clock=lambda: T0)
    pending = journal.record_attempt("p1", "A", "put", 2.0, 30, account="paper", wait=False)
    assert (pending.status, pending.direction, pending.amount) == ("pending", "put", 2.0)
    confirmed = journal.mark_confirmed("p1", "paper-p1", open_price=1.5, payout=80.0, at=T0 + 1, wait=False)
    assert (confirmed.status, confirmed.deal_id, confirmed.open_price, confirmed.confirmed_at) == (
        "confirmed", "paper-p1", 1.5, T0 + 1)
    journal.record_attempt("live", "A", "call", 1.0, 60)  # a synchronous write waits for the deferred ones
    assert _stored_events(path) == [("p1", "pending"), ("p1", "confirmed"), ("live", "pending")]
    closed = journal.record_result(client_id="p1", profit=-2.0, closed_at=T0 + 31, wait=False)
    assert (closed.status, closed.outcome, closed.profit) == ("closed", "loss", -2.0)
    journal.mark_refused("live", "max_stake: too much", wait=False)
    for index in range(50):
        _order(journal, f"c{index}", T0 + index, 0.9)
    journal.close()
    expected = [("p1", "pending"), ("p1", "confirmed"), ("live", "pending"), ("p1", "closed"), ("live", "refused")]
    expected += [(f"c{i}", status) for i in range(50) for status in ("pending", "confirmed", "closed")]
    assert _stored_events(path) == expected
    with TradeJournal(path) as again:  # the stored rows are exactly what the calls answered
        assert again.get("p1") == closed
        assert again.get("c49").status == "closed" and len(again.list()) == 52


def test_every_read_sees_the_deferred_writes_made_before_it(tmp_path: Path) -> None:
    journal = TradeJournal(tmp_path / "j.sqlite3", clock=lambda: T0 + 200)
    for index in range(20):
        _order(journal, f"c{index}", T0 + index, -1.0 if index % 3 else 0.9)
    journal.record_attempt("open", "A", "call", 5.0, 60, account="paper", source="s", requested_at=T0 + 150,
                           wait=False)
    assert journal.get("c19").status == "closed"
    assert len(journal.list(account="paper")) == 21
    assert [status for _, status, _ in journal.events("c0")] == ["pending", "confirmed", "closed"]
    assert journal.status_counts(strategy="s")["closed"] == (20, pytest.approx(7 * 0.9 - 13.0))
    state = journal.account_state(T0 + 200, account="paper")
    assert (state.open_trades, state.open_stakes, state.consecutive_losses) == (1, 5.0, 1)
    journal.close()


def test_close_stores_writes_made_just_before_it(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    for round_ in range(3):  # close right after the writes, while the writer is busy with them
        journal = TradeJournal(path, clock=lambda: T0)
        for index in range(100):
            _order(journal, f"r{round_}-{index}", T0 + index, 0.9)
        journal.close()
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT COUNT(*) FROM trades WHERE status = 'closed'").fetchone()[0] == 100 * (round_ + 1)
    with pytest.raises(JournalError, match="closed"):
        journal.record_attempt("late", "A", "call", 1.0, 60, wait=False)


def test_a_client_id_never_trades_twice_across_deferred_and_synchronous_writes(tmp_path: Path) -> None:
    journal = TradeJournal(tmp_path / "j.sqlite3", clock=lambda: T0)
    stored = journal.record_attempt("old", "A", "call", 1.0, 60)
    with pytest.raises(DuplicateOrderError) as error:  # already on disk
        journal.record_attempt("old", "A", "put", 9.0, 60, wait=False)
    assert error.value.existing == stored
    queued = journal.record_attempt("queued", "A", "call", 1.0, 60, account="paper", wait=False)
    with pytest.raises(DuplicateOrderError) as error:  # only queued: the synchronous path sees it too
        journal.record_attempt("queued", "A", "call", 1.0, 60)
    assert error.value.existing == queued
    with pytest.raises(DuplicateOrderError):
        journal.record_attempt("queued", "A", "call", 1.0, 60, wait=False)

    created, duplicates = [], []
    lock = threading.Lock()

    def worker(index: int) -> None:
        for n in range(30):
            try:
                journal.record_attempt(f"t{n}", "A", "call", 1, 60, source=f"w{index}", wait=index % 2 == 0)
                with lock:
                    created.append(n)
            except DuplicateOrderError:
                with lock:
                    duplicates.append(n)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created) == list(range(30)) and len(duplicates) == 5 * 30
    journal.close()
    with sqlite3.connect(tmp_path / "j.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM trades WHERE client_id LIKE 't%'").fetchone()[0] == 30
    assert journal.write_errors == []  # no deferred write had to be dropped


def test_impossible_deferred_writes_raise_at_the_call_and_queue_nothing(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    journal = TradeJournal(path, clock=lambda: T0)
    journal.record_attempt("c1", "A", "call", 1.0, 60, wait=False)
    journal.mark_refused("c1", "max_stake", wait=False)
    with pytest.raises(JournalError, match="refused; it cannot become confirmed"):
        journal.mark_confirmed("c1", "d1", wait=False)
    with pytest.raises(JournalError, match="no trade with client id 'nope'"):
        journal.record_result(client_id="nope", profit=1.0, wait=False)
    assert journal.mark_refused("c1", "again", wait=False).reason == "max_stake"  # a repeat changes nothing
    journal.close()
    assert _stored_events(path) == [("c1", "pending"), ("c1", "refused")]


def test_a_write_the_journal_refuses_when_storing_is_dropped_alone_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    journal = TradeJournal(path, clock=lambda: T0)
    journal.record_attempt("c1", "A", "call", 1.0, 60, account="paper")
    with TradeJournal(path, clock=lambda: T0) as other:  # another process refuses the order meanwhile
        other.mark_refused("c1", "refused elsewhere")
    confirmed = journal.mark_confirmed("c1", "d1", wait=False)  # checked against what this journal wrote
    assert confirmed.status == "confirmed"
    _order(journal, "after", T0, 0.9)
    journal.flush()
    assert journal.get("c1").status == "refused"  # the stored order wins
    assert journal.get("after").status == "closed"
    assert len(journal.write_errors) == 1 and "c1" in journal.write_errors[0]
    assert "refused; it cannot become confirmed" in journal.write_errors[0]
    journal.close()


def test_writes_wait_while_the_disk_is_full_and_are_stored_once_it_is_not(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    journal = TradeJournal(path, clock=lambda: T0)
    journal.record_attempt("first", "A", "call", 1.0, 60, account="paper")
    full = journal._db  # the writer's connection: SQLite's own page limit gives the real "disk is full" error
    pages = full.execute("PRAGMA page_count").fetchone()[0]
    full.execute(f"PRAGMA max_page_count = {pages}")
    for index in range(40):
        _order(journal, f"c{index}", T0 + index, 0.9)
    with pytest.raises(JournalError, match="not yet stored after 0.5 s: OperationalError: database or disk is full"):
        journal.flush(timeout=0.5)
    assert any("database or disk is full" in error for error in journal.write_errors)
    full.execute("PRAGMA max_page_count = 1000000")  # space again: the queued writes go in, in order
    journal.flush(timeout=10)
    assert journal.write_errors == []
    journal.close()
    assert [event for event in _stored_events(path) if event[0] == "c39"] == [
        ("c39", "pending"), ("c39", "confirmed"), ("c39", "closed")]


def test_close_reports_writes_that_could_not_be_stored(tmp_path: Path) -> None:
    journal = TradeJournal(tmp_path / "j.sqlite3", clock=lambda: T0)
    journal.record_attempt("first", "A", "call", 1.0, 60, account="paper")
    pages = journal._db.execute("PRAGMA page_count").fetchone()[0]
    journal._db.execute(f"PRAGMA max_page_count = {pages}")
    for index in range(40):
        _order(journal, f"c{index}", T0 + index, 0.9)
    with pytest.raises(JournalError, match="not yet stored after 0.3 s"):
        journal.close(timeout=0.3)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_crash_loses_only_unstored_writes_and_never_a_write_before_a_stored_one(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    for kill_after in (5, 40):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        child = subprocess.Popen([sys.executable, str(CRASH_WRITER), str(path)], stdout=subprocess.PIPE, text=True,
                                 env=env)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        acknowledged = -1
        while acknowledged < kill_after:
            line = child.stdout.readline()
            assert line, "the writer stopped by itself"
            acknowledged = int(line.split()[1])
        time.sleep(0.01 * (kill_after % 7))  # somewhere in the middle of later writes
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        events = _stored_events(path)
        sequence = [(f"c{i}", status) for i in range(len(events) // 3 + 1)
                    for status in ("pending", "confirmed", "closed")]
        assert events == sequence[:len(events)]  # a prefix: nothing later without everything earlier
        assert len(events) >= 3 * (acknowledged + 1)  # every acknowledged write survived
        with TradeJournal(path) as journal:  # the journal opens; each order's row matches its last event
            for client, status in {c: s for c, s in events}.items():
                assert journal.get(client).status == status
        path.unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
