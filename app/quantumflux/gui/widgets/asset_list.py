"""Asset list: search, payout, OTC tag, open/closed, favorites first."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLineEdit, QTableView, QVBoxLayout, QWidget

from quantumflux.core.model import Asset, normalise_symbol

_COLUMNS = ("★", "Asset", "Payout", "State")
SYMBOL_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2


class _Filter(QSortFilterProxyModel):
    """Matches the search text against symbol and label, loosely (``eur/usd`` finds ``EURUSD_otc``)."""

    def __init__(self) -> None:
        super().__init__()
        self._needle = ""

    def set_needle(self, text: str) -> None:
        self.beginFilterChange()
        self._needle = normalise_symbol(text)
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent) -> bool:  # noqa: N802 (Qt override)
        if not self._needle:
            return True
        item = self.sourceModel().item(row, 1)
        symbol = item.data(SYMBOL_ROLE) or ""
        return self._needle in normalise_symbol(symbol) or self._needle in normalise_symbol(item.text())


class AssetList(QWidget):
    """Shows assets; emits ``asset_selected(symbol)`` and ``favorite_toggled(symbol, on)``."""

    asset_selected = Signal(str)
    favorite_toggled = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = QStandardItemModel(0, len(_COLUMNS), self)
        self._model.setHorizontalHeaderLabels(list(_COLUMNS))
        self._proxy = _Filter()
        self._proxy.setSourceModel(self._model)
        self._proxy.setSortRole(SORT_ROLE)
        self._favorites: set[str] = set()
        self._assets: dict[str, Asset] = {}

        self.search = QLineEdit(placeholderText="Search assets…", clearButtonEnabled=True)
        self.search.textChanged.connect(self._proxy.set_needle)
        self.table = QTableView()
        self.table.setModel(self._proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for col in (0, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.clicked.connect(self._on_clicked)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.table)

    # ------------------------------------------------------------------ data
    def set_assets(self, assets: Iterable[Asset]) -> None:
        selected = self.selected_symbol()
        self._assets = {a.symbol: a for a in assets}
        self._rebuild()
        if selected:
            self.select(selected, emit=False)

    def set_favorites(self, symbols: Iterable[str]) -> None:
        self._favorites = set(symbols)
        self._rebuild()

    def favorites(self) -> list[str]:
        return sorted(self._favorites)

    def symbols_in_view(self) -> list[str]:
        """Symbols in display order (favorites first, then open, then by payout)."""
        return [self._proxy.index(r, 1).data(SYMBOL_ROLE) for r in range(self._proxy.rowCount())]

    def selected_symbol(self) -> str | None:
        rows = self.table.selectionModel().selectedRows(1) if self.table.selectionModel() else []
        return rows[0].data(SYMBOL_ROLE) if rows else None

    def select(self, symbol: str, *, emit: bool = True) -> bool:
        for r in range(self._proxy.rowCount()):
            index = self._proxy.index(r, 1)
            if index.data(SYMBOL_ROLE) == symbol:
                self.table.selectRow(r)
                self.table.scrollTo(index)
                if emit:
                    self.asset_selected.emit(symbol)
                return True
        return False

    # -------------------------------------------------------------- internals
    def _rebuild(self) -> None:
        self._model.removeRows(0, self._model.rowCount())
        for asset in self._assets.values():
            fav = asset.symbol in self._favorites
            star = QStandardItem("★" if fav else "☆")
            name = QStandardItem(asset.display_name + ("  OTC" if asset.otc and "OTC" not in asset.display_name else ""))
            name.setData(asset.symbol, SYMBOL_ROLE)
            name.setToolTip(asset.symbol)
            payout = QStandardItem(f"{asset.payout:.0f}%")
            state = QStandardItem("open" if asset.active else "closed")
            if not asset.active:
                for item in (name, payout, state):
                    item.setForeground(QColor("#888888"))
            # Sort key: favorites, then open, then payout (high first), then name.
            key = f"{0 if fav else 1}{0 if asset.active else 1}{999 - int(asset.payout):03d}{asset.display_name}"
            for item in (star, name, payout, state):
                item.setData(key, SORT_ROLE)
            self._model.appendRow([star, name, payout, state])
        self._proxy.sort(1, Qt.SortOrder.AscendingOrder)

    def _on_clicked(self, index) -> None:
        symbol = self._proxy.index(index.row(), 1).data(SYMBOL_ROLE)
        if index.column() == 0:
            on = symbol not in self._favorites
            (self._favorites.add if on else self._favorites.discard)(symbol)
            self._rebuild()
            self.select(symbol, emit=False)
            self.favorite_toggled.emit(symbol, on)
            return
        self.asset_selected.emit(symbol)
