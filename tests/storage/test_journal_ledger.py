"""AccountLedger: the risk guard's account view kept in memory equals the view computed from every journal record.

The reference is the straightforward definition over all records (what ``TradeJournal.account_state`` computed
before it read only the records that can count); random order flows with several strategies, refusals, draws,
equal close times and trades left open past going stale are compared at many moments.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from quantumflux.core.risk import HOUR, AccountState
from quantumflux.storage.journal import OPEN_STATUSES, TradeJournal, TradeRecord
from quantumflux.storage.journal_ledger import AccountLedger

T0 = 1_767_323_040.0  # 2026-01-02T03:04:00Z


def reference(records: list[TradeRecord], now: float, balance: float | None = None,
              stale_after: float | None = None) -> AccountState:
    """The guard's view from every record, by its definition (records in request order)."""
    day_start = now - now % 86400
    placed = [r for r in records if r.status not in ("refused", "failed")]
    closed = sorted((r for r in records if r.status == "closed"), key=lambda r: r.closed_at or 0.0)
    streak = 0
    for record in reversed(closed):
        if record.outcome == "win":
            break
        streak += record.outcome == "loss"
    still_open = [r for r in records if r.status in OPEN_STATUSES
                  and (stale_after is None or r.requested_at + r.expiry + stale_after >= now)]
    return AccountState(
        open_trades=len(still_open),
        recent_trade_times=tuple(r.requested_at for r in placed if r.requested_at > now - HOUR),
        today_pnl=sum(r.profit or 0.0 for r in closed if (r.closed_at or 0.0) >= day_start),
        consecutive_losses=streak,
        balance=balance,
        open_stakes=sum(r.amount for r in still_open),
    )


def same(a: AccountState, b: AccountState) -> bool:
    return (a.open_trades, a.recent_trade_times, a.consecutive_losses, a.balance) == (
        b.open_trades, b.recent_trade_times, b.consecutive_losses, b.balance) and \
        a.today_pnl == pytest.approx(b.today_pnl) and a.open_stakes == pytest.approx(b.open_stakes)


@pytest.mark.parametrize("seed", range(4))
def test_the_ledger_kept_as_orders_happen_equals_the_journal_and_the_definition(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    clock = [T0 + rng.uniform(0, 86400)]
    journal = TradeJournal(tmp_path / "j.sqlite3", clock=lambda: clock[0])
    sources = ("a", "b", "c")
    stale = 30.0
    # each ledger is loaded from the journal at some point, then kept up to date like the paper executor does
    ledgers: dict[str | None, AccountLedger] = {}
    load_at = {None: rng.randrange(0, 150), "a": rng.randrange(0, 150), "b": 0, "c": rng.randrange(0, 300)}
    open_orders: dict[str, tuple[str, float]] = {}
    for step in range(300):
        for key, when in load_at.items():
            if when == step and key not in ledgers:
                ledgers[key] = AccountLedger(journal.guard_records(clock[0], "paper", key))
        clock[0] += rng.choice([0.0, 0.5, 7.0, 45.0, 900.0, 4000.0])  # equal times too; hours and days pass
        now = clock[0]
        roll = rng.random()
        if roll < 0.55 or not open_orders:
            client, source = f"o{step}", rng.choice(sources)
            journal.record_attempt(client, "A", "call", rng.choice([1.0, 2.5]), rng.choice([5, 60]),
                                   account="paper", source=source, requested_at=now, wait=rng.random() < 0.7)
            if rng.random() < 0.2:
                journal.mark_refused(client, "max_stake: no", at=now, wait=rng.random() < 0.7)
                continue
            record = journal.mark_confirmed(client, f"d{step}", at=now, wait=rng.random() < 0.7)
            for key in (None, source):
                if key in ledgers:
                    ledgers[key].add(record)
            open_orders[client] = (source, now)
        elif roll < 0.9:
            client = rng.choice(sorted(open_orders))
            source, requested = open_orders.pop(client)
            profit = rng.choice([0.9, 0.9, -1.0, -1.0, -1.0, 0.0])
            outcome = "win" if profit > 0 else "loss" if profit < 0 else "draw"
            journal.record_result(client_id=client, profit=profit, closed_at=now, outcome=outcome,
                                  wait=rng.random() < 0.7)
            for key in (None, source):
                if key in ledgers:
                    ledgers[key].close(client, requested, profit, outcome, now)
        else:  # left open for ever (its exit was never seen): counts until it goes stale
            open_orders.pop(rng.choice(sorted(open_orders)))
        for key, ledger in ledgers.items():
            ledger.prune(now, stale)
            records = journal.list(account="paper", strategy=key)
            for stale_after in (None, stale):
                expected = reference(records, now, 12.5, stale_after)
                assert same(journal.account_state(now, "paper", 12.5, strategy=key, stale_after=stale_after),
                            expected), (step, key)
                if stale_after is not None:  # a pruned ledger answers for the stale-aware view it keeps
                    assert same(ledger.state(now, 12.5, stale_after), expected), (step, key)
    assert set(ledgers) == {None, "a", "b", "c"}
    journal.close()


def test_guard_records_reads_only_what_can_still_count(tmp_path: Path) -> None:
    with TradeJournal(tmp_path / "j.sqlite3") as journal:
        day = 86400.0
        for index in range(200):  # a long history of closed trades, days ago, ending with a win
            at = T0 - 10 * day + index * 60
            journal.record_attempt(f"h{index}", "A", "call", 1.0, 60, account="paper", requested_at=at)
            journal.mark_confirmed(f"h{index}", f"d{index}", at=at)
            journal.record_result(client_id=f"h{index}", profit=0.9 if index == 199 else -1.0, closed_at=at + 60)
        journal.record_attempt("open", "A", "call", 1.0, 60, account="paper", requested_at=T0 - day * 9)
        journal.record_attempt("recent", "A", "call", 1.0, 60, account="paper", requested_at=T0 - 60)
        journal.mark_refused("recent", "max_stake")
        subset = journal.guard_records(T0, "paper")
        assert [r.client_id for r in subset] == ["h199", "open"]  # the latest win, the open order
        assert AccountLedger(subset).state(T0) == journal.account_state(T0, "paper")
        assert journal.account_state(T0, "paper", exclude="open").open_trades == 0
