"""The practice broker's instrument catalog and its ``updateAssets`` rows.

Each asset carries what the price process needs (start price, digits, volatility) and what
the broker lists (label, type, payout, OTC flag, open/closed). Payouts are drawn per seed
between 60 and 92 percent; a few market (non-OTC) names are closed, as outside market hours.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

#: (symbol, label, type, digits, start price, volatility per sqrt-second of log price, active)
_CATALOG: tuple[tuple[str, str, str, int, float, float, bool], ...] = (
    ("EURUSD_otc", "EUR/USD OTC", "currency", 5, 1.0842, 3.0e-5, True),
    ("BTCUSD_otc", "Bitcoin OTC", "cryptocurrency", 2, 64215.37, 1.2e-4, True),
    ("#AAPL_otc", "Apple OTC", "stock", 2, 190.52, 8.0e-5, True),
    ("SP500_otc", "SP500 OTC", "index", 2, 5204.80, 5.0e-5, True),
    ("XAUUSD_otc", "Gold OTC", "commodity", 3, 2331.456, 6.0e-5, True),
    ("GBPUSD_otc", "GBP/USD OTC", "currency", 5, 1.2715, 3.0e-5, True),
    ("ETHUSD_otc", "Ethereum OTC", "cryptocurrency", 2, 3104.66, 1.4e-4, True),
    ("#MSFT_otc", "Microsoft OTC", "stock", 2, 421.17, 7.0e-5, True),
    ("NASUSD_otc", "US100 OTC", "index", 2, 18210.40, 6.0e-5, True),
    ("XAGUSD_otc", "Silver OTC", "commodity", 3, 27.514, 8.0e-5, True),
    ("USDJPY_otc", "USD/JPY OTC", "currency", 3, 151.236, 3.0e-5, True),
    ("LTCUSD_otc", "Litecoin OTC", "cryptocurrency", 3, 82.415, 1.5e-4, True),
    ("#TSLA_otc", "Tesla OTC", "stock", 2, 175.33, 1.2e-4, True),
    ("DJI30_otc", "DJI30 OTC", "index", 2, 39012.55, 4.5e-5, True),
    ("UKBrent_otc", "Brent Oil OTC", "commodity", 3, 83.127, 9.0e-5, True),
    ("AUDCAD_otc", "AUD/CAD OTC", "currency", 5, 0.90512, 3.0e-5, True),
    ("ADA-USD_otc", "Cardano OTC", "cryptocurrency", 5, 0.45127, 1.8e-4, True),
    ("#AMZN_otc", "Amazon OTC", "stock", 2, 180.21, 9.0e-5, True),
    ("D30EUR_otc", "DAX OTC", "index", 2, 18301.10, 5.0e-5, True),
    ("USCrude_otc", "US Crude OTC", "commodity", 3, 79.044, 9.0e-5, True),
    ("EURJPY_otc", "EUR/JPY OTC", "currency", 3, 163.512, 3.5e-5, True),
    ("DOGE_otc", "Dogecoin OTC", "cryptocurrency", 5, 0.15234, 2.0e-4, True),
    ("#FB_otc", "Meta OTC", "stock", 2, 480.72, 1.0e-4, True),
    ("JPN225_otc", "Nikkei OTC", "index", 2, 38011.20, 5.0e-5, True),
    ("XNGUSD_otc", "Natural Gas OTC", "commodity", 4, 2.1034, 1.5e-4, True),
    ("GBPJPY_otc", "GBP/JPY OTC", "currency", 3, 191.744, 4.0e-5, True),
    ("SOL-USD_otc", "Solana OTC", "cryptocurrency", 3, 145.127, 1.8e-4, True),
    ("#NFLX_otc", "Netflix OTC", "stock", 2, 610.45, 1.0e-4, True),
    ("100GBP_otc", "FTSE 100 OTC", "index", 2, 8101.30, 4.5e-5, True),
    ("XAUUSD", "Gold", "commodity", 3, 2330.118, 5.0e-5, True),
    ("USDCHF_otc", "USD/CHF OTC", "currency", 5, 0.88214, 3.0e-5, True),
    ("BTCUSD", "Bitcoin", "cryptocurrency", 2, 64190.05, 1.0e-4, True),
    ("#INTC_otc", "Intel OTC", "stock", 2, 31.27, 1.1e-4, True),
    ("SP500", "SP500", "index", 2, 5201.15, 4.0e-5, False),
    ("XAGUSD", "Silver", "commodity", 3, 27.498, 7.0e-5, False),
    ("AUDUSD_otc", "AUD/USD OTC", "currency", 5, 0.66123, 3.0e-5, True),
    ("ETHUSD", "Ethereum", "cryptocurrency", 2, 3101.20, 1.2e-4, True),
    ("#AAPL", "Apple", "stock", 2, 190.11, 6.0e-5, False),
    ("NASUSD", "US100", "index", 2, 18199.80, 5.0e-5, False),
    ("UKBrent", "Brent Oil", "commodity", 3, 83.094, 8.0e-5, False),
    ("EURUSD", "EUR/USD", "currency", 5, 1.08401, 2.5e-5, True),
    ("GBPUSD", "GBP/USD", "currency", 5, 1.27132, 2.5e-5, False),
    ("AUDCAD", "AUD/CAD", "currency", 5, 0.90498, 2.5e-5, True),
    ("NZDUSD_otc", "NZD/USD OTC", "currency", 5, 0.61087, 3.0e-5, True),
    ("USDCAD_otc", "USD/CAD OTC", "currency", 5, 1.36215, 3.0e-5, True),
    ("EURGBP_otc", "EUR/GBP OTC", "currency", 5, 0.85514, 2.5e-5, True),
    ("#BA_otc", "Boeing OTC", "stock", 2, 185.64, 1.0e-4, True),
    ("CADJPY_otc", "CAD/JPY OTC", "currency", 3, 111.027, 3.5e-5, True),
    ("Microsoft_otc", "Microsoft (legacy) OTC", "stock", 2, 420.98, 7.0e-5, True),
    ("AUDJPY_otc", "AUD/JPY OTC", "currency", 3, 99.514, 3.5e-5, True),
    ("EURCHF_otc", "EUR/CHF OTC", "currency", 5, 0.95127, 2.5e-5, True),
    ("CHFJPY_otc", "CHF/JPY OTC", "currency", 3, 171.402, 3.5e-5, True),
    ("USDJPY", "USD/JPY", "currency", 3, 151.201, 2.5e-5, False),
    ("#TSLA", "Tesla", "stock", 2, 175.01, 1.0e-4, False),
    ("LINK_otc", "Chainlink OTC", "cryptocurrency", 4, 14.2031, 1.8e-4, True),
    ("DOTUSD_otc", "Polkadot OTC", "cryptocurrency", 4, 6.9012, 1.8e-4, True),
)

#: Candle periods the page offers for every asset (field 15 of a row).
ALLOWED_TIMEFRAMES: tuple[int, ...] = (5, 10, 15, 30, 60, 120, 180, 300, 600, 900, 1800, 3600, 14400, 86400)
MAX_ASSETS = len(_CATALOG)


@dataclass(frozen=True, slots=True)
class SimAsset:
    """One instrument of the practice broker."""

    id: int
    symbol: str
    label: str
    type: str
    digits: int
    start_price: float
    volatility: float
    payout: int
    active: bool

    @property
    def otc(self) -> bool:
        return self.symbol.endswith("_otc")


def build_catalog(count: int = 48, seed: int = 0) -> tuple[SimAsset, ...]:
    """The first ``count`` catalog assets with payouts drawn for ``seed`` (60–92 %).

    Raises ValueError when ``count`` is outside ``1..MAX_ASSETS``.
    """
    if not 1 <= count <= MAX_ASSETS:
        raise ValueError(f"asset count must be between 1 and {MAX_ASSETS}, got {count}")
    rng = random.Random(f"payouts-{seed}")
    assets = []
    for index, (symbol, label, kind, digits, price, vol, active) in enumerate(_CATALOG[:count]):
        low, high = (70, 92) if symbol.endswith("_otc") else (60, 85)
        assets.append(
            SimAsset(
                id=index + 1,
                symbol=symbol,
                label=label,
                type=kind,
                digits=digits,
                start_price=price,
                volatility=vol,
                payout=rng.randint(low, high),
                active=active,
            )
        )
    return tuple(assets)


def replay_asset(symbol: str, asset_id: int, digits: int, start_price: float) -> SimAsset:
    """A catalog entry for an asset that only exists in replayed data."""
    kind = guess_type(symbol)
    return SimAsset(asset_id, symbol, symbol.replace("_otc", " OTC"), kind, digits, start_price, 5e-5, 85, True)


def guess_type(symbol: str) -> str:
    """Best-effort asset type from a symbol name (stocks start with ``#``)."""
    for entry in _CATALOG:
        if entry[0] == symbol:
            return entry[2]
    if symbol.startswith("#"):
        return "stock"
    if any(coin in symbol.upper() for coin in ("BTC", "ETH", "LTC", "DOGE", "ADA", "SOL", "XRP")):
        return "cryptocurrency"
    if symbol.upper().startswith(("XAU", "XAG", "XNG", "UKBRENT", "USCRUDE")):
        return "commodity"
    return "currency"


def with_active(asset: SimAsset, active: bool) -> SimAsset:
    return replace(asset, active=active)


def asset_row(asset: SimAsset, min_expiry: int, exp_time: int) -> list[object]:
    """The 19-field ``updateAssets`` row (see the protocol reference for the field meanings)."""
    return [
        asset.id,
        asset.symbol,
        asset.label,
        asset.type,
        asset.digits,
        asset.payout,
        60,  # default expiration
        min_expiry,
        3,  # expiration step
        1 if asset.otc else 0,
        asset.id + 1000 if asset.otc else 0,
        asset.id,
        [],
        exp_time,
        asset.active,
        [{"time": period} for period in ALLOWED_TIMEFRAMES],
        0,
        5,
        -1,
    ]
