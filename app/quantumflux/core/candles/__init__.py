"""quantumflux.core.candles."""
