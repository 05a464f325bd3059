"""quantumflux.cli.commands."""
