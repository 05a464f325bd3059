"""quantumflux.browser."""
