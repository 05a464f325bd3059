"""quantumflux.cli."""
