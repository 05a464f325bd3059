"""The chart's source badge: LIVE, CONNECTING, STALE (age), HISTORICAL (date range)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from quantumflux.core.source import SourceState, SourceStatus

_COLOURS = {
    SourceState.LIVE: "#1db954",
    SourceState.CONNECTING: "#e0a800",
    SourceState.STALE: "#e67e22",
    SourceState.HISTORICAL: "#5b8def",
}


class SourceBadge(QLabel):
    """Shows a SourceStatus; for HISTORICAL also the data's date range."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("source_badge")
        self.state: SourceState | None = None
        self.show_status(SourceStatus(SourceState.HISTORICAL, ""), history_range="no data")

    def show_status(self, status: SourceStatus, history_range: str | None = None) -> None:
        self.state = status.state
        text = status.describe()
        if status.state is SourceState.HISTORICAL and history_range:
            text = f"HISTORICAL · {history_range}"
        self.setText(f" ● {text} ")
        self.setStyleSheet(
            f"QLabel#source_badge {{ color: white; background: {_COLOURS[status.state]}; border-radius: 4px;"
            " font-weight: bold; padding: 2px 6px; }"
        )
