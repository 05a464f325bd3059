"""Text of the crosshair readout and of the price-line countdown."""

from __future__ import annotations

from datetime import datetime, tzinfo


def candle_readout(time: float, open_: float, high: float, low: float, close: float,
                   previous_close: float | None, digits: int, timeframe: int, tz: tzinfo | None,
                   forming: bool = False) -> str:
    """``2026-11-26 17:05  O 1.08512  H …  L …  C …  +0.012%``.

    Change % is against the previous candle's close (the candle's own open for the first one).
    """
    moment = datetime.fromtimestamp(time, tz)  # tz None: local time
    stamp = moment.strftime("%Y-%m-%d %H:%M:%S" if timeframe < 60 else "%Y-%m-%d %H:%M")
    base = previous_close if previous_close else open_
    change = (close - base) / base * 100.0 if base else 0.0
    text = (f"{stamp}  O {open_:.{digits}f}  H {high:.{digits}f}  L {low:.{digits}f}  "
            f"C {close:.{digits}f}  {change:+.3f}%")
    return text + ("  (forming)" if forming else "")


def countdown(seconds: float) -> str:
    """Time left in the candle as ``m:ss`` (or ``h:mm:ss``); never negative."""
    total = max(0, int(seconds + 0.999))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
