"""Notifications a user can act on, newest last, bounded."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QPlainTextEdit, QWidget


class LogPane(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None, max_lines: int = 2000) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(max_lines)
        self.setObjectName("log_pane")

    def notify(self, message: str, level: str = "info") -> None:
        stamp = time.strftime("%H:%M:%S")
        self.appendPlainText(f"{stamp} {level.upper():5s} {message}")

    def lines(self) -> list[str]:
        return self.toPlainText().splitlines()
