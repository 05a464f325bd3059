"""TradeJournal: idempotency, status flow, persistence, threads, export, performance, secrets."""

from __future__ import annotations

import csv
import sqlite3
import threading
from pathlib import Path

import pytest

from quantumflux.core.model import Direction
from quantumflux.core.risk import AccountState, OrderIntent, RiskGuard, RiskLimits
from quantumflux.storage.journal import DuplicateOrderError, JournalError, TradeJournal

T0 = 1_767_323_040.0  # 2026-01-02T03:04:00Z


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def journal(tmp_path: Path) -> TradeJournal:
    with TradeJournal(tmp_path / "j" / "trades.sqlite3", clock=Clock()) as opened:
        yield opened


def test_attempt_is_idempotent_by_client_id(journal: TradeJournal) -> None:
    first = journal.record_attempt("c1", "EURUSD_otc", "call", 10, 60, payout=92, source="ema_cross")
    assert first.status == "pending" and first.direction == "call" and first.requested_at == T0
    with pytest.raises(DuplicateOrderError) as error:
        journal.record_attempt("c1", "EURUSD_otc", Direction.PUT, 99, 60)
    assert error.value.existing == first
    assert len(journal.list()) == 1


def test_full_flow_confirm_then_result(journal: TradeJournal) -> None:
    journal.record_attempt("c1", "EURUSD_otc", "put", 10, 60, source="api")
    confirmed = journal.mark_confirmed("c1", "deal-7", open_price=1.0842, payout=90, at=T0 + 1)
    assert (confirmed.status, confirmed.deal_id, confirmed.confirmed_at, confirmed.payout) == ("confirmed", "deal-7",
                                                                                              T0 + 1, 90)
    closed = journal.record_result(deal_id="deal-7", profit=9.0, close_price=1.0839, closed_at=T0 + 61)
    assert (closed.status, closed.outcome, closed.profit, closed.close_price) == ("closed", "win", 9.0, 1.0839)
    assert journal.record_result(client_id="c1", profit=9.0) == closed  # same result again: harmless
    with pytest.raises(JournalError, match="closed with profit 9.0"):
        journal.record_result(client_id="c1", profit=-10.0)
    assert [status for _, status, _ in journal.events("c1")] == ["pending", "confirmed", "closed"]


def test_impossible_transitions_are_refused(journal: TradeJournal) -> None:
    journal.record_attempt("c1", "A", "call", 1, 60)
    journal.mark_refused("c1", "max_stake: stake 500 is over the maximum stake 100")
    with pytest.raises(JournalError, match="refused; it cannot become confirmed"):
        journal.mark_confirmed("c1", "d1")
    with pytest.raises(JournalError, match="no trade with client id"):
        journal.mark_failed("nope", "x")
    with pytest.raises(JournalError, match="no trade with deal id"):
        journal.record_result(deal_id="unknown", profit=1)


def test_broker_confirmation_overrides_a_page_failure(journal: TradeJournal) -> None:
    journal.record_attempt("c1", "A", "put", 5, 60)
    journal.mark_failed("c1", "page: confirm button did not respond")
    record = journal.mark_confirmed("c1", "d1", at=T0 + 3)
    assert record.status == "confirmed" and record.deal_id == "d1"
    assert [status for _, status, _ in journal.events("c1")] == ["pending", "failed", "confirmed"]


def test_unconfirmed_then_seen_in_opened_deals(journal: TradeJournal) -> None:
    journal.record_attempt("c1", "A", "call", 5, 60)
    assert journal.mark_unconfirmed("c1").status == "unconfirmed"
    assert journal.mark_confirmed("c1", "d9").status == "confirmed"
    assert journal.record_result(client_id="c1", profit=0.0).outcome == "draw"


def test_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "trades.sqlite3"
    with TradeJournal(path) as journal:
        journal.record_attempt("c1", "A", "call", 5, 60, account="real")
        journal.mark_failed("c1", "failopenOrder: not enough money")
    with TradeJournal(path) as journal:
        record = journal.get("c1")
        assert record is not None and record.status == "failed" and record.account == "real"
        assert record.reason == "failopenOrder: not enough money"
        with pytest.raises(DuplicateOrderError):
            journal.record_attempt("c1", "A", "call", 5, 60)
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_threads_never_create_two_trades_for_one_client_id(journal: TradeJournal) -> None:
    created, duplicates = [], []
    lock = threading.Lock()

    def worker(index: int) -> None:
        for n in range(20):
            client = f"c{n}"  # every thread tries the same 20 client ids
            try:
                journal.record_attempt(client, "A", "call", 1, 60, source=f"t{index}")
                with lock:
                    created.append(client)
            except DuplicateOrderError:
                with lock:
                    duplicates.append(client)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created) == sorted(f"c{n}" for n in range(20))
    assert len(duplicates) == 5 * 20 and len(journal.list()) == 20


def test_secrets_are_scrubbed_from_reasons(journal: TradeJournal) -> None:
    journal.record_attempt("c1", "A", "call", 1, 60)
    record = journal.mark_failed("c1", 'broker said {"session":"a1b2c3secret","isDemo":1}')
    assert "a1b2c3secret" not in record.reason and "<redacted>" in record.reason
    assert all("a1b2c3secret" not in (detail or "") for _, _, detail in journal.events("c1"))


def _closed(journal: TradeJournal, client: str, profit: float, closed_at: float, source: str = "s") -> None:
    journal.record_attempt(client, "A", "call", 10, 60, source=source, requested_at=closed_at - 60)
    journal.mark_confirmed(client, f"d-{client}", at=closed_at - 59)
    journal.record_result(client_id=client, profit=profit, closed_at=closed_at)


def test_performance_figures(journal: TradeJournal) -> None:
    day = 86400
    for index, profit in enumerate([9.0, -10.0, -10.0, 0.0, 9.2, -10.0]):
        _closed(journal, f"c{index}", profit, T0 + index * 100 + (day if index >= 3 else 0))
    _closed(journal, "other", 100.0, T0 + 50, source="other")
    journal.record_attempt("open", "A", "call", 10, 60, source="s")
    perf = journal.performance(strategy="s")
    assert (perf.trades, perf.wins, perf.draws, perf.losses) == (6, 2, 1, 3)
    assert perf.win_rate == pytest.approx(2 / 6)
    assert perf.pnl == pytest.approx(-11.8)
    # equity 9, -1, -11, -11, -1.8, -11.8 → peak 9, deepest -11.8 → drawdown 20.8
    assert perf.max_drawdown == pytest.approx(20.8)
    assert perf.trades_per_day == pytest.approx(3.0)
    assert journal.performance().trades == 7
    assert journal.performance(strategy="none").trades == 0


def test_export_csv(journal: TradeJournal, tmp_path: Path) -> None:
    _closed(journal, "c1", -10.0, T0 + 60)
    journal.record_attempt("c2", "B", "put", 3, 30, source="manual")
    out = tmp_path / "trades.csv"
    assert journal.export_csv(out) == 2
    rows = list(csv.DictReader(out.open()))
    assert [row["client_id"] for row in rows] == ["c1", "c2"]
    assert rows[0]["outcome"] == "loss" and float(rows[0]["profit"]) == -10.0
    assert rows[0]["closed_at"] == "2026-01-02T03:05:00.000Z" and rows[1]["closed_at"] == ""


def test_list_filters(journal: TradeJournal) -> None:
    _closed(journal, "c1", 5.0, T0 + 60, source="a")
    journal.record_attempt("c2", "B", "put", 3, 30, source="b", requested_at=T0 + 500)
    assert [r.client_id for r in journal.list(status="pending")] == ["c2"]
    assert [r.client_id for r in journal.list(status=("closed", "pending"))] == ["c1", "c2"]
    assert [r.client_id for r in journal.list(since=T0 + 100)] == ["c2"]
    assert [r.client_id for r in journal.list(strategy="a")] == ["c1"]


def test_account_state_feeds_the_risk_guard(journal: TradeJournal) -> None:
    now = T0 + 3000
    _closed(journal, "w", 9.0, T0 + 100)
    _closed(journal, "l1", -10.0, T0 + 200)
    _closed(journal, "l2", -10.0, T0 + 300)
    journal.record_attempt("open", "A", "call", 10, 60, requested_at=T0 + 2900)
    journal.record_attempt("ref", "A", "call", 10, 60, requested_at=T0 + 2950)
    journal.mark_refused("ref", "max_stake")
    state = journal.account_state(now)
    assert state == AccountState(open_trades=1, recent_trade_times=(T0 + 40, T0 + 140, T0 + 240, T0 + 2900),
                                 today_pnl=-11.0, consecutive_losses=2, balance=None, open_stakes=10.0)
    guard = RiskGuard(RiskLimits(max_consecutive_losses=2))
    decision = guard.check(OrderIntent("A", Direction.CALL, 5, 60, payout=90), state, now)
    assert decision.rule == "max_consecutive_losses"
    assert journal.account_state(now, account="real") == AccountState()
    # ``stale_after``: the open trade (requested T0+2900, 60 s expiry) is past settling 30 s later.
    assert journal.account_state(now, stale_after=60.0).open_trades == 1
    late = journal.account_state(T0 + 2900 + 60 + 31, stale_after=30.0)
    assert late.open_trades == 0 and late.open_stakes == 0.0 and late.consecutive_losses == 2


def test_account_state_of_one_strategy(journal: TradeJournal) -> None:
    _closed(journal, "a1", -5.0, T0 + 60, source="a")
    _closed(journal, "b1", -5.0, T0 + 120, source="b")
    journal.record_attempt("b2", "B", "put", 3, 30, source="b", requested_at=T0 + 500)
    a, b = (journal.account_state(T0 + 510, strategy=name) for name in ("a", "b"))
    assert (a.open_trades, a.consecutive_losses, a.today_pnl) == (0, 1, -5.0)
    assert (b.open_trades, b.consecutive_losses, b.open_stakes) == (1, 1, 3.0)


def test_the_order_being_decided_does_not_count_against_itself(journal: TradeJournal) -> None:
    now = T0 + 100
    journal.record_attempt("first", "A", "call", 10, 60, requested_at=T0)
    journal.record_attempt("second", "A", "call", 10, 60, requested_at=T0 + 50)  # pending: being decided
    guard = RiskGuard(RiskLimits(max_trades_per_hour=2, max_open_trades=2))
    intent = OrderIntent("A", Direction.CALL, 10, 60, payout=90)
    with_itself = journal.account_state(now)
    assert with_itself.open_trades == 2 and not guard.check(intent, with_itself, now).allowed
    state = journal.account_state(now, exclude="second")
    assert state.open_trades == 1 and len(state.recent_trade_times) == 1 and state.open_stakes == 10.0
    assert guard.check(intent, state, now).allowed


def test_deal_times_keep_their_milliseconds(journal: TradeJournal, tmp_path: Path) -> None:
    journal.record_attempt("c1", "#BA_otc", "call", 1, 5, source="api")
    journal.mark_confirmed("c1", "deal-9", open_price=162.23, at=T0 + 1, opened_at=T0 + 0.37, expires_at=T0 + 5)
    closed = journal.record_result(deal_id="deal-9", profit=0.92, close_price=162.27, closed_at=T0 + 5.0)
    assert (closed.opened_at, closed.expires_at, closed.closed_at) == (T0 + 0.37, T0 + 5, T0 + 5.0)
    journal.export_csv(tmp_path / "out.csv")
    row = dict(zip(*[line.split(",") for line in (tmp_path / "out.csv").read_text().splitlines()], strict=True))
    assert row["opened_at"].endswith(".370Z") and row["expires_at"].endswith(".000Z")


def test_a_journal_from_before_the_new_columns_stays_readable(tmp_path: Path) -> None:
    """An old journal (first schema: no paper account, no deal-time columns) opens, keeps its rows, gains columns."""
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE trades (id INTEGER PRIMARY KEY, client_id TEXT NOT NULL UNIQUE, deal_id TEXT,
            asset TEXT NOT NULL, direction TEXT NOT NULL CHECK (direction IN ('call', 'put')), amount REAL NOT NULL,
            expiry INTEGER NOT NULL, payout REAL, open_price REAL, close_price REAL, profit REAL, outcome TEXT,
            source TEXT NOT NULL, account TEXT NOT NULL CHECK (account IN ('demo', 'real')), status TEXT NOT NULL,
            reason TEXT, requested_at REAL NOT NULL, confirmed_at REAL, closed_at REAL);
        CREATE TABLE trade_events (id INTEGER PRIMARY KEY, client_id TEXT NOT NULL, at REAL NOT NULL,
            status TEXT NOT NULL, detail TEXT);
        INSERT INTO trades (client_id, deal_id, asset, direction, amount, expiry, payout, open_price, close_price,
            profit, outcome, source, account, status, requested_at, confirmed_at, closed_at)
            VALUES ('old-1', 'd-1', 'EURUSD_otc', 'put', 5, 60, 92, 1.1, 1.0, 4.6, 'win', 'manual', 'demo',
                    'closed', 1767323040, 1767323041, 1767323101);
        PRAGMA user_version=1;
    """)
    old.close()
    with TradeJournal(path) as journal:
        (record,) = journal.list()
        assert (record.client_id, record.profit, record.outcome, record.closed_at) == ("old-1", 4.6, "win", T0 + 61)
        assert (record.opened_at, record.expires_at) == (None, None)
        journal.record_attempt("p1", "EURUSD_otc", "call", 1, 60, account="paper")  # the widened CHECK too
        journal.mark_confirmed("p1", "paper-p1", opened_at=T0 + 0.5, expires_at=T0 + 60)
        assert journal.get("p1").opened_at == T0 + 0.5
    with TradeJournal(path) as again:  # opening it a second time changes nothing
        assert [r.client_id for r in again.list()] == ["old-1", "p1"]
