"""quantumflux.sim."""
