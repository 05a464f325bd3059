"""Sample 1-minute candles shown on a first run (installed as quantumflux.sample_data)."""
