from __future__ import annotations

import pytest

from quantumflux.core.source import SourceMonitor, SourceState


def test_badge_walks_live_stale_historical_and_back():
    m = SourceMonitor(stale_after=5, historical_after=30)
    assert m.status("EURUSD_otc", 0).state is SourceState.HISTORICAL
    m.on_connection(True, now=1)
    assert m.status("EURUSD_otc", 2).state is SourceState.CONNECTING
    m.on_tick("EURUSD_otc", now=3)
    assert m.status("EURUSD_otc", 4).state is SourceState.LIVE
    m.on_connection(False, now=5)
    stale = m.status("EURUSD_otc", 10)
    assert stale.state is SourceState.STALE and stale.describe() == "STALE (7s)"
    assert m.status("EURUSD_otc", 40).state is SourceState.HISTORICAL
    m.on_connection(True, now=41)
    assert m.status("EURUSD_otc", 42).state is SourceState.CONNECTING
    m.on_tick("EURUSD_otc", now=43)
    assert m.status("EURUSD_otc", 43.5).state is SourceState.LIVE


def test_assets_are_isolated():
    m = SourceMonitor()
    m.on_connection(True, now=0)
    m.on_tick("A", now=1)
    assert m.status("A", 2).state is SourceState.LIVE
    assert m.status("B", 2).state is SourceState.CONNECTING


def test_connected_but_silent_for_long_is_historical():
    m = SourceMonitor(stale_after=5, historical_after=30)
    m.on_connection(True, now=0)
    assert m.status("A", 31).state is SourceState.HISTORICAL


def test_bad_thresholds_rejected():
    with pytest.raises(ValueError):
        SourceMonitor(stale_after=10, historical_after=5)
