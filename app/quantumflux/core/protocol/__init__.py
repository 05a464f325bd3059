"""quantumflux.core.protocol."""
