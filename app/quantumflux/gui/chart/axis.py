"""Time axis over an integer candle index: ticks at round times, found with ``searchsorted``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

import numpy as np
import pyqtgraph as pg

#: Candidate tick spacings in seconds, smallest first.
NICE_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200,
              86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 91 * 86400, 182 * 86400, 365 * 86400)


class TimeMapper:
    """Converts between candle index and time; indices past either end extrapolate by the timeframe."""

    def __init__(self, times: Callable[[], np.ndarray], timeframe: Callable[[], int]) -> None:
        self._times = times
        self._timeframe = timeframe

    def time_at(self, index: float) -> float:
        times, tf = self._times(), self._timeframe()
        if len(times) == 0:
            return float(index) * tf
        i = int(np.floor(index))
        if i < 0:
            return float(times[0] + index * tf)
        if i >= len(times) - 1:
            return float(times[-1] + (index - (len(times) - 1)) * tf)
        return float(times[i] + (index - i) * tf)

    def index_at(self, t: float) -> float:
        """Fractional index of time ``t`` (inside a candle: its index plus the elapsed fraction)."""
        times, tf = self._times(), self._timeframe()
        if len(times) == 0:
            return t / tf
        if t >= times[-1]:
            return float(len(times) - 1 + (t - times[-1]) / tf)
        if t < times[0]:
            return float((t - times[0]) / tf)
        i = int(np.searchsorted(times, t, side="right")) - 1
        return float(i + min(0.999, (t - times[i]) / tf))


def format_time(t: float, step: float, tz: tzinfo | None) -> str:
    """Label for a tick at ``t`` when ticks are ``step`` seconds apart."""
    moment = datetime.fromtimestamp(t, tz)  # tz None: local time
    if step >= 365 * 86400:
        return moment.strftime("%Y")
    if step >= 28 * 86400:
        return moment.strftime("%b %Y")
    if step >= 86400:
        return moment.strftime("%d %b")
    if moment.hour == 0 and moment.minute == 0 and moment.second == 0:
        return moment.strftime("%d %b")
    if step >= 60:
        return moment.strftime("%H:%M")
    return moment.strftime("%H:%M:%S")


class TimeAxisItem(pg.AxisItem):
    """Bottom axis labelling candle indices with times at round boundaries (gaps leave no holes)."""

    def __init__(self, mapper: TimeMapper, tz: tzinfo | None = None, **kwargs: object) -> None:
        super().__init__(orientation="bottom", **kwargs)
        self._mapper = mapper
        self._tz = tz
        self._step = 60.0

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802,N803
        t0, t1 = self._mapper.time_at(minVal), self._mapper.time_at(maxVal)
        if not np.isfinite([t0, t1]).all() or t1 <= t0 or size <= 0:
            return []
        wanted = max(2.0, size / 110.0)
        step = next((s for s in NICE_STEPS if (t1 - t0) / s <= wanted), NICE_STEPS[-1])
        self._step = float(step)
        moment = datetime.fromtimestamp(t0, self._tz)
        offset = (moment if self._tz else moment.astimezone()).utcoffset().total_seconds()
        first = (np.floor((t0 + offset) / step) + 1) * step - offset
        boundaries = np.arange(first, t1, step)[:200]
        indices = np.unique(np.ceil([self._mapper.index_at(b) - 1e-9 for b in boundaries]))
        indices = indices[(indices >= minVal) & (indices <= maxVal)]
        min_gap = (maxVal - minVal) * 60.0 / size  # keep labels at least ~60 px apart
        kept: list[float] = []
        for value in indices:
            if not kept or value - kept[-1] >= min_gap:
                kept.append(float(value))
        return [(maxVal - minVal, kept)]

    def tickStrings(self, values: list, scale: float, spacing: float) -> list[str]:  # noqa: N802
        return [format_time(self._mapper.time_at(v), self._step, self._tz) for v in values]
