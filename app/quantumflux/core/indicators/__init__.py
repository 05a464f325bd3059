"""quantumflux.core.indicators."""
