"""Entry point of the desktop build: the same ``quantumflux`` command as the installed console script."""

import multiprocessing
import sys

from quantumflux.cli.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # backtest sweeps use a process pool
    sys.exit(main())
