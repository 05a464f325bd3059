"""Dark and light colour palettes shared by the GUI (chart, panels)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Palette:
    """Every colour the chart and panels use, as ``#rrggbb`` strings."""

    name: str
    background: str
    foreground: str
    grid: str
    axis: str
    up: str
    down: str
    volume_up: str
    volume_down: str
    crosshair: str
    price_line: str
    call_marker: str
    put_marker: str
    trade_open: str
    trade_win: str
    trade_loss: str
    trade_draw: str
    guide: str
    series: tuple[str, ...]


DARK = Palette(
    name="dark",
    background="#131722",
    foreground="#d1d4dc",
    grid="#2a2e39",
    axis="#787b86",
    up="#26a69a",
    down="#ef5350",
    volume_up="#1e6f69",
    volume_down="#8e3a3a",
    crosshair="#9598a1",
    price_line="#f0b90b",
    call_marker="#00e676",
    put_marker="#ff5252",
    trade_open="#2962ff",
    trade_win="#00c853",
    trade_loss="#ff1744",
    trade_draw="#9e9e9e",
    guide="#5d606b",
    series=("#2962ff", "#ff9800", "#e040fb", "#00bcd4", "#ffeb3b", "#8bc34a", "#f06292"),
)

LIGHT = Palette(
    name="light",
    background="#ffffff",
    foreground="#131722",
    grid="#e0e3eb",
    axis="#5d606b",
    up="#089981",
    down="#f23645",
    volume_up="#8fd3c8",
    volume_down="#f7a9b0",
    crosshair="#787b86",
    price_line="#e65100",
    call_marker="#00a152",
    put_marker="#d50000",
    trade_open="#2962ff",
    trade_win="#00a152",
    trade_loss="#d50000",
    trade_draw="#757575",
    guide="#b2b5be",
    series=("#2962ff", "#ff6d00", "#aa00ff", "#0097a7", "#c6a700", "#558b2f", "#c2185b"),
)

PALETTES: dict[str, Palette] = {DARK.name: DARK, LIGHT.name: LIGHT}


def palette(name: str) -> Palette:
    """The palette called ``name`` (``"dark"`` or ``"light"``)."""
    try:
        return PALETTES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r} (use {' or '.join(PALETTES)})") from None
