"""Timeframe buttons like a trading platform: only what the data supports is enabled."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QPushButton, QWidget

from quantumflux.core.model import Timeframe

TIMEFRAMES: tuple[str, ...] = ("5s", "15s", "30s", "1m", "5m", "15m", "30m", "1h", "4h", "1d")


class TimeframeBar(QWidget):
    """Emits ``timeframe_changed(seconds)`` when the user picks an enabled timeframe."""

    timeframe_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons: dict[int, QPushButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for text in TIMEFRAMES:
            seconds = Timeframe.parse(text).seconds
            button = QPushButton(text, checkable=True)
            button.setFixedWidth(44)
            button.setObjectName(f"tf_{text}")
            self._group.addButton(button, seconds)
            self.buttons[seconds] = button
            layout.addWidget(button)
        layout.addStretch(1)
        self._group.idClicked.connect(self._on_clicked)

    def set_available(self, finest_seconds: int | None) -> None:
        """Enable the timeframes the data supports: multiples of the finest resolution available.

        ``None`` means no data: everything is disabled.
        """
        for seconds, button in self.buttons.items():
            button.setEnabled(finest_seconds is not None and seconds >= finest_seconds and seconds % finest_seconds == 0)

    def set_current(self, seconds: int) -> None:
        button = self.buttons.get(seconds)
        if button is not None:
            button.setChecked(True)

    def current(self) -> int | None:
        checked = self._group.checkedId()
        return None if checked < 0 else checked

    def enabled_timeframes(self) -> list[int]:
        return [s for s, b in self.buttons.items() if b.isEnabled()]

    def _on_clicked(self, seconds: int) -> None:
        self.timeframe_changed.emit(seconds)
