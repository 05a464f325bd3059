"""Terminal panels: asset list, timeframe bar, source badge, trade ticket, log pane."""
