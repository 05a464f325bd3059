"""quantumflux.api."""
