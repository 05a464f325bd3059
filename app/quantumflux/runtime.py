"""Interpreter settings for a long-running process that must answer quickly (the terminal, the API server).

A process that runs a latency-sensitive thread (the GUI thread, the API's event loop) beside worker threads
(capture, collector, history reader) calls :func:`tune_interpreter` once its start-up objects exist:

* **GC**: Qt, pyqtgraph, pandas, numpy, TA-Lib, FastAPI and pydantic leave ~130,000 long-lived objects; a
  full collection walks them all and held the GUI thread for 50-60 ms whenever Python decided to run one.
  Frozen, they are never walked again and a full collection costs ~1 ms. Reference counting still frees them
  as usual; only reference cycles among them would wait.
* **GIL**: a frame or a request makes many short Python calls, and each one waits for the GIL when a worker is
  busy in Python; a 1 ms switch interval instead of 5 ms shortens each wait (the terminal's asset-switch stall
  fell from ~90 to ~60 ms median in ``bench/bench_gui_stall.py``; the API's p99 in ``bench/bench_api.py``).
"""

from __future__ import annotations

import gc
import sys

#: How long a thread running Python may hold the GIL before a waiting one gets it (Python's default: 5 ms).
GIL_SWITCH_INTERVAL = 0.001

_tuned = False


def tune_interpreter() -> None:
    """Freeze the start-up objects out of the cyclic GC and shorten the GIL switch interval (once per process)."""
    global _tuned
    if not _tuned:
        _tuned = True
        sys.setswitchinterval(GIL_SWITCH_INTERVAL)
        gc.collect()
        gc.freeze()
