"""quantumflux.core.strategies."""
