"""quantumflux.core.backtest."""
