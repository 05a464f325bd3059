"""Child process for the journal crash test: an endless, fixed sequence of deferred journal writes.

Usage: python _journal_crash_writer.py JOURNAL. Order i is ``c{i}``: attempt, confirmation, result, all with
``wait=False``; after every 5 orders it flushes and prints ``stored {i}`` (every write up to order i is on
disk). The parent kills it with SIGKILL at some point; whatever the journal then holds must be a prefix of the
sequence that includes everything acknowledged.
"""

from __future__ import annotations

import sys
from pathlib import Path

from quantumflux.storage.journal import TradeJournal

T0 = 1_767_323_040.0


def main() -> None:
    journal = TradeJournal(Path(sys.argv[1]), clock=lambda: T0)
    print("ready", flush=True)
    index = 0
    while True:
        client = f"c{index}"
        journal.record_attempt(client, "EURUSD_otc", "call", 1.0, 60, account="paper", source="crash",
                               requested_at=T0 + index, wait=False)
        journal.mark_confirmed(client, f"paper-{client}", open_price=1.1, payout=90.0, at=T0 + index, wait=False)
        journal.record_result(client_id=client, profit=0.9 if index % 2 else -1.0, close_price=1.2,
                              closed_at=T0 + index + 60, wait=False)
        if index % 5 == 4:
            journal.flush()
            print(f"stored {index}", flush=True)
        index += 1


if __name__ == "__main__":
    main()
