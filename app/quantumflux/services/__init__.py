"""quantumflux.services."""
