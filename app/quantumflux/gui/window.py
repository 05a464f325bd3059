"""The terminal's main window: layout, menus and remembered state (no trading logic here)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from quantumflux import __version__
from quantumflux.core.indicators import INDICATORS
from quantumflux.gui.chart import CandleChart
from quantumflux.gui.widgets.asset_list import AssetList
from quantumflux.gui.widgets.log_pane import LogPane
from quantumflux.gui.widgets.source_badge import SourceBadge
from quantumflux.gui.widgets.timeframe_bar import TimeframeBar
from quantumflux.gui.widgets.trade_ticket import TradeTicket
from quantumflux.resource_files import resource_path


class CollectorPanel(QWidget):
    """Collector on/off, ticks/s, files written, data directory."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QCheckBox("Collect to CSV")
        self.toggle.setObjectName("collector_toggle")
        self.rate = QLabel("—")
        self.files = QLabel("—")
        self.directory = QLabel("—")
        self.directory.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout(self)
        form.addRow(self.toggle)
        form.addRow("Ticks/s", self.rate)
        form.addRow("Files written", self.files)
        form.addRow("Data directory", self.directory)


class StrategyPanel(QWidget):
    """Strategies on the selected asset (paper by default, demo when chosen), live A/B, figures."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = QLabel("Tick a strategy to run it on the selected asset's closed candles at the chart's timeframe.")
        self.info.setWordWrap(True)
        self.mode = QComboBox()
        self.mode.addItem("Paper (no orders)", "paper")
        self.mode.addItem("Demo account", "demo")
        self.mode.setObjectName("strategy_mode")
        self.ab = QCheckBox("Compare the first two as a live A/B test")
        self.ab.setObjectName("strategy_ab")
        self.checks: dict[str, QCheckBox] = {}
        self.boxes = QHBoxLayout()
        self.figures = QTableWidget(0, 8)
        self.figures.setObjectName("strategy_figures")
        self.figures.setHorizontalHeaderLabels(["Strategy", "Asset", "TF", "Signals", "Closed", "Win rate", "P&L",
                                                "State"])
        self.figures.verticalHeader().hide()
        self.figures.horizontalHeader().setStretchLastSection(True)
        self.verdict = QLabel("")
        self.verdict.setObjectName("strategy_verdict")
        self.verdict.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Mode"))
        top.addWidget(self.mode)
        top.addWidget(self.ab)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.info)
        layout.addLayout(top)
        layout.addLayout(self.boxes)
        layout.addWidget(self.figures, 1)
        layout.addWidget(self.verdict)

    def set_strategies(self, names: list[str]) -> None:
        for name in names:
            if name not in self.checks:
                box = QCheckBox(name)
                box.setObjectName(f"strategy_{name}")
                self.checks[name] = box
                self.boxes.addWidget(box)
        self.boxes.addStretch(1)

    def show_figures(self, rows: list[dict[str, object]]) -> None:
        self.figures.setRowCount(len(rows))
        for row, data in enumerate(rows):
            values = [data.get(k, "") for k in ("label", "assets", "timeframe_label", "signals", "closed",
                                                "win_rate", "pnl", "state")]
            for col, value in enumerate(values):
                if isinstance(value, float):
                    value = f"{value:.1%}" if col == 5 else f"{value:+.2f}"
                elif isinstance(value, list):
                    value = ",".join(value)
                self.figures.setItem(row, col, QTableWidgetItem(str(value)))


class TerminalWindow(QMainWindow):
    """Builds the widgets; the controller gives them life."""

    def __init__(self, settings_file: Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle(f"QuantumFlux {__version__}")
        try:
            self.setWindowIcon(QIcon(str(resource_path("icons", "quantumflux.png"))))
        except FileNotFoundError:  # a source tree without the generated icon still opens
            pass
        self.setObjectName("terminal_window")
        self.resize(1500, 900)
        self.qsettings = (
            QSettings(str(settings_file), QSettings.Format.IniFormat)
            if settings_file else QSettings("QuantumFlux", "terminal")
        )

        self.assets = AssetList()
        self.assets.setMinimumWidth(250)
        self.chart = CandleChart()
        self.timeframes = TimeframeBar()
        self.badge = SourceBadge()
        self.follow_browser = QCheckBox("Follow browser")
        self.follow_browser.setObjectName("follow_browser")
        self.follow_browser.setChecked(True)
        self.live_button = QPushButton("⇥ Live")
        self.live_button.setToolTip("Return to the live edge (follow live)")
        self.indicator_button = QToolButton(text="Indicators ▾")
        self.indicator_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.indicator_menu = QMenu(self.indicator_button)
        self.indicator_actions: dict[str, QAction] = {}
        for name in INDICATORS:
            action = QAction(name.upper(), self.indicator_menu, checkable=True)
            self.indicator_actions[name] = action
            self.indicator_menu.addAction(action)
        self.indicator_button.setMenu(self.indicator_menu)
        self.title = QLabel("—")
        self.title.setObjectName("chart_title")
        self.title.setStyleSheet("font-size: 15px; font-weight: bold;")

        top = QHBoxLayout()  # two rows, so the chart's column stays narrow enough for a laptop screen
        top.addWidget(self.title)
        top.addWidget(self.badge)
        top.addStretch(1)
        top.addWidget(self.indicator_button)
        top.addWidget(self.live_button)
        top.addWidget(self.follow_browser)
        periods = QHBoxLayout()
        periods.addWidget(self.timeframes, 1)
        centre = QWidget()
        column = QVBoxLayout(centre)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(top)
        column.addLayout(periods)
        column.addWidget(self.chart, 1)
        self.setCentralWidget(centre)

        self.ticket = TradeTicket()
        self.collector_panel = CollectorPanel()
        self.strategy_panel = StrategyPanel()
        self.log = LogPane()
        left = self._dock("Assets", self.assets, Qt.DockWidgetArea.LeftDockWidgetArea)
        right = self._dock("Trade", self.ticket, Qt.DockWidgetArea.RightDockWidgetArea)
        tabs = QTabWidget()
        tabs.addTab(self.log, "Log")
        tabs.addTab(self.strategy_panel, "Strategies")
        tabs.addTab(self.collector_panel, "Collector")
        self.bottom_tabs = tabs
        bottom = self._dock("Activity", tabs, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._docks = (left, right, bottom)
        self.restored_layout = False

        self.status_browser = QLabel("browser: —")
        self.status_capture = QLabel("capture: —")
        self.status_login = QLabel("login: —")
        self.status_offset = QLabel("offset: —")
        for label in (self.status_browser, self.status_capture, self.status_login, self.status_offset):
            self.statusBar().addPermanentWidget(label)

        view_menu = self.menuBar().addMenu("&View")
        self.theme_action = QAction("Light theme", self, checkable=True)
        view_menu.addAction(self.theme_action)
        tools = self.menuBar().addMenu("&Tools")
        self.api_action = QAction("Serve the REST/WebSocket API", self, checkable=True)
        self.api_action.setObjectName("api_action")
        tools.addAction(self.api_action)
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.menuBar().addMenu("&File").addAction(quit_action)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    #: The first-run window size (before fitting it to the screen) and its docks' preferred sizes.
    FIRST_RUN_SIZE = (1500, 900)

    def fit_to_screen(self) -> None:
        """A first run (no remembered geometry): the window fits the screen's available area and is centred
        on it, so no dock is cut off on a laptop screen."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return
        area = screen.availableGeometry()
        frame = self.frameGeometry().size() - self.geometry().size()  # window-manager borders, once shown
        width = min(self.FIRST_RUN_SIZE[0], area.width() - frame.width())
        height = min(self.FIRST_RUN_SIZE[1], area.height() - frame.height())
        self.resize(max(width, self.minimumSizeHint().width()), max(height, self.minimumSizeHint().height()))
        self.move(area.x() + max(0, (area.width() - self.frameGeometry().width()) // 2),
                  area.y() + max(0, (area.height() - self.frameGeometry().height()) // 2))

    def apply_default_layout(self) -> None:
        """Dock sizes for a first run (a remembered layout wins), fitted to the screen; call once the window
        is shown."""
        if self.restored_layout:
            return
        self.fit_to_screen()
        left, right, bottom = self._docks
        width = self.width()
        self.resizeDocks([left, right], [min(270, width // 5), min(300, width // 4)], Qt.Orientation.Horizontal)
        self.resizeDocks([bottom], [min(170, self.height() // 5)], Qt.Orientation.Vertical)

    # --------------------------------------------------------------- persistence
    def restore(self) -> dict[str, object]:
        """Restore layout; return the remembered asset, timeframe, indicators and theme."""
        s = self.qsettings
        geometry = s.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = s.value("state")
        if state is not None:
            self.restored_layout = bool(self.restoreState(state))
        indicators = s.value("indicators", "")
        return {
            "asset": s.value("asset", "") or "",
            "timeframe": int(s.value("timeframe", 60) or 60),
            "indicators": [i for i in str(indicators).split(",") if i],
            "theme": s.value("theme", "dark") or "dark",
        }

    def remember(self, *, asset: str, timeframe: int, indicators: list[str], theme: str) -> None:
        s = self.qsettings
        s.setValue("geometry", self.saveGeometry())
        s.setValue("state", self.saveState())
        s.setValue("asset", asset)
        s.setValue("timeframe", timeframe)
        s.setValue("indicators", ",".join(indicators))
        s.setValue("theme", theme)
        s.sync()
