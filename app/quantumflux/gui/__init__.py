"""quantumflux.gui."""
