"""Navigation and crosshair of ``CandleChart``: follow-live, pan/zoom (mouse and keys), readout.

A mixin over the widget's state (``price_pane``, ``panes``, ``_buffer``, ``_forming``...), kept apart
so each module stays small.
"""

from __future__ import annotations

from PySide6 import QtCore

from quantumflux.gui.chart.panes import Pane
from quantumflux.gui.chart.readout import candle_readout

#: Candles kept free right of the forming candle when following the live edge.
RIGHT_MARGIN = 4.0


class ChartNavigation:
    """Follow-live, pan, zoom, keys, crosshair and readout (mixed into ``CandleChart``)."""

    def _scroll_to_live(self) -> None:
        (x_min, x_max), _ = self.price_pane.view.viewRange()
        right = len(self._buffer) + RIGHT_MARGIN
        self.price_pane.view.setXRange(right - (x_max - x_min), right, padding=0)

    def _on_range_changed_manually(self, *args: object) -> None:
        (_, x_max), _ = self.price_pane.view.viewRange()
        self._set_following(x_max >= len(self._buffer))

    def set_follow_live(self, follow: bool) -> None:
        """Keep the newest candle in view (True scrolls there now)."""
        self._set_following(bool(follow))
        if follow:
            self._scroll_to_live()

    def _set_following(self, follow: bool) -> None:
        self.live_button.setChecked(follow)
        if follow != self._follow_live:
            self._follow_live = follow
            self.follow_live_changed.emit(follow)

    @property
    def follow_live(self) -> bool:
        return self._follow_live

    def pan(self, fraction: float) -> None:
        """Pan by ``fraction`` of the visible span (negative: to the past), as the arrow keys do."""
        (x_min, x_max), _ = self.price_pane.view.viewRange()
        shift = (x_max - x_min) * fraction
        self.price_pane.view.setXRange(x_min + shift, x_max + shift, padding=0)
        self._on_range_changed_manually()

    def zoom(self, factor: float) -> None:
        """Scale the visible span by ``factor`` (< 1 zooms in), anchored at the right edge when live."""
        (x_min, x_max), _ = self.price_pane.view.viewRange()
        span = max(8.0, (x_max - x_min) * factor)
        anchor = x_max if self._follow_live else (x_min + x_max) / 2
        ratio = 1.0 if self._follow_live else 0.5
        self.price_pane.view.setXRange(anchor - span * ratio, anchor + span * (1 - ratio), padding=0)

    def go_to_start(self) -> None:
        """Show the oldest candles, keeping the zoom (Home key)."""
        (x_min, x_max), _ = self.price_pane.view.viewRange()
        self.price_pane.view.setXRange(-RIGHT_MARGIN, x_max - x_min - RIGHT_MARGIN, padding=0)
        self._on_range_changed_manually()

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if watched is self.graphics and event.type() == QtCore.QEvent.Type.KeyPress:
            return self._on_key(event.key())
        if watched is self.graphics and event.type() == QtCore.QEvent.Type.Leave:
            self.hide_crosshair()
        return super().eventFilter(watched, event)

    def _on_key(self, key: int) -> bool:
        keys = QtCore.Qt.Key
        actions = {keys.Key_Left: lambda: self.pan(-0.125), keys.Key_Right: lambda: self.pan(0.125),
                   keys.Key_Up: lambda: self.zoom(0.8), keys.Key_Plus: lambda: self.zoom(0.8),
                   keys.Key_Down: lambda: self.zoom(1.25), keys.Key_Minus: lambda: self.zoom(1.25),
                   keys.Key_End: lambda: self.set_follow_live(True),
                   keys.Key_Home: self.go_to_start}
        action = actions.get(key)
        if action is None:
            return False
        action()
        return True

    # ----------------------------------------------------------------- crosshair
    def _on_mouse_moved(self, position: QtCore.QPointF) -> None:
        for pane in self.panes:
            if pane.contains_scene_point(position):
                point = pane.view.mapSceneToView(position)
                self.show_crosshair_at(point.x(), point.y(), pane)
                return
        self.hide_crosshair()

    def show_crosshair_at(self, x: float, y: float | None = None, pane: Pane | None = None) -> None:
        """Put the crosshair on the candle nearest ``x`` (all panes) and update the readout."""
        index = int(round(x))
        self._crosshair = index
        for each in self.panes:
            each.vline.setPos(index)
            each.vline.show()
            each.hline.setVisible(each is pane and y is not None)
            if each is pane and y is not None:
                each.hline.setPos(y)
        self._set_readout(self._readout_for(index))

    def hide_crosshair(self) -> None:
        self._crosshair = None
        for pane in self.panes:
            pane.vline.hide()
            pane.hline.hide()
        self._set_readout(self._readout_for(len(self._buffer) - 1))

    def _readout_for(self, index: int) -> str:
        n = len(self._buffer)
        if self._forming is not None and index == n:
            t, o, h, low, c, _ = self._forming
            previous = float(self._buffer.column("close")[-1]) if n else None
            return candle_readout(t, o, h, low, c, previous, self._digits, self._timeframe, self._tz, True)
        if not 0 <= index < n:
            return ""
        t, o, h, low, c, _ = self._buffer.row(index)
        previous = float(self._buffer.column("close")[index - 1]) if index else None
        parts = [candle_readout(t, o, h, low, c, previous, self._digits, self._timeframe, self._tz)]
        parts += [ind.readout(index, self._digits) for ind in self._indicators.values()]
        return "  ".join(p for p in parts if p)

    def _set_readout(self, text: str) -> None:
        if text != self._readout:
            self._readout = text
            self.readout_label.setText(text)
            self.crosshair_moved.emit(text)

    def readout_text(self) -> str:
        """The readout currently shown (crosshair candle, else the newest closed candle)."""
        return self._readout
