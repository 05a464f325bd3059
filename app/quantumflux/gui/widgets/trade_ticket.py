"""Trade ticket: amount, expiry, payout and potential profit, CALL/PUT, account, positions."""

from __future__ import annotations

import time
from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from quantumflux.core.model import Balance, Deal, Direction

EXPIRIES: tuple[int, ...] = (5, 15, 30, 60, 120, 180, 300, 600, 900, 1800, 3600, 14400)


def _expiry_text(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


class TradeTicket(QWidget):
    """Emits ``trade_requested(direction, amount, expiry_seconds)`` on CALL/PUT."""

    trade_requested = Signal(str, float, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._payout = 0.0
        self._asset = ""
        self._is_demo = True
        self.account = QLabel()
        self.account.setObjectName("account_label")
        self.balance = QLabel("—")
        self.balance.setObjectName("balance_label")
        self.asset_label = QLabel("—")
        self.amount = QDoubleSpinBox(minimum=1.0, maximum=20000.0, decimals=2, value=1.0, singleStep=1.0)
        self.expiry = QComboBox()
        for seconds in EXPIRIES:
            self.expiry.addItem(_expiry_text(seconds), seconds)
        self.expiry.setCurrentIndex(EXPIRIES.index(60))
        self.payout_label = QLabel("—")
        self.profit_label = QLabel("—")
        self.call_button = QPushButton("CALL ▲")
        self.put_button = QPushButton("PUT ▼")
        self.call_button.setObjectName("call_button")
        self.put_button.setObjectName("put_button")
        for button, colour in ((self.call_button, "#1db954"), (self.put_button, "#e74c3c")):
            button.setStyleSheet(
                f"QPushButton {{ background:{colour}; color:white; font-weight:bold; padding:8px; }}"
                " QPushButton:disabled { background:#5a5a5a; color:#b0b0b0; }"
            )
        self.call_button.clicked.connect(lambda: self._request(Direction.CALL))
        self.put_button.clicked.connect(lambda: self._request(Direction.PUT))
        self.amount.valueChanged.connect(self._refresh_profit)

        form = QFormLayout()
        form.addRow("Account", self.account)
        form.addRow("Balance", self.balance)
        form.addRow("Asset", self.asset_label)
        form.addRow("Amount", self.amount)
        form.addRow("Expiry", self.expiry)
        form.addRow("Payout", self.payout_label)
        form.addRow("Potential profit", self.profit_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.call_button)
        buttons.addWidget(self.put_button)

        self.open_table = self._table(("Asset", "Dir", "Amount", "Open", "Left"))
        self.closed_table = self._table(("Asset", "Dir", "Amount", "Result", "Profit"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Open positions"))
        layout.addWidget(self.open_table, 1)
        layout.addWidget(QLabel("Closed trades"))
        layout.addWidget(self.closed_table, 1)
        self._open: dict[str, Deal] = {}
        self._closed: list[Deal] = []
        self.setMinimumWidth(340)
        self.set_account(is_demo=True)
        self.set_trading_enabled(False)

    @staticmethod
    def _table(headers: tuple[str, ...]) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setHorizontalHeaderLabels(list(headers))
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setMinimumSectionSize(36)
        return table

    # ------------------------------------------------------------------ state
    def set_account(self, *, is_demo: bool) -> None:
        self._is_demo = is_demo
        if is_demo:
            self.account.setText("DEMO")
            self.account.setStyleSheet("color:white;background:#2e86de;font-weight:bold;padding:2px 6px;")
        else:
            self.account.setText("REAL MONEY")
            self.account.setStyleSheet("color:white;background:#c0392b;font-weight:bold;padding:2px 6px;")

    def set_balance(self, balance: Balance) -> None:
        self.set_account(is_demo=balance.is_demo)
        self.balance.setText(f"{balance.amount:,.2f} {balance.currency}".strip())

    def set_asset(self, symbol: str, payout: float) -> None:
        self._asset = symbol
        self._payout = payout
        self.asset_label.setText(symbol)
        self.payout_label.setText(f"{payout:.0f}%")
        self._refresh_profit()

    def set_trading_enabled(self, enabled: bool, reason: str = "") -> None:
        for button in (self.call_button, self.put_button):
            button.setEnabled(enabled)
            button.setToolTip("" if enabled else reason)

    def expiry_seconds(self) -> int:
        return int(self.expiry.currentData())

    def _refresh_profit(self) -> None:
        self.profit_label.setText(f"{self.amount.value() * self._payout / 100:.2f}" if self._payout else "—")

    def _request(self, direction: Direction) -> None:
        self.trade_requested.emit(direction.value, float(self.amount.value()), self.expiry_seconds())

    # -------------------------------------------------------------- positions
    def show_opened(self, deals: Iterable[Deal]) -> None:
        for deal in deals:
            if not deal.closed:
                self._open[deal.id] = deal
        self._render_open()

    def show_closed(self, deals: Iterable[Deal]) -> None:
        for deal in deals:
            self._open.pop(deal.id, None)
            if all(d.id != deal.id for d in self._closed):
                self._closed.insert(0, deal)
        self._render_open()
        self._render_closed()

    def open_deals(self) -> list[Deal]:
        return list(self._open.values())

    def closed_deals(self) -> list[Deal]:
        return list(self._closed)

    def tick_countdowns(self, now: float | None = None) -> None:
        """Refresh the time-left column (called about once a second)."""
        now = time.time() if now is None else now
        for row, deal in enumerate(self._open.values()):
            left = "—" if deal.close_time is None else f"{max(0, deal.close_time - now):.0f}s"
            item = self.open_table.item(row, 4)
            if item is not None:
                item.setText(left)

    def _render_open(self) -> None:
        self.open_table.setRowCount(len(self._open))
        for row, deal in enumerate(self._open.values()):
            values = (deal.asset, deal.direction.value.upper(), f"{deal.amount:.2f}",
                      "" if deal.open_price is None else f"{deal.open_price}", "")
            for col, value in enumerate(values):
                self.open_table.setItem(row, col, QTableWidgetItem(value))
        self.tick_countdowns()

    def _render_closed(self) -> None:
        self.closed_table.setRowCount(len(self._closed))
        colours = {"win": "#1db954", "loss": "#e74c3c", "draw": "#888888", "unknown": "#e0a800"}
        for row, deal in enumerate(self._closed):
            profit = "" if deal.profit is None else f"{deal.profit:+.2f}"
            values = (deal.asset, deal.direction.value.upper(), f"{deal.amount:.2f}", deal.outcome.value, profit)
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col == 3:
                    item.setForeground(Qt.GlobalColor.white)
                    item.setBackground(QColor(colours[deal.outcome.value]))
                self.closed_table.setItem(row, col, item)
