"""quantumflux.core."""
