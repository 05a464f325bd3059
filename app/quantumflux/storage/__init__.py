"""quantumflux.storage."""
