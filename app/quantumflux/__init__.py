"""QuantumFlux: a desktop trading terminal for PocketOption."""

__version__ = "0.1.0"
