"""The synthetic price process: determinism per seed, block independence, realism, candles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantumflux.sim import PracticeBroker
from quantumflux.sim.assets import MAX_ASSETS, asset_row, build_catalog
from quantumflux.sim.prices import BLOCK_STEPS, SyntheticPrices, candles_from_ticks, default_epoch

EPOCH = 1_764_000_000.0 - 1_764_000_000.0 % 86400
CATALOG = build_catalog(48, seed=1)


def _prices(seed: int = 1, tick_rate: float = 4.0) -> SyntheticPrices:
    return SyntheticPrices(CATALOG, seed, tick_rate, EPOCH)


def test_same_seed_same_prices_in_any_request_order():
    later = EPOCH + 86400 + 123.4
    first, second = _prices(), _prices()
    late_first = second.ticks("BTCUSD_otc", later - 600, later)  # a late block before any early one
    early_first = first.ticks("BTCUSD_otc", later - 600, later)
    assert np.array_equal(late_first[0], early_first[0]) and np.array_equal(late_first[1], early_first[1])
    assert first.price_at("EURUSD_otc", later) == second.price_at("EURUSD_otc", later)
    other = _prices(seed=2)
    assert not np.array_equal(other.ticks("BTCUSD_otc", later - 600, later)[1], late_first[1])


def test_ticks_are_on_the_grid_with_millisecond_stamps_and_asset_digits():
    prices = _prices()
    for asset in CATALOG:
        times, values = prices.ticks(asset.symbol, EPOCH + 3600, EPOCH + 3660)
        assert 236 <= len(times) <= 241  # 4 Hz
        assert np.all(np.diff(times) > 0) and np.all(np.diff(times) < 0.5)
        assert np.allclose(np.round(times, 3), times)
        assert np.all(values > 0)
        assert np.allclose(np.round(values, asset.digits), values)
        assert abs(math.log(values[0] / asset.start_price)) < 0.2


def test_block_edges_join_without_gaps():
    prices = _prices()
    edge = EPOCH + BLOCK_STEPS * 0.25 * 5
    times, values = prices.ticks("EURUSD_otc", edge - 5, edge + 5)
    steps = np.abs(np.diff(np.log(values)))
    assert len(times) == 40
    assert steps.max() < 0.002  # no break between two independently drawn blocks


def test_jumps_happen_now_and_then():
    prices = _prices()
    asset = CATALOG[0]
    _, values = prices.ticks(asset.symbol, EPOCH, EPOCH + 86400)
    sigma = asset.volatility * math.sqrt(0.25)
    moves = np.abs(np.diff(np.log(values)))
    jumps = int((moves > 10 * sigma).sum())
    assert 10 <= jumps <= 300


def test_price_at_is_the_last_tick_at_or_before():
    prices = _prices()
    times, values = prices.ticks("#AAPL_otc", EPOCH + 500, EPOCH + 520)
    for t, value in zip(times, values, strict=True):
        assert prices.price_at("#AAPL_otc", float(t)) == value
        assert prices.price_at("#AAPL_otc", float(t) + 0.0005) == value
    assert prices.price_at("#AAPL_otc", float(times[1]) - 0.0005) == values[0]
    for k in range(1, len(times)):  # strictly before: a tick at exactly t is not the price before t
        assert prices.price_before("#AAPL_otc", float(times[k])) == values[k - 1]


@pytest.mark.parametrize(("tick_rate", "grid"), [(1.0, 1.0), (2.0, 0.5)])
def test_zero_jitter_puts_every_tick_on_the_grid(tick_rate: float, grid: float):
    prices = SyntheticPrices(CATALOG, 1, tick_rate, EPOCH, jitter=0.0)
    times, _ = prices.ticks("EURUSD_otc", EPOCH + 1000, EPOCH + 1100)
    assert len(times) == round(100 / grid) and np.all(times % grid == 0)
    default = SyntheticPrices(CATALOG, 1, tick_rate, EPOCH)  # the same path, only the stamps move
    late = [float(t) + 0.9 * grid for t in times]  # after both the grid tick and its jittered twin
    assert [prices.price_at("EURUSD_otc", t) for t in late] == [default.price_at("EURUSD_otc", t) for t in late]
    with pytest.raises(ValueError, match="jitter"):
        SyntheticPrices(CATALOG, 1, tick_rate, EPOCH, jitter=1.0)


def test_candles_from_ticks_match_a_plain_loop():
    prices = _prices()
    times, values = prices.ticks("XAUUSD_otc", EPOCH + 7000, EPOCH + 7600)
    expected: dict[float, list[float]] = {}
    for t, price in zip(times, values, strict=True):
        start = float(t // 60 * 60)
        if start not in expected:
            expected[start] = [start, price, price, price, price]
        candle = expected[start]
        candle[2] = price
        candle[3] = max(candle[3], price)
        candle[4] = min(candle[4], price)
    assert candles_from_ticks(times, values, 60) == list(expected.values())


def test_catalog_rows_and_limits():
    rows = [asset_row(asset, 5, 0) for asset in build_catalog(MAX_ASSETS)]
    assert all(len(row) == 19 for row in rows)
    assert len({row[1] for row in rows}) == len(rows)
    with pytest.raises(ValueError, match="asset count"):
        build_catalog(MAX_ASSETS + 1)
    assert [a.payout for a in build_catalog(10, seed=4)] == [a.payout for a in build_catalog(10, seed=4)]


def test_default_epoch_is_a_midnight_far_enough_back():
    epoch = default_epoch(EPOCH + 5000, 7200)
    assert epoch % 86400 == 0 and EPOCH + 5000 - epoch >= 2 * 86400


def test_two_brokers_with_one_seed_agree():
    one = PracticeBroker(seed=11, assets=5)
    two = PracticeBroker(seed=11, assets=5)
    three = PracticeBroker(seed=12, assets=5)
    t = one.epoch + 1000.5
    assert one.epoch == two.epoch
    assert one.price_at("EURUSD_otc", t) == two.price_at("EURUSD_otc", t)
    assert [a.payout for a in one.assets] == [a.payout for a in two.assets]
    assert one.price_at("EURUSD_otc", t) != three.price_at("EURUSD_otc", t)
