"""quantumflux.sim: the practice broker (a local PocketOption stand-in) for tests, demo mode and replay."""

from quantumflux.sim.faults import FaultSpec
from quantumflux.sim.orders import LedgerEntry
from quantumflux.sim.server import PracticeBroker

__all__ = ["FaultSpec", "LedgerEntry", "PracticeBroker"]
